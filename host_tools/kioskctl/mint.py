"""Mint native health-code tokens (HCERT container, ES256) on the host.

The claim map is specified in docs/token-format.md; the firmware parser
(firmware/kiosk/token) is the other side of this contract.
"""

import hashlib
import os
import zlib

import base45
import cbor2

from kioskctl.errors import UsageError

CLAIM_HC = -70001
COLOURS = {"green": 0, "yellow": 1, "red": 2}
ALG_ES256 = -7


def health_code_claims(iss, colour, holder, name, iat, exp, nbf=None, travel=None, dependant=False, cti=None):
    """The CWT claims map of a native health code (int keys)."""
    if colour not in COLOURS:
        raise ValueError("colour must be green, yellow or red")
    hc = {1: 1, 2: COLOURS[colour], 3: holder, 4: name}
    if travel is not None:
        hc[5] = [int(travel[0]), int(travel[1])]
    if dependant:
        hc[6] = True
    claims = {1: iss, 4: int(exp), 6: int(iat), 7: cti if cti is not None else os.urandom(16), CLAIM_HC: hc}
    if nbf is not None:
        claims[5] = int(nbf)
    return claims


def sig_structure(protected, payload):
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign_es256(signing_key, data):
    """Deterministic (RFC 6979) ECDSA P-256 / SHA-256, raw r||s (64 bytes)."""
    from ecdsa.util import sigencode_string

    return signing_key.sign_deterministic(data, hashfunc=hashlib.sha256, sigencode=sigencode_string)


def cose_sign1(claims, signing_key, kid, unprotected=None, tag=True):
    protected = cbor2.dumps({1: ALG_ES256, 4: kid})
    payload = cbor2.dumps(claims)
    sig = sign_es256(signing_key, sig_structure(protected, payload))
    msg = [protected, unprotected or {}, payload, sig]
    return cbor2.dumps(cbor2.CBORTag(18, msg) if tag else msg)


def hc1(cose_bytes, compress=True):
    """Wrap COSE bytes into the HC1: text of the QR code."""
    body = zlib.compress(cose_bytes, 9) if compress else cose_bytes
    return "HC1:" + base45.b45encode(body).decode("ascii")


def kid_for(signing_key):
    from kioskctl.keys import kid_of_point

    return kid_of_point(signing_key.get_verifying_key().to_string("uncompressed"))


def qr_code(text, error="q"):
    """segno QR code for text; UsageError when no QR code can hold it."""
    import segno

    try:
        return segno.make(text, error=error, micro=False)
    except segno.DataOverflowError:
        raise UsageError("%d characters are too many for one QR code (about 2,300 at level %s): "
                         "use a shorter name or fewer claims" % (len(text), error.upper()))


def write_qr_png(text, path, scale=6):
    try:
        qr_code(text).save(path, scale=scale, border=4)
    except OSError as exc:
        raise UsageError("cannot write %s: %s" % (path, exc.strerror or exc))
