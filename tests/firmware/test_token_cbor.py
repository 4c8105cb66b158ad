# Strict bounded CBOR: RFC 8949 Appendix A examples, Appendix F malformed
# examples, our extra strictness rules and the bounds.
import binascii

import mpassert
from kiosk.token import TokenError, cbor
from kiosk.token.cbor import UNDEFINED, Simple, Tag

INF = float("inf")

# (hex, value) from RFC 8949 Appendix A.
_TWO = 2.0  # a name, so no compiler folds FLT_MAX below back into a literal
APPENDIX_A = (
    ("00", 0), ("01", 1), ("0a", 10), ("17", 23), ("1818", 24), ("1819", 25),
    ("1864", 100), ("1903e8", 1000), ("1a000f4240", 1000000),
    ("1b000000e8d4a51000", 1000000000000),
    ("1bffffffffffffffff", 18446744073709551615),
    ("3bffffffffffffffff", -18446744073709551616),
    ("20", -1), ("29", -10), ("3863", -100), ("3903e7", -1000),
    ("f90000", 0.0), ("f98000", -0.0), ("f93c00", 1.0), ("fb3ff199999999999a", 1.1),
    ("f93e00", 1.5), ("f97bff", 65504.0), ("fa47c35000", 100000.0),
    ("fa7f7fffff", (2**24 - 1) * _TWO**104),  # FLT_MAX, computed: the 32-bit port reads the literal 3.4028234663852886e38 one ulp high
    ("fb7e37e43c8800759c", 1.0e300),
    ("f90001", 5.960464477539063e-8), ("f90400", 0.00006103515625), ("f9c400", -4.0),
    ("fbc010666666666666", -4.1), ("f97c00", INF), ("f9fc00", -INF),
    ("fa7f800000", INF), ("faff800000", -INF), ("fb7ff0000000000000", INF),
    ("fbfff0000000000000", -INF),
    ("f4", False), ("f5", True), ("f6", None), ("f7", UNDEFINED), ("f0", Simple(16)),
    ("f8ff", Simple(255)),
    ("c074323031332d30332d32315432303a30343a30305a", Tag(0, "2013-03-21T20:04:00Z")),
    ("c11a514b67b0", Tag(1, 1363896240)), ("c1fb41d452d9ec200000", Tag(1, 1363896240.5)),
    ("d74401020304", Tag(23, b"\x01\x02\x03\x04")), ("d818456449455446", Tag(24, b"dIETF")),
    ("d82076687474703a2f2f7777772e6578616d706c652e636f6d", Tag(32, "http://www.example.com")),
    ("c249010000000000000000", Tag(2, b"\x01" + bytes(8))),
    ("40", b""), ("4401020304", b"\x01\x02\x03\x04"),
    ("60", ""), ("6161", "a"), ("6449455446", "IETF"), ("62225c", '"\\'),
    ("62c3bc", "\u00fc"), ("63e6b0b4", "\u6c34"), ("64f0908591", "\U00010151"),
    ("80", []), ("83010203", [1, 2, 3]), ("8301820203820405", [1, [2, 3], [4, 5]]),
    ("98190102030405060708090a0b0c0d0e0f101112131415161718181819", list(range(1, 26))),
    ("a0", {}), ("a201020304", {1: 2, 3: 4}),
    ("a26161016162820203", {"a": 1, "b": [2, 3]}),
    ("826161a161626163", ["a", {"b": "c"}]),
    ("a56161614161626142616361436164614461656145",
     {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}),
    ("5f42010243030405ff", b"\x01\x02\x03\x04\x05"),
    ("7f657374726561646d696e67ff", "streaming"),
    ("9fff", []), ("9f018202039f0405ffff", [1, [2, 3], [4, 5]]),
    ("9f01820203820405ff", [1, [2, 3], [4, 5]]), ("83018202039f0405ff", [1, [2, 3], [4, 5]]),
    ("83019f0203ff820405", [1, [2, 3], [4, 5]]),
    ("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", list(range(1, 26))),
    ("bf61610161629f0203ffff", {"a": 1, "b": [2, 3]}),
    ("826161bf61626163ff", ["a", {"b": "c"}]),
    ("bf6346756ef563416d7421ff", {"Fun": True, "Amt": -2}),
)


def _loads(h, **kw):
    return cbor.loads(binascii.unhexlify(h), **kw)


def test_appendix_a_examples():
    for h, want in APPENDIX_A:
        got = _loads(h)
        mpassert.eq(got, want, h)
        if isinstance(want, float):
            mpassert.eq(type(got), float, h)


def test_nan_forms():
    for h in ("f97e00", "fa7fc00000", "fb7ff8000000000000"):
        v = _loads(h)
        if v == v:
            raise AssertionError("%s should be NaN, got %r" % (h, v))


def test_encoder_round_trip_shortest_form():
    for h, want in APPENDIX_A:
        if "f9" in h[:2] or "fa" in h[:2] or "fb" in h[:2] or "c1fb" in h or "5f" in h[:2] or "7f" in h[:2]:
            continue
        if h.startswith("9f") or h.startswith("bf") or "9f" in h[2:] or "bf" in h[2:]:
            continue
        if isinstance(want, dict) and len(want) > 1:
            # MicroPython dicts are unordered: check the value round trip only.
            mpassert.eq(cbor.loads(cbor.dumps(want)), want, h)
            continue
        mpassert.eq(binascii.hexlify(cbor.dumps(want)).decode(), h)


def _bad(h, why="", **kw):
    e = mpassert.raises(TokenError, _loads, h, **kw)
    mpassert.eq(e.reason, "malformed", h)
    if why not in str(e):
        raise AssertionError("%s: %r does not mention %r" % (h, str(e), why))


# RFC 8949 Appendix F.1 examples of not-well-formed data.
APPENDIX_F = (
    "18", "19", "1a", "1b", "1901", "1a0102", "1b01020304050607", "38", "58", "78", "98",
    "9a01ff00", "b8", "d8", "f8", "f900", "fa0000", "fb000000", "41", "61", "5affffffff00",
    "5bffffffffffffffff010203", "7affffffff00", "7b7fffffffffffffff010203",
    "81", "818181818181818181", "8200", "a1", "a20102", "a100", "a2000000", "c0", "5f4100",
    "7f6100", "9f", "9f0102", "bf", "bf01020102", "819f", "9f8000", "9f9f9f9f9fffffffff",
    "9f819f819f9fffffff",
    "1c", "1d", "1e", "3c", "3d", "3e", "5c", "5d", "5e", "7c", "7d", "7e", "9c", "9d", "9e",
    "bc", "bd", "be", "dc", "dd", "de", "fc", "fd", "fe",
    "f800", "f801", "f818", "f81f",
    "5f00ff", "5f21ff", "5f6100ff", "5f80ff", "5fa0ff", "5fc000ff", "5fe0ff", "7f4100ff",
    "5f5f4100ffff", "7f7f6100ffff",
    "ff", "81ff", "8200ff", "a1ff", "a1ff00", "a100ff", "a20000ff", "9f81ff", "9f829f819f9fffffffff",
    "1f", "3f", "df",
)


def test_appendix_f_not_well_formed():
    for h in APPENDIX_F:
        _bad(h)


def test_trailing_bytes_and_truncation():
    _bad("0000", "trailing")
    _bad("83010203ff", "trailing")
    good = binascii.unhexlify("a26161016162820203")
    for n in range(len(good)):
        mpassert.raises(TokenError, cbor.loads, good[:n])


def test_strictness_rules():
    _bad("a201020103", "duplicate")  # {1: 2, 1: 3}
    _bad("a2616101616102", "duplicate")
    _bad("bf0102010fff", "duplicate")
    _bad("a1f500", "key")  # bool key
    _bad("a1f93c0000", "key")  # float key
    _bad("a18000", "key")  # array key
    _bad("a1c10000", "key")  # tagged key
    _bad("62c0af", "UTF-8")  # overlong
    _bad("63eda080", "UTF-8")  # surrogate
    _bad("64f4908080", "UTF-8")  # > U+10FFFF
    _bad("61ff", "UTF-8")
    _bad("62c328", "UTF-8")
    m = _loads("a2410102614103")
    mpassert.eq(m[b"\x01"], 2)
    mpassert.eq(m["A"], 3)


def test_depth_bomb():
    ok = binascii.unhexlify("81" * 16 + "00")
    v = cbor.loads(ok)
    for _ in range(16):
        v = v[0]
    mpassert.eq(v, 0)
    _bad("81" * 17 + "00", "nesting")
    _bad("9f" * 100000, "nesting")
    _bad("c1" * 100000 + "00", "nesting")
    _bad("a101" * 30 + "00", "nesting")


def test_length_and_count_bombs():
    _bad("5b7fffffffffffffff00", "")  # 2**63-1 byte string, 1 byte present
    _bad("5a00010000" + "00" * 10, "string of 65536")  # above max_len
    _bad("9b00000000ffffffff00", "count")  # array of 2**32-1 items, nothing there
    _bad("bb00000000ffffffff00", "count")
    _bad("5f" + "4100" * 5000 + "ff", "")  # indefinite bytes over max_len/max_items
    _bad("99ffff" + "00" * 65535, "items")  # 65535 items > max_items 4096
    v = cbor.loads(b"\x99\x0f\xa0" + bytes(4000))
    mpassert.eq(len(v), 4000)
    _bad("5820" + "00" * 32, "", max_len=16)


def test_canonical_mode():
    mpassert.eq(_loads("a10126", canonical=True), {1: -7})
    _bad("a1180126", "non-preferred", canonical=True)
    _bad("5800", "non-preferred", canonical=True)
    _bad("bf0126ff", "indefinite", canonical=True)
    _bad("5f4101ff", "indefinite", canonical=True)
    _bad("b9000100f6", "non-preferred", canonical=True)
    mpassert.eq(_loads("a1180126"), {1: -7})


def test_encoder_values():
    v = [1, -1, b"\x00", "\u5f20*\u73b2", {1: [True, False, None]}, Tag(18, [b"", {}, b"", b""])]
    mpassert.eq(cbor.loads(cbor.dumps(v)), v)
    mpassert.eq(cbor.dumps(-18446744073709551616), binascii.unhexlify("3bffffffffffffffff"))
    mpassert.raises(TokenError, cbor.dumps, 18446744073709551616)
