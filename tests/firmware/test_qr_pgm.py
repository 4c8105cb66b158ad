# board/sim/pgm.py: P5 reader for the simulated camera (bounded header parsing).
import os

import pgm
from mpassert import eq, raises

_TMP = "/tmp/kiosk_test_qr_pgm_%d.pgm" % os.getpid() if hasattr(os, "getpid") else "/tmp/kiosk_test_qr_pgm.pgm"


def _write(data):
    with open(_TMP, "wb") as f:
        f.write(data)
    return _TMP


def test_read_p5_with_comments():
    p = _write(b"P5\n# a comment\n3 2\n# another\n255\n" + bytes([0, 1, 2, 250, 254, 255]))
    buf, w, h = pgm.read(p)
    eq((w, h), (3, 2))
    eq(bytes(buf), bytes([0, 1, 2, 250, 254, 255]))
    eq(isinstance(buf, bytearray), True)
    # the buffer is reused for a frame of the same size
    buf2, _, _ = pgm.read(p, buf)
    eq(buf2 is buf, True)


def test_maxval_scaled():
    buf, w, h = pgm.read(_write(b"P5 2 1 15 " + bytes([0, 15])))
    eq(bytes(buf), bytes([0, 255]))


def test_bad_files():
    for data in (
        b"P2\n2 2\n255\n0 0 0 0",  # ASCII PGM
        b"P6\n1 1\n255\nabc",  # colour
        b"P5\n2 2\n255\n\x00",  # truncated pixels
        b"P5\n2 2",  # truncated header
        b"P5\n0 2\n255\n",  # zero width
        b"P5\n99999 2\n255\n",  # too wide
        b"P5\n2 2\n65535\n" + b"\x00" * 8,  # 16-bit
        b"P5\n2x 2\n255\n" + b"\x00" * 4,  # not a number
        b"P5\n" + b"#" * 400 + b"\n2 2\n255\n",  # endless comment
        b"P5\n" + b"1" * 40 + b" 2\n255\n",  # absurd field
        b"",
    ):
        raises(pgm.PGMError, pgm.read, _write(data))
    os.remove(_TMP)
