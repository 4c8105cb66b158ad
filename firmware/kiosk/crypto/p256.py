"""ECDSA P-256 (ES256) signature verification in pure MicroPython.

verify(pub, msg, sig, table=None) -> bool
    pub: 65-byte uncompressed SEC1 point 0x04||X||Y, msg: the signed bytes
    (SHA-256 is taken here), sig: 64-byte r||s.  Never raises on any input:
    anything malformed gives False (only MemoryError is passed on, so that a
    caller can tell "out of memory" from "bad signature").

With the issuer's comb table (kiosk.crypto.comb, built on the host by
`kioskctl trust build`) both multiplications are fixed-base signed combs that
share one short doubling chain.  A table is fully checked against its key
(check_table, ~11 ms on the unix port) the first time it is used and the
answer is cached; a table that fails the check is ignored (the fallback
runs), so verify(pub, msg, sig, table) == verify(pub, msg, sig) for every
table, and a corrupted table can never turn a forgery into a pass.

Without a table, u2*Q runs as a sliding window in Jacobian coordinates and
u1*G rides on its doubling chain with G's comb (kiosk.crypto.window); the
plain Shamir ladder (_shamir) stays here as the reference the tests use.

Big-int field arithmetic is written inline: in MicroPython a function call
returning a tuple costs about as much as a field multiplication, and every
`%` is the dominant cost, so sums and differences are left unreduced until
the next product is reduced.  The final check compares r*Z^2 with X
(and (r+n)*Z^2 when r+n < p), avoiding a field inversion.
"""

import hashlib

from micropython import const

from kiosk.crypto import comb, window
from kiosk.crypto.curve import G_SEC1, decode_point, inverse, jadd_affine, jdouble, on_curve  # noqa: F401

_P = const(0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF)
_N = const(0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551)
_GX = const(0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296)
_GY = const(0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def _x_matches(X, zz, r):
    """True when x = X/zz (zz = Z^2 of a Jacobian point) is r mod n."""
    p = _P
    zz %= p
    if zz == 0:
        return False
    X %= p
    if r * zz % p == X:
        return True
    # x in [n, p) reduces to r = x - n: then x = r + n.
    return r + _N < p and (r + _N) * zz % p == X


def _scalars(msg, r, s):
    e = int.from_bytes(hashlib.sha256(msg).digest(), "big")
    w = inverse(s, _N)
    return e * w % _N, r * w % _N


def _parse(pub, sig):
    """(qx, qy, r, s) or None."""
    if len(sig) != 64:
        return None
    q = decode_point(pub)
    if q is None:
        return None
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    if not (0 < r < _N and 0 < s < _N):
        return None
    return q[0], q[1], r, s


def _shamir(u1, u2, qx, qy):
    """u1*G + u2*Q in Jacobian coordinates (plain Shamir ladder, reference)."""
    # G + Q in affine, for the (1, 1) bit pairs.
    sx, sy, sz = jadd_affine(_GX, _GY, 1, qx, qy)
    both = None
    if sz:
        zi = inverse(sz, _P)
        zi2 = zi * zi % _P
        both = (sx * zi2 % _P, sy * zi2 % _P * zi % _P)
    X = 0
    Y = 1
    Z = 0
    i = 256
    while i > 0 and not ((u1 >> (i - 1)) & 1 or (u2 >> (i - 1)) & 1):
        i -= 1
    while i > 0:
        i -= 1
        if Z:
            X, Y, Z = jdouble(X, Y, Z)
        b = ((u1 >> i) & 1) | (((u2 >> i) & 1) << 1)
        if b == 1:
            X, Y, Z = jadd_affine(X, Y, Z, _GX, _GY)
        elif b == 2:
            X, Y, Z = jadd_affine(X, Y, Z, qx, qy)
        elif b == 3:
            if both is None:
                continue  # G + Q is infinity: adding it changes nothing
            X, Y, Z = jadd_affine(X, Y, Z, both[0], both[1])
    return X, Y, Z


def verify(pub, msg, sig, table=None):
    """ES256 verify; True only for a valid signature. Never raises."""
    try:
        parsed = _parse(pub, sig)
        if parsed is None:
            return False
        qx, qy, r, s = parsed
        u1, u2 = _scalars(msg, r, s)
        tab = comb.usable(pub, table) if table is not None else None
        if tab is not None:
            X, zz = comb.mul2(u1, u2, tab)
        else:
            X, Z = window.mul2(u1, u2, qx, qy)
            zz = Z * Z
        return _x_matches(X, zz, r)
    except MemoryError:
        raise  # not an answer about the input: the caller reports it
    except Exception:  # noqa: BLE001 - a verifier answers False, never raises
        return False


def check_table(pub, table):
    """True when `table` is exactly the comb table of `pub`.

    The full check (~11 ms on the unix port) runs once per table object; the
    answer is cached, so a store calling this before verify() pays it once."""
    try:
        return comb.usable(pub, table) is not None
    except Exception:  # noqa: BLE001
        return False
