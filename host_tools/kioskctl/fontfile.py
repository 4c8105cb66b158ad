"""The kiosk bitmap font file (KFNT): build it with pillow, read it back.

The firmware (firmware/kiosk/ui/font.py) reads this file glyph by glyph from
flash; docs/ui.md describes the format. All integers are little-endian.

    header   8 bytes   b"KFNT", u8 version (1), u8 strike count, u16 0
    strikes  24 bytes each:
             u8 size (nominal px), u8 cell height, u8 cell width, u8 stride
             (bytes per bitmap row), u16 record size, u16 glyph count,
             u32 offset of the sorted u16 code point table,
             u32 offset of the glyph records,
             u32 offset of the block index (u16 first code point of each
             run of 64 table entries), u16 block count, u16 0
    records  u8 advance (px) then cell height rows of `stride` bytes,
             MONO_HLSB (bit 7 of byte 0 is the leftmost pixel)

Only BMP code points are stored; the firmware draws a fallback glyph (the
code point in hex inside a box) for anything else.
"""

import os
import struct

MAGIC = b"KFNT"
VERSION = 1
HEADER = struct.Struct("<4sBBH")
STRIKE = struct.Struct("<BBBBHHIIIHH")
BLOCK = 64
DEFAULT_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


class FontFileError(Exception):
    pass


def cell_height(size):
    """Rows per glyph cell for a nominal size: room for descenders."""
    return size + size // 8


def gb2312_chars():
    """Every character of GB2312 (levels 1 and 2 hanzi plus symbols)."""
    out = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes((hi, lo)).decode("gb2312")
            except UnicodeDecodeError:
                continue
            out.append(ch)
    return out


def ascii_chars():
    return [chr(c) for c in range(0x20, 0x7F)]


def find_font(path=None):
    for p in ([path] if path else DEFAULT_FONTS):
        if p and os.path.exists(p):
            return p
    raise FontFileError(
        "no CJK TrueType font found (tried %s); install fonts-wqy-microhei or pass --font"
        % ", ".join([path] if path else DEFAULT_FONTS)
    )


def _render_strike(font_path, size, chars):
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_path, size)
    height = cell_height(size)
    width = size  # full-width CJK cell; Latin glyphs are narrower
    stride = (width + 7) // 8
    # Put the top of a CJK ideograph on row 0 of the cell.
    top = font.getbbox("国")[1]
    img = Image.new("1", (width, height), 0)
    draw = ImageDraw.Draw(img)
    cps = sorted({ord(c) for c in chars if 0x20 <= ord(c) <= 0xFFFF})
    records = bytearray()
    for cp in cps:
        ch = chr(cp)
        draw.rectangle((0, 0, width, height), fill=0)
        adv = int(round(font.getlength(ch)))
        adv = max(1, min(width, adv))
        x0 = 0
        bbox = font.getbbox(ch)
        if bbox[2] > width:  # rare wide glyph: shift left to keep its ink
            x0 = width - bbox[2]
        draw.text((x0, -top), ch, font=font, fill=1)
        records.append(adv)
        rows = img.tobytes()  # mode "1" packs MSB first, rows padded to bytes
        records += rows
    recsize = 1 + stride * height
    assert len(records) == recsize * len(cps)
    return size, height, width, stride, cps, bytes(records)


def build(font_path=None, sizes=(16, 24), large=(32, 48), large_chars=""):
    """Return the font file bytes: GB2312 + ASCII at `sizes`, and ASCII plus
    `large_chars` at each size in `large` (headlines)."""
    font_path = find_font(font_path)
    base = ascii_chars() + gb2312_chars() + list(large_chars)
    big = ascii_chars() + list(large_chars)
    strikes = [_render_strike(font_path, s, base) for s in sizes]
    strikes += [_render_strike(font_path, s, big) for s in large]
    nst = len(strikes)
    off = HEADER.size + STRIKE.size * nst
    head = bytearray(HEADER.pack(MAGIC, VERSION, nst, 0))
    body = bytearray()
    for size, height, width, stride, cps, recs in strikes:
        table = struct.pack("<%dH" % len(cps), *cps)
        blocks = cps[::BLOCK]
        bindex = struct.pack("<%dH" % len(blocks), *blocks)
        t_off = off + len(body)
        body += table
        b_off = off + len(body)
        body += bindex
        while (off + len(body)) % 4:
            body.append(0)
        g_off = off + len(body)
        body += recs
        head += STRIKE.pack(size, height, width, stride, 1 + stride * height, len(cps), t_off, g_off, b_off, len(blocks), 0)
    return bytes(head + body)


class FontFile:
    """Host-side reader, used by tests to check what the firmware drew."""

    def __init__(self, data):
        if len(data) < HEADER.size or data[:4] != MAGIC:
            raise FontFileError("not a KFNT font file")
        _, ver, nst, _ = HEADER.unpack_from(data, 0)
        if ver != VERSION:
            raise FontFileError("unsupported font version %d" % ver)
        self.data = data
        self.strikes = {}
        for i in range(nst):
            f = STRIKE.unpack_from(data, HEADER.size + i * STRIKE.size)
            size, height, width, stride, recsize, n, t_off, g_off, b_off, nb, _ = f
            cps = struct.unpack_from("<%dH" % n, data, t_off)
            self.strikes[size] = dict(
                height=height, width=width, stride=stride, recsize=recsize,
                index={cp: i for i, cp in enumerate(cps)}, g_off=g_off,
            )

    @classmethod
    def open(cls, path):
        with open(path, "rb") as f:
            return cls(f.read())

    def has(self, size, ch):
        return ord(ch) in self.strikes[size]["index"]

    def glyph(self, size, ch):
        """(advance, rows) with rows a list of lists of 0/1, or None if absent."""
        s = self.strikes[size]
        i = s["index"].get(ord(ch))
        if i is None:
            return None
        o = s["g_off"] + i * s["recsize"]
        adv = self.data[o]
        rows = []
        for y in range(s["height"]):
            row = self.data[o + 1 + y * s["stride"]: o + 1 + (y + 1) * s["stride"]]
            rows.append([(row[x >> 3] >> (7 - (x & 7))) & 1 for x in range(s["width"])])
        return adv, rows
