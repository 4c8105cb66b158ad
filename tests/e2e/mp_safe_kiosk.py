# A kiosk that boots as main.py does (kiosk.app.main.run_forever) on the
# simulator board: littlefs flash image, USB serial on a pty. While the file
# BROKEN exists its camera fails at start (a crash on every boot); reset()
# ends the process (the test starts the next boot, as the hardware would).
#   micropython mp_safe_kiosk.py FLASH_IMAGE SERIAL_PATH BROKEN
import os
import sys

import kboard
from kiosk.app import main

image, port, broken = sys.argv[1], sys.argv[2], sys.argv[3]


class Board(kboard.SimBoard):
    def get_source(self):
        try:
            os.stat(broken)
        except OSError:
            return None  # mended: a kiosk without a camera still serves its link
        raise ValueError("camera bus on fire")

    def reset_cause(self):
        return None  # a reset, not a power cycle: the crash streak stands

    def reset(self):
        print("RESET")
        raise SystemExit(0)


print("BOOT")
main.run_forever(Board(flash=image, serial=port))
