# Hostile frames: no exception escapes, time stays bounded, nothing is decoded
# that is not there. Runs on MicroPython.
import os
import random
import time

from mpassert import eq
from kiosk import qr
from kiosk.qr import decoder

# the decoder's own budget is 2 s of wall time; the slack covers a loaded CI box
_LIMIT_MS = 8000


def _timed(buf, w, h):
    t = time.ticks_ms()
    r = qr.decode(buf, w, h)
    dt = time.ticks_diff(time.ticks_ms(), t)
    eq(dt < _LIMIT_MS, True, "took %d ms" % dt)
    return r, dt


def _finder(f, w, x0, y0, m, inv=False):
    for y in range(7 * m):
        for x in range(7 * m):
            a = x // m
            b = y // m
            ring = max(abs(a - 3), abs(b - 3))
            dark = ring != 2
            f[(y0 + y) * w + x0 + x] = (230 if dark else 20) if inv else (20 if dark else 230)


def test_bad_arguments_never_raise():
    eq(qr.decode(None, 10, 10), [])
    eq(qr.decode(b"", 0, 0), [])
    eq(qr.decode(b"\x00" * 100, 10, 10), [])  # too small to hold a code
    eq(qr.decode(bytearray(1000), 100, 100), [])  # truncated buffer
    eq(qr.decode(bytearray(100 * 100), 100, -100), [])
    eq(qr.decode(bytearray(100 * 100), "100", 100), [])
    eq(qr.decode(bytearray(100 * 100), 100.0, 100), [])
    eq(qr.decode(12345, 100, 100), [])
    eq(qr.decode(bytes(100 * 100), 100, 100), [])  # read-only frame: only read
    eq(qr.decode(bytearray(40 * 40), 1 << 40, 1 << 40), [])


def test_blank_frame_rejected_quickly():
    f = bytearray(b"\x80" * (320 * 240))
    r, dt = _timed(f, 320, 240)
    eq(r, [])
    eq(dt < 1000, True, "blank frame took %d ms" % dt)


def test_noise_frames():
    w, h = 320, 240
    r, _ = _timed(bytearray(os.urandom(w * h)), w, h)
    eq(r, [])
    # blocky noise (2-pixel cells, two levels) looks more like modules
    w, h = 160, 120
    f = bytearray(os.urandom(w * h))
    for i in range(0, w * h, 2):
        v = 20 if f[i] & 1 else 230
        f[i] = v
        f[i + 1] = v
    r, _ = _timed(f, w, h)
    eq(r, [])


def test_crafted_finder_patterns():
    w, h = 320, 240
    f = bytearray(b"\xe6" * (w * h))
    # three perfect finders in a right triangle with random modules between
    random.seed(3)
    for y in range(20, 200):
        for x in range(40, 220):
            f[y * w + x] = 20 if random.getrandbits(1) else 230
    _finder(f, w, 40, 20, 4)
    _finder(f, w, 192, 20, 4)
    _finder(f, w, 40, 172, 4)
    # and a grid of extra finders in both polarities
    for k in range(4):
        _finder(f, w, 240 + (k & 1) * 40, 20 + k * 50, 3, inv=bool(k & 1))
    r, _ = _timed(f, w, h)
    eq(r, [])


def test_many_finders_bounded():
    w, h = 320, 240
    f = bytearray(b"\xe6" * (w * h))
    for gy in range(0, 230, 24):
        for gx in range(0, 310, 24):
            _finder(f, w, gx, gy, 3)
    r, dt = _timed(f, w, h)
    eq(r, [])


def test_decoder_object_rejects_wrong_size_frame():
    d = decoder.Decoder(64, 64)
    eq(decoder.decode(bytearray(63 * 64), 64, 64), [])
    eq(len(d.decode(bytearray(64 * 64))), 0)
