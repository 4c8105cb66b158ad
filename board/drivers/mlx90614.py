"""MLX90614 infrared thermometer on I2C (SMBus, address 0x5A), aimed at the
person scanning: `read()` -> object temperature in degrees C, or None.

    t = MLX90614(I2C(0, sda=Pin(5), scl=Pin(6), freq=100_000))
    t.read()   # 36.4

Each reading is three bytes (low, high, PEC): the PEC (CRC-8, polynomial
0x07, over the address/command bytes and the data) is checked, and the
error flag (bit 15) and out-of-range values give None, so a glitch on the
bus never reads as a fever (or as its absence).
"""

from micropython import const

ADDR = const(0x5A)
_TOBJ1 = const(0x07)
_MIN_C = -40.0
_MAX_C = 125.0


def crc8(data, crc=0):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


class MLX90614:
    def __init__(self, i2c, addr=ADDR):
        self.i2c = i2c
        self.addr = addr
        self.errors = 0
        self._buf = bytearray(3)

    def raw(self, reg=_TOBJ1):
        """The 16-bit register value, or None on a bus error or bad PEC."""
        b = self._buf
        try:
            self.i2c.readfrom_mem_into(self.addr, reg, b)
        except OSError:
            self.errors += 1
            return None
        a = self.addr << 1
        if crc8(bytes((a, reg, a | 1, b[0], b[1]))) != b[2]:
            self.errors += 1
            return None
        return b[0] | (b[1] << 8)

    def read(self):
        v = self.raw()
        if v is None or v & 0x8000:
            return None
        c = v * 0.02 - 273.15
        return c if _MIN_C <= c <= _MAX_C else None
