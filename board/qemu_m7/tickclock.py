"""Unix seconds for a board without an RTC: unset until set, then counted
from time.ticks_ms().

Under `qemu -icount shift=0` ticks are guest instructions (1 ms = 1 M
instructions), so this clock runs at the emulated CPU's pace, not the
host's. `now()` re-anchors at each whole second, so the 2^30 ms ticks
period never wraps it as long as it is read at least every few days.
"""

import time


class TickClock:
    def __init__(self, at=None):
        self._base = None
        self._t0 = 0
        if at is not None:
            self.set(at)

    def now(self):
        if self._base is None:
            return None
        t = time.ticks_ms()
        secs = time.ticks_diff(t, self._t0) // 1000
        if secs > 0:
            self._base += secs
            self._t0 = time.ticks_add(self._t0, secs * 1000)
        return self._base

    def set(self, unix_seconds):
        self._base = int(unix_seconds)
        self._t0 = time.ticks_ms()
