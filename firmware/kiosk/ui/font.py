"""Bitmap fonts for the screens, read glyph by glyph from a KFNT file.

The file (built by `kioskctl fonts build`, format in docs/ui.md) stays on
flash: a font keeps only the small block index of each strike in RAM (two
bytes per 64 glyphs) and a fixed cache of glyph records per strike, so a
glyph costs one block read and one record read (seek + readinto) when it is
not cached. Characters missing from the file (rare name characters outside
GB2312, code points above U+FFFF) are drawn as a box holding the code point
in hex, never an error. `BuiltinFont` draws ASCII with framebuf's 8x8 font
when no font file can be used, so the kiosk can still say what is wrong.
"""

import framebuf
import struct
from array import array
from micropython import const

_BLOCK = const(64)
_MAX_STRIKES = const(8)
_MAX_CELL = const(64)
_HDR = "<4sBBH"
_STRIKE = "<BBBBHHIIIHH"
_STRIKE_SIZE = const(24)

# 3x5 hex digits for the fallback glyph, one 15-bit row-major mask each.
_HEX = (
    0x7B6F, 0x2C97, 0x73E7, 0x72CF, 0x5BC9, 0x79CF, 0x79EF, 0x7249,
    0x7BEF, 0x7BCF, 0x7BED, 0x6BAE, 0x7927, 0x6B6E, 0x79A7, 0x79A4,
)


class UiError(Exception):
    """The screen cannot be drawn as asked (bad font file, bad argument)."""


def _hexglyph(fb, cp, x, y, cell_w, cell_h, fg):
    """Draw the fallback glyph: a box with the code point in hex."""
    digits = 4 if cp <= 0xFFFF else 6
    cols = digits // 2
    scale = max(1, (cell_h - 2) // 11)
    if cols * 4 * scale + 3 > cell_w:
        scale = max(1, (cell_w - 3) // (cols * 4))
    fb.rect(x, y, cell_w - 1, cell_h, fg)
    w = cols * 4 * scale - scale
    h = 11 * scale
    ox = x + (cell_w - 1 - w) // 2
    oy = y + (cell_h - h) // 2
    for i in range(digits):
        d = (cp >> (4 * (digits - 1 - i))) & 0xF
        m = _HEX[d]
        gx = ox + (i % cols) * 4 * scale
        gy = oy + (i // cols) * 6 * scale
        for bit in range(15):
            if m & (0x4000 >> bit):
                fb.fill_rect(gx + (bit % 3) * scale, gy + (bit // 3) * scale, scale, scale, fg)


class Strike:
    """One size of the font: block index in RAM, glyph records on flash."""

    def __init__(self, f, fsize, fields, slots):
        size, height, width, stride, recsize, n, t_off, g_off, b_off, nb, _ = fields
        if not (0 < height <= _MAX_CELL and 0 < width <= _MAX_CELL and 0 < size <= _MAX_CELL):
            raise UiError("font strike %d has a bad cell %dx%d" % (size, width, height))
        if stride != (width + 7) // 8 or recsize != 1 + stride * height:
            raise UiError("font strike %d has a bad record size" % size)
        if n == 0 or nb != (n + _BLOCK - 1) // _BLOCK:
            raise UiError("font strike %d has a bad glyph count" % size)
        if t_off + 2 * n > fsize or b_off + 2 * nb > fsize or g_off + recsize * n > fsize:
            raise UiError("font file is truncated (strike %d)" % size)
        self.size = size
        self.height = height
        self.width = width
        self._f = f
        self._n = n
        self._t_off = t_off
        self._g_off = g_off
        self._recsize = recsize
        self.blocks = array("H", bytes(2 * nb))
        f.seek(b_off)
        f.readinto(self.blocks)
        self._tab = array("H", bytes(2 * _BLOCK))
        self._tab_block = -1
        self._bufs = []
        self._fbs = []
        for _ in range(slots):
            b = bytearray(recsize)
            self._bufs.append(b)
            self._fbs.append(framebuf.FrameBuffer(memoryview(b)[1:], stride * 8, height, framebuf.MONO_HLSB))
        self._keys = [-1] * slots
        self._map = {}
        self._next = 0
        self.reads = 0
        self.errors = 0

    def find(self, cp):
        """Index of code point `cp` in the strike, or -1."""
        blocks = self.blocks
        lo, hi = 0, len(blocks) - 1
        if cp > 0xFFFF or cp < blocks[0]:
            return -1
        while lo < hi:
            mid = (lo + hi + 1) >> 1
            if blocks[mid] <= cp:
                lo = mid
            else:
                hi = mid - 1
        first = lo * _BLOCK
        count = min(_BLOCK, self._n - first)
        tab = self._tab
        if self._tab_block != lo:  # the last block read stays in RAM
            self._tab_block = -1
            self.reads += 1
            try:
                f = self._f
                f.seek(self._t_off + 2 * first)
                if f.readinto(tab) < 2 * count:
                    raise OSError(5)
            except OSError:
                self.errors += 1  # flash trouble: draw the fallback glyph
                return -1
            self._tab_block = lo
        lo, hi = 0, count - 1
        while lo <= hi:
            mid = (lo + hi) >> 1
            v = tab[mid]
            if v == cp:
                return first + mid
            if v < cp:
                lo = mid + 1
            else:
                hi = mid - 1
        return -1

    def slot(self, cp):
        """Cache slot holding glyph `cp` (reading it if needed), or -1 if
        the font lacks it or flash cannot be read (counted in `errors`)."""
        s = self._map.get(cp)
        if s is not None:
            return s
        i = self.find(cp)
        if i < 0:
            return -1
        s = self._next
        self._next = (s + 1) % len(self._bufs)
        old = self._keys[s]
        if old >= 0:
            del self._map[old]
        self.reads += 1
        try:
            f = self._f
            f.seek(self._g_off + i * self._recsize)
            ok = f.readinto(self._bufs[s]) == self._recsize
        except OSError:
            ok = False
        if not ok:
            self.errors += 1
            self._keys[s] = -1
            return -1
        self._keys[s] = cp
        self._map[cp] = s
        return s

    def advance(self, ch):
        cp = ord(ch)
        s = self.slot(cp)
        if s < 0:
            return self.width
        return self._bufs[s][0]

    def draw_char(self, fb, ch, x, y, fg, pal):
        cp = ord(ch)
        s = self.slot(cp)
        if s < 0:
            _hexglyph(fb, cp, x, y, self.width, self.height, fg)
            return self.width
        fb.blit(self._fbs[s], x, y, pal.pixel(0, 0), pal)
        return self._bufs[s][0]


class _Sizes:
    """A font's strikes, smallest first."""

    def strike(self, size):
        """The largest strike not above `size` (the smallest if none)."""
        best = self.strikes[0]
        for s in self.strikes:
            if s.size <= size:
                best = s
        return best


class Font(_Sizes):
    """A KFNT file opened for reading. `sizes` lists its strikes' sizes."""

    def __init__(self, path, cache=(24, 16, 8)):
        try:
            f = open(path, "rb")
        except OSError:
            raise UiError("font file %s not found" % path)
        self._f = f
        try:
            hdr = f.read(8)
            if len(hdr) != 8:
                raise UiError("not a KFNT font file (too short)")
            magic, ver, nst, _ = struct.unpack(_HDR, hdr)
            if magic != b"KFNT":
                raise UiError("not a KFNT font file")
            if ver != 1:
                raise UiError("font file version %d not supported" % ver)
            if not 0 < nst <= _MAX_STRIKES:
                raise UiError("font file has %d strikes" % nst)
            fsize = f.seek(0, 2)
            f.seek(8)
            heads = f.read(_STRIKE_SIZE * nst)
            if len(heads) != _STRIKE_SIZE * nst:
                raise UiError("font file is truncated")
            self.strikes = []
            for i in range(nst):
                fields = struct.unpack_from(_STRIKE, heads, i * _STRIKE_SIZE)
                slots = cache[min(i, len(cache) - 1)]
                self.strikes.append(Strike(f, fsize, fields, slots))
        except Exception:
            f.close()
            raise
        self.strikes.sort(key=lambda s: s.size)
        self.sizes = [s.size for s in self.strikes]

    def has(self, size, ch):
        return self.strike(size).find(ord(ch)) >= 0

    def close(self):
        self._f.close()


class BuiltinStrike:
    """framebuf's 8x8 ASCII font scaled by an integer; hex boxes otherwise."""

    def __init__(self, scale):
        self.size = 8 * scale
        self.height = 8 * scale + scale
        self.width = 8 * scale
        self._scale = scale
        self._buf = bytearray(8)
        self._fb = framebuf.FrameBuffer(self._buf, 8, 8, framebuf.MONO_HLSB)

    def advance(self, ch):
        return self.width

    def draw_char(self, fb, ch, x, y, fg, pal):
        cp = ord(ch)
        if not 0x20 <= cp < 0x7F:
            _hexglyph(fb, cp, x, y, self.width, self.height, fg)
            return self.width
        s = self._scale
        g = self._fb
        g.fill(0)
        g.text(ch, 0, 0, 1)
        for py in range(8):
            for px in range(8):
                if g.pixel(px, py):
                    fb.fill_rect(x + px * s, y + py * s, s, s, fg)
        return self.width


class BuiltinFont(_Sizes):
    def __init__(self):
        self.strikes = [BuiltinStrike(1), BuiltinStrike(2), BuiltinStrike(3), BuiltinStrike(5)]
        self.sizes = [s.size for s in self.strikes]

    def has(self, size, ch):
        return 0x20 <= ord(ch) < 0x7F

    def close(self):
        pass
