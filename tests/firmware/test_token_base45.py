# Base45 (RFC 9285): the RFC examples, strictness, and round trips.
import mpassert
from kiosk.token import TokenError, base45

VECTORS = (
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
    (b"", ""),
    (b"\x00", "00"),
    (b"\xff\xff", "FGW"),
    (b"\xff", "U5"),
)


def test_rfc9285_examples():
    for raw, text in VECTORS:
        mpassert.eq(base45.encode(raw), text)
        mpassert.eq(base45.decode(text), raw)
        mpassert.eq(base45.decode(text.encode()), raw)


def test_round_trip_every_byte_pair_edge():
    data = bytes(range(256))
    for n in range(0, 40):
        chunk = data[n * 5 : n * 5 + n]
        mpassert.eq(base45.decode(base45.encode(chunk)), chunk)
    mpassert.eq(base45.decode(base45.encode(data)), data)


def _bad(text, why):
    e = mpassert.raises(TokenError, base45.decode, text)
    mpassert.eq(e.reason, "malformed", text)
    if why not in str(e):
        raise AssertionError("%r: %r does not mention %r" % (text, str(e), why))


def test_rejects_invalid_characters():
    _bad("bb8", "character")  # lowercase is not in the alphabet
    _bad("BB8=", "length")  # padding gives a bad length first
    _bad("BB8==", "character")
    _bad("BB\n", "character")
    _bad("B\xe9", "character")
    _bad(b"BB\xc3", "character")
    _bad("QED8WE#0", "character")


def test_rejects_bad_lengths():
    _bad("B", "length")
    _bad("BB8B", "length")
    _bad("%69 VD92EX0AB", "length")


def test_rejects_values_out_of_range():
    _bad("GGW", "0xFFFF")  # 16 + 16*45 + 32*2025 = 65536
    _bad(":::", "0xFFFF")  # 44 * (1 + 45 + 2025) = 91124
    _bad("ZZ", "0xFF")  # 35 + 35*45 = 1610
    _bad("V5", "0xFF")  # 31 + 5*45 = 256


def test_rejects_too_long():
    e = mpassert.raises(TokenError, base45.decode, "0" * 9000)
    mpassert.eq(e.reason, "malformed")
    mpassert.eq(base45.decode("000" * 7, max_len=21), bytes(14))
