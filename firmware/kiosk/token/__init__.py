"""Health-code token parsing: payload -> Token (no signature check here).

parse(payload) takes the bytes (or str) a QR code carried and walks the
HCERT layers: "HC1:" prefix -> Base45 -> zlib -> COSE_Sign1 -> CWT claims.
It returns a Token or raises TokenError, whose `reason` is one of:

  unknown_format   the payload does not start with "HC1:" (case-sensitive,
                   as HCERT specifies; a bare Base45 string is not accepted,
                   it is indistinguishable from other alphanumeric QR codes)
  malformed        any layer is invalid, too large, too deep, truncated
  unsupported_alg  well-formed, but signed with an algorithm other than
                   ES256 (-7) or PS256 (-37)
  out_of_memory    the kiosk's heap could not hold a layer (e.g. the 16 KB
                   inflate buffer): no judgement of the code

After the prefix, the Base45 text decodes to either a zlib stream or, as
HCERT allows, an uncompressed COSE message (anything that does not start
with a valid zlib header). Every layer is bounded (kiosk.token.base45,
.inflate, .cbor); parse never raises anything but TokenError, including
for MemoryError (reason out_of_memory). The format is documented in docs/token-format.md.

Token: alg, kid (bytes or None), tbs (bytes to verify), signature,
payload (the COSE payload bytes), claims
(the CWT map, int keys), iss, exp, nbf, iat, cti, kind ("native"/"dcc"),
hc (a cwt.HealthCode or None), dcc (the hcert map with str keys, or None).
"""

from micropython import const

PREFIX = "HC1:"
_MAX_PAYLOAD = const(8192)
_MAX_INFLATED = const(16384)
REASONS = ("unknown_format", "malformed", "unsupported_alg", "out_of_memory")


class TokenError(Exception):
    """A payload that is not an acceptable token; `reason` says why."""

    def __init__(self, reason, detail=""):
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


class Token:
    """A parsed (not yet verified) health-code token."""

    def __init__(self, sign1, claims):
        self.alg = sign1.alg
        self.kid = sign1.kid
        self.signature = sign1.signature
        self.payload = sign1.payload
        self._sign1 = sign1
        self.claims = claims.map
        self.iss = claims.iss
        self.exp = claims.exp
        self.nbf = claims.nbf
        self.iat = claims.iat
        self.cti = claims.cti
        self.kind = claims.kind
        self.hc = claims.hc
        self.dcc = claims.dcc

    @property
    def tbs(self):
        return self._sign1.tbs

    def __repr__(self):
        return "Token(%s, alg=%d, kid=%r)" % (self.kind, self.alg, self.kid)


def _text(payload):
    if isinstance(payload, str):
        return payload
    if isinstance(payload, (bytes, bytearray, memoryview)):
        if len(payload) > _MAX_PAYLOAD:
            raise TokenError("malformed", "payload longer than %d bytes" % _MAX_PAYLOAD)
        try:
            return str(bytes(payload), "utf-8")
        except UnicodeError:
            raise TokenError("unknown_format", "payload is not text")
    raise TokenError("unknown_format", "payload must be bytes or str")


def encode_hc1(cose_bytes, compress=True):
    """"HC1:" + Base45(zlib(cose)) (stored zlib blocks), for tests and fuzzing."""
    from kiosk.token import base45, inflate

    if compress:
        cose_bytes = inflate.zlib_stored(cose_bytes)
    return PREFIX + base45.encode(cose_bytes)


def _parse(payload):
    from kiosk.token import base45, cose, cwt, inflate

    text = _text(payload)
    if not text.startswith(PREFIX):
        raise TokenError("unknown_format", "no HC1: prefix")
    if len(text) > _MAX_PAYLOAD:
        raise TokenError("malformed", "payload longer than %d characters" % _MAX_PAYLOAD)
    raw = base45.decode(text[len(PREFIX) :])
    if inflate.is_zlib(raw):
        raw = inflate.inflate(raw, _MAX_INFLATED)
    sign1 = cose.decode(raw)
    return Token(sign1, cwt.Claims(sign1.payload))


def parse(payload):
    """Parse a QR payload into a Token; raise only TokenError."""
    try:
        return _parse(payload)
    except TokenError:
        raise
    except MemoryError:
        raise TokenError("out_of_memory", "out of memory")
    except Exception as e:  # a bug or an unforeseen input: never escape
        raise TokenError("malformed", "unexpected %s" % type(e).__name__)
