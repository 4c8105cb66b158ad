"""Simulated pins, PWM and bit writer: the lowest level of the sim hardware.

Real drivers (board/drivers) run on these unchanged; everything they do is
recorded with a virtual time in ms (a `Clock` that `sleep_ms` advances
instead of sleeping), so tests read back exactly what a device would see.

    led = make_led()            # WS2812 on a simulated pin
    led.show("GREEN"); led.sim.events  -> [(t_ms, b"\\xa0\\x00\\x00")]
    bz = make_buzzer()          # Buzzer on a simulated PWM
    bz.play([(2000, 120)]); bz.sim.events -> [(0, 2000, 32768), (120, 2000, 0)]
"""

_MAX_EVENTS = 4096


class Clock:
    """Virtual milliseconds; `sleep_ms` advances it without waiting."""

    def __init__(self):
        self.now_ms = 0

    def sleep_ms(self, ms):
        if ms > 0:
            self.now_ms += ms


def _log(events, item):
    if len(events) >= _MAX_EVENTS:
        del events[0]
    events.append(item)


class Pin:
    """Output pin: `pin(v)`, `pin.value(v)`, `on()`, `off()`; records changes."""

    def __init__(self, name="", value=0, clock=None):
        self.name = name
        self._v = value
        self.clock = clock
        self.events = []
        self.listeners = []

    def value(self, v=None):
        if v is None:
            return self._v
        v = 1 if v else 0
        if v != self._v:
            self._v = v
            _log(self.events, (self.clock.now_ms if self.clock else 0, v))
            for fn in self.listeners:
                fn(self, v)
        return None

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class PWM:
    """PWM output with `freq()` and `duty_u16()`; records (t_ms, freq, duty)."""

    def __init__(self, clock=None):
        self.clock = clock or Clock()
        self._f = 1000
        self._d = 0
        self.events = []

    def _rec(self):
        ev = (self.clock.now_ms, self._f, self._d)
        if self.events and self.events[-1] == ev:
            return
        _log(self.events, ev)

    def freq(self, f=None):
        if f is None:
            return self._f
        self._f = int(f)
        if self._d:
            self._rec()

    def duty_u16(self, d=None):
        if d is None:
            return self._d
        d = int(d)
        if d != self._d:
            self._d = d
            self._rec()

    def deinit(self):
        self.duty_u16(0)

    def tones(self):
        """The sound as [(freq_hz, ms)] steps, rests as freq 0."""
        out = []
        ev = self.events
        for i in range(len(ev)):
            t, f, d = ev[i]
            end = ev[i + 1][0] if i + 1 < len(ev) else t
            if end > t:
                out.append((f if d else 0, end - t))
        return out


class Bitstream:
    """Stands in for `machine.bitstream(pin, encoding, timing, buf)`:
    records the bytes sent and the pixel colours they set."""

    def __init__(self, clock=None):
        self.clock = clock or Clock()
        self.events = []
        self.timing = None

    def __call__(self, pin, encoding, timing, buf):
        if encoding != 0 or len(timing) != 4:
            raise ValueError("bitstream: unsupported encoding/timing")
        self.timing = tuple(timing)
        _log(self.events, (self.clock.now_ms, bytes(buf)))

    def rgb(self, i=0):
        """Colour of WS2812 pixel i after the last write, as (r, g, b)."""
        b = self.events[-1][1]
        return (b[3 * i + 1], b[3 * i], b[3 * i + 2])


def make_led(kind="ws2812", n=1, clock=None):
    """A status LED driver on simulated hardware; `.sim` is the recorder
    (Bitstream for WS2812, the (r, g, b) Pins for a GPIO RGB LED)."""
    clock = clock or Clock()
    if kind == "ws2812":
        from ws2812 import WS2812

        sink = Bitstream(clock)
        led = WS2812(Pin("led", 0, clock), n=n, write=sink)
        led.sim = sink
        return led
    if kind == "rgb":
        from rgbled import RgbLed

        pins = (Pin("r", 0, clock), Pin("g", 0, clock), Pin("b", 0, clock))
        led = RgbLed(*pins)
        led.sim = pins
        return led
    raise ValueError("unknown LED kind %r" % (kind,))


def make_buzzer(clock=None):
    """A Buzzer on a simulated PWM; virtual time, so play() returns at once.
    `.sim` is the PWM recorder (`events`, `tones()`)."""
    from buzzer import Buzzer

    clock = clock or Clock()
    pwm = PWM(clock)
    bz = Buzzer(pwm, sleep_ms=clock.sleep_ms)
    bz.sim = pwm
    return bz
