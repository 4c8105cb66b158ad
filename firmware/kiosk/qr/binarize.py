"""Adaptive (local block) binarization of an 8-bit grayscale frame.

The frame is cut into 8x8 pixel blocks. Each block gets a black point: its
mean, or, for a flat block (contrast <= 24, or 6 in the low-contrast
retry), half its minimum, raised to the
black point of its upper/left neighbours when they are darker-looking (so a
flat light area inside a code stays light and a flat area of glare does not
turn into noise). A pixel is dark when it is at or below the mean black
point of the 5x5 blocks around its block. This copes with phone screens with
glare and paper in shadow, where one global threshold fails.

Both passes are @micropython.viper loops over preallocated buffers: a
`Binarizer` allocates its output and block buffers once per frame size, and
`run()` allocates nothing (tests check this with micropython.heap_lock()).
Arithmetic stays well inside 32 bits.
"""

import array

import micropython
from micropython import const

_BLOCK_SHIFT = const(3)
_MIN_CONTRAST = const(24)
_LOW_CONTRAST = const(6)


@micropython.viper
def _block_points(src: ptr8, blk: ptr8, dims: ptr32):
    w = int(dims[0])
    h = int(dims[1])
    bw = int(dims[2])
    bh = int(dims[3])
    flat = int(dims[4])
    inv = int(dims[5])
    by = 0
    while by < bh:
        yo = by << 3
        if yo > h - 8:
            yo = h - 8
        bx = 0
        while bx < bw:
            xo = bx << 3
            if xo > w - 8:
                xo = w - 8
            s = 0
            mn = 1020
            mx = 0
            yy = 0
            while yy < 8:
                o = (yo + yy) * w + xo
                o2 = o + w
                xx = 0
                while xx < 8:
                    # 2x2 sums: min/max on them are robust to sensor noise
                    p = (int(src[o + xx]) ^ inv) + (int(src[o + xx + 1]) ^ inv) + (int(src[o2 + xx]) ^ inv) + (int(src[o2 + xx + 1]) ^ inv)
                    s += p
                    if p < mn:
                        mn = p
                    if p > mx:
                        mx = p
                    xx += 2
                yy += 2
            mn = mn >> 2
            mx = mx >> 2
            avg = s >> 6
            if mx - mn <= flat:
                avg = mn >> 1
                if by > 0 and bx > 0:
                    k = by * bw + bx
                    nb = (int(blk[k - bw]) + 2 * int(blk[k - 1]) + int(blk[k - bw - 1])) >> 2
                    if mn < nb:
                        avg = nb
            blk[by * bw + bx] = avg
            bx += 1
        by += 1


@micropython.viper
def _threshold(src: ptr8, dst: ptr8, blk: ptr8, dims: ptr32):
    w = int(dims[0])
    h = int(dims[1])
    bw = int(dims[2])
    bh = int(dims[3])
    inv = int(dims[5])
    nb = bw * bh
    # dst is a bit image (pixel o is bit o & 7 of byte o >> 3). With a width
    # that is a multiple of 8 each block row is one whole byte, built from
    # its 8 pixels and stored once; otherwise dst is cleared and the dark
    # pixels are set one by one.
    whole = 0
    if (w & 7) == 0:
        whole = 1
    else:
        i = 0
        n = int(dims[6])
        while i < n:
            dst[i] = 0
            i += 1
    by = 0
    while by < bh:
        cy = by
        if cy < 2:
            cy = 2
        if cy > bh - 3:
            cy = bh - 3
        bx = 0
        while bx < bw:
            cx = bx
            if cx < 2:
                cx = 2
            if cx > bw - 3:
                cx = bw - 3
            s = 0
            j = -2
            while j <= 2:
                o = (cy + j) * bw + cx
                s += int(blk[o - 2]) + int(blk[o - 1]) + int(blk[o]) + int(blk[o + 1]) + int(blk[o + 2])
                j += 1
            t = s // 25
            blk[nb + by * bw + bx] = t
            # pixels of this block only (edge blocks are clamped for their
            # statistics, not for their pixels)
            y0 = by << 3
            y1 = y0 + 8
            if y1 > h:
                y1 = h
            x0 = bx << 3
            yy = y0
            if whole:
                while yy < y1:
                    o = yy * w + x0
                    b = 0
                    if (int(src[o]) ^ inv) <= t:
                        b = 1
                    if (int(src[o + 1]) ^ inv) <= t:
                        b |= 2
                    if (int(src[o + 2]) ^ inv) <= t:
                        b |= 4
                    if (int(src[o + 3]) ^ inv) <= t:
                        b |= 8
                    if (int(src[o + 4]) ^ inv) <= t:
                        b |= 16
                    if (int(src[o + 5]) ^ inv) <= t:
                        b |= 32
                    if (int(src[o + 6]) ^ inv) <= t:
                        b |= 64
                    if (int(src[o + 7]) ^ inv) <= t:
                        b |= 128
                    dst[o >> 3] = b
                    yy += 1
            else:
                x1 = x0 + 8
                if x1 > w:
                    x1 = w
                while yy < y1:
                    o = yy * w + x0
                    e = yy * w + x1
                    while o < e:
                        if (int(src[o]) ^ inv) <= t:
                            dst[o >> 3] = int(dst[o >> 3]) | (1 << (o & 7))
                        o += 1
                    yy += 1
            bx += 1
        by += 1


class Binarizer:
    """Reusable binarizer for frames of one size (width, height >= 40).

    The output is a bit image, one bit a pixel: pixel (x, y) is bit o & 7
    of byte o >> 3, o = y * width + x (`pixel()`); 1 = dark. At 320x240
    that is 9.6 KB instead of a frame-sized 77 KB."""

    def __init__(self, width, height):
        self.width = width
        self.height = height
        bw = (width + 7) >> _BLOCK_SHIFT
        bh = (height + 7) >> _BLOCK_SHIFT
        n = (width * height + 7) >> 3
        self.out = bytearray(n)
        # block black points, then each block's threshold (used again by
        # the grey-level sampler)
        self.blocks = bytearray(2 * bw * bh)
        self.bw = bw
        self.nb = bw * bh
        self.dims = array.array("i", (width, height, bw, bh, _MIN_CONTRAST, 0, n))

    def run(self, frame, low_contrast=False, invert=False):
        """Binarize `frame` into self.out (1 = dark) and return self.out.
        low_contrast=True treats blocks down to a contrast of 6 as detail
        (for faint screenshots; noisier elsewhere); invert=True binarizes
        the negative (light-on-dark symbols: flat areas then count as their
        background, which they are)."""
        self.dims[4] = _LOW_CONTRAST if low_contrast else _MIN_CONTRAST
        self.dims[5] = 255 if invert else 0
        _block_points(frame, self.blocks, self.dims)
        _threshold(frame, self.out, self.blocks, self.dims)
        return self.out


def pixel(img, width, x, y):
    """Pixel (x, y) of a bit image: 1 = dark."""
    o = y * width + x
    return (img[o >> 3] >> (o & 7)) & 1
