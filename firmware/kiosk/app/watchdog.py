"""The hardware watchdog, fed only while the kiosk makes progress.

    sup = Supervisor(board.get_watchdog(TIMEOUT_MS))
    app.scanner.source = Watched(app.scanner.source, sup, "scan")
    sup.watch("link")        # the serial task calls sup.beat("link") every turn
    asyncio.create_task(sup.run())

Each watched part (the scan loop, the link) beats when it turns. The
supervisor feeds the watchdog only when every part beat within `stall_ms`:
a scan loop stuck on a frame, a camera that stopped delivering, a dead link
task, or a blocked event loop (the supervisor itself cannot run) all stop
the feeding, and the board resets when the watchdog runs out. A source that
may wait for a person without a frame (a UART barcode module: `waits =
True`) is not stalled while it waits. After `stable_ms` of progress the
supervisor calls `on_stable` once (the crash streak is cleared).
"""

import time

import asyncio
from micropython import const

TIMEOUT_MS = const(30000)  # the hardware watchdog's timeout: covers the boot's set-up (G's table) and a table check
_STALL_MS = const(20000)
_PERIOD_MS = const(1000)
_STABLE_MS = const(120000)


class Supervisor:
    def __init__(self, wdt, stall_ms=_STALL_MS, period_ms=_PERIOD_MS, stable_ms=_STABLE_MS, on_stable=None):
        self.wdt = wdt  # None on a board without one: progress is still tracked
        self.stall_ms = stall_ms
        self.period_ms = period_ms
        self.stable_ms = stable_ms
        self.on_stable = on_stable
        self.beats = {}
        self.waiting = set()
        self.stalled = None  # the part that stopped, while the feeding is stopped
        self.feeds = 0
        self._since = None

    def watch(self, name):
        self.beats[name] = time.ticks_ms()

    def beat(self, name):
        self.beats[name] = time.ticks_ms()

    def check(self, now):
        """Feed the watchdog when every part made progress; returns True if fed."""
        for name, t in self.beats.items():
            if name not in self.waiting and time.ticks_diff(now, t) > self.stall_ms:
                self.stalled = name
                self._since = None
                return False
        self.stalled = None
        if self.wdt is not None:
            self.wdt.feed()
        self.feeds += 1
        if self._since is None:
            self._since = now
        elif self.on_stable and time.ticks_diff(now, self._since) >= self.stable_ms:
            fn, self.on_stable = self.on_stable, None
            fn()
        return True

    async def run(self):
        while True:
            self.check(time.ticks_ms())
            await asyncio.sleep_ms(self.period_ms)


class Watched:
    """A code source whose reads are the scan loop's heartbeat."""

    def __init__(self, source, sup, name="scan"):
        self.source = source
        self.sup = sup
        self.name = name
        self.bursts = getattr(source, "bursts", False)
        sup.watch(name)

    def __getattr__(self, attr):  # current, burst_end, skip_burst, ...
        return getattr(self.source, attr)

    async def read(self):
        sup, name = self.sup, self.name
        sup.beat(name)
        waits = getattr(self.source, "waits", False)
        if waits:
            sup.waiting.add(name)
        try:
            item = await self.source.read()
        finally:
            if waits:
                sup.waiting.discard(name)
        sup.beat(name)
        return item
