# A crash in the app is recorded on flash and the board is reset: never a REPL.
import os

import mpassert
import kboard
from kiosk.app import main


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
    with open("/flash/crash.txt") as f:
        text = f.read()
    assert "sensor on fire" in text, text
