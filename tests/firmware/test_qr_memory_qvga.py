# A 320x240 camera frame decodes under a fixed 288 KB heap on this 64-bit port,
# frame included (the binarized image is a 9.6 KB bit image beside it; the frame
# is only read). The 256 KB target is the 32-bit board's, where it needs 240 KB
# (bench/m32.py); here 8-byte pointers and headers put the edge at ~256-260 KB,
# so 288 KB leaves a margin that heap layout (import paths, fragmentation)
# cannot eat, while a decoder that regrows its buffers still fails.
# The frame is built in place: a corpus photo (240x240) read row by row into
# a 320x240 buffer with a dark gradient either side, as a kiosk camera sees it.
import gc
import json

import pgm
from mpassert import eq, repo_path
from kiosk.qr import decoder

# what can be read must not depend on machine load (the 2 s budget is tested
# on hostile frames in test_qr_hostile.py)
decoder.BUDGET_MS = 60000

HEAPSIZE = "288K"


def _hex(b):
    return "".join("%02x" % c for c in b)


def _sum(frame):
    # a position-weighted checksum that allocates nothing frame-sized
    s = 0
    k = 0
    for b in frame:
        s = (s + b * (k % 251 + 1)) & 0xFFFFFF
        k += 1
    return s


def test_320x240_frame_in_a_small_heap():
    path = repo_path("..", "shared", "corpus", "qr", "pgm", "zxing-qrcode-3-01.pgm")
    frame = bytearray(320 * 240)
    for y in range(240):
        for x in range(40):
            frame[y * 320 + x] = 30 + x
            frame[y * 320 + 280 + x] = 70 - x
    mv = memoryview(frame)
    with open(path, "rb") as f:
        w, h, mx = pgm._header(f)
        eq((w, h), (240, 240))
        for y in range(240):
            f.readinto(mv[y * 320 + 40 : y * 320 + 280])
    gc.collect()
    keep = _sum(frame)
    syms = decoder.decode(frame, 320, 240)
    eq(len(syms), 1)
    eq(_hex(syms[0].data).startswith("687474703a2f2f61726e6175642e"), True)
    eq(_sum(frame), keep)  # the frame is only read
    # its negative reads as a light-on-dark code: decoding it exercises the
    # inverted pass and reuses every buffer
    for i in range(len(frame)):
        frame[i] ^= 255
    gc.collect()
    syms = decoder.decode(frame, 320, 240)
    eq(len(syms), 1)
    eq(syms[0].inverted, True)
