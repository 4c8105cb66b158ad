"""Fixed-base comb tables for P-256 (Lim-Lee combs with w = 8 teeth).

A table for point P holds, for s sub-combs j = 0..s-1 and every 8-bit
index I = 1..255, the affine point

    T_j[I] = (sum of 2^(32 t) for each bit t set in I) * 2^(e j) * P,  e = 32/s

packed as bytes (docs/crypto.md):

    b"PCMB" | version 1 | w = 8 | s | 0 | s*255 points of x(32 BE) || y(32 BE)

A scalar k is cut into 8 rows of 32 bits; column c's index I_c takes bit c of
each row.  Then k*P = sum_{i=e-1..0} 2^i * sum_j T_j[I_{j e + i}], so u1*G and
u2*Q share one chain of e - 1 doublings and cost 32 mixed additions each.

check() proves a table is exactly P's table: every T_j[2^t] is compared with
2^(32 t + e j)*P from a doubling chain, and every other entry C = T_j[I] must
be on the curve and collinear with A = T_j[low bit of I], B = T_j[rest] and -C
(with x_C != x_A, x_B and x_A != x_B), which forces C = A + B.  By induction
over I every entry is right, so verify with a checked table gives exactly the
same answers as verify without one.  usable() caches the verdict by the
table object's identity (at most 32 tables; forget() clears them); a mutable
buffer is copied once and the checked copy is what the verify computes with.

G's table (s = 4, 65 KB) is built here on first use and kept in RAM: it is
the same bytes `kioskctl` makes on the host, and building it (about as costly
as one check) keeps a 260 KB bytes literal out of the firmware sources.
"""

import micropython
from micropython import const

from kiosk.crypto import p256

_P = const(0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF)
_HDR = const(8)
_PT = const(64)
_W = const(255)
_CACHE = const(32)

MAGIC = b"PCMB"

_checked = {}
_g = None


def table_size(s):
    return _HDR + s * _W * _PT


def header(s):
    return MAGIC + bytes((1, 8, s, 0))


def _sub(table):
    """s from a table's header, or 0 when the header or length is wrong."""
    if len(table) < _HDR or bytes(table[:4]) != MAGIC or table[4] != 1 or table[5] != 8:
        return 0
    s = table[6]
    if s not in (1, 2, 4) or table[7] != 0 or len(table) != table_size(s):
        return 0
    return s


def _entry(table, j, i):
    off = _HDR + (j * _W + i - 1) * _PT
    return int.from_bytes(table[off : off + 32], "big"), int.from_bytes(table[off + 32 : off + 64], "big")


def _bases(q, s):
    """Jacobian 2^(32 t + e j) * Q for t < 8, j < s, as {(j, t): (X, Y, Z)}."""
    e = 32 // s
    X, Y, Z = q[0], q[1], 1
    out = {}
    for k in range(256):
        t, c = divmod(k, 32)
        if c % e == 0:
            out[(c // e, t)] = (X, Y, Z)
        X, Y, Z = p256.jdouble(X, Y, Z)
    return out


def _normalize(points):
    """Affine [(x, y)] of Jacobian points with Z != 0 (one shared inversion)."""
    p = _P
    acc = [1] * (len(points) + 1)
    for k, pt in enumerate(points):
        acc[k + 1] = acc[k] * pt[2] % p
    inv = p256.inverse(acc[-1], p)
    out = [None] * len(points)
    for k in range(len(points) - 1, -1, -1):
        X, Y, Z = points[k]
        zi = inv * acc[k] % p
        inv = inv * Z % p
        zi2 = zi * zi % p
        out[k] = (X * zi2 % p, Y * zi2 % p * zi % p)
    return out


def build(pub, s=4):
    """The comb table of a SEC1 point, as bytes (the device-side builder)."""
    return bytes(_build(pub, s))


def _build(pub, s):
    q = p256.decode_point(pub)
    if q is None or s not in (1, 2, 4):
        raise ValueError("bad point or s")
    out = bytearray(table_size(s))
    out[:_HDR] = header(s)
    bases = _bases(q, s)
    keys = sorted(bases)
    _put(out, [(j, 1 << t) for j, t in keys], _normalize([bases[k] for k in keys]))
    bases = None
    # entries with k bits set are sums of a (k-1)-bit entry and a base entry;
    # one shared inversion per (level, block) keeps the working set small
    for level in range(2, 9):
        for j in range(s):
            todo = [(j, i) for i in range(3, 256) if _popcount(i) == level]
            jac = []
            for _, i in todo:
                low = i & -i
                xa, ya = _entry(out, j, low)
                xb, yb = _entry(out, j, i ^ low)
                jac.append(p256.jadd_affine(xa, ya, 1, xb, yb))
            _put(out, todo, _normalize(jac))
            jac = None
    return out


def _put(out, where, points):
    for (j, i), (x, y) in zip(where, points):
        off = _HDR + (j * _W + i - 1) * _PT
        out[off : off + 32] = x.to_bytes(32, "big")
        out[off + 32 : off + 64] = y.to_bytes(32, "big")


def _popcount(i):
    n = 0
    while i:
        i &= i - 1
        n += 1
    return n


def check(pub, table):
    """True only when `table` is exactly the comb table of `pub`. Never raises."""
    try:
        return _check(pub, table)
    except Exception:  # noqa: BLE001 - junk in, False out
        return False


def _check(pub, table):
    s = _sub(table)
    q = p256.decode_point(pub)
    if not s or q is None:
        return False
    p = _P
    for (j, t), (X, Y, Z) in _bases(q, s).items():
        x, y = _entry(table, j, 1 << t)
        zz = Z * Z % p
        if not p256.on_curve(x, y) or x * zz % p != X % p or y * zz % p * Z % p != Y % p:
            return False
    for j in range(s):
        for i in range(3, 256):
            low = i & -i
            if low == i:
                continue
            xa, ya = _entry(table, j, low)
            xb, yb = _entry(table, j, i ^ low)
            xc, yc = _entry(table, j, i)
            if not p256.on_curve(xc, yc) or xa == xb or xc == xa or xc == xb:
                return False
            if ((yb - ya) * (xc - xa) + (yc + ya) * (xb - xa)) % p:
                return False
    return True


def _frozen(buf):
    """True for buffers that cannot change: bytes, read-only memoryviews."""
    if isinstance(buf, bytes):
        return True
    if isinstance(buf, memoryview):
        try:
            buf[0] = buf[0]  # a no-op write on a writable view
        except TypeError:
            return True
    return False


def usable(pub, table):
    """The checked table to compute with, or None when `table` is not pub's.

    The answer is cached by the table object's identity.  A mutable buffer
    (bytearray, writable memoryview) is copied once and the checked copy is
    used from then on, so later writes to the buffer cannot bypass the check.
    """
    hit = _checked.get(id(table))
    if hit is not None and hit[0] is table and hit[1] == pub:
        return hit[2]
    try:
        t = table if _frozen(table) else bytes(table)
    except Exception:  # noqa: BLE001 - not a buffer
        t = None
    ok = t is not None and check(pub, t)
    if len(_checked) >= _CACHE:
        _checked.clear()
    _checked[id(table)] = (table, bytes(pub), t if ok else None)
    return t if ok else None


def forget():
    """Drop the cache of checked tables (call when the trust store is replaced)."""
    _checked.clear()


def gtable():
    """G's table (s = 4), built once and kept."""
    global _g
    if _g is None:
        _g = _build(p256.G_SEC1, 4)  # a bytearray only this module holds
    return _g


@micropython.viper
def _columns(k: ptr8, out: ptr8):
    # k: 32-byte big-endian scalar; out[c] = sum over rows t of bit (32 t + c) << t
    c = 0
    while c < 32:
        v = 0
        t = 0
        while t < 8:
            pos = 32 * t + c
            v |= ((k[31 - (pos >> 3)] >> (pos & 7)) & 1) << t
            t += 1
        out[c] = v
        c += 1


def _dblzz(X, Y, ZZ, ZZZ):
    """2*P in XYZZ coordinates (x = X/ZZ, y = Y/ZZZ, a = -3; dbl-2008-s-1)."""
    p = _P
    U = 2 * Y
    V = U * U % p
    W = U * V % p
    S = X * V % p
    M = 3 * (X - ZZ) * (X + ZZ) % p
    X3 = (M * M - 2 * S) % p
    return X3, (M * (S - X3) - W * Y) % p, V * ZZ % p, W * ZZZ % p


@micropython.native
def mul2(u1, u2, qtab):
    """(X, ZZ) of u1*G + u2*Q in XYZZ coordinates (affine x = X/ZZ; ZZ = 0
    for infinity), for a checked table `qtab` of Q."""
    s = qtab[6]
    e = 32 // s
    gstep = 4 // s  # G's table has s = 4: its block j*gstep matches our block j
    gt = gtable()
    c1 = bytearray(32)
    c2 = bytearray(32)
    _columns(u1.to_bytes(32, "big"), c1)
    _columns(u2.to_bytes(32, "big"), c2)
    p = _P
    X = 0
    Y = 1
    ZZ = 0
    ZZZ = 0
    plan = ((c1, memoryview(gt), gstep), (c2, memoryview(qtab), 1))
    for i in range(e - 1, -1, -1):
        if ZZ:
            # doubling, inline copy of _dblzz
            U = 2 * Y
            V = U * U % p
            W = U * V % p
            S = X * V % p
            M = 3 * (X - ZZ) * (X + ZZ) % p
            X = (M * M - 2 * S) % p
            Y = (M * (S - X) - W * Y) % p
            ZZ = V * ZZ % p
            ZZZ = W * ZZZ % p
        for cols, tab, step in plan:
            for j in range(s):
                idx = cols[j * e + i]
                if not idx:
                    continue
                off = _HDR + (j * step * _W + idx - 1) * _PT
                x2 = int.from_bytes(tab[off : off + 32], "big")
                y2 = int.from_bytes(tab[off + 32 : off + 64], "big")
                if not ZZ:
                    X = x2
                    Y = y2
                    ZZ = 1
                    ZZZ = 1
                    continue
                # mixed addition (madd-2008-s); X, Y are reduced, so H == 0
                # exactly when the x coordinates agree
                H = x2 * ZZ % p - X
                R = y2 * ZZZ % p - Y
                if H == 0:
                    if R == 0:
                        X, Y, ZZ, ZZZ = _dblzz(X, Y, ZZ, ZZZ)
                    else:
                        ZZ = 0  # P + (-P): infinity
                    continue
                HH = H * H % p
                HHH = H * HH % p
                V = X * HH % p
                X = (R * R - HHH - 2 * V) % p
                Y = (R * (V - X) - Y * HHH) % p
                ZZ = ZZ * HH % p
                ZZZ = ZZZ * HHH % p
    return X, ZZ
