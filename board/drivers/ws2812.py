"""WS2812 (NeoPixel) status LED(s), driven with `machine.bitstream`.

    led = WS2812(Pin(48, Pin.OUT), n=1)
    led.show("GREEN")

Each pixel is sent as three bytes in G, R, B order at 800 kHz. The bit
writer is an argument (default `machine.bitstream`) so a board can route it
elsewhere; it is called as `write(pin, 0, timing, buf)`.
"""

from micropython import const

# 800 kHz timing in ns: (high for 0, low for 0, high for 1, low for 1)
TIMING = (400, 850, 800, 450)
_MAX_PIXELS = const(256)

# Colour names of the Board LED interface -> (r, g, b)
COLOURS = {
    "GREEN": (0, 160, 0),
    "YELLOW": (160, 110, 0),
    "RED": (180, 0, 0),
    "BLUE": (0, 0, 170),
    "WHITE": (120, 120, 120),
    "OFF": (0, 0, 0),
}


class WS2812:
    def __init__(self, pin, n=1, write=None, brightness=255):
        if not 0 < n <= _MAX_PIXELS:
            raise ValueError("pixel count must be 1..%d" % _MAX_PIXELS)
        if write is None:
            import machine

            write = machine.bitstream
        self.pin = pin
        self.n = n
        self.buf = bytearray(3 * n)
        self._write = write
        self.brightness = max(0, min(255, brightness))

    def fill(self, r, g, b):
        k = self.brightness
        buf = self.buf
        g = g * k // 255
        r = r * k // 255
        b = b * k // 255
        for i in range(0, len(buf), 3):
            buf[i] = g
            buf[i + 1] = r
            buf[i + 2] = b

    def write(self):
        self._write(self.pin, 0, TIMING, self.buf)

    def show(self, colour):
        """Light every pixel in a named colour ("GREEN", ..., "OFF")."""
        rgb = COLOURS.get(colour)
        if rgb is None:
            raise ValueError("unknown LED colour %r" % (colour,))
        self.fill(*rgb)
        self.write()
