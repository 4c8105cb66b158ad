"""Clock guard: the time the verifier may trust, or None (clock_unset).

The board's RTC is set at first setup and by admin-signed `clock` commands.
The guard keeps a floor: the latest scan time it has seen (persisted in
<root>/config/clock.json at most every `persist_s` seconds, and whenever the
clock is set). An RTC reading below `floor - slack` means the clock went
backwards (battery lost, tampering): the guard then answers None, scans get
`clock_unset`, and only an admin-signed clock command with "back": true may
set a time below the floor. Forward jumps are accepted (a kiosk may sit
switched off for weeks); drift is corrected by signed `clock` commands or an
uplink time source, and `slack` (default 300 s) absorbs small corrections.
"""

import json

from micropython import const

from kiosk.config import ConfigError, atomic

NAME = "clock.json"
_SLACK = const(300)
_PERSIST_S = const(600)
_MIN_TIME = const(1577836800)  # 2020-01-01: an RTC below this is unset


class ClockGuard:
    def __init__(self, clock, config_dir, slack=_SLACK, persist_s=_PERSIST_S):
        self.clock = clock
        self.dir = config_dir
        self.slack = slack
        self.persist_s = persist_s
        self.floor = 0
        self._saved = 0
        raw = atomic.read(config_dir + "/" + NAME, 256)
        if raw is not None:
            try:
                self.floor = int(json.loads(raw)["floor"])
            except (ValueError, KeyError, TypeError):
                self.floor = 0  # damaged: the log's last record time can restore it
            self._saved = self.floor

    def raw(self):
        t = self.clock.now() if self.clock else None
        if t is None or t < _MIN_TIME:
            return None
        return t

    def now(self):
        """Unix seconds to verify with, or None when unset or rolled back."""
        t = self.raw()
        if t is None or t < self.floor - self.slack:
            return None
        return t

    def status(self):
        t = self.clock.now() if self.clock else None
        if t is None or t < _MIN_TIME:
            return "unset"
        if t < self.floor - self.slack:
            return "rolled_back"
        return "ok"

    def seen(self, t):
        """Note a scan at time t (from now()); persists the floor now and then."""
        if t is None or t <= self.floor:
            return
        self.floor = t
        if t - self._saved >= self.persist_s:
            try:
                self._save()
            except OSError:
                pass  # flash full or failing: the floor still holds in RAM; the scan goes on

    def raise_floor(self, t):
        """At boot: the newest scan record's time (the log survives a lost RTC)."""
        if t and t > self.floor:
            self.floor = t
            self._save()

    def _save(self):
        atomic.write(self.dir + "/" + NAME, self.encode(self.floor))
        self._saved = self.floor

    @staticmethod
    def encode(floor):
        return json.dumps({"floor": floor}).encode()

    def check_set(self, t, back=False):
        """Validate a new time from a (signed) command; returns the new floor."""
        if not isinstance(t, int) or t < _MIN_TIME or t > 0xFFFFFFFF:
            raise ConfigError("bad_request", "clock value out of range")
        if t < self.floor - self.slack and not back:
            raise ConfigError(
                "clock_rollback",
                "time %d is before the last scan %d; a signed command with back=true is needed" % (t, self.floor),
            )
        return t if back else max(t, self.floor)

    def applied(self, t, floor):
        """After the transaction that persisted `floor` committed: set the RTC."""
        self.floor = floor
        self._saved = floor
        if self.clock:
            self.clock.set(t)
