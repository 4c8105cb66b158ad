"""COSE_Sign1 (RFC 9052) parsing and the Sig_structure to verify.

decode(data) accepts the three forms found in HCERT / EU DCC data:
  * tag 18 (COSE_Sign1) around the message,
  * tag 61 (CWT) around tag 18,
  * the untagged 4-element array.
Any other tag, a tag 61 around something else, or a detached (nil)
payload raises TokenError("malformed").

The message is [protected: bstr, unprotected: map, payload: bstr,
signature: bstr]. The protected bstr is either empty or holds a map,
decoded strictly with canonical=True (preferred serialisation). Rules:
  * alg (label 1) is read from the protected header. If it is absent
    there, the unprotected header is used: the EU DCC test data marks such
    a message valid (common/CO20). That is safe only because the verifier
    checks that the issuer key's own alg equals Sign1.alg, which it must.
    An int or text alg the kiosk does not implement raises
    TokenError("unsupported_alg"); supported: ES256 (-7) and PS256 (-37).
    A missing alg is malformed.
  * kid (label 4) comes from the protected header, else the unprotected
    one; it must be a bstr (at most 64 bytes) if present.
  * crit (label 2) is rejected: the kiosk understands no critical
    extension header.
  * the signature must be a bstr (its length is checked by the verifier).

Sign1.tbs is the Sig_structure that was signed (RFC 9052 section 4.4):
CBOR ["Signature1", protected_bstr, h'', payload_bstr], built from the
protected bytes exactly as received.
"""

from micropython import const

from kiosk.token import cbor

ALG_ES256 = const(-7)
ALG_PS256 = const(-37)
SUPPORTED_ALGS = (ALG_ES256, ALG_PS256)

_TAG_SIGN1 = const(18)
_TAG_CWT = const(61)
_H_ALG = const(1)
_H_CRIT = const(2)
_H_KID = const(4)
_MAX_KID = const(64)


def _error(msg, reason="malformed"):
    from kiosk.token import TokenError

    return TokenError(reason, "cose: " + msg)


class Sign1:
    """A decoded COSE_Sign1: headers, payload, signature and the tbs bytes."""

    def __init__(self, protected, phdr, uhdr, payload, signature):
        self.protected = protected
        self.phdr = phdr
        self.uhdr = uhdr
        self.payload = payload
        self.signature = signature
        self.alg = phdr[_H_ALG] if _H_ALG in phdr else uhdr[_H_ALG]
        kid = phdr.get(_H_KID)
        if kid is None:
            kid = uhdr.get(_H_KID)
        self.kid = kid
        self._tbs = None

    @property
    def tbs(self):
        if self._tbs is None:
            self._tbs = sig_structure(self.protected, self.payload)
        return self._tbs


def sig_structure(protected, payload, external_aad=b""):
    """CBOR Sig_structure for COSE_Sign1 (context "Signature1")."""
    return cbor.dumps(["Signature1", protected, external_aad, payload])


def encode(protected, uhdr, payload, signature, tag=_TAG_SIGN1):
    """COSE_Sign1 bytes from an encoded protected header (for tests/fuzz).

    tag: 18, 61 (tag 61 around tag 18) or None (untagged)."""
    msg = [protected, uhdr, payload, signature]
    if tag == _TAG_CWT:
        msg = cbor.Tag(_TAG_CWT, cbor.Tag(_TAG_SIGN1, msg))
    elif tag is not None:
        msg = cbor.Tag(tag, msg)
    return cbor.dumps(msg)


def _unwrap(msg):
    if isinstance(msg, cbor.Tag):
        if msg.tag == _TAG_CWT:
            msg = msg.value
            if not isinstance(msg, cbor.Tag) or msg.tag != _TAG_SIGN1:
                raise _error("CWT tag 61 not around COSE_Sign1")
        if msg.tag != _TAG_SIGN1:
            raise _error("tag %d is not COSE_Sign1" % msg.tag)
        msg = msg.value
    if not isinstance(msg, list) or len(msg) != 4:
        raise _error("COSE_Sign1 must be an array of 4")
    return msg


def _check_header(h, where):
    kid = h.get(_H_KID)
    if kid is not None and (not isinstance(kid, bytes) or len(kid) > _MAX_KID):
        raise _error("kid in %s header must be a bstr of at most %d bytes" % (where, _MAX_KID))
    if _H_CRIT in h:
        raise _error("critical header parameters not supported")


def decode_message(msg):
    """Check a decoded COSE_Sign1 value (tagged or not); return Sign1."""
    protected, uhdr, payload, signature = _unwrap(msg)
    if not isinstance(protected, bytes):
        raise _error("protected header must be a bstr")
    if protected:
        phdr = cbor.loads(protected, max_depth=4, max_items=64, max_len=256, canonical=True)
        if not isinstance(phdr, dict):
            raise _error("protected header must hold a map")
    else:
        phdr = {}
    if not isinstance(uhdr, dict):
        raise _error("unprotected header must be a map")
    if payload is None:
        raise _error("detached payload not supported")
    if not isinstance(payload, bytes):
        raise _error("payload must be a bstr")
    if not isinstance(signature, bytes):
        raise _error("signature must be a bstr")
    _check_header(phdr, "protected")
    _check_header(uhdr, "unprotected")
    alg = phdr.get(_H_ALG)
    if alg is None:
        alg = uhdr.get(_H_ALG)
    if alg is None:
        raise _error("alg missing")
    if not isinstance(alg, (int, str)) or isinstance(alg, bool):
        raise _error("alg must be an int or tstr")
    if alg not in SUPPORTED_ALGS:
        raise _error("alg %r not supported" % (alg,), "unsupported_alg")
    return Sign1(protected, phdr, uhdr, payload, signature)


def decode(data, max_len=8192):
    """Decode COSE_Sign1 bytes (tag 18, tag 61+18, or untagged); return Sign1."""
    msg = cbor.loads(data, max_depth=8, max_items=256, max_len=max_len)
    return decode_message(msg)
