"""Scan records: a fixed 32-byte, versioned, CRC-protected binary format.

A record holds what a venue may keep about one scan and nothing else:
sequence number, time, verdict, colour, reason, issuer key index and a holder
pseudonym = the first 12 bytes of HMAC-SHA256(venue secret, holder id). No
name, ID number or phone number ever reaches flash or the wire. The layout is
in docs/record-format.md; `kiosk.records.log` stores records on littlefs.

    rec = make_record(verdict, now, venue_secret)   # seq assigned by Log.append
    raw = encode(rec)                               # 32 bytes
    rec = decode(raw)                               # raises RecordError if bad
"""

import struct
from binascii import crc32

from micropython import const

VERSION = const(1)
SIZE = const(32)
PSEUDONYM_LEN = const(12)
_BODY = const(28)
_FMT = "<BBIIBBBBh12s"
_FLAG_ADMIT = const(1)
_KIND_SHIFT = const(1)

VERDICTS = ("GREEN", "YELLOW", "RED")
COLOURS = (None, "green", "yellow", "red")
KINDS = (None, "native", "dcc", "other")
REASONS = (
    "ok",
    "unreadable",
    "unknown_format",
    "malformed",
    "unsupported_alg",
    "unknown_issuer",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "revoked",
    "clock_unset",
    "policy",
    "other",
    "already_used",  # 13: this code admitted someone here within the venue's window (kiosk.app.reuse)
    "out_of_memory",  # 14: the kiosk ran out of memory judging the code (not the code's fault; scan again)
)
_OTHER = const(12)  # unknown reasons are stored as "other"
_ZERO_PSEUDONYM = bytes(PSEUDONYM_LEN)


class RecordError(Exception):
    """Bad record bytes or a log failure (kiosk.records' one exception class)."""


class Record:
    """One scan. `time` is Unix seconds, 0 when the clock was unset."""

    def __init__(self, seq=0, time=0, verdict="RED", colour=None, reason="other",
                 key_index=-1, pseudonym=_ZERO_PSEUDONYM, admit=False, kind=None):
        self.seq = seq
        self.time = time
        self.verdict = verdict
        self.colour = colour
        self.reason = reason
        self.key_index = key_index
        self.pseudonym = pseudonym
        self.admit = admit
        self.kind = kind

    def __eq__(self, other):
        return isinstance(other, Record) and encode(self) == encode(other)

    def __repr__(self):
        return "Record(seq=%d, time=%d, verdict=%s, colour=%s, reason=%s, key=%d)" % (
            self.seq, self.time, self.verdict, self.colour, self.reason, self.key_index)


def _index(table, value, default):
    try:
        return table.index(value)
    except ValueError:
        return default


def pseudonym(venue_secret, holder):
    """First 12 bytes of HMAC-SHA256(venue_secret, holder); zeros for no holder."""
    if not holder:
        return _ZERO_PSEUDONYM
    from kiosk.crypto import hmac_sha256

    if isinstance(holder, str):
        holder = holder.encode()
    return hmac_sha256(venue_secret, holder)[:PSEUDONYM_LEN]


def make_record(verdict, now, venue_secret):
    """Record for a Verdict (docs/architecture.md); `now` Unix seconds or None.
    Only the pseudonym of `verdict.holder` is kept; seq is set by Log.append."""
    v = getattr(verdict, "verdict", "RED")
    key = getattr(verdict, "key_index", -1)
    if key is None or key < -1 or key > 32767:
        key = -1
    return Record(
        0,
        now if now and 0 < now < 0x100000000 else 0,
        v if v in VERDICTS else "RED",
        getattr(verdict, "colour", None),
        getattr(verdict, "reason", "other"),
        key,
        pseudonym(venue_secret, getattr(verdict, "holder", None)),
        bool(getattr(verdict, "admit", False)),
        getattr(verdict, "kind", None),
    )


def encode_into(rec, buf, off=0, seal=True):
    """Write the 32-byte form of `rec` into buf[off:off+32]. With seal=False
    the CRC is left for `seal_into` (this part allocates nothing)."""
    flags = (_FLAG_ADMIT if rec.admit else 0) | (_index(KINDS, rec.kind, 3) << _KIND_SHIFT)
    ps = rec.pseudonym
    if len(ps) != PSEUDONYM_LEN:
        raise RecordError("pseudonym must be %d bytes" % PSEUDONYM_LEN)
    # "I" packs the low 32 bits of seq and time; no `& 0xFFFFFFFF` (a big int on
    # 32-bit ports: it would allocate on every append, tests/m32 checks)
    struct.pack_into(
        _FMT, buf, off, VERSION, flags, rec.seq, rec.time,
        _index(VERDICTS, rec.verdict, 2), _index(COLOURS, rec.colour, 0),
        _index(REASONS, rec.reason, _OTHER), 0, rec.key_index, ps)
    if seal:
        seal_into(buf, off)


def seal_into(buf, off=0):
    """Fill in the CRC of the record at buf[off:off+32]."""
    struct.pack_into("<I", buf, off + _BODY, crc32(memoryview(buf)[off : off + _BODY]))


def encode(rec):
    buf = bytearray(SIZE)
    encode_into(rec, buf)
    return bytes(buf)


def check(buf, off=0):
    """True when buf[off:off+32] is a well-formed record (version and CRC)."""
    if len(buf) < off + SIZE or buf[off] != VERSION:
        return False
    mv = memoryview(buf)
    return crc32(mv[off : off + _BODY]) == struct.unpack_from("<I", buf, off + _BODY)[0]


def seq_of(buf, off=0):
    return struct.unpack_from("<I", buf, off + 2)[0]


def decode(buf, off=0):
    """Record from 32 bytes; RecordError on a bad version, CRC or field."""
    if len(buf) < off + SIZE:
        raise RecordError("short record")
    if buf[off] != VERSION:
        raise RecordError("unknown record version %d" % buf[off])
    if not check(buf, off):
        raise RecordError("record CRC mismatch")
    _, flags, seq, t, v, c, r, _, key, ps = struct.unpack_from(_FMT, buf, off)
    if v >= len(VERDICTS) or c >= len(COLOURS) or r >= len(REASONS):
        raise RecordError("record field out of range")
    return Record(seq, t, VERDICTS[v], COLOURS[c], REASONS[r], key, bytes(ps),
                  bool(flags & _FLAG_ADMIT), KINDS[(flags >> _KIND_SHIFT) & 3])
