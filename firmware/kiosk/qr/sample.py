"""Sampling modules through a homography (viper hot loops).

`Sampler.grid(img, H, dim, dark)` reads a dim x dim module grid: Python
scales the projective map (numerators and denominator are linear in the
module coordinates) to fixed point once per grid (16 fractional bits, up to
8 more for the increments; every intermediate stays below 2^28 so the loop
is exact on 32-bit targets; a map that would not fit is rejected) and one
viper loop divides per module to get the pixel. With the grey frame at
hand (`Sampler.gray`), each module is read by bilinear interpolation at its
exact sub-pixel centre and compared with the binarizer's threshold for that
block; otherwise the binary image is read at the pixel. `grid_cells()`
samples a piecewise grid (one homography per cell between alignment
patterns). Modules that fall outside the frame read as light and are
counted: a grid mostly outside the frame is rejected by the caller.

`Sampler.search(...)` scores a finder (7x7) or alignment (5x5) template at
every offset of a small lattice in the local module frame and returns the
best score and the centroid of the offsets reaching it. `Sampler.runs()`
counts dark runs along a segment (timing patterns).
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
def _grid(img: ptr8, out: ptr8, prm: ptr32, thr: ptr8) -> int:
    # prm: w, h, n, dark, X, Y, W at module centre (0.5, 0.5), then the
    # per-column increments dXu, dYu, dWu and per-row dXv, dYv, dWv (all
    # biased by _BIAS, increments carrying sh extra fraction bits), sh, and
    # the module rows r0..r1 and columns c0..c1 to sample (a cell of a
    # piecewise grid, or the whole symbol), then mode, bw, nb, inv: mode 1
    # reads img as the grey frame, interpolates bilinearly at the exact
    # sub-pixel point (8-bit fractions) and compares with the binarizer's
    # threshold for that 8x8 block (thr[nb + block]); mode 0 reads the
    # binary image at the pixel.
    # Module (r, c) samples pixel (X/W, Y/W) with
    # X = X0 + ((c*dXu + r*dXv) >> sh): nothing accumulates, and every
    # intermediate stays below 2^28 (the caller checks), exact on 32 bits.
    w = int(prm[0])
    h = int(prm[1])
    n = int(prm[2])
    dark = int(prm[3])
    X0 = int(prm[4]) - _BIAS
    Y0 = int(prm[5]) - _BIAS
    W0 = int(prm[6]) - _BIAS
    dXu = int(prm[7]) - _BIAS
    dYu = int(prm[8]) - _BIAS
    dWu = int(prm[9]) - _BIAS
    dXv = int(prm[10]) - _BIAS
    dYv = int(prm[11]) - _BIAS
    dWv = int(prm[12]) - _BIAS
    sh = int(prm[13])
    r0 = int(prm[14])
    r1 = int(prm[15])
    c0 = int(prm[16])
    c1 = int(prm[17])
    mode = int(prm[18])
    bw = int(prm[19])
    nb = int(prm[20])
    inv = int(prm[21])
    miss = 0
    r = r0
    while r < r1:
        xr = r * dXv
        yr = r * dYv
        wr = r * dWv
        k = r * n + c0
        c = c0
        while c < c1:
            v = 0
            W = W0 + ((c * dWu + wr) >> sh)
            if W > 0:
                X = X0 + ((c * dXu + xr) >> sh)
                Y = Y0 + ((c * dYu + yr) >> sh)
                px = X // W
                py = Y // W
                if px >= 0 and py >= 0 and px < w and py < h:
                    if mode == 0:
                        if ((int(img[(py * w + px) >> 3]) >> ((py * w + px) & 7)) & 1) == dark:
                            v = 1
                    else:
                        g = int(img[py * w + px])
                        # pixel centres sit at +0.5: interpolate from the
                        # pixel up-left of the point (W < 2^20 keeps the
                        # 8-bit fractions inside 32 bits)
                        Xc = X - (W >> 1)
                        Yc = Y - (W >> 1)
                        qx = Xc // W
                        qy = Yc // W
                        if qx >= 0 and qy >= 0 and qx + 1 < w and qy + 1 < h and W < 0x100000:
                            o = qy * w + qx
                            fx = ((Xc - qx * W) << 8) // W
                            fy = ((Yc - qy * W) << 8) // W
                            top = int(img[o]) * (256 - fx) + int(img[o + 1]) * fx
                            bot = int(img[o + w]) * (256 - fx) + int(img[o + w + 1]) * fx
                            g = (top * (256 - fy) + bot * fy) >> 16
                        if (g ^ inv) <= int(thr[nb + (py >> 3) * bw + (px >> 3)]):
                            v = 1
                else:
                    miss += 1
            else:
                miss += 1
            out[k] = v
            k += 1
            c += 1
        r += 1
    return miss


@micropython.viper
def _search(img: ptr8, prm: ptr32) -> int:
    # Template search. prm (positions/vectors * 256, biased by _RBIAS):
    # 0 w, 1 h, 2 dark, 3 cx, 4 cy, 5 ux, 6 uy, 7 vx, 8 vy (module vectors),
    # 9 half, 10 r (offsets -r..r), 11 sx, 12 sy, 13 tx, 14 ty (step vectors).
    # Scores the (2*half+1)^2 concentric-square pattern whose ring at
    # Chebyshev distance half-1 is light and the rest dark (half=2: an
    # alignment pattern, half=3: a finder) at every offset; returns the best
    # score and writes into prm[15..17] the sums of i, j (biased) and the
    # number of offsets reaching it.
    w = int(prm[0])
    h = int(prm[1])
    dark = int(prm[2])
    cx0 = int(prm[3]) - _RBIAS
    cy0 = int(prm[4]) - _RBIAS
    ux = int(prm[5]) - _RBIAS
    uy = int(prm[6]) - _RBIAS
    vx = int(prm[7]) - _RBIAS
    vy = int(prm[8]) - _RBIAS
    half = int(prm[9])
    r = int(prm[10])
    sx = int(prm[11]) - _RBIAS
    sy = int(prm[12]) - _RBIAS
    tx = int(prm[13]) - _RBIAS
    ty = int(prm[14]) - _RBIAS
    best = -1
    si = 0
    sj = 0
    cnt = 0
    oj = 0 - r
    while oj <= r:
        oi = 0 - r
        while oi <= r:
            cx = cx0 + oi * sx + oj * tx
            cy = cy0 + oi * sy + oj * ty
            score = 0
            j = 0 - half
            while j <= half:
                mj = j
                if mj < 0:
                    mj = 0 - mj
                i = 0 - half
                while i <= half:
                    m = i
                    if m < 0:
                        m = 0 - m
                    if mj > m:
                        m = mj
                    px = (cx + i * ux + j * vx) >> 8
                    py = (cy + i * uy + j * vy) >> 8
                    if px >= 0 and py >= 0 and px < w and py < h:
                        d = 0
                        if ((int(img[(py * w + px) >> 3]) >> ((py * w + px) & 7)) & 1) == dark:
                            d = 1
                        if m == half - 1:
                            if d == 0:
                                score += 1
                        elif d == 1:
                            score += 1
                    i += 1
                j += 1
            if score > best:
                best = score
                si = oi
                sj = oj
                cnt = 1
            elif score == best:
                si += oi
                sj += oj
                cnt += 1
            oi += 1
        oj += 1
    prm[15] = si + _RBIAS
    prm[16] = sj + _RBIAS
    prm[17] = cnt
    return best


@micropython.viper
def _runs(img: ptr8, prm: ptr32) -> int:
    # dark runs met walking n steps from (x0, y0) by (dx, dy) (all * 256,
    # biased by _RBIAS); prm: w, h, dark, x0, y0, dx, dy, n
    w = int(prm[0])
    h = int(prm[1])
    dark = int(prm[2])
    x = int(prm[3]) - _RBIAS
    y = int(prm[4]) - _RBIAS
    dx = int(prm[5]) - _RBIAS
    dy = int(prm[6]) - _RBIAS
    n = int(prm[7])
    runs = 0
    prev = 0
    k = 0
    while k < n:
        px = x >> 8
        py = y >> 8
        d = 0
        if px >= 0 and py >= 0 and px < w and py < h:
            if ((int(img[(py * w + px) >> 3]) >> ((py * w + px) & 7)) & 1) == dark:
                d = 1
        if d == 1 and prev == 0:
            runs += 1
        prev = d
        x += dx
        y += dy
        k += 1
    return runs


@micropython.viper
def _edge(img: ptr8, prm: ptr32) -> int:
    # From a finder centre walk n steps of (dx, dy) (* 256, biased): dark
    # core, light ring, dark ring; return the step at which the walk leaves
    # the outer dark ring, or -1. prm: w, h, dark, x0, y0, dx, dy, n
    w = int(prm[0])
    h = int(prm[1])
    dark = int(prm[2])
    x = int(prm[3]) - _RBIAS
    y = int(prm[4]) - _RBIAS
    dx = int(prm[5]) - _RBIAS
    dy = int(prm[6]) - _RBIAS
    n = int(prm[7])
    state = 0
    k = 0
    while k < n:
        px = x >> 8
        py = y >> 8
        d = 0
        if px >= 0 and py >= 0 and px < w and py < h:
            if ((int(img[(py * w + px) >> 3]) >> ((py * w + px) & 7)) & 1) == dark:
                d = 1
        if state == 0 and d == 0:
            state = 1
        elif state == 1 and d == 1:
            state = 2
        elif state == 2 and d == 0:
            return k
        x += dx
        y += dy
        k += 1
    if state == 2:
        return n
    return -1


@micropython.viper
def _mismatch(g: ptr8, t: ptr8, n: int) -> int:
    # modules where the grid differs from a known template value (t != 2)
    bad = 0
    k = 0
    while k < n:
        v = int(t[k])
        if v != 2 and v != int(g[k]):
            bad += 1
        k += 1
    return bad


def mismatch(g, t):
    return _mismatch(g, t, len(t))


class Sampler:
    def __init__(self, width, height, dim=0):
        self.w = width
        self.h = height
        self.prm = array.array("i", bytes(4 * 22))
        self.gray = None  # (frame, thresholds, bw, nb, inv) for grey sampling
        # grids up to dim x dim without allocating during a decode (grown
        # when a larger one is sampled)
        self.out = bytearray(dim * dim)

    def grid(self, img, H, dim, dark):
        """Sample dim x dim modules; return (grid memoryview, missed count)."""
        if dim > _MAX_DIM:
            return memoryview(self.out)[:0], dim * dim
        if len(self.out) < dim * dim:
            self.out = b""  # freed first (no None left behind if the next allocation fails)
            self.out = bytearray(dim * dim)
        miss = self._cell(img, H, dim, dark, 0, dim, 0, dim)
        return memoryview(self.out)[: dim * dim], miss

    def grid_cells(self, img, cells, dim, dark):
        """Piecewise grid: cells is a list of (H, r0, r1, c0, c1)."""
        if dim > _MAX_DIM:
            return memoryview(self.out)[:0], dim * dim
        if len(self.out) < dim * dim:
            self.out = b""  # freed first (no None left behind if the next allocation fails)
            self.out = bytearray(dim * dim)
        miss = 0
        for H, r0, r1, c0, c1 in cells:
            miss += self._cell(img, H, dim, dark, r0, r1, c0, c1)
        return memoryview(self.out)[: dim * dim], miss

    def _cell(self, img, H, dim, dark, r0, r1, c0, c1):
        a, b, c, d, e, f, g, hh = H
        X0 = (a + b) * 0.5 + c
        Y0 = (d + e) * 0.5 + f
        W0 = (g + hh) * 0.5 + 1.0
        m = dim * 0.5
        Wc = g * m + hh * m + 1.0
        n_all = (r1 - r0) * (c1 - c0)
        if Wc <= 1e-9:
            return n_all
        s = _FIX / Wc
        n1 = dim - 1
        for du, dv in ((0, 0), (n1, 0), (0, n1), (n1, n1)):
            for q in (X0 + a * du + b * dv, Y0 + d * du + e * dv, W0 + g * du + hh * dv):
                if q * s >= _LIM or q * s <= -_LIM:
                    return n_all
        big = max(abs(a), abs(b), abs(d), abs(e), abs(g), abs(hh)) * s * 2 * dim + 1
        sh = 0
        while sh < 8 and big * (1 << (sh + 1)) < _LIM:
            sh += 1
        sf = s * (1 << sh)
        p = self.prm
        p[0] = self.w
        p[1] = self.h
        p[2] = dim
        p[3] = dark
        p[4] = round(X0 * s) + _BIAS
        p[5] = round(Y0 * s) + _BIAS
        p[6] = round(W0 * s) + _BIAS
        p[7] = round(a * sf) + _BIAS
        p[8] = round(d * sf) + _BIAS
        p[9] = round(g * sf) + _BIAS
        p[10] = round(b * sf) + _BIAS
        p[11] = round(e * sf) + _BIAS
        p[12] = round(hh * sf) + _BIAS
        p[13] = sh
        p[14] = r0
        p[15] = r1
        p[16] = c0
        p[17] = c1
        gr = self.gray
        if gr is not None and dark == 1:
            p[18] = 1
            p[19] = gr[2]
            p[20] = gr[3]
            p[21] = gr[4]
            return _grid(gr[0], self.out, p, gr[1])
        p[18] = 0
        return _grid(img, self.out, p, img)

    def runs(self, img, dark, x0, y0, x1, y1):
        """Dark runs along the segment (x0, y0)-(x1, y1), sampled every ~0.5 px."""
        n = int(max(abs(x1 - x0), abs(y1 - y0)) * 2) + 1
        if n > 4096:
            return 0
        p = self.prm
        p[0] = self.w
        p[1] = self.h
        p[2] = dark
        p[3] = int(x0 * 256) + _RBIAS
        p[4] = int(y0 * 256) + _RBIAS
        p[5] = int((x1 - x0) * 256 / n) + _RBIAS
        p[6] = int((y1 - y0) * 256 / n) + _RBIAS
        p[7] = n
        return _runs(img, p)

    def edge(self, img, dark, x, y, ex, ey, maxlen):
        """Distance (pixels, 0.25 px steps) from a finder centre along the
        unit vector (ex, ey) to the outer edge of the finder, or -1."""
        n = int(maxlen * 4) + 1
        if n > 4096:
            return -1
        p = self.prm
        p[0] = self.w
        p[1] = self.h
        p[2] = dark
        p[3] = int(x * 256) + _RBIAS
        p[4] = int(y * 256) + _RBIAS
        p[5] = int(ex * 64) + _RBIAS
        p[6] = int(ey * 64) + _RBIAS
        p[7] = n
        k = _edge(img, p)
        return -1 if k < 0 else k * 0.25

    def search(self, img, dark, cx, cy, ux, uy, vx, vy, half, r, step):
        """Best template score around (cx, cy) over offsets -r..r (in steps of
        `step` modules); returns (score, x, y) with (x, y) the centroid of
        the best-scoring offsets."""
        p = self.prm
        p[0] = self.w
        p[1] = self.h
        p[2] = dark
        p[3] = int(cx * 256) + _RBIAS
        p[4] = int(cy * 256) + _RBIAS
        p[5] = int(ux * 256) + _RBIAS
        p[6] = int(uy * 256) + _RBIAS
        p[7] = int(vx * 256) + _RBIAS
        p[8] = int(vy * 256) + _RBIAS
        p[9] = half
        p[10] = r
        p[11] = int(ux * step * 256) + _RBIAS
        p[12] = int(uy * step * 256) + _RBIAS
        p[13] = int(vx * step * 256) + _RBIAS
        p[14] = int(vy * step * 256) + _RBIAS
        best = _search(img, p)
        n = p[17]
        if n <= 0:
            return best, cx, cy
        fi = (p[15] - _RBIAS) / n * step
        fj = (p[16] - _RBIAS) / n * step
        return best, cx + fi * ux + fj * vx, cy + fi * uy + fj * vy
