"""The simulator's Wi-Fi: real TCP sockets on the unix port, behind a radio
the tests can switch off or give another password.

    net = SimNet("/tmp/kiosk.img.radio")
    net.connect("venue-wifi", "secret"); net.isconnected(); net.status()

The radio file (re-read at most every 200 ms) holds one line:
    off            no access point in range: Wi-Fi down
    on             an access point that takes any password
    on PASSWORD    an access point that takes only PASSWORD
A missing file means "on". While the radio is off or the password was
wrong, isconnected() is False and the uplink drops its link; sockets
themselves are the host's real ones (the broker runs on 127.0.0.1).
"""

import time

from micropython import const

_RECHECK_MS = const(200)


class SimNet:
    def __init__(self, radio_file=None):
        self.radio_file = radio_file
        self._ssid = self._password = None
        self._state = "idle"
        self._read_t = None
        self._radio = ("on", None)

    def _air(self):
        now = time.ticks_ms()
        if self._read_t is not None and time.ticks_diff(now, self._read_t) < _RECHECK_MS:
            return self._radio
        self._read_t = now
        line = ""
        if self.radio_file:
            try:
                with open(self.radio_file) as f:
                    line = f.read(200).strip()
            except OSError:
                pass
        word, _, pw = line.partition(" ")
        self._radio = ("off" if word == "off" else "on", pw or None)
        return self._radio

    def connect(self, ssid, password):
        self._ssid, self._password = ssid, password
        self._read_t = None
        self._join()

    def _join(self):
        if self._ssid is None:
            self._state = "idle"
            return
        on, pw = self._air()
        if on == "off":
            self._state = "no access point"
        elif pw is not None and pw != self._password:
            self._state = "wrong password"
        else:
            self._state = "up"

    def isconnected(self):
        if self._state == "up" or self._state == "no access point":
            self._join()  # an AP coming back is rejoined, as the ESP32 does
        return self._state == "up"

    def status(self):
        return self._state

    def disconnect(self):
        self._ssid = None
        self._state = "idle"
