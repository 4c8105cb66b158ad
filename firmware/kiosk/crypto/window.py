"""u1*G + u2*Q for a P-256 key without a comb table (the verify fallback).

u2*Q runs as a left-to-right sliding window (width 5, odd multiples
Q, 3Q, ..., 31Q precomputed per call: about 52 additions for 256 bits), and
u1*G rides on the same doubling chain for free: its signed comb columns
(comb.digits, G's table block 0) are added at bit positions r-1..0, so G costs
r mixed additions (24 with G's 11-tooth table) and no doublings of its own.  Jacobian coordinates (a = -3 doubling inline; additions through
curve.jadd_affine, which handles equal and opposite points).

About 0.6x the time of the plain Shamir ladder (p256._shamir, kept as the
reference the tests compare with), 3-4x a verify with the key's table.
"""

import micropython
from micropython import const

from kiosk.crypto import comb, curve

_P = const(0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF)
_WIDTH = const(5)
_HDR = const(8)
_PT = const(64)


@micropython.viper
def _slide(k: ptr8, out: ptr8):
    # k: 32-byte big-endian scalar; out (256 zero bytes): out[j] = the odd
    # window value (1..31) whose lowest bit is bit j
    i = 255
    while i >= 0:
        if ((k[31 - (i >> 3)] >> (i & 7)) & 1) == 0:
            i -= 1
            continue
        j = i - (_WIDTH - 1)
        if j < 0:
            j = 0
        while ((k[31 - (j >> 3)] >> (j & 7)) & 1) == 0:
            j += 1
        v = 0
        b = i
        while b >= j:
            v = (v << 1) | ((k[31 - (b >> 3)] >> (b & 7)) & 1)
            b -= 1
        out[j] = v
        i = j - 1


def odd_multiples(qx, qy):
    """Affine [Q, 3Q, 5Q, ..., 31Q] (two shared inversions)."""
    X, Y, Z = curve.jdouble(qx, qy, 1)
    (dx, dy), = curve.normalize([(X, Y, Z)])
    jac = [(qx, qy, 1)]
    for _ in range((1 << (_WIDTH - 1)) - 1):
        X, Y, Z = jac[-1]
        jac.append(curve.jadd_affine(X, Y, Z, dx, dy))
    return curve.normalize(jac)


@micropython.native
def mul2(u1, u2, qx, qy):
    """Jacobian (X, Z) of u1*G + u2*Q (Z = 0 for infinity); affine x = X/Z^2."""
    g = comb.gtable()
    gw = g[5]
    gt = memoryview(g)
    ids, negs = comb.digits(u1, gw)
    grow = comb.rows(gw)
    sched = bytearray(256)
    _slide(u2.to_bytes(32, "big"), sched)
    odd = odd_multiples(qx, qy)
    add = curve.jadd_affine
    p = _P
    X = 0
    Y = 1
    Z = 0
    for b in range(255, -1, -1):
        if Z:
            # doubling, a = -3 (dbl-2001-b), as curve.jdouble
            d = Z * Z % p
            g = Y * Y % p
            be = X * g % p
            al = 3 * (X - d) * (X + d) % p
            X = (al * al - 8 * be) % p
            Z = 2 * Y * Z % p
            Y = (al * (4 * be - X) - 8 * g * g) % p
        v = sched[b]
        if v:
            x2, y2 = odd[v >> 1]
            X, Y, Z = add(X, Y, Z, x2, y2)
        if b < grow:
            off = _HDR + ids[b] * _PT
            y2 = int.from_bytes(gt[off + 32 : off + 64], "big")
            X, Y, Z = add(X, Y, Z, int.from_bytes(gt[off : off + 32], "big"), p - y2 if negs[b] else y2)
    return X, Z
