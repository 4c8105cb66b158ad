# A 640x480 camera frame decodes under a fixed 1 MB heap, frame included.
import gc

import pgm
from mpassert import eq, repo_path
from kiosk.qr import decoder

# what can be read must not depend on machine load (the 2 s budget is tested
# on hostile frames in test_qr_hostile.py)
decoder.BUDGET_MS = 60000

HEAPSIZE = "1M"


def test_640x480_frame_in_1m():
    buf, w, h = pgm.read(repo_path("..", "shared", "corpus", "qr", "pgm", "zxing-qrcode-1-1.pgm"))
    eq((w, h), (640, 480))
    gc.collect()
    syms = decoder.decode(buf, w, h)
    eq(len(syms), 1)
    eq(syms[0].data, b"MEBKM:URL:http\\://en.wikipedia.org/wiki/Main_Page;;")
