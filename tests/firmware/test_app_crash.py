# A crash in the app is recorded in the crash ring on flash and the board is
# reset: never a REPL. The ring is bounded however often the kiosk crashes.
import os

import mpassert
import kboard
from kiosk.app import crashlog, main


class CrashBoard(kboard.SimBoard):
    resets = 0

    def get_source(self):
        raise ValueError("sensor on fire")  # the app cannot even start

    def reset(self):
        CrashBoard.resets += 1


def test_crash_is_recorded_and_board_reset():
    b = CrashBoard()
    main.run_forever(b)
    mpassert.eq(CrashBoard.resets, 1)
    ring = crashlog.CrashLog("/flash")
    mpassert.eq(ring.streak, 1)
    text = ring.records()[-1]
    assert "sensor on fire" in text, text
    mpassert.eq(ring.last(), "ValueError: sensor on fire")


def _flash_bytes(path):
    n = 0
    for name in os.listdir(path):
        n += os.stat(path + "/" + name)[6]
    return n


def test_crash_ring_is_bounded():
    b = kboard.SimBoard()
    ring = crashlog.CrashLog(b.mount_storage())
    for i in range(50):
        ring.record("x" * 2000 + " crash %d" % i)
    mpassert.eq(ring.total, 50)
    mpassert.eq(ring.streak, 50)
    texts = ring.records()
    mpassert.eq(len(texts), 8)
    mpassert.eq(len(texts[0]), 512)
    assert texts[0].endswith(" crash 42") and texts[-1].endswith(" crash 49"), texts[0][-12:]
    assert _flash_bytes("/flash/crash") <= crashlog.size_bound() + 64
    again = crashlog.CrashLog("/flash")  # the count survives a reboot
    mpassert.eq((again.total, again.streak), (50, 50))
    again.stable()
    mpassert.eq(crashlog.CrashLog("/flash").streak, 0)
