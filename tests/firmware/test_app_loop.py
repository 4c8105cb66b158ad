# The scan loop on MicroPython. The app tells the person at the door why it
# cannot judge codes: the fault it shows follows the kiosk's state
# (provisioning, clock, log space); an unprovisioned kiosk judges nobody and
# records nothing; scans in the other states are refused and still recorded; a failing flash or a broken frame does not stop the door; a
# code held in front of the camera counts once.
import os

import mpassert
import kboard
from kiosk.app import main
from kiosk.token import cbor

_EMPTY_STORE_HEADER = {"v": 1, "iat": 0, "keys": []}


def install(root, clock=None):
    """Simulator factory step: an (empty) unsigned trust store and a venue secret."""
    try:
        os.mkdir(root + "/config")
    except OSError:
        pass
    header = cbor.dumps(_EMPTY_STORE_HEADER)
    with open(root + "/config/trust.kts", "wb") as f:
        f.write(b"KTS1" + len(header).to_bytes(4, "big") + header)
    with open(root + "/config/secret.bin", "wb") as f:
        f.write(b"s" * 32)


def app(board):
    return main.App(board, allow_unsigned=True)


def _judges_nobody(a, code="provision"):
    """A scan on a kiosk that cannot judge: the fault screen, no verdict, no record."""
    n = a.log.stats()["count"]
    v = a.scanner.handle(b"HC1:anything")
    mpassert.eq((v.verdict, v.reason, v.admit), ("FAULT", code, False))
    mpassert.eq((a.ui.screen, a.ui.icon[0]), ("fault", "square"))
    a.log.commit()
    mpassert.eq(a.log.stats()["count"], n, "nothing recorded as a judgement of the person")


def test_unprovisioned_kiosk_shows_not_set_up_and_records_nothing():
    b = kboard.SimBoard(at=1790000000, png_dir="")  # "": the LCD without PNG files
    a = app(b)
    mpassert.eq(a.fault(), "provision")
    _judges_nobody(a)
    root = b.mount_storage()  # a trust store but no venue secret: still not set up
    install(root)
    os.remove(root + "/config/secret.bin")
    a = app(b)
    mpassert.eq(a.fault(), "provision")
    _judges_nobody(a)
    with open(root + "/config/secret.bin", "wb") as f:
        f.write(b"s" * 32)
    a = app(b)  # set up: codes are judged (and recorded) again
    v = a.scanner.handle(b"HC1:anything")
    mpassert.eq((v.verdict, v.reason), ("RED", "malformed"))
    a.log.commit()
    mpassert.eq(a.log.stats()["count"], 1)


def test_clock_unset_then_set():
    b = kboard.SimBoard()
    install(b.mount_storage())
    a = app(b)
    mpassert.eq(a.cfg.provisioned, True)
    mpassert.eq(a.fault(), "clock_unset")
    v = a.scanner.handle(b"HC1:anything")
    mpassert.eq(v.reason, "malformed")  # format checks still run without a clock
    b.get_clock().set(1790000000)
    mpassert.eq(a.fault(), None)


def test_full_log_is_shown_and_counted():
    b = kboard.SimBoard(at=1790000000, flash_blocks=16)
    install(b.mount_storage())
    a = app(b)
    n = 0
    while not a.log.stats()["full"]:
        a.scanner.handle(None)
        n += 1
        assert n < 5000, "log never filled"
    mpassert.eq(a.fault(), "log_full")
    before = a.log.stats()["dropped"]
    a.scanner.handle(None)
    a.log.commit()
    mpassert.eq(a.log.stats()["dropped"], before + 1)


def test_clock_floor_that_cannot_be_saved_does_not_stop_scanning():
    from kiosk.config.clock import ClockGuard
    from simclock import SimClock

    guard = ClockGuard(SimClock(at=1790000000), "/no/such/dir")
    guard.seen(1790000000)  # persisting fails (no directory): kept in RAM, no exception
    mpassert.eq(guard.floor, 1790000000)
    mpassert.eq(guard.now() is not None, True)


class FailingLog:
    """A log whose flash write fails (lowest level: the append itself)."""

    def append(self, rec):
        raise OSError(5)

    def stats(self):
        return {"full": False}


class Items:
    bursts = True

    def __init__(self, items):
        self.items = list(items)
        self.current = "x"
        self.burst_end = True

    async def read(self):
        return self.items.pop(0) if self.items else None

    def skip_burst(self):
        pass


def test_failing_flash_and_bad_items_do_not_stop_the_door():
    import asyncio

    b = kboard.SimBoard(at=1790000000)
    install(b.mount_storage())
    a = app(b)
    a.scanner.log = FailingLog()
    a.log = a.scanner.log
    seen = []
    a.scanner.on_verdict = lambda v, info: seen.append(v.reason)
    # a frame that is not a frame, then two scanner lines
    a.scanner.source = Items([("frame", None), ("payload", b"HC1:x"), ("payload", b"junk")])
    asyncio.run(a.scanner.run())
    mpassert.eq(seen, ["malformed", "unknown_format"])  # verdicts shown although not recorded
    mpassert.eq(a.scanner.record_errors, 2)
    mpassert.eq(a.scanner.errors, 1)  # the broken frame, counted and skipped
    mpassert.eq(a.fault(), "log_error")


class Camera(Items):
    """A camera-like (endless) source: the same code seen in consecutive frames."""

    bursts = False


def test_a_code_held_in_front_of_the_camera_counts_once():
    import asyncio

    b = kboard.SimBoard(at=1790000000)
    install(b.mount_storage())
    a = app(b)
    seen = []
    a.scanner.on_verdict = lambda v, info: seen.append(v.reason)
    a.scanner.source = Camera([("payload", b"junk")] * 5 + [("payload", b"other")])
    asyncio.run(a.scanner.run())
    mpassert.eq(seen, ["unknown_format", "unknown_format"])  # 5 frames of one code, then another code
