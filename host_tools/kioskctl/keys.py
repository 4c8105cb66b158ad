"""P-256 keys on the host: load PEM files, write them, name them by kid.

Library layer (cmd_keys, cmd_mint, mint, trust use it).
"""

import os

from kioskctl import inputs
from kioskctl.errors import KioskError


def kid_of_point(sec1):
    """kid of a raw issuer key: first 8 bytes of SHA-256 of the SEC1 point."""
    import hashlib

    return hashlib.sha256(sec1).digest()[:8]


def load_signing_key(path):
    import ecdsa

    data = inputs.read(path, "private key")
    try:
        return ecdsa.SigningKey.from_pem(data, hashfunc=_sha256())
    except Exception as exc:  # noqa: BLE001 - ecdsa raises DER, PEM and curve errors of several types
        raise KioskError("%s is not a P-256 private key PEM (%s)" % (path, _first_line(exc)))


def load_verifying_key(path):
    import ecdsa

    data = inputs.read(path, "key")
    try:
        if b"PRIVATE KEY" in data:
            return ecdsa.SigningKey.from_pem(data).get_verifying_key()
        return ecdsa.VerifyingKey.from_pem(data)
    except Exception as exc:  # noqa: BLE001 - ecdsa raises DER, PEM and curve errors of several types
        raise KioskError("%s is not a P-256 PEM key (%s)" % (path, _first_line(exc)))


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__


def _sha256():
    import hashlib

    return hashlib.sha256


def sec1(vk):
    return vk.to_string("uncompressed")


def write_pem(key, path, private=False):
    """Write a `cryptography` EC key as PEM: PKCS#8 (private, mode 0600) or SubjectPublicKeyInfo."""
    from cryptography.hazmat.primitives import serialization

    if private:
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    else:
        with open(str(path), "wb") as f:
            f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return str(path)
