"""Reed-Solomon decoding over GF(256) for QR codes (errors and erasures).

QR uses the field GF(2^8) with the primitive polynomial x^8+x^4+x^3+x^2+1
(0x11d), generator alpha = 2 and first consecutive root alpha^0. A block is
a list of codewords, the first one the highest-degree coefficient, the last
`nsym` ones the check symbols.

`correct(block, nsym, erasures=())` repairs `block` (a bytearray) in place
and returns the number of corrected symbols; it raises QRError when the
block has more damage than the code can repair (2*errors + erasures must not
exceed nsym). The result is always checked: a block that still has non-zero
syndromes after correction is rejected, never returned.
"""

import micropython
from micropython import const

from kiosk.qr.errors import QRError

_PRIM = const(0x11D)

EXP = bytearray(512)
LOG = bytearray(256)


def _init():
    x = 1
    for i in range(255):
        EXP[i] = x
        LOG[x] = i
        x <<= 1
        if x & 0x100:
            x ^= _PRIM
    for i in range(255, 512):
        EXP[i] = EXP[i - 255]


_init()


def mul(a, b):
    if a == 0 or b == 0:
        return 0
    return EXP[LOG[a] + LOG[b]]


def inv(a):
    if a == 0:
        raise QRError("rs: inverse of 0")
    return EXP[255 - LOG[a]]


def _poly_eval(p, x):
    """Evaluate p (index = degree) at x."""
    y = 0
    lx = LOG[x] if x else 0
    for i in range(len(p) - 1, -1, -1):
        if y:
            y = EXP[LOG[y] + lx] if x else 0
        y ^= p[i]
    return y


def syndromes(block, nsym):
    """S_j = block(alpha^j) for j in 0..nsym-1; returns (list, any_nonzero)."""
    out = [0] * nsym
    nz = False
    if isinstance(block, (bytearray, bytes)):
        n = len(block)
        for j in range(nsym):
            s = _synd(block, n, j, EXP, LOG)
            out[j] = s
            if s:
                nz = True
        return out, nz
    exp = EXP
    log = LOG
    for j in range(nsym):
        s = 0
        for c in block:
            if s:
                s = exp[log[s] + j]
            s ^= c
        out[j] = s
        if s:
            nz = True
    return out, nz


@micropython.viper
def _synd(block: ptr8, n: int, j: int, exp: ptr8, log: ptr8) -> int:
    # Horner's rule at alpha^j (the hot loop of every decode: viper)
    s = 0
    i = 0
    while i < n:
        if s:
            s = exp[log[s] + j]
        s ^= block[i]
        i += 1
    return s


def _mul_poly(a, b):
    r = [0] * (len(a) + len(b) - 1)
    for i in range(len(a)):
        ai = a[i]
        if ai:
            for j in range(len(b)):
                if b[j]:
                    r[i + j] ^= EXP[LOG[ai] + LOG[b[j]]]
    return r


def correct(block, nsym, erasures=()):
    """Correct `block` in place; return the number of symbols repaired."""
    n = len(block)
    if nsym <= 0 or nsym >= n or n > 255:
        raise QRError("rs: bad block geometry")
    ne = len(erasures)
    if ne > nsym:
        raise QRError("rs: too many erasures")
    for pos in erasures:
        if pos < 0 or pos >= n:
            raise QRError("rs: erasure out of range")
    synd, nz = syndromes(block, nsym)
    if not nz:
        return 0
    # Erasure locator Gamma(x) = prod(1 - X_k x), X_k = alpha^(n-1-pos).
    lam = [1]
    for pos in erasures:
        lam = _mul_poly(lam, [1, EXP[n - 1 - pos]])
    # Berlekamp-Massey, initialised with the erasure locator.
    b = list(lam)
    ll = ne
    for r in range(ne, nsym):
        delta = 0
        for i in range(min(ll, len(lam) - 1) + 1):
            if lam[i] and synd[r - i]:
                delta ^= EXP[LOG[lam[i]] + LOG[synd[r - i]]]
        b = [0] + b
        if delta:
            ld = LOG[delta]
            t = list(lam) + [0] * max(0, len(b) - len(lam))
            for i in range(len(b)):
                if b[i]:
                    t[i] ^= EXP[ld + LOG[b[i]]]
            if 2 * ll <= r + ne:
                linv = 255 - ld
                b = [EXP[LOG[c] + linv] if c else 0 for c in lam]
                ll = r + 1 + ne - ll
            lam = t
    while len(lam) > 1 and lam[-1] == 0:
        lam.pop()
    deg = len(lam) - 1
    if deg != ll or 2 * (ll - ne) + ne > nsym:
        raise QRError("rs: too many errors")
    # Chien search over the n positions of the block.
    pos_list = []
    for pos in range(n):
        # X^-1 for position pos is alpha^-(n-1-pos)
        xinv = EXP[(255 - (n - 1 - pos)) % 255]
        if _poly_eval(lam, xinv) == 0:
            pos_list.append(pos)
    if len(pos_list) != deg:
        raise QRError("rs: locator roots do not match")
    # Forney: omega = S(x) * lambda(x) mod x^nsym
    omega = _mul_poly(synd, lam)[:nsym]
    # formal derivative of lambda: odd terms
    dlam = [lam[i] if i & 1 else 0 for i in range(1, len(lam))]
    for pos in pos_list:
        p = n - 1 - pos
        xk = EXP[p]
        xinv = EXP[(255 - p) % 255]
        den = _poly_eval(dlam, xinv)
        if den == 0:
            raise QRError("rs: Forney denominator is zero")
        num = _poly_eval(omega, xinv)
        block[pos] ^= mul(mul(xk, num), inv(den))
    _, nz = syndromes(block, nsym)
    if nz:
        raise QRError("rs: correction failed")
    return deg


def encode(data, nsym):
    """Return the nsym check symbols for `data` (for tests and tools)."""
    gen = [1]
    for i in range(nsym):
        gen = _mul_poly(gen, [EXP[i], 1])
    # gen has index = degree; build highest-first for division
    g = gen[::-1]
    rem = bytearray(nsym)
    for c in data:
        f = c ^ rem[0]
        for i in range(nsym - 1):
            rem[i] = rem[i + 1] ^ (mul(g[i + 1], f))
        rem[nsym - 1] = mul(g[nsym], f)
    return bytes(rem)
