# Recovery on hardware: the watchdog is fed only while the scan loop and the
# link make progress; repeated crashes end in safe mode (fault screen, serial
# link open with provisioning) instead of a reset loop. Over a real pty with
# kioskctl: tests/e2e/test_safe_mode_serial.py.
import asyncio
import time

import mpassert
from mppipe import Pipe
import kboard
from kiosk.app import crashlog, main, watchdog


class Wdt:  # the hardware watchdog, lowest level: counts feeds
    def __init__(self):
        self.feeds = 0

    def feed(self):
        self.feeds += 1


class Frames:
    """A camera that delivers `n` frames, then hangs in read() (a stalled driver)."""

    def __init__(self, n):
        self.n = n

    async def read(self):
        if self.n:
            self.n -= 1
            await asyncio.sleep_ms(5)
            return ("frame", (bytearray(64 * 48), 64, 48))
        await asyncio.sleep_ms(1 << 30)


class Idle:
    """A UART barcode module nobody uses: read() waits, legitimately."""
    waits = True

    async def read(self):
        await asyncio.sleep_ms(1 << 30)


def _run_until(app, sup, done, limit_ms=20000):
    async def go():
        task = asyncio.create_task(app.main())
        t0 = time.ticks_ms()
        while not done() and time.ticks_diff(time.ticks_ms(), t0) < limit_ms:
            await asyncio.sleep_ms(5)
        task.cancel()
        await asyncio.sleep_ms(0)

    asyncio.run(go())
    asyncio.new_event_loop()


def _app(source):
    b = kboard.SimBoard(at=1790000000)
    a = main.App(b, allow_unsigned=True)
    a.scanner.source = source
    return a


def test_watchdog_not_fed_when_the_scan_loop_stalls():
    wdt = Wdt()
    sup = watchdog.Supervisor(wdt, stall_ms=150, period_ms=10)
    a = _app(Frames(5))
    a.supervisor = sup
    _run_until(a, sup, lambda: sup.stalled == "scan")
    mpassert.eq(sup.stalled, "scan")
    fed = wdt.feeds
    assert fed > 0, "never fed while frames came"
    for _ in range(20):  # still stalled: the feeding stays stopped
        mpassert.eq(sup.check(time.ticks_ms()), False)
    mpassert.eq(wdt.feeds, fed)


def test_watchdog_fed_while_a_scanner_module_waits_for_a_person():
    wdt = Wdt()
    sup = watchdog.Supervisor(wdt, stall_ms=50, period_ms=10)
    a = _app(Idle())
    a.supervisor = sup
    _run_until(a, sup, lambda: wdt.feeds >= 30)
    mpassert.eq(sup.stalled, None)
    assert wdt.feeds >= 30


def test_stable_run_clears_the_streak_once():
    calls = []
    sup = watchdog.Supervisor(Wdt(), stall_ms=1000, stable_ms=100, on_stable=lambda: calls.append(1))
    sup.watch("scan")
    t = time.ticks_ms()
    sup.check(t)
    sup.beat("scan")
    sup.check(time.ticks_add(t, 150))
    sup.check(time.ticks_add(t, 300))
    mpassert.eq(calls, [1])


class CrashBoard(kboard.SimBoard):
    resets = 0
    pipe = None

    def get_serial(self):
        return self.pipe

    def get_source(self):
        raise ValueError("camera bus on fire")  # the app cannot even start

    def reset(self):
        CrashBoard.resets += 1

    def get_watchdog(self, timeout_ms):
        self.wdt = Wdt()
        return self.wdt


def test_repeated_crashes_end_in_safe_mode_not_a_reset_loop():
    b = CrashBoard(at=1790000000, png_dir="/tmp")
    for _ in range(3):
        main.run_forever(b)
    mpassert.eq(CrashBoard.resets, 3)
    mpassert.eq(crashlog.CrashLog("/flash").streak, 3)
    shown = []
    import kiosk.ui

    real = kiosk.ui.Ui.fault

    def spy(ui, code, detail=None):
        shown.append((code, detail))
        return real(ui, code, detail)

    from kiosk.link.frame import Deframer, encode

    b.pipe = Pipe()
    from kiosk import cbor

    b.pipe.rx += encode(bytes((1, 1, 7, 0)))  # HELLO from the technician's kioskctl
    b.pipe.rx += encode(bytes((1, 0x10, 8, 0)) + cbor.dumps({"op": "info"}))  # provisioning info
    kiosk.ui.Ui.fault = spy
    try:
        main.run_forever(b, safe_rounds=20)
    finally:
        kiosk.ui.Ui.fault = real
    mpassert.eq(CrashBoard.resets, 3)  # no fourth reset: it stays up
    mpassert.eq(shown, [("safe_mode", "ValueError: camera bus on fire")])
    mpassert.eq(b.wdt.feeds, 20)  # the safe-mode loop feeds the watchdog
    mpassert.eq(b.get_led().sim.rgb(), (0, 0, 170))  # the fault LED
    df = Deframer(4096)
    n, pos = df.feed(bytes(b.pipe.tx), 0)
    reply = bytes(df.payload[:n])
    mpassert.eq((reply[1], reply[2], reply[4]), (0x81, 7, 0))  # HELLO answered, status ok
    assert reply.endswith(b"safe-mode") and b"unprovisioned" in reply, reply  # firmware string, device id
    n, _ = df.feed(bytes(b.pipe.tx), pos)
    info = bytes(df.payload[:n])
    mpassert.eq((info[1], info[2], info[4]), (0x90, 8, 0))
    info = cbor.loads(info[5:])
    mpassert.eq((info["ok"], info["safe_mode"], info["provisioned"]), (True, "ValueError: camera bus on fire", False))


class PowerBoard(CrashBoard):
    def reset_cause(self):
        return "power"


def test_power_cycle_is_the_technicians_retry():
    b = PowerBoard(at=1790000000)
    ring = crashlog.CrashLog(b.mount_storage())
    for _ in range(5):
        ring.record("old crash")
    before = CrashBoard.resets
    main.run_forever(b)  # streak cleared at power-on: a normal start (which crashes once more)
    mpassert.eq(CrashBoard.resets, before + 1)
    mpassert.eq(crashlog.CrashLog("/flash").streak, 1)


class DogBoard(CrashBoard):
    def reset_cause(self):
        return "watchdog"


def test_a_watchdog_reset_is_recorded_at_the_next_boot():
    b = DogBoard(at=1790000000)
    main.run_forever(b)
    texts = crashlog.CrashLog("/flash").records()
    mpassert.eq(len(texts), 2)
    assert texts[0].startswith("watchdog reset"), texts[0]
    assert "camera bus on fire" in texts[1], texts[1]
