"""PWM buzzer playing short tone patterns.

    bz = Buzzer(PWM(Pin(21)))
    bz.play([(2000, 120)])            # blocking
    await bz.aplay([(1400, 150), (0, 80), (1400, 150)])

A pattern is a list of (freq_hz, ms) steps; freq 0 is a rest. Patterns are
bounded (at most 16 steps, 2 s per step, 20 Hz..20 kHz) and checked before
any sound is made. The PWM object needs `freq(hz)` and `duty_u16(d)`.
"""

import time
from micropython import const

_MAX_STEPS = const(16)
_MAX_MS = const(2000)


def check(pattern):
    """Raise ValueError unless `pattern` is a valid, bounded tone pattern."""
    if not isinstance(pattern, (list, tuple)) or len(pattern) > _MAX_STEPS:
        raise ValueError("pattern must be a list of at most %d steps" % _MAX_STEPS)
    for step in pattern:
        if not isinstance(step, tuple) or len(step) != 2:
            raise ValueError("pattern step must be (freq_hz, ms)")
        f, ms = step
        if not isinstance(f, int) or not isinstance(ms, int):
            raise ValueError("pattern step must be two ints")
        if f != 0 and not 20 <= f <= 20000:
            raise ValueError("tone %d Hz out of range" % f)
        if not 0 <= ms <= _MAX_MS:
            raise ValueError("step of %d ms out of range" % ms)


class Buzzer:
    def __init__(self, pwm, duty=32768, sleep_ms=None):
        self.pwm = pwm
        self.duty = duty
        self._sleep = sleep_ms or time.sleep_ms
        pwm.duty_u16(0)

    def _step(self, f):
        if f:
            self.pwm.freq(f)
            self.pwm.duty_u16(self.duty)
        else:
            self.pwm.duty_u16(0)

    def play(self, pattern):
        """Play a pattern, blocking until it ends; the buzzer ends silent."""
        check(pattern)
        try:
            for f, ms in pattern:
                self._step(f)
                self._sleep(ms)
        finally:
            self.pwm.duty_u16(0)

    async def aplay(self, pattern):
        """Play a pattern without blocking the asyncio loop."""
        import asyncio

        check(pattern)
        try:
            for f, ms in pattern:
                self._step(f)
                await asyncio.sleep_ms(ms)
        finally:
            self.pwm.duty_u16(0)

    def off(self):
        self.pwm.duty_u16(0)
