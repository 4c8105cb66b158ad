"""Finder pattern detection on a binarized frame.

A viper row scanner looks for dark/light/dark/light/dark runs in the ratio
1:1:3:1:1 and records each hit (twice the centre x, y, run total) in a
preallocated array. Python then confirms each new hit with viper cross-checks
along the column, the row again, and a diagonal, and merges confirmations of
one pattern into a `Center` (x, y, module size, count). `dark` selects the
polarity, so light-on-dark (inverted) symbols use the same code.

Everything is bounded: the hit array has a fixed size, each cross-check run
is capped at a multiple of the row hit, and at most _MAX_CENTERS centres are
kept.
"""

import array

import micropython
from micropython import const

_MAX_HITS = const(1024)
_MAX_CENTERS = const(160)
_BIAS = const(1 << 20)
_REFINE = const(8)


@micropython.viper
def _scan(img: ptr8, hits: ptr16, prm: ptr32) -> int:
    # prm: w, h, y0, ystep, dark, maxhits
    w = int(prm[0])
    h = int(prm[1])
    y = int(prm[2])
    ystep = int(prm[3])
    dark = int(prm[4])
    maxh = int(prm[5])
    n = 0
    flip = 1 - dark  # d = pixel bit ^ flip: 1 on the `dark` polarity
    while y < h:
        p = y * w  # the pixel's bit number in the image
        r0 = 0
        r1 = 0
        r2 = 0
        r3 = 0
        r4 = 0
        nr = 0
        byte = int(img[p >> 3])
        cur = ((byte >> (p & 7)) & 1) ^ flip
        # a whole byte (8 pixels) of the current colour only lengthens the run
        same = 0
        if (cur ^ flip) == 1:
            same = 255
        run = 0
        x = 0
        while x <= w:
            d = 1 - cur
            if x < w:
                if (p & 7) == 0:
                    byte = int(img[p >> 3])
                    if byte == same and x + 8 <= w:
                        run += 8
                        x += 8
                        p += 8
                        continue
                d = ((byte >> (p & 7)) & 1) ^ flip
            if d == cur:
                run += 1
            else:
                r0 = r1
                r1 = r2
                r2 = r3
                r3 = r4
                r4 = run
                nr += 1
                if cur == 1 and nr >= 5:
                    t = r0 + r1 + r2 + r3 + r4
                    if t >= 7:
                        t2 = t >> 1
                        ok = 1
                        v = r0 * 7 - t
                        if v < 0:
                            v = 0 - v
                        if v > t2:
                            ok = 0
                        v = r1 * 7 - t
                        if v < 0:
                            v = 0 - v
                        if v > t2:
                            ok = 0
                        v = r3 * 7 - t
                        if v < 0:
                            v = 0 - v
                        if v > t2:
                            ok = 0
                        v = r4 * 7 - t
                        if v < 0:
                            v = 0 - v
                        if v > t2:
                            ok = 0
                        v = r2 * 7 - 3 * t
                        if v < 0:
                            v = 0 - v
                        if 2 * v > 3 * t:
                            ok = 0
                        if ok == 1 and n < maxh:
                            k = n * 3
                            hits[k] = 2 * x - 2 * r4 - 2 * r3 - r2
                            hits[k + 1] = y
                            hits[k + 2] = t
                            n += 1
                cur = d
                same = 0
                if (cur ^ flip) == 1:
                    same = 255
                run = 1
            x += 1
            p += 1
        y += ystep
    return n


@micropython.viper
def _cross(img: ptr8, prm: ptr32) -> int:
    # prm: w, h, cx, cy, dx+1, dy+1, dark, maxrun ; result: prm[8]=2*offset+BIAS, prm[9]=total
    w = int(prm[0])
    h = int(prm[1])
    cx = int(prm[2])
    cy = int(prm[3])
    dx = int(prm[4]) - 1
    dy = int(prm[5]) - 1
    dark = int(prm[6])
    maxr = int(prm[7])
    if cx < 0 or cy < 0 or cx >= w or cy >= h:
        return 0
    if ((int(img[(cy * w + cx) >> 3]) >> ((cy * w + cx) & 7)) & 1) != dark:
        return 0
    # backwards: centre dark, light, dark
    c2 = 0
    c1 = 0
    c0 = 0
    x = cx
    y = cy
    while x >= 0 and y >= 0 and x < w and y < h and ((int(img[(y * w + x) >> 3]) >> ((y * w + x) & 7)) & 1) == dark and c2 <= maxr:
        c2 += 1
        x -= dx
        y -= dy
    while x >= 0 and y >= 0 and x < w and y < h and ((int(img[(y * w + x) >> 3]) >> ((y * w + x) & 7)) & 1) != dark and c1 <= maxr:
        c1 += 1
        x -= dx
        y -= dy
    while x >= 0 and y >= 0 and x < w and y < h and ((int(img[(y * w + x) >> 3]) >> ((y * w + x) & 7)) & 1) == dark and c0 <= maxr:
        c0 += 1
        x -= dx
        y -= dy
    back = c2
    x = cx + dx
    y = cy + dy
    while x >= 0 and y >= 0 and x < w and y < h and ((int(img[(y * w + x) >> 3]) >> ((y * w + x) & 7)) & 1) == dark and c2 <= maxr:
        c2 += 1
        x += dx
        y += dy
    fwd = c2 - back
    c3 = 0
    c4 = 0
    while x >= 0 and y >= 0 and x < w and y < h and ((int(img[(y * w + x) >> 3]) >> ((y * w + x) & 7)) & 1) != dark and c3 <= maxr:
        c3 += 1
        x += dx
        y += dy
    while x >= 0 and y >= 0 and x < w and y < h and ((int(img[(y * w + x) >> 3]) >> ((y * w + x) & 7)) & 1) == dark and c4 <= maxr:
        c4 += 1
        x += dx
        y += dy
    if c0 == 0 or c1 == 0 or c3 == 0 or c4 == 0:
        return 0
    if c0 > maxr or c1 > maxr or c2 > 3 * maxr or c3 > maxr or c4 > maxr:
        return 0
    t = c0 + c1 + c2 + c3 + c4
    if t < 7:
        return 0
    t2 = t  # tolerance: each side run within 1 module of the expected 1
    v = c0 * 7 - t
    if v < 0:
        v = 0 - v
    if v >= t2:
        return 0
    v = c1 * 7 - t
    if v < 0:
        v = 0 - v
    if v >= t2:
        return 0
    v = c3 * 7 - t
    if v < 0:
        v = 0 - v
    if v >= t2:
        return 0
    v = c4 * 7 - t
    if v < 0:
        v = 0 - v
    if v >= t2:
        return 0
    v = c2 * 7 - 3 * t
    if v < 0:
        v = 0 - v
    if v >= 2 * t:
        return 0
    # centre of the middle run relative to the pixel edge cx (cy), in half steps
    prm[8] = fwd - back + 2 + _BIAS
    prm[9] = t
    return 1


class Center:
    __slots__ = ("x", "y", "ms", "count")

    def __init__(self, x, y, ms):
        self.x = x
        self.y = y
        self.ms = ms
        self.count = 1

    def __repr__(self):
        return "Center(%.1f, %.1f, ms=%.2f, n=%d)" % (self.x, self.y, self.ms, self.count)


class FinderScanner:
    """Finds finder pattern centres; buffers are allocated once."""

    def __init__(self, width, height):
        self.w = width
        self.h = height
        # (2 * centre x, y, run total) per hit, 16 bits each (frames up to
        # 8192 wide): one 6 KB bytearray, no temporary copy to allocate
        self.hits = bytearray(2 * 3 * _MAX_HITS)
        self.prm = array.array("i", bytes(4 * 10))

    def cross(self, img, x, y, dx, dy, dark, maxrun):
        p = self.prm
        p[0] = self.w
        p[1] = self.h
        p[2] = int(x)
        p[3] = int(y)
        p[4] = dx + 1
        p[5] = dy + 1
        p[6] = dark
        p[7] = maxrun
        if not _cross(img, p):
            return None
        return (p[8] - _BIAS) * 0.5, p[9]

    def find(self, img, dark=1, ystep=1):
        p = self.prm
        p[0] = self.w
        p[1] = self.h
        p[2] = 0
        p[3] = ystep
        p[4] = dark
        p[5] = _MAX_HITS
        n = _scan(img, self.hits, p)
        hits = self.hits
        centers = []
        for i in range(n):
            k = 6 * i  # three little-endian 16-bit values
            hx = (hits[k] | hits[k + 1] << 8) * 0.5
            hy = hits[k + 2] | hits[k + 3] << 8
            ht = hits[k + 4] | hits[k + 5] << 8
            hms = ht / 7.0
            near = None
            for c in centers:
                if abs(c.x - hx) <= 2.5 * c.ms and abs(c.y - hy) <= 2.5 * c.ms and 0.5 * c.ms < hms < 2 * c.ms:
                    near = c
                    break
            if near is not None and near.count >= _REFINE:
                near.count += 1
                continue
            if near is None and len(centers) >= _MAX_CENTERS:
                continue
            if not self._confirm(img, hx, hy, ht, dark, centers) and near is not None:
                near.count += 1  # a row hit on a known pattern still counts
        return centers

    def _confirm(self, img, hx, hy, ht, dark, centers):
        """Cross-check a row hit; merge it into `centers`; True if confirmed."""
        maxrun = ht
        r = self.cross(img, hx, hy, 0, 1, dark, maxrun)
        if r is None:
            return False
        cy = hy + r[0]
        vt = r[1]
        r = self.cross(img, hx, cy, 1, 0, dark, maxrun)
        if r is None:
            return False
        cx = int(hx) + r[0]
        htot = r[1]
        ms = (vt + htot) / 14.0
        # refine y once more at the refined x
        r = self.cross(img, cx, cy, 0, 1, dark, maxrun)
        if r is not None:
            cy = int(cy) + r[0]
            ms = (r[1] + htot) / 14.0
        d = self.cross(img, cx, cy, 1, 1, dark, maxrun * 2)
        if d is None:
            d = self.cross(img, cx, cy, 1, -1, dark, maxrun * 2)
            if d is None:
                return False
        merged = False
        for c in centers:
            if abs(c.x - cx) <= 2.5 * c.ms and abs(c.y - cy) <= 2.5 * c.ms:
                k = c.count
                c.x = (c.x * k + cx) / (k + 1)
                c.y = (c.y * k + cy) / (k + 1)
                c.ms = (c.ms * k + ms) / (k + 1)
                c.count = k + 1
                merged = True
                break
        if not merged:
            if len(centers) >= _MAX_CENTERS:
                return False
            centers.append(Center(cx, cy, ms))
        return True
