"""RSASSA-PSS verification (PS256: SHA-256, MGF1-SHA256) in pure MicroPython.

verify_pss(n, e, msg, sig) -> bool, for the RSA signers of EU DCCs.
    n: modulus (int, or big-endian bytes as in the trust store), e: public
    exponent, msg: the signed bytes (hashed here), sig: the signature bytes
    (exactly the modulus length).  Never raises on any input: anything
    malformed is False (MemoryError alone is passed on to the caller).

Bounds: 2048 <= bits(n) <= 4096, n odd; 3 <= e < 2^32, e odd; sig < n.
Salt: the DCC signers use a 32-byte salt (the digest length); like OpenSSL's
"auto" salt length we accept the salt length the encoding itself shows (the
first 0x01 after the zero padding of DB), so the check is RFC 8017 9.1.2 with
sLen recovered from DB; every other step (0xBC trailer, zero top bits, zero
padding, H = SHA-256(0^8 || mHash || salt)) is strict.

Exponentiation: for e = 65537 the built-in 3-argument pow() and our own
square-and-multiply with `%` measure the same on the unix port (2048-bit
~0.8 ms, 3072-bit ~1.6 ms; bench/verify.py prints both), because both spend
their time in the same 17 big-int products and divisions; pow() is used.
The padding check around it costs ~30 us.
"""

import hashlib

from micropython import const

_HLEN = const(32)
_MIN_BITS = const(2048)
_MAX_BITS = const(4096)


def _bits(n):
    """Bit length of 0 < n < 2^4096 (MicroPython ints have no bit_length)."""
    b = n.to_bytes(_MAX_BITS // 8, "big").lstrip(b"\x00")
    top = b[0]
    bits = 8 * (len(b) - 1)
    while top:
        top >>= 1
        bits += 1
    return bits


def mgf1(seed, length):
    """MGF1 with SHA-256 (RFC 8017 B.2.1)."""
    out = bytearray()
    counter = 0
    while len(out) < length:
        h = hashlib.sha256(seed)
        h.update(counter.to_bytes(4, "big"))
        out += h.digest()
        counter += 1
    return bytes(out[:length])


def _as_int(v):
    if isinstance(v, int):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)) and 0 < len(v) <= _MAX_BITS // 8:
        return int.from_bytes(bytes(v), "big")
    raise TypeError


def _emsa_pss_verify(mhash, em, embits):
    """RFC 8017 9.1.2 (steps 3-14) with the salt length read from DB."""
    emlen = len(em)
    if emlen < _HLEN + 2 or em[-1] != 0xBC:
        return False
    dblen = emlen - _HLEN - 1
    h = em[dblen : dblen + _HLEN]
    zbits = 8 * emlen - embits  # 0..7 top bits of the encoding that must be 0
    lead = 0xFF & (0xFF << (8 - zbits))
    if em[0] & lead:
        return False
    mask = mgf1(h, dblen)
    db = (int.from_bytes(em[:dblen], "big") ^ int.from_bytes(mask, "big")).to_bytes(dblen, "big")
    db = bytes([db[0] & (0xFF >> zbits)]) + db[1:]
    i = db.find(b"\x01")
    if i < 0 or db[:i] != bytes(i):
        return False
    salt = db[i + 1 :]
    m = hashlib.sha256(b"\x00" * 8)
    m.update(mhash)
    m.update(salt)
    return m.digest() == h


def verify_pss(n, e, msg, sig):
    """PS256 verify; True only for a valid signature. Never raises."""
    try:
        n = _as_int(n)
        if not isinstance(e, int) or n <= 0 or n >= 1 << _MAX_BITS or not n & 1:
            return False
        bits = _bits(n)
        if bits < _MIN_BITS or not (3 <= e < 1 << 32) or not e & 1 or e >= n:
            return False
        k = (bits + 7) // 8
        if len(sig) != k:
            return False
        s = int.from_bytes(bytes(sig), "big")
        if s >= n:
            return False
        m = pow(s, e, n)
        embits = bits - 1
        emlen = (embits + 7) // 8
        if m >> (8 * emlen):
            return False
        mhash = hashlib.sha256(msg).digest()
        return _emsa_pss_verify(mhash, m.to_bytes(emlen, "big"), embits)
    except MemoryError:
        raise  # not an answer about the input: the caller reports it
    except Exception:  # noqa: BLE001 - a verifier answers False, never raises
        return False
