# The native health-code token (docs/token-format.md) through kiosk.token.parse:
# the claim contract, COSE forms, algorithms, prefixes, truncation, bombs.
import binascii

import mpassert
from kiosk import token
from kiosk.token import TokenError, base45, cbor, cose, inflate

HEAPSIZE = "192K"

DROP = object()
KID = b"kid-0001"
CTI = bytes(range(16))


def _merge(base, extra):
    for k in extra:
        if extra[k] is DROP:
            base.pop(k, None)
        else:
            base[k] = extra[k]
    return base


def claims(hc=None, **kw):
    h = _merge({1: 1, 2: 0, 3: "holder-0001", 4: "\u5f20*\u73b2"}, hc or {})
    c = {1: "CN-HC", 4: 1790000000, 6: 1780000000, 7: CTI, -70001: h}
    return _merge(c, kw.get("extra", {}))


def cose_bytes(c=None, phdr=None, uhdr=None, tag=18, sig=b"\x5a" * 64, payload=None):
    protected = cbor.dumps({1: -7, 4: KID} if phdr is None else phdr) if phdr != b"" else b""
    if payload is None:
        payload = cbor.dumps(claims() if c is None else c)
    return cose.encode(protected, {} if uhdr is None else uhdr, payload, sig, tag)


def hc1(compress=True, **kw):
    return token.encode_hc1(cose_bytes(**kw), compress)


def bad(payload, reason="malformed", why=""):
    e = mpassert.raises(TokenError, token.parse, payload)
    mpassert.eq(e.reason, reason, str(e))
    if why not in str(e):
        raise AssertionError("%r does not mention %r" % (str(e), why))
    return e


def test_green_code_fields():
    t = token.parse(hc1())
    mpassert.eq(t.kind, "native")
    mpassert.eq((t.alg, t.kid, t.iss, t.exp, t.iat, t.nbf, t.cti), (-7, KID, "CN-HC", 1790000000, 1780000000, None, CTI))
    hc = t.hc
    mpassert.eq((hc.version, hc.colour, hc.holder, hc.name), (1, "green", b"holder-0001", "\u5f20*\u73b2"))
    mpassert.eq((hc.travel, hc.dependant), (None, False))
    mpassert.eq(t.dcc, None)
    mpassert.eq(t.signature, b"\x5a" * 64)
    mpassert.eq(t.claims[-70001][3], "holder-0001")


def test_yellow_travel_dependant_nbf_and_unknown_keys():
    t = token.parse(hc1(c=claims({2: 1, 5: [1780000000, 1780007200], 6: True, 99: [1, {"x": b""}]}, extra={5: 1779990000})))
    mpassert.eq((t.hc.colour, t.hc.travel, t.hc.dependant, t.nbf), ("yellow", (1780000000, 1780007200), True, 1779990000))
    t = token.parse(hc1(c=claims({2: 2, 6: False})))
    mpassert.eq((t.hc.colour, t.hc.dependant), ("red", False))
    mpassert.eq(token.parse(hc1(c=claims({5: [0, 3600]}))).hc.travel, (0, 3600))
    mpassert.eq(token.parse(hc1(c=claims({5: [0, 86400]}))).hc.travel, (0, 86400))
    mpassert.eq(token.parse(hc1(c=claims({3: "x" * 64, 4: "\u5f20" * 32}))).hc.holder, b"x" * 64)


def test_tbs_is_the_sig_structure():
    protected = cbor.dumps({1: -7, 4: KID})
    payload = cbor.dumps(claims())
    t = token.parse(hc1())
    want = b"\x84\x6aSignature1" + bytes((0x40 | len(protected),)) + protected + b"\x40"
    want += (b"\x58" + bytes((len(payload),)) if len(payload) < 256 else b"\x59" + len(payload).to_bytes(2, "big")) + payload
    mpassert.eq(t.tbs, want)
    mpassert.eq(t.payload, payload)


def test_contract_violations_are_malformed():
    cases = (
        ({1: 2}, "version"), ({1: DROP}, "version"), ({1: "1"}, "version"),
        ({2: 3}, "colour"), ({2: -1}, "colour"), ({2: "green"}, "colour"), ({2: DROP}, "colour"),
        ({2: True}, "colour"),
        ({3: ""}, "holder"), ({3: "x" * 65}, "holder"), ({3: b"id"}, "holder"), ({3: DROP}, "holder"),
        ({4: "n" * 33}, "name"), ({4: 5}, "name"), ({4: DROP}, "name"),
        ({5: [0, 3599]}, "travel"), ({5: [0, 86401]}, "travel"), ({5: [10, 0]}, "travel"),
        ({5: [0]}, "travel"), ({5: [0, 3600, 1]}, "travel"), ({5: [0, "3600"]}, "travel"),
        ({5: {0: 3600}}, "travel"), ({5: [0.0, 3600]}, "travel"),
        ({6: 1}, "dependant"), ({6: None}, "dependant"),
    )
    for hc, why in cases:
        bad(hc1(c=claims(hc)), why=why)
    bad(hc1(c=claims(extra={-70001: [1, 0]})), why="map")
    for k in (1, 4, 6):
        bad(hc1(c=claims(extra={k: DROP})), why="iss, exp and iat")
    bad(hc1(c=claims(extra={7: DROP})), why="cti")
    bad(hc1(c=claims(extra={7: CTI[:15]})), why="cti")
    bad(hc1(c=claims(extra={7: "cti"})), why="cti")
    bad(hc1(c=claims(extra={1: 7})), why="iss")
    bad(hc1(c=claims(extra={4: "1790000000"})), why="claim 4")
    bad(hc1(c=claims(extra={-260: {1: {"ver": "1.3.0"}}})), why="both")
    bad(hc1(c=claims(extra={-70001: DROP})), why="no health claim")
    bad(hc1(c=[1, 2]), why="claims must be a map")


def test_algorithms():
    mpassert.eq(token.parse(hc1(phdr={1: -37, 4: KID})).alg, -37)
    bad(hc1(phdr={1: -35, 4: KID}), "unsupported_alg", "-35")
    bad(hc1(phdr={1: -8}), "unsupported_alg")
    bad(hc1(phdr={1: "ES256"}), "unsupported_alg")
    bad(hc1(phdr={4: KID}), why="alg missing")
    bad(hc1(phdr={1: b"\x26"}), why="alg")
    t = token.parse(hc1(phdr=b"", uhdr={1: -7, 4: KID}))
    mpassert.eq((t.alg, t.kid), (-7, KID))


def test_kid_and_headers():
    mpassert.eq(token.parse(hc1(phdr={1: -7}, uhdr={4: b"u"})).kid, b"u")
    mpassert.eq(token.parse(hc1(uhdr={4: b"u"})).kid, KID)
    mpassert.eq(token.parse(hc1(phdr={1: -7})).kid, None)
    bad(hc1(phdr={1: -7, 4: 7}), why="kid")
    bad(hc1(phdr={1: -7, 4: b"k" * 65}), why="kid")
    bad(hc1(phdr={1: -7, 2: [4]}), why="critical")
    bad(hc1(uhdr=[]), why="unprotected")


def test_cose_forms():
    for tag in (18, 61, None):
        mpassert.eq(token.parse(hc1(tag=tag)).hc.colour, "green")
    bad(hc1(tag=17), why="tag 17")
    bad(hc1(tag=98), why="tag 98")
    msg = cbor.dumps(cbor.Tag(61, [b"", {}, b"", b""]))
    bad(token.encode_hc1(msg), why="tag 61")
    p = cbor.dumps({1: -7})
    bad(token.encode_hc1(cbor.dumps(cbor.Tag(18, [p, {}, None, b"s"]))), why="detached")
    bad(token.encode_hc1(cbor.dumps(cbor.Tag(18, [p, {}, b"", b"s", b""]))), why="array of 4")
    bad(token.encode_hc1(cbor.dumps(cbor.Tag(18, [p, {}, b"", "s"]))), why="signature")
    bad(token.encode_hc1(cbor.dumps(cbor.Tag(18, [p, {}, "x", b"s"]))), why="payload")
    bad(token.encode_hc1(cbor.dumps(cbor.Tag(18, [{1: -7}, {}, b"", b"s"]))), why="protected")
    bad(hc1(phdr=[1, -7]), why="protected header must hold a map")
    # non-preferred encoding inside the protected header
    bad(token.encode_hc1(cose.encode(b"\xa1\x18\x01\x26", {}, cbor.dumps(claims()), b"s")), why="non-preferred")


def test_uncompressed_cose_accepted():
    t = token.parse(hc1(compress=False))
    mpassert.eq(t.hc.colour, "green")


def test_prefix_and_input_types():
    good = hc1()
    mpassert.eq(token.parse(good.encode()).hc.colour, "green")
    mpassert.eq(token.parse(bytearray(good.encode())).hc.colour, "green")
    for p in ("hc1:" + good[4:], good[4:], "HC2:" + good[4:], "", "HC1", " " + good, "shc:/123"):
        bad(p, "unknown_format")
    bad(b"\xff\xfeHC1:", "unknown_format")
    bad(None, "unknown_format")
    bad(12, "unknown_format")
    bad("HC1:", "malformed")
    bad(good + "\n", "malformed")
    bad("HC1:" + "0" * 9000, "malformed")


def test_truncation_at_every_character_and_byte():
    good = hc1()
    for n in range(len(good)):
        mpassert.raises(TokenError, token.parse, good[:n])
    raw = cose_bytes()
    for n in range(len(raw)):
        e = mpassert.raises(TokenError, token.parse, token.encode_hc1(raw[:n], False))
        mpassert.eq(e.reason, "malformed")
    z = inflate.zlib_stored(raw)
    for n in range(2, len(z)):
        e = mpassert.raises(TokenError, token.parse, "HC1:" + base45.encode(z[:n]))
        mpassert.eq(e.reason, "malformed")


def test_zlib_bomb_stopped_at_bound():
    # 991 bytes inflating to 1,000,000 zero bytes. Under the fixed 192K heap
    # of this module, inflating it whole would raise MemoryError ("out of
    # memory"): the bound must stop it first, every time.
    bomb = binascii.unhexlify("78daedc101010000008220ffaf6e484001") + bytes(968) + binascii.unhexlify("af0643210001")
    payload = "HC1:" + base45.encode(bomb)
    for _ in range(20):
        bad(payload, why="exceeds 16384")
    for bound in (1000, 60000):
        e = mpassert.raises(TokenError, inflate.inflate, bomb, bound)
        if ("exceeds %d" % bound) not in str(e):
            raise AssertionError(str(e))


def test_zlib_errors():
    z = bytearray(inflate.zlib_stored(cose_bytes()))
    z[-1] ^= 1  # Adler-32
    bad("HC1:" + base45.encode(z), why="checksum")
    bad("HC1:" + base45.encode(inflate.zlib_stored(cose_bytes()) + b"\x00"), why="trailing")
    bad("HC1:" + base45.encode(b"\x78\x9c\xff" + bytes(20)), why="zlib: corrupt")
    bad("HC1:" + base45.encode(inflate.zlib_stored(cose_bytes())[:-7]), why="zlib: truncated")
    # a preset-dictionary flag makes it "not zlib": then it is not COSE either
    bad("HC1:" + base45.encode(b"\x78\xbb" + bytes(20)), why="cbor")


def test_cbor_bombs_inside_the_payload():
    deep = b"\x81" * 200 + b"\x00"
    bad(hc1(payload=deep), why="nesting")
    bad(hc1(payload=b"\x9b" + b"\xff" * 8), why="count")
    bad(hc1(payload=b"\x5b" + b"\x7f" + b"\xff" * 7), why="")
    bad(hc1(payload=cbor.dumps(claims()) + b"\x00"), why="trailing")
