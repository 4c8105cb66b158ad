"""Wi-Fi station for the uplink (network.WLAN), as the Board's get_network().

    net = Wlan()
    net.connect("venue-wifi", "secret")   # returns at once; the radio joins in the background
    net.isconnected(); net.status()       # -> "Wi-Fi: connecting" ...
"""

_LINES = (
    ("STAT_GOT_IP", "Wi-Fi: online"),
    ("STAT_CONNECTING", "Wi-Fi: connecting"),
    ("STAT_WRONG_PASSWORD", "Wi-Fi: wrong password"),
    ("STAT_NO_AP_FOUND", "Wi-Fi: network not found"),
    ("STAT_CONNECT_FAIL", "Wi-Fi: failed"),
    ("STAT_IDLE", "Wi-Fi: off"),
)


class Wlan:
    def __init__(self):
        import network

        self._net = network
        self._wlan = network.WLAN(network.STA_IF)
        self._ssid = None

    def connect(self, ssid, password):
        self._ssid = ssid
        w = self._wlan
        w.active(True)
        if w.isconnected():
            w.disconnect()
        w.connect(ssid, password)

    def isconnected(self):
        return bool(self._wlan.isconnected())

    def status(self):
        if self._ssid is None:
            return "Wi-Fi: not set up"
        code = self._wlan.status()
        for name, line in _LINES:
            if getattr(self._net, name, None) == code:
                return line
        return "Wi-Fi: status %s" % (code,)
