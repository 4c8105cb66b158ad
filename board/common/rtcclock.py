"""The ESP32 RTC as a Unix-seconds clock; unset until provisioning sets it.

Some MicroPython ports count from 2000-01-01; the kiosk speaks Unix time, so
the offset is taken from the port itself (time.gmtime(0)). A time before
2024 means the RTC lost power and was never set.
"""

import time

from micropython import const

_MIN_VALID = const(1704067200)  # 2024-01-01
_Y2K = const(946684800)  # 2000-01-01 in Unix seconds


def epoch_offset():
    """Unix seconds at the port's time 0 (0 or 946684800)."""
    return _Y2K if time.gmtime(0)[0] == 2000 else 0


class RtcClock:
    def __init__(self):
        self._offset = epoch_offset()

    def now(self):
        t = time.time() + self._offset
        return t if t >= _MIN_VALID else None

    def set(self, unix_seconds):
        import machine

        tm = time.gmtime(int(unix_seconds) - self._offset)
        machine.RTC().datetime((tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], 0))
