"""CWT claims (RFC 8392) and the two health claims the kiosk reads.

claims(payload) decodes the COSE payload (a CBOR map) and checks the
registered claims we use: iss (1, tstr), exp (4), nbf (5), iat (6) (ints,
Unix seconds; an epoch tag 1 around an int is unwrapped) and cti (7,
bstr). A present claim of the wrong type raises TokenError("malformed").

Two private claims carry the health content (docs/token-format.md):
  * -70001, the native health code: a map with int keys, decoded to a
    HealthCode by health_code(); native tokens must also carry iss, exp,
    iat and a 16-byte cti.
  * -260, the EU DCC: {1: hcert}; hcert must be a map with text keys. It
    is returned with CBOR tags unwrapped to their content (the DCC schema
    has no tagged values; some issuers tag dates) so policy code sees only
    dict/list/str/int/float/bool/None.
A CWT with both, or with neither, is malformed.
"""

from micropython import const

from kiosk.token import cbor

CLAIM_ISS = const(1)
CLAIM_EXP = const(4)
CLAIM_NBF = const(5)
CLAIM_IAT = const(6)
CLAIM_CTI = const(7)
CLAIM_HCERT = const(-260)
CLAIM_HEALTH = const(-70001)

COLOURS = ("green", "yellow", "red")
_MAX_HOLDER = const(64)
_MAX_NAME = const(32)
_MIN_TRAVEL = const(3600)
_MAX_TRAVEL = const(86400)
_CTI_LEN = const(16)
_MAX_CTI = const(64)
_TAG_EPOCH = const(1)


def _error(msg):
    from kiosk.token import TokenError

    return TokenError("malformed", "cwt: " + msg)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class HealthCode:
    """The native health-code claim (-70001), validated."""

    def __init__(self, version, colour, holder, name, travel, dependant):
        self.version = version
        self.colour = colour
        self.holder = holder
        self.name = name
        self.travel = travel
        self.dependant = dependant

    def __repr__(self):
        return "HealthCode(%s, travel=%r, dependant=%r)" % (self.colour, self.travel, self.dependant)


def health_code(m):
    """Validate the -70001 map (int keys; unknown keys ignored); return HealthCode."""
    if not isinstance(m, dict):
        raise _error("health code must be a map")
    version = m.get(1)
    if not _is_int(version):
        raise _error("health code version missing")
    if version != 1:
        raise _error("health code version %d not supported" % version)
    colour = m.get(2)
    if not _is_int(colour) or not 0 <= colour <= 2:
        raise _error("colour must be 0, 1 or 2")
    holder = m.get(3)
    if not isinstance(holder, str):
        raise _error("holder id must be a tstr")
    holder = holder.encode()
    if not 1 <= len(holder) <= _MAX_HOLDER:
        raise _error("holder id must be 1..%d bytes" % _MAX_HOLDER)
    name = m.get(4)
    if not isinstance(name, str) or len(name) > _MAX_NAME:
        raise _error("masked name must be a tstr of at most %d characters" % _MAX_NAME)
    travel = m.get(5)
    if travel is not None:
        if not isinstance(travel, list) or len(travel) != 2 or not _is_int(travel[0]) or not _is_int(travel[1]):
            raise _error("travel window must be [start, end]")
        span = travel[1] - travel[0]
        if not _MIN_TRAVEL <= span <= _MAX_TRAVEL:
            raise _error("travel window of %d s outside 1..24 h" % span)
        travel = (travel[0], travel[1])
    dependant = m.get(6, False)
    if dependant is not True and dependant is not False:
        raise _error("dependant flag must be a bool")
    return HealthCode(version, COLOURS[colour], holder, name, travel, dependant)


def _plain(v):
    # Unwrap tags recursively (bounded by the CBOR depth limit already).
    while isinstance(v, cbor.Tag):
        v = v.value
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(v[k]) for k in v}
    return v


def _time(claims, key):
    v = claims.get(key)
    if isinstance(v, cbor.Tag) and v.tag == _TAG_EPOCH:
        v = v.value
    if isinstance(v, float) and v == v and abs(v) < 1e15:
        v = int(v)
    if v is not None and not _is_int(v):
        raise _error("claim %d must be an int (Unix seconds)" % key)
    return v


class Claims:
    """Checked CWT claims plus the decoded health content."""

    def __init__(self, payload):
        c = cbor.loads(payload)
        if not isinstance(c, dict):
            raise _error("claims must be a map")
        self.map = c
        iss = c.get(CLAIM_ISS)
        if iss is not None and not isinstance(iss, str):
            raise _error("iss must be a tstr")
        self.iss = iss
        self.exp = _time(c, CLAIM_EXP)
        self.nbf = _time(c, CLAIM_NBF)
        self.iat = _time(c, CLAIM_IAT)
        cti = c.get(CLAIM_CTI)
        if cti is not None and (not isinstance(cti, bytes) or len(cti) > _MAX_CTI):
            raise _error("cti must be a bstr of at most %d bytes" % _MAX_CTI)
        self.cti = cti
        self.hc = None
        self.dcc = None
        if CLAIM_HEALTH in c and CLAIM_HCERT in c:
            raise _error("both a native health code and a DCC")
        if CLAIM_HEALTH in c:
            self.kind = "native"
            self.hc = health_code(c[CLAIM_HEALTH])
            if iss is None or self.exp is None or self.iat is None:
                raise _error("native token needs iss, exp and iat")
            if cti is None or len(cti) != _CTI_LEN:
                raise _error("native token needs a %d-byte cti" % _CTI_LEN)
        elif CLAIM_HCERT in c:
            self.kind = "dcc"
            if self.exp is None:
                raise _error("DCC without exp (HCERT requires it)")
            h = c[CLAIM_HCERT]
            if not isinstance(h, dict) or not isinstance(h.get(1), dict):
                raise _error("hcert claim must be {1: map}")
            dcc = _plain(h[1])
            for k in dcc:
                if not isinstance(k, str):
                    raise _error("DCC keys must be tstr")
            self.dcc = dcc
        else:
            raise _error("no health claim (-70001 or -260)")
