# QR data bit streams: every mode, ECI, Kanji -> UTF-8, bounds. Runs on MicroPython.
from mpassert import eq, raises
from kiosk.qr import segments
from kiosk.qr.errors import QRError

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


class W:
    def __init__(self):
        self.bits = []

    def put(self, v, n):
        for i in range(n - 1, -1, -1):
            self.bits.append((v >> i) & 1)
        return self

    def data(self, total=None):
        b = list(self.bits)
        while len(b) % 8:
            b.append(0)
        out = bytearray()
        for i in range(0, len(b), 8):
            v = 0
            for k in range(8):
                v = (v << 1) | b[i + k]
            out.append(v)
        pad = (0xEC, 0x11)
        i = 0
        while total and len(out) < total:
            out.append(pad[i & 1])
            i += 1
        return bytes(out)


def numeric(w, s, cbits=10):
    w.put(1, 4).put(len(s), cbits)
    i = 0
    while i + 3 <= len(s):
        w.put(int(s[i : i + 3]), 10)
        i += 3
    r = len(s) - i
    if r == 2:
        w.put(int(s[i:]), 7)
    elif r == 1:
        w.put(int(s[i:]), 4)


def alnum(w, s, cbits=9):
    w.put(2, 4).put(len(s), cbits)
    for i in range(0, len(s) - 1, 2):
        w.put(_ALNUM.index(s[i]) * 45 + _ALNUM.index(s[i + 1]), 11)
    if len(s) & 1:
        w.put(_ALNUM.index(s[-1]), 6)


def byte(w, b, cbits=8):
    w.put(4, 4).put(len(b), cbits)
    for c in b:
        w.put(c, 8)


def test_numeric_lengths():
    for s in ("0", "12", "123", "0123456789", "99999999"):
        w = W()
        numeric(w, s)
        eq(segments.parse(w.put(0, 4).data(20), 1)[0], s.encode())


def test_alnum_and_mixed_segments():
    w = W()
    alnum(w, "HC1:NCFOXN%TS3DH")
    numeric(w, "4711")
    byte(w, b"ok\xff")
    text, raw = segments.parse(w.put(0, 4).data(40), 2)
    eq(raw, b"HC1:NCFOXN%TS3DH4711ok\xff")
    eq(text, raw)


def test_count_widths_by_version():
    w = W()
    byte(w, b"x" * 300, 16)
    eq(segments.parse(w.data(), 10)[0], b"x" * 300)
    w = W()
    numeric(w, "12345", 14)
    eq(segments.parse(w.data(), 27)[0], b"12345")


def test_kanji_to_utf8():
    # Shift_JIS 0x93FA 0x967B ("Japan" in kanji) in Kanji mode
    w = W().put(8, 4).put(2, 8)
    for sj in (0x93FA, 0x967B):
        v = sj - 0x8140
        w.put((v >> 8) * 0xC0 + (v & 0xFF), 13)
    text, raw = segments.parse(w.data(), 1)
    eq(raw, b"\x93\xfa\x96\x7b")
    eq(text, "日本".encode())


def test_byte_shift_jis_guess_and_utf8():
    w = W()
    byte(w, b"\x93\xfa\x96\x7b \xb1")  # SJIS kanji + halfwidth katakana
    eq(segments.parse(w.data(), 1)[0], "日本 ｱ".encode())
    w = W()
    byte(w, "日本".encode())  # valid UTF-8 stays as it is
    eq(segments.parse(w.data(), 1)[0], "日本".encode())


def test_eci():
    w = W().put(7, 4).put(26, 8)  # ECI 26 = UTF-8
    byte(w, "é".encode())
    eq(segments.parse(w.data(), 1)[0], "é".encode())
    w = W().put(7, 4).put(3, 8)  # ECI 3 = ISO-8859-1
    byte(w, b"\xe9")
    t, raw = segments.parse(w.data(), 1)
    eq(t, "é".encode())
    eq(raw, b"\xe9")
    w = W().put(7, 4).put(0x80 | 1, 8).put(0x23, 8)  # two-byte ECI designator
    byte(w, b"a")
    eq(segments.parse(w.data(), 1)[0], b"a")


def test_structured_append_and_fnc1_skipped():
    w = W().put(3, 4).put(0x1234, 16).put(5, 4)
    alnum(w, "AB")
    eq(segments.parse(w.data(), 1)[0], b"AB")


def test_malformed_streams_raise():
    w = W()
    byte(w, b"abc")
    d = w.data()
    raises(QRError, segments.parse, d[:2], 1)  # truncated
    w = W().put(1, 4).put(3, 10).put(1000, 10)  # numeric triple > 999
    raises(QRError, segments.parse, w.data(), 1)
    w = W().put(6, 4).put(0, 20)  # unknown mode 6
    raises(QRError, segments.parse, w.data(), 1)
    w = W().put(2, 4).put(1, 9).put(50, 6)  # alnum index out of range
    raises(QRError, segments.parse, w.data(), 1)
    w = W().put(7, 4).put(0xE0, 8)  # bad ECI designator
    raises(QRError, segments.parse, w.data(), 1)


def test_empty_and_terminator_only():
    eq(segments.parse(b"", 1)[0], b"")
    eq(segments.parse(bytes([0x00, 0xEC, 0x11]), 1)[0], b"")
