"""Signed trust bundles (KTB1) and the shared signed-file header.

    b"KTB1" | u32 BE H | CBOR header | ES256 sig (64, r||s) | trust store
    header = {"v": 1, "seq", "iat", "exp", "grace", "len", "sha"}

The operator signs b"KTB1" + u32 H + header; the header pins the store by
SHA-256. The kiosk side is firmware/kiosk/trust/bundle.py; the format is in
docs/provisioning.md. Revocation lists (kioskctl.revocation) use the same
signed header with magic b"KRV1".
"""

import hashlib
import struct
import time

import cbor2

from kioskctl.errors import KioskError

MAGIC = b"KTB1"
MAX_GRACE = 365 * 86400


def load_private_key(path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        with open(path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
    except (OSError, ValueError) as exc:
        raise KioskError("cannot read private key %s: %s" % (path, exc))
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise KioskError("%s is not a P-256 private key" % path)
    return key


def load_public_point(path):
    """65-byte SEC1 point from a public or private PEM file."""
    from cryptography.hazmat.primitives import serialization

    try:
        with open(path, "rb") as f:
            data = f.read()
        if b"PRIVATE KEY" in data:
            pub = serialization.load_pem_private_key(data, None).public_key()
        else:
            pub = serialization.load_pem_public_key(data)
        return pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    except (OSError, ValueError, AttributeError) as exc:
        raise KioskError("cannot read public key %s: %s" % (path, exc))


def point_of(private_key):
    from cryptography.hazmat.primitives import serialization

    return private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def sign(private_key, msg):
    """ES256 signature as 64-byte r||s."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(private_key.sign(msg, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify(point, msg, sig):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    try:
        pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        pub.verify(der, msg, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


def signed_prefix(magic, header):
    raw = cbor2.dumps(header, canonical=True)
    return magic + struct.pack(">I", len(raw)) + raw


def signed_file(magic, header, body, private_key):
    header = dict(header, v=1, len=len(body), sha=hashlib.sha256(body).digest())
    pre = signed_prefix(magic, header)
    return pre + sign(private_key, pre) + body


def parse_signed(data, magic, point=None):
    """(header, body, signature_ok or None) of a signed file."""
    if len(data) < 8 or data[:4] != magic:
        raise KioskError("not a %s file" % magic.decode())
    n = struct.unpack(">I", data[4:8])[0]
    if 8 + n + 64 > len(data):
        raise KioskError("truncated %s file" % magic.decode())
    try:
        h = cbor2.loads(data[8 : 8 + n])
    except Exception as exc:
        raise KioskError("bad header: %s" % exc)
    if not isinstance(h, dict):
        raise KioskError("bad header in %s file" % magic.decode())
    h = dict(h)
    sig = data[8 + n : 8 + n + 64]
    body = data[8 + n + 64 :]
    want = h.get("len")
    if isinstance(want, int) and len(body) != want:  # integrity on load, signature or not
        raise KioskError("%s %s file: body of %d bytes, its header says %d" % (
            "truncated" if len(body) < want else "damaged (trailing bytes)", magic.decode(), len(body), want))
    ok = None
    if point is not None:
        ok = verify(point, data[: 8 + n], sig) and h.get("sha") == hashlib.sha256(body).digest() and h.get("len") == len(body)
    return h, body, ok


def build(store, private_key, seq, valid_s, grace_s, iat=None):
    """A signed bundle around trust store bytes (KTS1)."""
    if store[:4] != b"KTS1":
        raise KioskError("not a trust store (build one with `kioskctl trust build`)")
    from kioskctl import trust

    trust.load(store)  # whole and well-formed before it is signed
    if seq < 1:
        raise KioskError("sequence number must be >= 1")
    if not 0 <= grace_s <= MAX_GRACE or valid_s <= 0:
        raise KioskError("bad validity or grace period")
    iat = int(time.time() if iat is None else iat)
    return signed_file(MAGIC, {"seq": int(seq), "iat": iat, "exp": iat + int(valid_s), "grace": int(grace_s)}, store, private_key)


def status(h, now):
    if now is None:
        return "clock_unset"
    if now <= h["exp"]:
        return "ok"
    if now <= h["exp"] + h.get("grace", 0):
        return "grace"
    return "expired"
