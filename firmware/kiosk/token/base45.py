"""Base45 (RFC 9285), strict, as used by the HCERT `HC1:` container.

decode(s) accepts str or bytes and returns bytes. It rejects, with a
TokenError("malformed"):
  * characters outside the 45-character alphabet (RFC 9285 section 4),
    including lowercase letters, '=' padding and newlines,
  * a length with remainder 1 modulo 3 (no encoding produces it),
  * a 3-character group whose value exceeds 0xFFFF, or a final
    2-character group whose value exceeds 0xFF (RFC 9285 section 4.2:
    such strings are invalid, they do not round-trip),
  * input longer than `max_len` characters (default 8192: a QR code holds
    at most 4296 alphanumeric characters).

encode(data) is the inverse; the firmware needs it only for tests and the
fuzz harness, it is tiny so it lives here.

Decoding uses a 128-entry lookup table built once and a preallocated
output buffer; no per-character allocation.
"""

from micropython import const

_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BAD = const(255)
_MAX_LEN = const(8192)

# Character code -> value (0..44), _BAD elsewhere. Only 7-bit codes can be valid.
_TABLE = bytearray(b"\xff" * 128)
for _i in range(45):
    _TABLE[_ALPHABET[_i]] = _i
del _i


def _error(msg):
    from kiosk.token import TokenError

    return TokenError("malformed", "base45: " + msg)


def decode(s, max_len=_MAX_LEN):
    """Decode a Base45 string (str or bytes) to bytes; raise TokenError."""
    if isinstance(s, str):
        s = s.encode()
    n = len(s)
    if n > max_len:
        raise _error("input too long (%d > %d)" % (n, max_len))
    if n % 3 == 1:
        raise _error("invalid length %d" % n)
    table = _TABLE
    out = bytearray((n // 3) * 2 + (1 if n % 3 else 0))
    o = 0
    i = 0
    full = n - n % 3
    while i < full:
        c0 = s[i]
        c1 = s[i + 1]
        c2 = s[i + 2]
        if c0 > 127 or c1 > 127 or c2 > 127:
            raise _error("invalid character at %d" % i)
        v0 = table[c0]
        v1 = table[c1]
        v2 = table[c2]
        if v0 == _BAD or v1 == _BAD or v2 == _BAD:
            raise _error("invalid character at %d" % i)
        v = v0 + v1 * 45 + v2 * 2025
        if v > 0xFFFF:
            raise _error("group value %d > 0xFFFF at %d" % (v, i))
        out[o] = v >> 8
        out[o + 1] = v & 0xFF
        o += 2
        i += 3
    if i < n:
        c0 = s[i]
        c1 = s[i + 1]
        if c0 > 127 or c1 > 127 or table[c0] == _BAD or table[c1] == _BAD:
            raise _error("invalid character at %d" % i)
        v = table[c0] + table[c1] * 45
        if v > 0xFF:
            raise _error("final value %d > 0xFF" % v)
        out[o] = v
    return bytes(out)


def encode(data):
    """Encode bytes to a Base45 str (RFC 9285 section 4)."""
    a = _ALPHABET
    n = len(data)
    out = bytearray((n // 2) * 3 + (2 if n % 2 else 0))
    o = 0
    i = 0
    while i + 1 < n:
        v = (data[i] << 8) | data[i + 1]
        out[o] = a[v % 45]
        v //= 45
        out[o + 1] = a[v % 45]
        out[o + 2] = a[v // 45]
        o += 3
        i += 2
    if i < n:
        v = data[i]
        out[o] = a[v % 45]
        out[o + 1] = a[v // 45]
    return out.decode()
