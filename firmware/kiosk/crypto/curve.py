"""P-256 curve and field primitives shared by the verifiers (no other kiosk imports).

Constants: P (field prime), N (group order), GX, GY and G_SEC1 (the
generator's SEC1 encoding). Functions: inverse (extended Euclid), on_curve,
decode_point, jdouble / jadd_affine (Jacobian, a = -3) and normalize (many
Jacobian points to affine with one shared inversion). kiosk.crypto.p256,
.comb and .window build on this module; none of them imports another's
private names.
"""

import micropython
from micropython import const

_P = const(0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF)
_N = const(0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551)
_B = const(0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B)
_GX = const(0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296)
_GY = const(0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)
P = _P
N = _N
GX = _GX
GY = _GY

# SEC1 encoding of the generator (for G's comb table and for tests).
G_SEC1 = b"\x04" + _GX.to_bytes(32, "big") + _GY.to_bytes(32, "big")


@micropython.native
def inverse(a, m):
    """a^-1 mod m by the extended Euclidean algorithm (m odd prime, a != 0).

    Unrolled by two so that no tuples are built and nothing is swapped;
    invariants: a = x0 * A and b = x1 * A (mod m)."""
    a %= m
    b = m
    x0 = 1
    x1 = 0
    while True:
        if not a:
            return x1 % m
        q = b // a
        b -= q * a
        x1 -= q * x0
        if not b:
            return x0 % m
        q = a // b
        a -= q * b
        x0 -= q * x1


def on_curve(x, y):
    """True when 0 <= x, y < p and y^2 = x^3 - 3x + b (mod p)."""
    p = _P
    if not (0 <= x < p and 0 <= y < p):
        return False
    return (y * y - (x * x - 3) * x - _B) % p == 0


def decode_point(pub):
    """(x, y) ints from a 65-byte SEC1 point, or None when invalid."""
    if len(pub) != 65 or pub[0] != 4:
        return None
    x = int.from_bytes(pub[1:33], "big")
    y = int.from_bytes(pub[33:65], "big")
    if not on_curve(x, y):
        return None
    return x, y


def jdouble(X, Y, Z):
    """2*(X, Y, Z) in Jacobian coordinates (a = -3); infinity has Z == 0."""
    p = _P
    d = Z * Z % p
    g = Y * Y % p
    be = X * g % p
    al = 3 * (X - d) * (X + d) % p
    X3 = (al * al - 8 * be) % p
    Z3 = 2 * Y * Z % p
    Y3 = (al * (4 * be - X3) - 8 * g * g) % p
    return X3, Y3, Z3


def jadd_affine(X1, Y1, Z1, x2, y2):
    """(X1, Y1, Z1) + (x2, y2, 1), every case (infinity, equal, opposite)."""
    p = _P
    if Z1 == 0:
        return x2, y2, 1
    zz = Z1 * Z1 % p
    H = x2 * zz % p - X1
    R = y2 * Z1 % p * zz % p - Y1
    if H % p == 0:
        if R % p == 0:
            return jdouble(X1, Y1, Z1)
        return 0, 1, 0
    HH = H * H % p
    HHH = H * HH % p
    V = X1 * HH % p
    X3 = (R * R - HHH - 2 * V) % p
    Y3 = (R * (V - X3) - Y1 * HHH) % p
    return X3, Y3, Z1 * H % p


def normalize(points):
    """Affine [(x, y)] of Jacobian points with Z != 0 (one shared inversion)."""
    p = _P
    acc = [1] * (len(points) + 1)
    for k, pt in enumerate(points):
        acc[k + 1] = acc[k] * pt[2] % p
    inv = inverse(acc[-1], p)
    out = [None] * len(points)
    for k in range(len(points) - 1, -1, -1):
        X, Y, Z = points[k]
        zi = inv * acc[k] % p
        inv = inv * Z % p
        zi2 = zi * zi % p
        out[k] = (X * zi2 % p, Y * zi2 % p * zi % p)
    return out
