# A decode that runs out of memory is counted and visible, never taken for
# "no code in the frame" (kiosk.qr.decoder.last_fault / stats, the scanner's
# decode_faults and its unreadable verdict's detail). Runs on the unix port
# and on the 32-bit board (tests/m32) under a heap too small for a QVGA decode.
import gc

import mpassert
from kiosk import qr
from kiosk.qr import decoder

HEAPSIZE = "512K"


def _frame(w, h):
    f = bytearray(w * h)
    for y in range(h):
        for x in range(0, w, 7):
            f[y * w + x] = 255
    return f


def test_out_of_memory_is_a_fault_not_no_code():
    gc.collect()
    before = dict(decoder.stats)
    frame = _frame(320, 240)
    ballast = []
    try:  # leave less free heap than the decoder's buffers need
        while gc.mem_free() > 20000:  # the QVGA decoder holds ~42 KB
            ballast.append(bytearray(4096))
    except MemoryError:
        pass
    got = qr.decode(frame, 320, 240)
    ballast = None
    gc.collect()
    mpassert.eq(got, [])
    mpassert.eq(qr.fault(), "out_of_memory")
    mpassert.eq(decoder.stats["out_of_memory"], before["out_of_memory"] + 1)
    mpassert.eq(decoder.stats["decodes"], before["decodes"] + 1)
    # with the memory back, the same frame is a plain "no code": no fault
    mpassert.eq(qr.decode(bytearray(80 * 60), 80, 60), [])
    mpassert.eq(qr.fault(), None)
    mpassert.eq(decoder.stats["out_of_memory"], before["out_of_memory"] + 1)


def test_junk_input_is_no_code_not_a_fault():
    for args in ((None, 320, 240), (b"x" * 10, 320, 240), (bytearray(100), "a", 3)):
        mpassert.eq(qr.decode(*args), [])
        mpassert.eq(qr.fault(), None)


class _Source:
    bursts = True
    current = "burst-1"
    burst_end = True

    def skip_burst(self):
        pass


class _Clock:
    def now(self):
        return None


class _Cfg:
    provisioned = False
    secret = None

    def trust_state(self, now):
        return "none"


def test_scanner_counts_it_and_says_so_in_the_verdict():
    from kiosk.app.scanner import Scanner

    seen = []
    sc = Scanner(_Source(), _Clock(), _Cfg(), on_verdict=lambda v, info: seen.append((v, info)))
    frame = _frame(320, 240)
    gc.collect()
    ballast = []
    try:
        while gc.mem_free() > 20000:  # the QVGA decoder holds ~42 KB
            ballast.append(bytearray(4096))
    except MemoryError:
        pass
    sc._process(("frame", (frame, 320, 240)), True)
    ballast = None
    gc.collect()
    mpassert.eq(sc.decode_faults, 1)
    mpassert.eq(sc.decode_fault, "out_of_memory")
    v, info = seen[-1]
    mpassert.eq((v.reason, v.detail, info["decode_fault"]), ("unreadable", "decoder: out_of_memory", "out_of_memory"))
    # a frame read in full clears the fault; no code there is a plain unreadable
    sc._process(("frame", (bytearray(80 * 60), 80, 60)), True)
    mpassert.eq(sc.decode_fault, None)
    v, info = seen[-1]
    mpassert.eq((v.reason, v.detail, info["decode_fault"]), ("unreadable", None, None))
