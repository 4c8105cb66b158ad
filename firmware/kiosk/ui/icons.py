"""Decision and status icons: a distinct shape for each, never colour alone.

The shape follows the door, not the code's colour: ENTER is a disc with a
check mark, NO ENTRY an octagon (stop sign) with a cross, whatever colour
the code has. Fault: a square with "!". Idle: a QR code symbol. Each draws in `fg` inside an s x s box at (x, y); marks inside
the shape are cut out in `bg`, the screen's background.
"""

from array import array


def _poly(fb, x, y, s, pts, c):
    a = array("h", [int(p * s) for p in pts])
    fb.poly(x, y, a, c, True)


def check(fb, x, y, s, fg, bg):
    r = s // 2
    fb.ellipse(x + r, y + r, r - 1, r - 1, fg, True)
    _poly(fb, x, y, s, (0.22, 0.50, 0.30, 0.42, 0.43, 0.55, 0.71, 0.26,
                        0.79, 0.34, 0.43, 0.71), bg)


def _bang(fb, x, y, s, top, c):
    w = max(2, s // 9)
    cx = x + s // 2 - w // 2
    fb.fill_rect(cx, y + int(s * top), w, int(s * (0.72 - top)), c)
    fb.fill_rect(cx, y + int(s * 0.78), w, w, c)


def octagon(fb, x, y, s, fg, bg):
    a = 0.293
    b = 1 - a
    _poly(fb, x, y, s - 1, (a, 0, b, 0, 1, a, 1, b, b, 1, a, 1, 0, b, 0, a), fg)
    w = 0.09
    lo = 0.27
    hi = 0.73
    _poly(fb, x, y, s, (lo, lo + w, lo + w, lo, hi, hi - w, hi - w, hi), bg)
    _poly(fb, x, y, s, (hi - w, lo, hi, lo + w, lo + w, hi, lo, hi - w), bg)


def square(fb, x, y, s, fg, bg):
    fb.fill_rect(x, y, s, s, fg)
    _bang(fb, x, y, s, 0.16, bg)


def qr(fb, x, y, s, fg, bg):
    m = s // 7
    fb.fill_rect(x, y, s, s, bg)
    for fx, fy in ((0, 0), (s - 3 * m, 0), (0, s - 3 * m)):
        fb.fill_rect(x + fx, y + fy, 3 * m, 3 * m, fg)
        fb.fill_rect(x + fx + m // 2, y + fy + m // 2, 2 * m, 2 * m, bg)
        fb.fill_rect(x + fx + m, y + fy + m, m, m, fg)
    for i, j in ((4, 4), (5, 4), (4, 5), (6, 6), (5, 6), (4, 0), (0, 4), (6, 4)):
        fb.fill_rect(x + i * m, y + j * m, m, m, fg)


BY_DECISION = {True: "check", False: "octagon"}  # admit -> icon name
