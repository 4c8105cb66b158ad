"""Simulated battery-backed RTC: Unix seconds that keep running between boots.

The clock is an offset from the host's time, persisted in `state_file` when
set, so a simulated kiosk restarted later reads the time advanced by as long
as it was off (as a real RTC on its coin cell does). Unset until `set()`.
"""

import time


class SimClock:
    def __init__(self, at=None, state_file=None):
        self._state = state_file
        self._offset = None
        if at is not None:
            self.set(at)
        elif state_file:
            try:
                with open(state_file) as f:
                    self._offset = int(f.read().strip())
            except (OSError, ValueError):
                self._offset = None

    def now(self):
        if self._offset is None:
            return None
        return int(time.time()) + self._offset

    def set(self, unix_seconds):
        self._offset = int(unix_seconds) - int(time.time())
        if self._state:
            with open(self._state, "w") as f:
                f.write(str(self._offset))
