"""Simulated LCD panel: decodes the MIPI-DCS byte stream into an image, PNG.

`make_lcd(width, height, png_dir)` builds the real driver (board/drivers
st7789 or ili9341) on a simulated SPI bus (simspi) with simulated DC/CS/RST
pins (simpins). The `Panel` here is the controller: it interprets SWRESET,
SLPIN/SLPOUT, INVON/INVOFF, DISPON/DISPOFF, COLMOD, MADCTL, CASET, RASET and
RAMWR/RAMWRC into its GRAM, the way the chip does (MADCTL MV/MX/MY addressing,
BGR and inversion, 16-bit pixels only), and renders what a person would see:
black while asleep or off, inverted colours if an IPS panel misses INVON.
Every `show()` of such an LCD also writes the next PNG (scan-0001.png ...)
into png_dir. PNGs use stored deflate blocks (this port has no compressor), written row
by row so the simulator needs no image-sized buffer besides the GRAM.
"""

import binascii
import struct
import time
from array import array

import micropython
from micropython import const

import simpins
import simspi

_RAMWR = const(0x2C)
_RAMWRC = const(0x3C)
_BLOCK = const(65535)


@micropython.viper
def _stream(gram: ptr8, data: ptr8, n: int, st: ptr32):
    # st: col, row, xs, xe, ys, ye, flags (1 MV, 2 MX, 4 MY), w0, h0
    col = st[0]
    row = st[1]
    xs = st[2]
    xe = st[3]
    ys = st[4]
    ye = st[5]
    fl = st[6]
    w0 = st[7]
    h0 = st[8]
    i = 0
    while i + 1 < n:
        if fl & 1:
            px = row
            py = col
        else:
            px = col
            py = row
        if fl & 2:
            px = w0 - 1 - px
        if fl & 4:
            py = h0 - 1 - py
        if px >= 0 and px < w0 and py >= 0 and py < h0:
            o = (py * w0 + px) * 2
            gram[o] = data[i]
            gram[o + 1] = data[i + 1]
        i += 2
        col += 1
        if col > xe:
            col = xs
            row += 1
            if row > ye:
                row = ys
    st[0] = col
    st[1] = row


@micropython.viper
def _scanline(gram: ptr8, out: ptr8, w0: int, h0: int, fl: int, vy: int):
    # one viewed row into out: filter byte 0, then RGB888.
    # fl: 1 landscape view, 2 invert, 4 swap red/blue, 8 dark
    vw = h0 if fl & 1 else w0
    out[0] = 0
    o = 1
    vx = 0
    while vx < vw:
        if fl & 1:
            px = w0 - 1 - vy
            py = vx
        else:
            px = vx
            py = vy
        g = (py * w0 + px) * 2
        v = (gram[g] << 8) | gram[g + 1]
        if fl & 2:
            v = v ^ 0xFFFF
        r = (v >> 11) & 31
        gg = (v >> 5) & 63
        b = v & 31
        if fl & 4:
            t = r
            r = b
            b = t
        if fl & 8:
            r = 0
            gg = 0
            b = 0
        out[o] = (r << 3) | (r >> 2)
        out[o + 1] = (gg << 2) | (gg >> 4)
        out[o + 2] = (b << 3) | (b >> 2)
        o += 3
        vx += 1


@micropython.viper
def _adler(buf: ptr8, n: int, st: ptr32):
    a = st[0]
    b = st[1]
    i = 0
    while i < n:
        a += buf[i]
        if a >= 65521:
            a -= 65521
        b += a
        if b >= 65521:
            b -= 65521
        i += 1
    st[0] = a
    st[1] = b


def _chunk(f, kind, data=b""):
    f.write(struct.pack(">I", len(data)))
    f.write(kind)
    f.write(data)
    f.write(struct.pack(">I", binascii.crc32(data, binascii.crc32(kind)) & 0xFFFFFFFF))


def write_png(path, width, height, row_fn, row):
    """Write a PNG (8-bit RGB) row by row: `row_fn(y, row)` fills `row`
    (filter byte 0 + 3*width bytes). The zlib stream has one stored block
    per row, so only one row is ever in RAM."""
    n = len(row)
    size = 2 + height * (5 + n) + 4
    ad = array("I", (1, 0))
    head = bytearray(5)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        _chunk(f, b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        f.write(struct.pack(">I", size))
        crc = binascii.crc32(b"IDAT")
        f.write(b"IDAT")
        crc = binascii.crc32(b"\x78\x01", crc)
        f.write(b"\x78\x01")
        for y in range(height):
            row_fn(y, row)
            _adler(row, n, ad)
            struct.pack_into("<BHH", head, 0, 1 if y == height - 1 else 0, n, n ^ 0xFFFF)
            crc = binascii.crc32(row, binascii.crc32(head, crc))
            f.write(head)
            f.write(row)
        tail = struct.pack(">I", (ad[1] << 16) | ad[0])
        crc = binascii.crc32(tail, crc)
        f.write(tail)
        f.write(struct.pack(">I", crc & 0xFFFFFFFF))
        _chunk(f, b"IEND")


class Panel:
    """A MIPI-DCS controller with its GRAM (native portrait w0 x h0)."""

    def __init__(self, w0, h0, controller="st7789", landscape=False):
        self.w0 = w0
        self.h0 = h0
        self.landscape = landscape
        self.gram = bytearray(w0 * h0 * 2)
        self._row = bytearray(1 + 3 * (h0 if landscape else w0))
        ili = controller == "ili9341"
        self._native_mx = ili
        self._native_bgr = ili
        self._native_inv = not ili
        self._st = array("i", [0] * 9)
        self._args = bytearray(16)
        self._nargs = 0
        self._half = bytearray(2)
        self._has_half = False
        self.cmd = -1
        self.bad_pixels = 0
        self.commands = 0
        self._reset()

    def _reset(self):
        self.madctl = 0
        self.colmod = 0x66
        self.inverted = False
        self.awake = False
        self.on = False
        st = self._st
        st[2], st[3], st[4], st[5] = 0, self.w0 - 1, 0, self.h0 - 1

    def rx(self, data, dc):
        if not dc:
            for b in data:
                self._command(b)
            return
        if self.cmd == _RAMWR or self.cmd == _RAMWRC:
            self._pixels(data)
            return
        for b in data:
            if self._nargs < len(self._args):
                self._args[self._nargs] = b
                self._nargs += 1
        self._apply()

    def _command(self, c):
        self.commands += 1
        self.cmd = c
        self._nargs = 0
        self._has_half = False
        if c == 0x01:
            self._reset()
        elif c == 0x10:
            self.awake = False
        elif c == 0x11:
            self.awake = True
        elif c == 0x20:
            self.inverted = False
        elif c == 0x21:
            self.inverted = True
        elif c == 0x28:
            self.on = False
        elif c == 0x29:
            self.on = True
        elif c == _RAMWR:
            st = self._st
            st[0] = st[2]
            st[1] = st[4]

    def _apply(self):
        a = self._args
        c = self.cmd
        st = self._st
        if c == 0x2A and self._nargs == 4:
            st[2] = (a[0] << 8) | a[1]
            st[3] = (a[2] << 8) | a[3]
        elif c == 0x2B and self._nargs == 4:
            st[4] = (a[0] << 8) | a[1]
            st[5] = (a[2] << 8) | a[3]
        elif c == 0x36 and self._nargs == 1:
            self.madctl = a[0]
        elif c == 0x3A and self._nargs == 1:
            self.colmod = a[0]

    def _pixels(self, data):
        n = len(data)
        if self.colmod & 0x0F != 0x05:
            self.bad_pixels += n
            return
        st = self._st
        m = self.madctl
        mx = 1 if m & 0x40 else 0
        st[6] = (1 if m & 0x20 else 0) | ((mx ^ self._native_mx) << 1) | (4 if m & 0x80 else 0)
        st[7] = self.w0
        st[8] = self.h0
        mv = memoryview(data)
        if self._has_half:
            self._half[1] = data[0]
            _stream(self.gram, self._half, 2, st)
            mv = mv[1:]
            n -= 1
            self._has_half = False
        if n & 1:
            self._half[0] = mv[n - 1]
            self._has_half = True
            n -= 1
        _stream(self.gram, mv, n, st)

    def size(self):
        return (self.h0, self.w0) if self.landscape else (self.w0, self.h0)

    def _flags(self):
        fl = 1 if self.landscape else 0
        if self.inverted != self._native_inv:
            fl |= 2
        if bool(self.madctl & 0x08) != self._native_bgr:
            fl |= 4
        if not (self.awake and self.on):
            fl |= 8
        return fl

    def row(self, y, out):
        """Viewed row y as PNG scanline bytes (filter 0 + RGB888) into out."""
        _scanline(self.gram, out, self.w0, self.h0, self._flags(), y)

    def pixel(self, x, y):
        """Visible (r, g, b) at view coordinates (x, y)."""
        r = self._row
        self.row(y, r)
        return (r[1 + 3 * x], r[2 + 3 * x], r[3 + 3 * x])

    def write_png(self, path):
        w, h = self.size()
        write_png(path, w, h, self.row, self._row)


class SimDisplay:
    """What make_lcd attaches to the driver as `.sim`."""

    def __init__(self, panel, spi, png_dir=None, prefix="scan-"):
        self.panel = panel
        self.spi = spi
        self.png_dir = png_dir
        self.prefix = prefix
        self.frames = 0
        self.last_png = None
        self.png_us = 0

    def snapshot(self):
        self.frames += 1
        if not self.png_dir:
            return None
        t0 = time.ticks_us()
        path = "%s/%s%04d.png" % (self.png_dir, self.prefix, self.frames)
        self.panel.write_png(path)
        self.last_png = path
        self.png_us += time.ticks_diff(time.ticks_us(), t0)
        return path


def make_lcd(width=240, height=240, png_dir=None, controller="st7789",
             baudrate=40_000_000, prefix="scan-", record=False, clock=None):
    """A real LCD driver on the simulated bus; every show() writes a PNG
    into png_dir (if given). `.sim` is a SimDisplay (panel, spi, last_png)."""
    if controller == "st7789":
        from st7789 import ST7789 as cls
    elif controller == "ili9341":
        from ili9341 import ILI9341 as cls
    else:
        raise ValueError("unknown LCD controller %r" % (controller,))
    landscape = width > height
    w0, h0 = (height, width) if landscape else (width, height)
    clock = clock or simpins.Clock()
    spi = simspi.SimSpi(baudrate, record=record)
    dc = simpins.Pin("dc", 0, clock)
    cs = simpins.Pin("cs", 1, clock)
    rst = simpins.Pin("rst", 1, clock)
    panel = Panel(w0, h0, controller, landscape)
    spi.attach(panel, cs=cs, dc=dc)
    rst.listeners.append(lambda pin, v: panel._reset() if not v else None)
    lcd = cls(spi, dc, cs=cs, rst=rst, width=width, height=height,
              rotation=1 if landscape else 0, sleep_ms=clock.sleep_ms)
    sim = SimDisplay(panel, spi, png_dir, prefix)
    raw_show = lcd.show

    def show(y0=0, y1=None):
        raw_show(y0, y1)
        sim.snapshot()

    lcd.show = show
    lcd.sim = sim
    return lcd
