"""Recorder for MicroPython's `network` (WLAN station; tests only)."""

STA_IF = 0
AP_IF = 1
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_WRONG_PASSWORD = 202
STAT_NO_AP_FOUND = 201
STAT_CONNECT_FAIL = 203

APS = {}  # ssid -> password of the networks in range


class WLAN:
    def __init__(self, interface=STA_IF):
        self._active = False
        self._status = STAT_IDLE
        self.calls = []

    def active(self, on=None):
        if on is None:
            return self._active
        self._active = bool(on)
        self.calls.append(("active", self._active))

    def connect(self, ssid, key=None):
        if not self._active:
            raise OSError("Wifi Not Started")
        self.calls.append(("connect", ssid))
        if ssid not in APS:
            self._status = STAT_NO_AP_FOUND
        elif APS[ssid] != key:
            self._status = STAT_WRONG_PASSWORD
        else:
            self._status = STAT_GOT_IP

    def disconnect(self):
        self._status = STAT_IDLE

    def isconnected(self):
        return self._status == STAT_GOT_IP

    def status(self, *a):
        return self._status
