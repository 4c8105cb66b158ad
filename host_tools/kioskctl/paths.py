"""Where the firmware, boards and the MicroPython unix port live."""

import os
import shutil
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIRMWARE = os.path.join(REPO, "firmware")
BOARD = os.path.join(REPO, "board")


def micropython():
    """Path of the MicroPython unix port: $KIOSK_MICROPYTHON, the venv's, or PATH's."""
    env = os.environ.get("KIOSK_MICROPYTHON")
    if env:
        return env
    here = os.path.join(os.path.dirname(sys.executable), "micropython")
    if os.path.exists(here):
        return here
    found = shutil.which("micropython")
    if not found:
        from kioskctl.errors import KioskError

        raise KioskError("micropython (unix port) not found; run `make venv`")
    return found


def sim_path(board="sim"):
    """MICROPYPATH for running the firmware with board/<board> on the unix port."""
    parts = [
        ".frozen",  # the port's frozen modules (asyncio); MICROPYPATH replaces the default path
        FIRMWARE,
        os.path.join(BOARD, board),
        os.path.join(BOARD, "common"),
        os.path.join(BOARD, "drivers"),
    ]
    return ":".join(parts)
