"""Read 8-bit binary PGM (P5) images into a bytearray on MicroPython.

`read(path) -> (buf, width, height)` is the simulated camera's frame loader.
The header is parsed with hard bounds (at most 256 header bytes, comments
skipped, width and height 1..8192, maxval 1..255) and the pixel data is read
straight into one preallocated bytearray with readinto, so a frame costs
width*height bytes of heap and nothing more. Any malformed file raises
PGMError (ValueError subclass) with a clear message.
"""

from micropython import const

_MAX_HEADER = const(256)
_MAX_SIDE = const(8192)


class PGMError(ValueError):
    pass


def _header(f):
    """Return (width, height, maxval) leaving f at the first pixel byte."""
    fields = []
    tok = bytearray()
    used = 0
    comment = False
    while len(fields) < 4:
        ch = f.read(1)
        used += 1
        if not ch:
            raise PGMError("pgm: truncated header")
        if used > _MAX_HEADER:
            raise PGMError("pgm: header too long")
        c = ch[0]
        if comment:
            if c in (10, 13):
                comment = False
            continue
        if c == 35 and not tok:  # '#'
            comment = True
            continue
        if c in (32, 9, 10, 13, 11, 12):
            if tok:
                fields.append(bytes(tok))
                tok = bytearray()
            continue
        if len(tok) >= 8:
            raise PGMError("pgm: header field too long")
        tok.append(c)
    if fields[0] != b"P5":
        raise PGMError("pgm: not a binary PGM (P5)")
    try:
        w = int(fields[1])
        h = int(fields[2])
        mx = int(fields[3])
    except ValueError:
        raise PGMError("pgm: bad header number")
    if not (0 < w <= _MAX_SIDE and 0 < h <= _MAX_SIDE):
        raise PGMError("pgm: bad size %dx%d" % (w, h))
    if not 0 < mx <= 255:
        raise PGMError("pgm: only 8-bit PGM is supported")
    return w, h, mx


def read(path, buf=None):
    """Read a P5 PGM; reuse `buf` when it is a bytearray of the right size."""
    with open(path, "rb") as f:
        w, h, mx = _header(f)
        n = w * h
        if buf is None or len(buf) != n:
            buf = None
            buf = bytearray(n)
        got = f.readinto(buf)
        if got != n:
            raise PGMError("pgm: truncated pixel data (%d of %d bytes)" % (got or 0, n))
    if mx != 255:
        for i in range(n):
            v = buf[i] * 255 // mx
            buf[i] = v if v < 256 else 255
    return buf, w, h
