"""The ESP32 RTC as a Unix-seconds clock; unset until provisioning sets it.

MicroPython's ESP32 port counts from 2000-01-01; the kiosk speaks Unix time.
A year before 2024 means the RTC lost power and was never set.
"""

import time

_EPOCH_OFFSET = const(946684800) if time.gmtime(0)[0] == 2000 else const(0)
_MIN_VALID = const(1704067200)  # 2024-01-01


class RtcClock:
    def now(self):
        t = time.time() + _EPOCH_OFFSET
        return t if t >= _MIN_VALID else None

    def set(self, unix_seconds):
        import machine

        tm = time.gmtime(int(unix_seconds) - _EPOCH_OFFSET)
        machine.RTC().datetime((tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], 0))
