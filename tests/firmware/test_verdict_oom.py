# A verdict that runs out of memory says so (reason out_of_memory, record
# reason 14), never "malformed": the code was not judged, it is not bad.
# The payload is an HC1 zlib stream (inflating it needs a 16 KB output
# buffer) that is not a COSE message: with memory it is malformed, on a heap
# filled until that buffer cannot be had it is out_of_memory. Runs on the
# unix port and on the 32-bit board (tests/m32).
import gc

import mpassert
from kiosk import records, token, verify
from kiosk.token import base45, inflate

HEAPSIZE = "512K"
NOW = 1790000000


def _payload():
    return "HC1:" + base45.encode(inflate.zlib_stored(b"not a COSE message " * 8))


def _starved(fn):
    """fn() with less free heap than inflate's 16 KB output buffer needs."""
    gc.collect()
    ballast = []
    try:
        while gc.mem_free() > 12000:
            ballast.append(bytearray(2048))
    except MemoryError:
        pass
    try:
        return fn()
    finally:
        ballast = None
        gc.collect()


def test_out_of_memory_is_its_own_reason():
    payload = _payload()

    def parse():
        try:
            token.parse(payload)
        except token.TokenError as e:
            return e.reason
        return None

    mpassert.eq(parse(), "malformed")  # with memory: inflated, not a COSE message
    mpassert.eq(_starved(parse), "out_of_memory")
    mpassert.eq(parse(), "malformed")
    v = _starved(lambda: verify.check(payload, None, None, NOW))
    mpassert.eq(v.reason, "out_of_memory")
    mpassert.eq(v.admit, False)
    mpassert.eq(v.verdict, "RED")
    mpassert.eq("out_of_memory" in token.REASONS, True)


def test_record_keeps_out_of_memory():
    mpassert.eq(records.REASONS.index("out_of_memory"), 14)
    rec = records.Record(3, NOW, "RED", None, "out_of_memory", -1, b"\x00" * 12, False, None)
    raw = records.encode(rec)
    mpassert.eq(raw[12], 14)  # the reason byte (docs/record-format.md)
    mpassert.eq(records.decode(raw).reason, "out_of_memory")
