# #10.4: a frame source that fails (a frame too large to allocate, a camera
# error, a PGM header claiming 8192x8192 with 10 bytes of data) is a camera
# fault and a counted event; the scan loop goes on and the app never exits.
import asyncio

import mpassert
import kboard
from kiosk.app import main

HEAPSIZE = "2M"


class Flaky:
    """Fails in every way a camera driver can, then delivers a scan."""

    bursts = True
    current = "flaky"
    burst_end = True

    def __init__(self):
        self.steps = [MemoryError("memory allocation failed, allocating 67108864 bytes"),
                      OSError(5), ValueError("bad frame"), ("payload", b"not a code"), None]

    def skip_burst(self):
        pass

    async def read(self):
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


class FlakyBoard(kboard.SimBoard):
    def get_source(self):
        return Flaky()


def test_source_failures_are_faults_not_exits():
    seen = []
    app = main.run(FlakyBoard(), on_verdict=lambda v, info: seen.append(v.reason))
    mpassert.eq(app.scanner.source_errors, 3)
    mpassert.eq(isinstance(app.scanner.last_source_error, ValueError), True)
    # each failed frame is an unreadable scan; then the real scan still counts
    mpassert.eq(seen, ["unreadable", "unreadable", "unreadable", "provision"])  # not set up: not judged


def test_pgm_header_claiming_8192x8192_with_10_bytes(tmp="/tmp/kiosk-bad-frames"):
    import os

    try:
        os.mkdir(tmp)
    except OSError:
        pass
    for name in os.listdir(tmp):
        os.remove(tmp + "/" + name)
    with open(tmp + "/01-huge.pgm", "wb") as f:
        f.write(b"P5\n8192 8192\n255\n" + b"\x80" * 10)
    with open(tmp + "/02-after.txt", "wb") as f:
        f.write(b"not a code\n")
    seen = []
    app = main.run(kboard.SimBoard(inputs=tmp), on_verdict=lambda v, info: seen.append(v.reason))
    mpassert.eq(app.scanner.source_errors, 1)  # MemoryError allocating 64 MB in a 2 MB heap
    mpassert.eq(isinstance(app.scanner.last_source_error, MemoryError), True)
    mpassert.eq(seen, ["unreadable", "provision"])  # not set up: not judged
