# The viper binarizer: allocation-free (heap_lock) and adaptive to shadow/glare.
import micropython

from mpassert import eq
from kiosk.qr.binarize import Binarizer, pixel
from kiosk.qr.finder import FinderScanner


def _frame(w, h):
    # 5x5-pixel checkerboard whose light/dark levels fall from left to right
    # (paper in shadow): a global threshold cannot split it.
    f = bytearray(w * h)
    for y in range(h):
        for x in range(w):
            light = 250 - x * 170 // w
            dark = light - 60
            f[y * w + x] = dark if (x // 5 + y // 5) & 1 else light
    return f


def test_run_allocates_nothing():
    w, h = 160, 120
    f = _frame(w, h)
    b = Binarizer(w, h)
    b.run(f)  # warm up
    micropython.heap_lock()
    try:
        out = b.run(f)
        out = b.run(f)
    finally:
        micropython.heap_unlock()
    eq(out is b.out, True)


def test_scan_allocates_nothing():
    w, h = 160, 120
    b = Binarizer(w, h)
    img = b.run(_frame(w, h))
    fs = FinderScanner(w, h)
    from kiosk.qr import finder

    micropython.heap_lock()
    try:
        n = finder._scan(img, fs.hits, fs.prm)
    finally:
        micropython.heap_unlock()
    eq(n >= 0, True)


def test_adaptive_threshold_follows_shadow():
    w, h = 160, 120
    f = _frame(w, h)
    out = Binarizer(w, h).run(f)
    wrong = 0
    for y in range(h):
        for x in range(w):
            want = 1 if (x // 5 + y // 5) & 1 else 0
            if pixel(out, w, x, y) != want:
                wrong += 1
    # a global threshold would get a third of the pixels wrong
    eq(wrong < w * h // 50, True, "wrong=%d" % wrong)


def test_bit_image_layout():
    # one bit a pixel, row-major over the whole frame (rows need not start
    # on a byte: 100 * 3 is not a multiple of 8), the frame left untouched
    w, h = 100, 60
    f = _frame(w, h)
    keep = bytes(f)
    out = Binarizer(w, h).run(f)
    eq(len(out), (w * h + 7) // 8)
    eq(bytes(f), keep)
    for y in (0, 3, 31, 50):
        for x in (0, 1, 7, 8, 52, 99):
            o = y * w + x
            want = 1 if (x // 5 + y // 5) & 1 else 0
            eq((out[o >> 3] >> (o & 7)) & 1, want, "pixel %d,%d" % (x, y))
    # a second run over a light frame clears what the first one set
    out = Binarizer(w, h).run(bytearray(b"\xf0" * (w * h)))
    eq(sum(out), 0)


def test_flat_regions_stay_light():
    w, h = 64, 64
    f = bytearray(w * h)
    for i in range(w * h):
        f[i] = 200 + (i * 7919) % 9  # flat, slightly noisy
    out = Binarizer(w, h).run(f)
    eq(sum(out), 0)
