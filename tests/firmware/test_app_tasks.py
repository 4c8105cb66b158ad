# The app's tasks on MicroPython: group commit follows the log a provisioning
# reset puts in place, survives a failing commit, and the verdict screen
# returns to idle (or to the fault screen, with the fault LED).
import asyncio
import time

import kboard
import mpassert
import test_app_loop as L
import test_provision_attacks as A
from kiosk.app import main

HEAPSIZE = "2M"
T0 = A.T0


class Line:
    """The USB serial line with nothing on it (the lowest level of the link)."""

    def poll(self, timeout_ms=0):
        return False

    def read(self, n):
        return b""

    def write(self, b):
        return len(b)


class SerialBoard(kboard.SimBoard):
    """The simulator board with a serial line and the BOOT button held."""

    def get_serial(self):
        return Line()

    def maintenance(self):
        return True


async def until(cond, ms=8000):
    """Wait until cond() holds; the generous bound only stops a broken task from hanging."""
    t0 = time.ticks_ms()
    while not cond() and time.ticks_diff(time.ticks_ms(), t0) < ms:
        await asyncio.sleep_ms(20)
    return cond()


def durable_within(a, seq):
    """Run the app's tasks until record `seq` of the app's current log is durable."""

    async def run():
        tasks = a.start_tasks()
        await until(lambda: a.log.durable_seq >= seq)
        for t in tasks:
            t.cancel()
        return a.log.durable_seq

    return asyncio.run(run())


def test_records_after_a_provisioning_reset_are_group_committed():
    b = SerialBoard(at=T0)
    a = main.App(b)
    a.prov.handle(A.setup_req())
    mpassert.eq(a.cfg.provisioned, True)

    async def run():
        tasks = a.start_tasks()  # started once, before the reset (as on a kiosk)
        a.scanner.handle(b"HC1:x")
        mpassert.eq(await until(lambda: a.log.durable_seq >= 1), True)
        old = a.log
        a.prov.handle({"op": "reset", "abandon_logs": True})
        mpassert.eq(a.log is old, False)  # a new, empty log
        a.scanner.handle(None)  # not set up again: only an unreadable frame is recorded
        mpassert.eq(a.log.stats()["pending"], 1)
        # committed by the timer, not only at shutdown
        mpassert.eq(await until(lambda: a.log.durable_seq >= 1), True, "never committed after the reset")
        mpassert.eq(a.log.stats()["pending"], 0)
        for t in tasks:
            t.cancel()

    asyncio.run(run())


class FlakyFlash:
    """The log's commit fails the first `n` times (a flash write error)."""

    def __init__(self, log, n):
        self.log = log
        self.n = n
        self.commit = log.commit
        log.commit = self.fail

    def fail(self):
        if self.n:
            self.n -= 1
            raise OSError(5)
        return self.commit()


def test_a_commit_error_does_not_end_group_commit():
    b = kboard.SimBoard(at=T0)
    L.install(b.mount_storage())
    a = main.App(b, allow_unsigned=True)
    FlakyFlash(a.log, 1)
    a.scanner.handle(b"HC1:x")
    mpassert.eq(durable_within(a, 1), 1)
    mpassert.eq(a.task_errors, 1)
    mpassert.eq(isinstance(a.last_task_error, OSError), True)


def test_the_verdict_screen_returns_to_idle_and_faults_light_the_led():
    b = kboard.SimBoard(at=T0, png_dir="")
    L.install(b.mount_storage())
    a = main.App(b, allow_unsigned=True)
    led = b.get_led()
    a.scanner.handle(b"junk")  # a RED verdict on screen
    mpassert.eq(a.ui.screen, "RED")
    shown = a.scanner.shown_ms
    mpassert.eq(a.idle_due(time.ticks_add(shown, 1000)), False)
    mpassert.eq(a.idle_due(time.ticks_add(shown, 3001)), True)
    mpassert.eq((a.ui.screen, led.sim.rgb(0)), ("idle", (0, 0, 0)))
    b.get_clock().set(T0 - 86400)  # the RTC went back a day: clock_unset
    a.scanner.handle(b"junk")
    mpassert.eq(a.idle_due(time.ticks_add(a.scanner.shown_ms, 3001)), True)
    mpassert.eq(a.ui.screen, "fault")
    r, g, bl = led.sim.rgb(0)
    mpassert.eq(bl > 0 and r == 0 and g == 0, True, "fault LED %r" % ((r, g, bl),))
    # the tasks themselves return to idle: this fails if back_to_idle never runs
    b.get_clock().set(T0 + 10)
    a.scanner.handle(b"junk")

    async def run():
        tasks = a.start_tasks()
        await until(lambda: a.ui.screen == "idle", 15000)
        for t in tasks:
            t.cancel()

    asyncio.run(run())
    mpassert.eq(a.ui.screen, "idle")
