"""Fixed-base signed comb tables for P-256.

A signed comb with w teeth cuts a scalar into w rows of r = ceil(257 / w)
bits (keys: w = 9, r = 29; G: w = 11, r = 24).  Every column is nonzero and
symmetric, so a block needs only 2^(w-1) points: for keys, 256 points a block
(the bytes of a plain 8-tooth comb) and 29 additions per scalar instead of 32.

Recoding: for 0 <= k < n make k odd (k + n when k is even; n*P = O), then
K = (k + 2^(w r) - 1) / 2 and k = sum_{i < w r} (2 bit_i(K) - 1) 2^i.  Column
c < r holds the w bits r t + c of K (t < w) as v_c, worth
D(v) = sum_t (2 v_t - 1) 2^(r t).  D(v) = -D(v xor (2^w - 1)), so only the
values with the top tooth set are stored:

    E_j[I] = 2^(8 j) * (2^(r (w-1)) + sum_{t < w-1} (2 I_t - 1) 2^(r t)) * P

for blocks j < s and I < 2^(w-1); a column with the top bit set adds
E_j[v - 2^(w-1)], any other subtracts E_j[2^(w-1) - 1 - v].  Column c = 8 j + i
is added at step i of the doubling chain shared by u1*G and u2*Q: 7 doublings
with a key table of s = 4 blocks (s = 1: 28).  Bytes (docs/crypto.md):

    b"PCMB" | version 2 | w | s | 0 | s * 2^(w-1) points x(32 BE) || y(32 BE)

Key tables: w = 9, s = 1 or 4.  G's table: w = 11, s = 3 (3072 points,
196 KB, 24 additions), or w = 9, s = 4 (65 KB, 29 additions) on a board that
sets G_TEETH = 9 before the first verify or when the big one does not fit.  Device
builds freeze it as bytes (gtable()); the unix port builds it on first use
and keeps it in RAM (call gtable() at start-up: it wants one unfragmented
piece).

check() proves a table is exactly P's: E_j[0] is recomputed from a doubling
chain, and every other entry C = E_j[I] must be on the curve and, with
A = E_j[I minus its lowest bit t] (already proven) and D = 2^(r t + 8 j + 1) P
(from the chain), A, D and -C must be collinear with distinct x, which forces
C = A + D.  By induction every entry is right.  usable() caches the verdict
by the table object's identity (at most 32; forget() clears them); a mutable
buffer is copied once and the checked copy is what the verify computes with.
"""

from array import array

import micropython
from micropython import const

from kiosk.crypto import curve

_P = const(0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF)
_N = const(0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551)
_HDR = const(8)
_PT = const(64)
_CACHE = const(32)

MAGIC = b"PCMB"
VERSION = 2
KEY_TEETH = 9
G_TEETH = 11  # 9 on a board short of RAM (G's table: 65 KB instead of 196 KB)
SHAPES = ((9, 1), (9, 4), (11, 3))  # (teeth, blocks) a table may have

_checked = {}
_g = None


def rows(w):
    """Bits per row (= columns) for w teeth: w * rows >= 257."""
    return (256 + w) // w


def table_size(s, w=KEY_TEETH):
    return _HDR + s * (1 << (w - 1)) * _PT


def header(s, w=KEY_TEETH):
    return MAGIC + bytes((VERSION, w, s, 0))


def steps(s, w=KEY_TEETH):
    """Steps of the doubling chain for a table of s blocks."""
    return 8 if s > 1 else rows(w)


def shape(table):
    """(w, s) from a table's header, or None when the header or length is wrong."""
    if len(table) < _HDR or bytes(table[:4]) != MAGIC or table[4] != VERSION or table[7] != 0:
        return None
    ws = (table[5], table[6])
    if ws not in SHAPES or len(table) != table_size(ws[1], ws[0]):
        return None
    return ws


def _entry(table, j, i, w=KEY_TEETH):
    off = _HDR + ((j << (w - 1)) + i) * _PT
    return int.from_bytes(table[off : off + 32], "big"), int.from_bytes(table[off + 32 : off + 64], "big")


def _chain(q, s, w):
    """Affine points the table is made of: ({(j, t): 2^(r t + 8 j) Q for t < w},
    {(j, t): 2^(r t + 8 j + 1) Q for t < w - 1}), r = rows(w)."""
    r = rows(w)
    want = {}
    for j in range(s):
        for t in range(w):
            want[r * t + 8 * j] = ("b", j, t)
            if t < w - 1:
                want[r * t + 8 * j + 1] = ("d", j, t)
    top = max(want)
    X, Y, Z = q[0], q[1], 1
    keys = []
    pts = []
    for k in range(top + 1):
        if k in want:
            keys.append(want[k])
            pts.append((X, Y, Z))
        X, Y, Z = curve.jdouble(X, Y, Z)
    base = {}
    dbl = {}
    for key, xy in zip(keys, curve.normalize(pts)):
        (base if key[0] == "b" else dbl)[(key[1], key[2])] = xy
    return base, dbl


def _first(base, s, w):
    """Affine E_j[0] = 2^(8j) (2^(r(w-1)) - sum_{t<w-1} 2^(rt)) Q for j < s."""
    jac = []
    p = _P
    for j in range(s):
        X, Y = base[(j, w - 1)]
        Z = 1
        for t in range(w - 1):
            x, y = base[(j, t)]
            X, Y, Z = curve.jadd_affine(X, Y, Z, x, p - y)
        jac.append((X, Y, Z))
    return curve.normalize(jac)


def _popcount(i):
    n = 0
    while i:
        i &= i - 1
        n += 1
    return n


def _put(out, where, points, w):
    for (j, i), (x, y) in zip(where, points):
        off = _HDR + ((j << (w - 1)) + i) * _PT
        out[off : off + 32] = x.to_bytes(32, "big")
        out[off + 32 : off + 64] = y.to_bytes(32, "big")


def build(pub, s=4, w=KEY_TEETH):
    """The comb table of a SEC1 point, as bytes (the device-side builder)."""
    return bytes(_build(pub, s, w))


def _build(pub, s, w):
    q = curve.decode_point(pub)
    if q is None or (w, s) not in SHAPES:
        from kiosk.crypto import CryptoError

        raise CryptoError("not a P-256 point, or no such table shape")
    out = bytearray(table_size(s, w))
    out[:_HDR] = header(s, w)
    base, dbl = _chain(q, s, w)
    _put(out, [(j, 0) for j in range(s)], _first(base, s, w), w)
    base = None
    # E[I] = E[I - low bit t] + 2^(r t + 8 j + 1) Q, level by level (bits set
    # in I); one shared inversion per (level, block) keeps the working set small
    for level in range(1, w):
        for j in range(s):
            todo = [(j, i) for i in range(1, 1 << (w - 1)) if _popcount(i) == level]
            jac = []
            for _, i in todo:
                low = i & -i
                xa, ya = _entry(out, j, i ^ low, w)
                xd, yd = dbl[(j, _popcount(low - 1))]
                jac.append(curve.jadd_affine(xa, ya, 1, xd, yd))
            _put(out, todo, curve.normalize(jac), w)
            jac = None
    return out


def check(pub, table):
    """True only when `table` is exactly the comb table of `pub`. Never raises."""
    try:
        return _check(pub, table)
    except Exception:  # noqa: BLE001 - junk in, False out
        return False


def _check(pub, table):
    ws = shape(table)
    q = curve.decode_point(pub)
    if ws is None or q is None:
        return False
    w, s = ws
    p = _P
    base, dbl = _chain(q, s, w)
    for j, want in enumerate(_first(base, s, w)):
        if _entry(table, j, 0, w) != want:
            return False
    for j in range(s):
        for i in range(1, 1 << (w - 1)):
            low = i & -i
            xa, ya = _entry(table, j, i ^ low, w)
            xd, yd = dbl[(j, _popcount(low - 1))]
            xc, yc = _entry(table, j, i, w)
            if not curve.on_curve(xc, yc) or xa == xd or xc == xa or xc == xd:
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
    """G's table. A device build freezes it (kiosk.crypto.gtab, generated by
    host_tools/scripts/gen_gtable.py): bytes in flash, no heap, no time.
    Elsewhere (the unix port) it is built once here and kept in RAM
    (G_TEETH 11: s = 3, 196 KB; 9: s = 4, 65 KB)."""
    global _g
    if _g is None:
        try:
            from kiosk.crypto.gtab import TABLE

            _g = TABLE
        except ImportError:
            _g = _built_gtable()
    return _g


def _built_gtable():
    if G_TEETH == 11:
        try:
            return _build(curve.G_SEC1, 3, 11)
        except MemoryError:
            pass  # not enough RAM in one piece: the 65 KB table will do
    import gc

    gc.collect()
    return _build(curve.G_SEC1, 4, 9)


@micropython.viper
def _recode(kb: ptr8, idx: ptr16, neg: ptr8, w: int, r: int):
    # kb: 33-byte big-endian K (w r <= 264 bits).  For column c < r, v = bits
    # r t + c of K (t < w); idx[c] = the stored entry, neg[c] = 1 to subtract
    top = 1 << (w - 1)
    c = 0
    while c < r:
        v = 0
        t = 0
        while t < w:
            pos = r * t + c
            v |= ((kb[32 - (pos >> 3)] >> (pos & 7)) & 1) << t
            t += 1
        if v & top:
            idx[c] = v - top
            neg[c] = 0
        else:
            idx[c] = top - 1 - v
            neg[c] = 1
        c += 1


def digits(k, w=KEY_TEETH):
    """(idx, neg) arrays of the rows(w) signed comb columns of 0 <= k < n."""
    if not k & 1:
        k += _N
    r = rows(w)
    idx = array("H", bytes(2 * r))
    neg = bytearray(r)
    _recode(((k + (1 << (w * r)) - 1) >> 1).to_bytes(33, "big"), idx, neg, w, r)
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
    for infinity), for a checked key table `qtab` of Q."""
    gt = gtable()
    gw = gt[5]
    qw = qtab[5]
    e = steps(qtab[6], qw)
    i1, n1 = digits(u1, gw)
    i2, n2 = digits(u2, qw)
    p = _P
    X = 0
    Y = 1
    ZZ = 0
    ZZZ = 0
    plan = (
        (i1, n1, memoryview(gt), gw - 1, rows(gw), gt[6]),
        (i2, n2, memoryview(qtab), qw - 1, rows(qw), qtab[6]),
    )
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
        for ids, negs, tab, sh, r, nb in plan:
            for j in range(nb):
                c = j * e + i
                if c >= r:
                    break
                off = _HDR + ((j << sh) + ids[c]) * _PT
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
