"""Recorder for MicroPython's `machine` on the unix port (tests/boards only).

The lowest level of the hardware: pins, buses and timers record what the
drivers do with them (`LOG`, and each object's own `events`) and play back
what a test attached (I2C devices, UART bytes). Nothing above it is replaced.
"""

LOG = []
_PINS = {}
_MAX = 20000
WDT_RESET = 3
PWRON_RESET = 1
_cause = [PWRON_RESET]


def log(*item):
    if len(LOG) < _MAX:
        LOG.append(item)


def used_pins():
    return dict(_PINS)


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1
    levels = {}  # gpio -> level an input reads (a test "holds a button")

    def __init__(self, id, mode=-1, pull=None, value=None):
        if not isinstance(id, int) or not 0 <= id <= 48:
            raise ValueError("invalid pin %r" % (id,))
        self.id = id
        self.mode = mode
        self._v = 0 if value is None else value
        _PINS[id] = mode
        log("pin", id, mode, value)

    def value(self, v=None):
        if v is None:
            if self.mode == Pin.IN:
                return Pin.levels.get(self.id, 1)
            return self._v
        self._v = 1 if v else 0
        log("pin=", self.id, self._v)

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class SPI:
    def __init__(self, id, baudrate=1000000, sck=None, mosi=None, miso=None, **kw):
        self.id = id
        self.baudrate = baudrate
        self.bytes = 0
        self.writes = 0
        log("spi", id, baudrate, sck and sck.id, mosi and mosi.id)

    def write(self, buf):
        self.bytes += len(buf)
        self.writes += 1


class I2C:
    devices = {}  # addr -> object with read(reg, n) -> bytes (a recorded device)

    def __init__(self, id, scl=None, sda=None, freq=400000):
        self.freq = freq
        log("i2c", id, sda and sda.id, scl and scl.id, freq)

    def scan(self):
        return sorted(I2C.devices)

    def readfrom_mem_into(self, addr, reg, buf):
        dev = I2C.devices.get(addr)
        if dev is None:
            raise OSError(19)  # ENODEV: no ACK
        data = dev.read(reg, len(buf))
        for i in range(len(buf)):
            buf[i] = data[i]


SoftI2C = I2C


class PWM:
    def __init__(self, pin, freq=1000, duty_u16=0):
        self.pin = pin
        self._f = freq
        self._d = duty_u16
        self.events = []
        log("pwm", pin.id, freq, duty_u16)

    def freq(self, f=None):
        if f is None:
            return self._f
        self._f = f

    def duty_u16(self, d=None):
        if d is None:
            return self._d
        self._d = d
        self.events.append((self._f, d))

    def deinit(self):
        self._d = 0


class UART:
    rx = {}  # uart id -> bytearray the module "sends"

    def __init__(self, id, baudrate=115200, tx=None, rx=None, timeout=0, **kw):
        self.id = id
        log("uart", id, baudrate, tx, rx)

    def read(self, n=-1):
        q = UART.rx.get(self.id)
        if not q:
            return None
        n = len(q) if n < 0 else min(n, len(q))
        out = bytes(q[:n])
        UART.rx[self.id] = q[n:]
        return out

    def any(self):
        return len(UART.rx.get(self.id) or b"")

    def write(self, b):
        return len(b)


class WDT:
    started = []  # every WDT made: a test reads `feeds`

    def __init__(self, id=0, timeout=5000):
        if not 1 <= timeout <= 0x7FFFFFFF:
            raise ValueError("timeout")
        self.timeout = timeout
        self.feeds = 0
        WDT.started.append(self)
        log("wdt", timeout)

    def feed(self):
        self.feeds += 1


class RTC:
    def datetime(self, dt=None):
        if dt is not None:
            log("rtc", tuple(dt))
        return dt


def bitstream(pin, encoding, timing, buf):
    log("bitstream", pin.id, encoding, tuple(timing), bytes(buf))


def reset_cause():
    return _cause[0]


def reset():
    log("reset")
    raise SystemExit("machine.reset")


def freq(f=None):
    return 240000000


def unique_id():
    return b"\x01\x02\x03\x04\x05\x06"
