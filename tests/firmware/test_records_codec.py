# Scan record codec: layout, CRC, privacy (runs on MicroPython).
import mpassert
from kiosk.crypto import hmac_sha256
from kiosk.records import SIZE, Record, RecordError, decode, encode, make_record


class V:
    def __init__(self, **kw):
        self.verdict, self.admit, self.reason, self.colour = "GREEN", True, "ok", "green"
        self.kid, self.key_index, self.holder, self.name = "00", 7, b"ID-110101199003077777", "\xe5\xbc\xa0*\xe7\x8e\xb2"
        self.kind = "native"
        for k in kw:
            setattr(self, k, kw[k])


def test_roundtrip_every_field():
    r = Record(123456, 1700000001, "YELLOW", "yellow", "policy", 513, b"abcdefghijkl", False, "dcc")
    raw = encode(r)
    mpassert.eq(len(raw), SIZE)
    back = decode(raw)
    for f in ("seq", "time", "verdict", "colour", "reason", "key_index", "pseudonym", "admit", "kind"):
        mpassert.eq(getattr(back, f), getattr(r, f), f)


def test_every_bit_flip_is_detected():
    raw = encode(Record(5, 1700000000, "GREEN", "green", "ok", 1, b"\x00" * 12, True, "native"))
    for bit in range(SIZE * 8):
        bad = bytearray(raw)
        bad[bit // 8] ^= 1 << (bit % 8)
        mpassert.raises(RecordError, decode, bad)


def test_garbage_never_crashes():
    import random

    random.seed(3)
    for _ in range(300):
        junk = bytes(random.getrandbits(8) for _ in range(random.getrandbits(6)))
        try:
            decode(junk)
        except RecordError:
            pass
    mpassert.raises(RecordError, decode, b"\x02" + bytes(31))


def test_make_record_keeps_only_the_pseudonym():
    secret = b"venue-secret-test-only"
    v = V()
    r = make_record(v, 1700000123, secret)
    mpassert.eq(r.pseudonym, hmac_sha256(secret, v.holder)[:12])
    mpassert.eq((r.verdict, r.colour, r.reason, r.key_index, r.time, r.admit), ("GREEN", "green", "ok", 7, 1700000123, True))
    raw = encode(r)
    for secret_bit in (v.holder, v.holder[-8:], v.name.encode(), b"110101"):
        mpassert.eq(raw.find(secret_bit), -1, "personal data in record")
    # another venue gets an unlinkable pseudonym
    mpassert.eq(make_record(v, 1, b"other venue").pseudonym == r.pseudonym, False)


def test_rejected_scan_without_holder_or_clock():
    r = make_record(V(verdict="RED", admit=False, reason="clock_unset", colour=None, key_index=-1, holder=None, kind=None), None, b"s")
    back = decode(encode(r))
    mpassert.eq((back.verdict, back.reason, back.colour, back.key_index, back.time), ("RED", "clock_unset", None, -1, 0))
    mpassert.eq(back.pseudonym, bytes(12))
    weird = make_record(V(verdict="BLUE", reason="zzz", key_index=99999), 5, b"s")
    back = decode(encode(weird))
    mpassert.eq((back.verdict, back.reason, back.key_index), ("RED", "other", -1))
