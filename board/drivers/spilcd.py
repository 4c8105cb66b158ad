"""SPI RGB565 LCD base for MIPI-DCS controllers (ST7789, ILI9341).

A driver takes its bus and pins as arguments (a `machine.SPI`-like object
with `write(buf)`, and callable pins: `pin(0)` / `pin(1)`), owns a full-frame
RGB565 `framebuf.FrameBuffer` as `fb`, and sends it with `show()`:
CASET, RASET, RAMWR, then the pixel bytes. The frame buffer holds pixels in
the panel's byte order (big-endian RGB565), so `show()` sends it unchanged;
draw with colours from `color(r, g, b)`, which does the byte swap once.
"""

import framebuf
import sys
import time
from micropython import const

_SWRESET = const(0x01)
_CASET = const(0x2A)
_RASET = const(0x2B)
_RAMWR = const(0x2C)

MADCTL_MY = const(0x80)
MADCTL_MX = const(0x40)
MADCTL_MV = const(0x20)
MADCTL_BGR = const(0x08)

_LITTLE = sys.byteorder == "little"


def color(r, g, b):
    """RGB888 -> the 16-bit value whose bytes in the frame buffer are the
    panel's big-endian RGB565."""
    c = ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)
    if _LITTLE:
        c = ((c & 0xFF) << 8) | (c >> 8)
    return c


class SpiLcd:
    """Subclasses set INIT, a tuple of (command, data bytes, delay ms), and
    MADCTL, the memory access byte for rotations 0..3."""

    INIT = ()
    MADCTL = (0, 0, 0, 0)

    def __init__(self, spi, dc, cs=None, rst=None, width=240, height=240, rotation=0,
                 x_off=0, y_off=0, buf=None, sleep_ms=None, chunk=0):
        if not 0 < width <= 480 or not 0 < height <= 480:
            raise ValueError("bad LCD size %dx%d" % (width, height))
        if rotation not in (0, 1, 2, 3):
            raise ValueError("rotation must be 0..3")
        self.spi = spi
        self.dc = dc
        self.cs = cs
        self.rst = rst
        self.width = width
        self.height = height
        self.rotation = rotation
        self._xo = x_off
        self._yo = y_off
        n = width * height * 2
        if buf is None:
            buf = bytearray(n)
        elif len(buf) < n:
            raise ValueError("frame buffer too small")
        self.buf = buf
        self._mv = memoryview(buf)[:n]
        self.fb = framebuf.FrameBuffer(buf, width, height, framebuf.RGB565)
        self._sleep = sleep_ms or time.sleep_ms
        self._chunk = chunk
        self._c = bytearray(1)
        self._a4 = bytearray(4)
        self._a1 = bytearray(1)
        self.color = color
        if cs is not None:
            cs(1)
        self.init()

    def command(self, cmd, data=None):
        """Send one command byte (DC low) and its data bytes (DC high)."""
        cs = self.cs
        if cs is not None:
            cs(0)
        self.dc(0)
        self._c[0] = cmd
        self.spi.write(self._c)
        if data:
            self.dc(1)
            self.spi.write(data)
        if cs is not None:
            cs(1)

    def init(self):
        rst = self.rst
        if rst is not None:
            rst(1)
            self._sleep(5)
            rst(0)
            self._sleep(10)
            rst(1)
            self._sleep(120)
        else:
            self.command(_SWRESET)
            self._sleep(150)
        for cmd, data, ms in self.INIT:
            self.command(cmd, data)
            if ms:
                self._sleep(ms)
        self.set_rotation(self.rotation)

    def set_rotation(self, rotation):
        self._a1[0] = self.MADCTL[rotation]
        self.command(0x36, self._a1)
        self.rotation = rotation

    def _range(self, cmd, lo, hi):
        """CASET / RASET: first and last column (row) as two big-endian 16-bit values."""
        a = self._a4
        a[0] = lo >> 8
        a[1] = lo & 0xFF
        a[2] = hi >> 8
        a[3] = hi & 0xFF
        self.command(cmd, a)

    def _window(self, x0, y0, x1, y1):
        self._range(_CASET, x0 + self._xo, x1 + self._xo)
        self._range(_RASET, y0 + self._yo, y1 + self._yo)

    def show(self, y0=0, y1=None):
        """Send rows y0..y1-1 (default the whole frame) to the panel."""
        if y1 is None or y1 > self.height:
            y1 = self.height
        if y0 < 0:
            y0 = 0
        if y0 >= y1:
            return
        self._window(0, y0, self.width - 1, y1 - 1)
        cs = self.cs
        if cs is not None:
            cs(0)
        self.dc(0)
        self._c[0] = _RAMWR
        self.spi.write(self._c)
        self.dc(1)
        if y0 == 0 and y1 == self.height and not self._chunk:
            self.spi.write(self._mv)  # the whole frame: no allocation
        else:
            row = self.width * 2
            mv = self._mv[y0 * row:y1 * row]
            step = self._chunk or len(mv)
            for i in range(0, len(mv), step):
                self.spi.write(mv[i:i + step])
        if cs is not None:
            cs(1)

    def sleep(self, on):
        self.command(0x10 if on else 0x11)
        self._sleep(120)

    def power(self, on):
        self.command(0x29 if on else 0x28)
