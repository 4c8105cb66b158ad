"""Simulated RTC: Unix seconds, optionally persisted like a battery-backed RTC."""

import time


class SimClock:
    def __init__(self, at=None, state_file=None):
        self._state = state_file
        self._base = None
        self._ticks = time.ticks_ms()
        if at is not None:
            self.set(at)
        elif state_file:
            try:
                with open(state_file) as f:
                    self._base = int(f.read().strip())
            except (OSError, ValueError):
                self._base = None

    def now(self):
        if self._base is None:
            return None
        return self._base + time.ticks_diff(time.ticks_ms(), self._ticks) // 1000

    def set(self, unix_seconds):
        self._base = int(unix_seconds)
        self._ticks = time.ticks_ms()
        if self._state:
            with open(self._state, "w") as f:
                f.write(str(self._base))
