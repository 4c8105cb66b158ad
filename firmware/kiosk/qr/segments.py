"""QR data bit stream: numeric, alphanumeric, byte, Kanji, Hanzi and ECI.

`parse(data, version)` walks the segments of the corrected data codewords
and returns the payload bytes. Every count is checked against the bits that
remain, so a malformed stream raises QRError instead of reading past the
end. Structured-append headers and FNC1 indicators are skipped.

Text handling (the payload a person expects, as ZXing reports it):
- numeric and alphanumeric segments give ASCII;
- Kanji segments and byte segments declared Shift_JIS (ECI 20) are
  converted to UTF-8 with the JIS X 0208 table in `sjis.bin`;
- byte segments with no ECI are kept as they are, unless they are not valid
  UTF-8 but are valid Shift_JIS text, which is then converted;
- ECI 1/3 (ISO-8859-1) byte segments are converted to UTF-8; every other
  ECI leaves the bytes as they are. `raw` keeps the unconverted bytes.
"""

from micropython import const

from kiosk.qr.errors import QRError

_ALNUM = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_MAX_OUT = const(8192)


class _Bits:
    def __init__(self, data):
        self.d = data
        self.pos = 0
        self.n = len(data) * 8

    def left(self):
        return self.n - self.pos

    def read(self, k):
        if k > self.n - self.pos:
            raise QRError("bit stream truncated")
        v = 0
        d = self.d
        p = self.pos
        for _ in range(k):
            v = (v << 1) | ((d[p >> 3] >> (7 - (p & 7))) & 1)
            p += 1
        self.pos = p
        return v


def _count_bits(mode, version):
    g = 0 if version <= 9 else (1 if version <= 26 else 2)
    if mode == 1:
        return (10, 12, 14)[g]
    if mode == 2:
        return (9, 11, 13)[g]
    if mode == 4:
        return (8, 16, 16)[g]
    return (8, 10, 12)[g]  # Kanji, Hanzi


def parse(data, version):
    """Return (text bytes, raw bytes) from corrected data codewords."""
    bits = _Bits(data)
    text = bytearray()
    raw = bytearray()
    eci = -1
    while bits.left() >= 4:
        mode = bits.read(4)
        if mode == 0:
            break
        if mode == 3:  # structured append: sequence, parity
            bits.read(16)
            continue
        if mode == 5:  # FNC1 first position
            continue
        if mode == 9:  # FNC1 second position: application indicator
            bits.read(8)
            continue
        if mode == 7:
            eci = _read_eci(bits)
            continue
        if mode not in (1, 2, 4, 8, 13):
            raise QRError("unknown mode %d" % mode)
        if mode == 13:
            bits.read(4)  # Hanzi subset indicator
        count = bits.read(_count_bits(mode, version))
        seg = bytearray()
        if mode == 1:
            _numeric(bits, count, seg)
        elif mode == 2:
            _alnum(bits, count, seg)
        elif mode == 4:
            if count * 8 > bits.left():
                raise QRError("byte segment truncated")
            for _ in range(count):
                seg.append(bits.read(8))
        else:
            if count * 13 > bits.left():
                raise QRError("double-byte segment truncated")
            for _ in range(count):
                v = bits.read(13)
                if mode == 8:
                    a = (v // 0xC0) << 8 | (v % 0xC0)
                    a += 0x8140 if a < 0x1F00 else 0xC140
                else:
                    a = (v // 0x60) << 8 | (v % 0x60)
                    a += 0xA1A1 if a < 0x0A00 else 0xA6A1
                seg.append(a >> 8)
                seg.append(a & 0xFF)
        raw.extend(seg)
        if len(raw) > _MAX_OUT:
            raise QRError("payload too long")
        if mode == 8 or (mode == 4 and eci == 20):
            text.extend(_sjis_to_utf8(seg, True))
        elif mode == 4 and eci in (1, 3):
            text.extend(_latin1_to_utf8(seg))
        elif mode == 4 and eci < 0 and not _valid_utf8(seg) and _looks_sjis(seg):
            text.extend(_sjis_to_utf8(seg, False))
        else:
            text.extend(seg)
    return bytes(text), bytes(raw)


def _read_eci(bits):
    b = bits.read(8)
    if b & 0x80 == 0:
        return b
    if b & 0xC0 == 0x80:
        return ((b & 0x3F) << 8) | bits.read(8)
    if b & 0xE0 == 0xC0:
        return ((b & 0x1F) << 16) | bits.read(16)
    raise QRError("bad ECI designator")


def _numeric(bits, count, seg):
    while count >= 3:
        v = bits.read(10)
        if v >= 1000:
            raise QRError("bad numeric triple")
        seg.append(48 + v // 100)
        seg.append(48 + (v // 10) % 10)
        seg.append(48 + v % 10)
        count -= 3
    if count == 2:
        v = bits.read(7)
        if v >= 100:
            raise QRError("bad numeric pair")
        seg.append(48 + v // 10)
        seg.append(48 + v % 10)
    elif count == 1:
        v = bits.read(4)
        if v >= 10:
            raise QRError("bad numeric digit")
        seg.append(48 + v)


def _alnum(bits, count, seg):
    while count >= 2:
        v = bits.read(11)
        if v >= 45 * 45:
            raise QRError("bad alphanumeric pair")
        seg.append(_ALNUM[v // 45])
        seg.append(_ALNUM[v % 45])
        count -= 2
    if count:
        v = bits.read(6)
        if v >= 45:
            raise QRError("bad alphanumeric char")
        seg.append(_ALNUM[v])


def _valid_utf8(b):
    i = 0
    n = len(b)
    while i < n:
        c = b[i]
        if c < 0x80:
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            k = 1
        elif 0xE0 <= c <= 0xEF:
            k = 2
        elif 0xF0 <= c <= 0xF4:
            k = 3
        else:
            return False
        for j in range(1, k + 1):
            if i + j >= n or b[i + j] & 0xC0 != 0x80:
                return False
        i += k + 1
    return True


def _looks_sjis(b):
    i = 0
    n = len(b)
    multi = False
    while i < n:
        c = b[i]
        if c < 0x80:
            i += 1
        elif 0xA1 <= c <= 0xDF:
            multi = True
            i += 1
        elif (0x81 <= c <= 0x9F) or (0xE0 <= c <= 0xEF):
            if i + 1 >= n:
                return False
            t = b[i + 1]
            if t < 0x40 or t > 0xFC or t == 0x7F:
                return False
            multi = True
            i += 2
        else:
            return False
    return multi


def _put_utf8(out, cp):
    if cp < 0x80:
        out.append(cp)
    elif cp < 0x800:
        out.append(0xC0 | (cp >> 6))
        out.append(0x80 | (cp & 0x3F))
    else:
        out.append(0xE0 | (cp >> 12))
        out.append(0x80 | ((cp >> 6) & 0x3F))
        out.append(0x80 | (cp & 0x3F))


def _latin1_to_utf8(seg):
    out = bytearray()
    for c in seg:
        _put_utf8(out, c)
    return out


_TABLE = None


def _table():
    """Open sjis.bin beside this module (None when it is not installed)."""
    global _TABLE
    if _TABLE is None:
        try:
            base = __file__.rsplit("/", 1)[0]
            _TABLE = open(base + "/sjis.bin", "rb")
        except Exception:
            _TABLE = False
    return _TABLE


def _sjis_lookup(lead, trail):
    t = _table()
    if not t:
        return 0
    if 0x81 <= lead <= 0x9F:
        row = lead - 0x81
    elif 0xE0 <= lead <= 0xEF:
        row = lead - 0xE0 + 31
    else:
        return 0
    if trail < 0x40 or trail > 0xFC:
        return 0
    t.seek((row * 189 + trail - 0x40) * 2)
    b = t.read(2)
    if len(b) != 2:
        return 0
    return (b[0] << 8) | b[1]


def _sjis_to_utf8(seg, strict):
    out = bytearray()
    i = 0
    n = len(seg)
    while i < n:
        c = seg[i]
        if c < 0x80:
            out.append(c)
            i += 1
        elif 0xA1 <= c <= 0xDF:
            _put_utf8(out, 0xFF61 + c - 0xA1)
            i += 1
        elif i + 1 < n:
            cp = _sjis_lookup(c, seg[i + 1])
            if cp:
                _put_utf8(out, cp)
            else:
                out.append(c)
                out.append(seg[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return out
