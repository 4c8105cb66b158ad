"""Signature verification and hashing for the kiosk (pure MicroPython).

p256: ES256 (ECDSA P-256, SHA-256), with comb (issuer tables) and window
(no table); rsa: PS256. SHA-256 comes from hashlib. The verifiers answer
True/False and never raise on bad input; CryptoError is raised only by the
table builder (comb.build) for a point that is not on the curve.
"""

import hashlib

from micropython import const

_BLOCK = const(64)


class CryptoError(ValueError):
    """Bad input to a builder (the verifiers answer False instead)."""


def sha256(data):
    return hashlib.sha256(data).digest()


def hmac_sha256(key, msg):
    """HMAC-SHA256 (RFC 2104); MicroPython has no hmac module."""
    if len(key) > _BLOCK:
        key = sha256(key)
    k = bytearray(_BLOCK)
    k[: len(key)] = key
    ipad = bytearray(_BLOCK)
    opad = bytearray(_BLOCK)
    for i in range(_BLOCK):
        ipad[i] = k[i] ^ 0x36
        opad[i] = k[i] ^ 0x5C
    inner = hashlib.sha256(ipad)
    inner.update(msg)
    outer = hashlib.sha256(opad)
    outer.update(inner.digest())
    return outer.digest()
