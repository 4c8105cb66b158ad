"""Sampling modules through a homography (viper hot loops).

`Sampler.grid(img, H, dim, dark)` reads a dim x dim module grid: for each row
Python evaluates the projective map at the row start and its per-module
increments in floating point, scales them to fixed point (16 fractional bits, up to 8
more for the per-module increments; every intermediate stays below 2^28
so the loop is exact on 32-bit targets; rows that would not fit are
skipped), and a viper loop divides per module to get the
pixel. Modules that fall outside the frame read as light and are counted:
a grid mostly outside the frame is rejected by the caller.

`Sampler.ring(img, ...)` scores an alignment-pattern candidate: 25 samples
of the 5x5 pattern (dark centre, light ring, dark ring) in a local affine
frame, returning how many agree.
"""

import array

import micropython
from micropython import const

_FIX = const(1 << 16)
_LIM = const(1 << 28)
_BIAS = const(1 << 29)
_RBIAS = const(1 << 28)
_MAX_DIM = const(181)


@micropython.viper
def _row(img: ptr8, out: ptr8, prm: ptr32) -> int:
    # prm: w, h, n, off, dark, X0, Y0, W0, dX, dY, dW (biased), sh.
    # Column c samples pixel (X/W, Y/W) with X = X0 + (c*dX >> sh) etc.:
    # increments carry sh extra fraction bits and nothing accumulates.
    w = int(prm[0])
    h = int(prm[1])
    n = int(prm[2])
    off = int(prm[3])
    dark = int(prm[4])
    X0 = int(prm[5]) - _BIAS
    Y0 = int(prm[6]) - _BIAS
    W0 = int(prm[7]) - _BIAS
    dX = int(prm[8]) - _BIAS
    dY = int(prm[9]) - _BIAS
    dW = int(prm[10]) - _BIAS
    sh = int(prm[11])
    miss = 0
    c = 0
    while c < n:
        v = 0
        W = W0 + ((c * dW) >> sh)
        if W > 0:
            px = (X0 + ((c * dX) >> sh)) // W
            py = (Y0 + ((c * dY) >> sh)) // W
            if px >= 0 and py >= 0 and px < w and py < h:
                if int(img[py * w + px]) == dark:
                    v = 1
            else:
                miss += 1
        else:
            miss += 1
        out[off + c] = v
        c += 1
    return miss


@micropython.viper
def _ring(img: ptr8, prm: ptr32) -> int:
    # prm: w, h, dark, cx, cy, ux, uy, vx, vy (positions and vectors * 256,
    # biased), half. Scores the (2*half+1)^2 concentric-square pattern whose
    # ring at Chebyshev distance half-1 is light and everything else dark:
    # half=2 is an alignment pattern, half=3 a finder pattern.
    w = int(prm[0])
    h = int(prm[1])
    dark = int(prm[2])
    cx = int(prm[3]) - _RBIAS
    cy = int(prm[4]) - _RBIAS
    ux = int(prm[5]) - _RBIAS
    uy = int(prm[6]) - _RBIAS
    vx = int(prm[7]) - _RBIAS
    vy = int(prm[8]) - _RBIAS
    half = int(prm[9])
    score = 0
    j = 0 - half
    while j <= half:
        i = 0 - half
        while i <= half:
            px = (cx + i * ux + j * vx) >> 8
            py = (cy + i * uy + j * vy) >> 8
            m = i
            if m < 0:
                m = 0 - m
            mj = j
            if mj < 0:
                mj = 0 - mj
            if mj > m:
                m = mj
            want = 1
            if m == half - 1:
                want = 0
            if px >= 0 and py >= 0 and px < w and py < h:
                d = 0
                if int(img[py * w + px]) == dark:
                    d = 1
                if d == want:
                    score += 1
            i += 1
        j += 1
    return score


class Sampler:
    def __init__(self, width, height):
        self.w = width
        self.h = height
        self.prm = array.array("i", bytes(4 * 12))
        self.out = bytearray(0)

    def grid(self, img, H, dim, dark):
        """Sample dim x dim modules; return (grid memoryview, missed count)."""
        a, b, c, d, e, f, g, hh = H
        if dim > _MAX_DIM:
            return memoryview(self.out)[:0], dim * dim
        if len(self.out) < dim * dim:
            self.out = None
            self.out = bytearray(dim * dim)
        p = self.prm
        p[0] = self.w
        p[1] = self.h
        p[2] = dim
        p[4] = dark
        miss = 0
        for r in range(dim):
            v = r + 0.5
            X0 = a * 0.5 + b * v + c
            Y0 = d * 0.5 + e * v + f
            W0 = g * 0.5 + hh * v + 1.0
            if W0 <= 1e-9:
                miss += dim
                continue
            s = _FIX / W0
            n1 = dim - 1
            ok = True
            for q in (X0 * s, Y0 * s, (X0 + a * n1) * s, (Y0 + d * n1) * s, (W0 + g * n1) * s):
                if q >= _LIM or q <= -_LIM:
                    ok = False
            if not ok:
                miss += dim
                continue
            m = max(abs(a), abs(d), abs(g)) * s * dim + 1
            sh = 0
            while sh < 8 and m * (1 << (sh + 1)) < _LIM:
                sh += 1
            sf = s * (1 << sh)
            p[3] = r * dim
            p[5] = round(X0 * s) + _BIAS
            p[6] = round(Y0 * s) + _BIAS
            p[7] = round(W0 * s) + _BIAS
            p[8] = round(a * sf) + _BIAS
            p[9] = round(d * sf) + _BIAS
            p[10] = round(g * sf) + _BIAS
            p[11] = sh
            miss += _row(img, self.out, p)
        return memoryview(self.out)[: dim * dim], miss

    def ring(self, img, dark, cx, cy, ux, uy, vx, vy, half=2):
        p = self.prm
        p[9] = half
        p[0] = self.w
        p[1] = self.h
        p[2] = dark
        p[3] = int(cx * 256) + _RBIAS
        p[4] = int(cy * 256) + _RBIAS
        p[5] = int(ux * 256) + _RBIAS
        p[6] = int(uy * 256) + _RBIAS
        p[7] = int(vx * 256) + _RBIAS
        p[8] = int(vy * 256) + _RBIAS
        return _ring(img, p)
