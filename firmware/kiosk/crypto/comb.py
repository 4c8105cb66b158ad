"""Fixed-base signed comb tables for P-256 (w = 9 teeth, rows of 29 bits).

Every column of a signed comb is nonzero and symmetric, so a table needs only
half the entries of a plain comb: with 9 teeth, 256 points per block (the
same bytes as a plain 8-tooth comb) and 29 additions per scalar instead of 32.

Recoding: for 0 <= k < n make k odd (k + n when k is even; n*P = O), then
K = (k + 2^261 - 1) / 2 and k = sum_{i < 261} (2 bit_i(K) - 1) 2^i.  Column c
(0..28) holds the 9 bits v_c = bits 29 t + c of K (t = 0..8), worth
D(v) = sum_t (2 v_t - 1) 2^(29 t).  D(v) = -D(v xor 511), so only the 256
values with the top tooth set are stored:

    E_j[I] = 2^(8 j) * (2^232 + sum_{t < 8} (2 I_t - 1) 2^(29 t)) * P

for blocks j < s (s = 1 or 4) and I = 0..255; a column with v >= 256 adds
E_j[v - 256], one with v < 256 subtracts E_j[255 - v].  With s = 4, column
c = 8 j + i is added at step i of a chain of 7 doublings shared by u1*G and
u2*Q (s = 1: 28 doublings).  Bytes (docs/crypto.md):

    b"PCMB" | version 2 | w = 9 | s | 0 | s*256 points x(32 BE) || y(32 BE)

check() proves a table is exactly P's: E_j[0] is recomputed from a doubling
chain, and every other entry C = E_j[I] must be on the curve and, with
A = E_j[I minus its lowest bit t] (already proven) and D = 2^(29 t + 8 j + 1) P
(from the chain), A, D and -C must be collinear with distinct x, which forces
C = A + D.  By induction every entry is right.  usable() caches the verdict
by the table object's identity (at most 32; forget() clears them); a mutable
buffer is copied once and the checked copy is what the verify computes with.

G's table (s = 4, 65 KB) is built here on first use and kept in RAM (the
same bytes kioskctl makes on the host; a 260 KB bytes literal in the sources
would cost more).  Keys' tables with s = 1 use its block 0.
"""

import micropython
from micropython import const

from kiosk.crypto import p256

_P = const(0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF)
_N = const(0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551)
_HDR = const(8)
_PT = const(64)
_E = const(256)  # entries per block
_ROW = const(29)  # bits per row = columns
_TEETH = const(9)
_CACHE = const(32)

MAGIC = b"PCMB"
VERSION = 2

_checked = {}
_g = None


def table_size(s):
    return _HDR + s * _E * _PT


def header(s):
    return MAGIC + bytes((VERSION, _TEETH, s, 0))


def step(s):
    """Columns per block (steps of the doubling chain + 1) for s blocks."""
    return 8 if s == 4 else _ROW


def _sub(table):
    """s from a table's header, or 0 when the header or length is wrong."""
    if len(table) < _HDR or bytes(table[:4]) != MAGIC or table[4] != VERSION or table[5] != _TEETH:
        return 0
    s = table[6]
    if s not in (1, 4) or table[7] != 0 or len(table) != table_size(s):
        return 0
    return s


def _entry(table, j, i):
    off = _HDR + (j * _E + i) * _PT
    return int.from_bytes(table[off : off + 32], "big"), int.from_bytes(table[off + 32 : off + 64], "big")


def _chain(q, s):
    """Affine points the table is made of: ({(j, t): 2^(29t+8j) Q for t <= 8},
    {(j, t): 2^(29t+8j+1) Q for t < 8})."""
    want = {}
    for j in range(s):
        for t in range(_TEETH):
            want[29 * t + 8 * j] = ("b", j, t)
            if t < 8:
                want[29 * t + 8 * j + 1] = ("d", j, t)
    top = max(want)
    X, Y, Z = q[0], q[1], 1
    keys = []
    pts = []
    for k in range(top + 1):
        if k in want:
            keys.append(want[k])
            pts.append((X, Y, Z))
        X, Y, Z = p256.jdouble(X, Y, Z)
    base = {}
    dbl = {}
    for key, xy in zip(keys, _normalize(pts)):
        (base if key[0] == "b" else dbl)[(key[1], key[2])] = xy
    return base, dbl


def _first(base, s):
    """Affine E_j[0] = 2^(8j) (2^232 - sum_{t<8} 2^(29t)) Q for j < s."""
    jac = []
    p = _P
    for j in range(s):
        X, Y = base[(j, 8)]
        Z = 1
        for t in range(8):
            x, y = base[(j, t)]
            X, Y, Z = p256.jadd_affine(X, Y, Z, x, p - y)
        jac.append((X, Y, Z))
    return _normalize(jac)


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


def _popcount(i):
    n = 0
    while i:
        i &= i - 1
        n += 1
    return n


def _put(out, where, points):
    for (j, i), (x, y) in zip(where, points):
        off = _HDR + (j * _E + i) * _PT
        out[off : off + 32] = x.to_bytes(32, "big")
        out[off + 32 : off + 64] = y.to_bytes(32, "big")


def build(pub, s=4):
    """The comb table of a SEC1 point, as bytes (the device-side builder)."""
    return bytes(_build(pub, s))


def _build(pub, s):
    q = p256.decode_point(pub)
    if q is None or s not in (1, 4):
        from kiosk.crypto import CryptoError

        raise CryptoError("not a P-256 point, or s not 1 or 4")
    out = bytearray(table_size(s))
    out[:_HDR] = header(s)
    base, dbl = _chain(q, s)
    _put(out, [(j, 0) for j in range(s)], _first(base, s))
    base = None
    # E[I] = E[I - low bit t] + 2^(29t+8j+1) Q, level by level (bits set in
    # I); one shared inversion per (level, block) keeps the working set small
    for level in range(1, 9):
        for j in range(s):
            todo = [(j, i) for i in range(1, 256) if _popcount(i) == level]
            jac = []
            for _, i in todo:
                low = i & -i
                xa, ya = _entry(out, j, i ^ low)
                xd, yd = dbl[(j, _popcount(low - 1))]
                jac.append(p256.jadd_affine(xa, ya, 1, xd, yd))
            _put(out, todo, _normalize(jac))
            jac = None
    return out


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
    base, dbl = _chain(q, s)
    for j, want in enumerate(_first(base, s)):
        if _entry(table, j, 0) != want:
            return False
    for j in range(s):
        for i in range(1, 256):
            low = i & -i
            xa, ya = _entry(table, j, i ^ low)
            xd, yd = dbl[(j, _popcount(low - 1))]
            xc, yc = _entry(table, j, i)
            if not p256.on_curve(xc, yc) or xa == xd or xc == xa or xc == xd:
                return False
            # A, D and -C on one line: C = A + D
            if ((yd - ya) * (xc - xa) + (yc + ya) * (xd - xa)) % p:
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
    """G's table (s = 4), built once and kept (call early: 65 KB in one piece)."""
    global _g
    if _g is None:
        _g = _build(p256.G_SEC1, 4)  # a bytearray only this module holds
    return _g


@micropython.viper
def _recode(kb: ptr8, idx: ptr8, neg: ptr8):
    # kb: 33-byte big-endian K (261 bits).  For column c < 29, v = bits
    # 29 t + c of K (t < 9); idx[c] = the stored entry, neg[c] = 1 to subtract
    c = 0
    while c < 29:
        v = 0
        t = 0
        while t < 9:
            pos = 29 * t + c
            v |= ((kb[32 - (pos >> 3)] >> (pos & 7)) & 1) << t
            t += 1
        if v & 256:
            idx[c] = v & 255
            neg[c] = 0
        else:
            idx[c] = (v ^ 255) & 255
            neg[c] = 1
        c += 1


def digits(k):
    """(idx, neg) bytearrays of the 29 signed comb columns of 0 <= k < n."""
    if not k & 1:
        k += _N
    idx = bytearray(_ROW)
    neg = bytearray(_ROW)
    _recode(((k + (1 << 261) - 1) >> 1).to_bytes(33, "big"), idx, neg)
    return idx, neg


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
    e = step(s)
    gstep = 4 // s  # G's table has s = 4; with s = 1 only block 0 is used
    i1, n1 = digits(u1)
    i2, n2 = digits(u2)
    p = _P
    X = 0
    Y = 1
    ZZ = 0
    ZZZ = 0
    plan = ((i1, n1, memoryview(gtable()), gstep), (i2, n2, memoryview(qtab), 1))
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
        for j in range(s):
            c = j * e + i
            if c >= _ROW:
                break
            for ids, negs, tab, bstep in plan:
                off = _HDR + (j * bstep * _E + ids[c]) * _PT
                x2 = int.from_bytes(tab[off : off + 32], "big")
                y2 = int.from_bytes(tab[off + 32 : off + 64], "big")
                if negs[c]:
                    y2 = p - y2
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
