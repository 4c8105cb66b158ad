"""Sampling modules through a homography (viper hot loops).

`Sampler.grid(img, H, dim, dark)` reads a dim x dim module grid: for each row
Python evaluates the projective map at the row start and its per-module
increments in floating point, scales them to fixed point (12 fractional bits,
values kept far below 2^31), and a viper loop divides per module to get the
pixel. Modules that fall outside the frame read as light and are counted:
a grid mostly outside the frame is rejected by the caller.

`Sampler.ring(img, ...)` scores an alignment-pattern candidate: 25 samples
of the 5x5 pattern (dark centre, light ring, dark ring) in a local affine
frame, returning how many agree.
"""

import array

import micropython
from micropython import const

_FIX = const(4096)
_BIAS = const(1 << 28)
_MAX_DIM = const(181)


@micropython.viper
def _row(img: ptr8, out: ptr8, prm: ptr32) -> int:
    # prm: w, h, n, off, dark, X0, Y0, W0, dX, dY, dW (last six biased)
    w = int(prm[0])
    h = int(prm[1])
    n = int(prm[2])
    off = int(prm[3])
    dark = int(prm[4])
    X = int(prm[5]) - _BIAS
    Y = int(prm[6]) - _BIAS
    W = int(prm[7]) - _BIAS
    dX = int(prm[8]) - _BIAS
    dY = int(prm[9]) - _BIAS
    dW = int(prm[10]) - _BIAS
    miss = 0
    c = 0
    while c < n:
        v = 0
        if W > 0:
            px = X // W
            py = Y // W
            if px >= 0 and py >= 0 and px < w and py < h:
                if int(img[py * w + px]) == dark:
                    v = 1
            else:
                miss += 1
        else:
            miss += 1
        out[off + c] = v
        X += dX
        Y += dY
        W += dW
        c += 1
    return miss


@micropython.viper
def _ring(img: ptr8, prm: ptr32) -> int:
    # prm: w, h, dark, cx, cy, ux, uy, vx, vy (positions and vectors * 256, biased)
    w = int(prm[0])
    h = int(prm[1])
    dark = int(prm[2])
    cx = int(prm[3]) - _BIAS
    cy = int(prm[4]) - _BIAS
    ux = int(prm[5]) - _BIAS
    uy = int(prm[6]) - _BIAS
    vx = int(prm[7]) - _BIAS
    vy = int(prm[8]) - _BIAS
    score = 0
    j = -2
    while j <= 2:
        i = -2
        while i <= 2:
            px = (cx + i * ux + j * vx) >> 8
            py = (cy + i * uy + j * vy) >> 8
            want = 1
            if (i == 1 or i == -1 or i == 0) and (j == 1 or j == -1 or j == 0):
                if i != 0 or j != 0:
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
        self.out = bytearray(_MAX_DIM * _MAX_DIM)

    def grid(self, img, H, dim, dark):
        """Sample dim x dim modules; return (grid memoryview, missed count)."""
        a, b, c, d, e, f, g, hh = H
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
            p[3] = r * dim
            p[5] = int(X0 * s) + _BIAS
            p[6] = int(Y0 * s) + _BIAS
            p[7] = int(W0 * s) + _BIAS
            p[8] = int(a * s) + _BIAS
            p[9] = int(d * s) + _BIAS
            p[10] = int(g * s) + _BIAS
            miss += _row(img, self.out, p)
        return memoryview(self.out)[: dim * dim], miss

    def ring(self, img, dark, cx, cy, ux, uy, vx, vy):
        p = self.prm
        p[0] = self.w
        p[1] = self.h
        p[2] = dark
        p[3] = int(cx * 256) + _BIAS
        p[4] = int(cy * 256) + _BIAS
        p[5] = int(ux * 256) + _BIAS
        p[6] = int(uy * 256) + _BIAS
        p[7] = int(vx * 256) + _BIAS
        p[8] = int(vy * 256) + _BIAS
        return _ring(img, p)
