# The KFNT reader: a font file is written here by hand from the format in
# docs/ui.md (independent of the host builder), then read glyph by glyph.
import gc
import struct

import framebuf
import mpassert
from kiosk.ui.font import Font, UiError
from kiosk.ui.text import Pen

PATH = "/tmp/kiosk-test-font-%s-%%d.fnt" % "".join("%02x" % b for b in __import__("os").urandom(6))


def _glyph(cp):
    # 8x8 cell, stride 1: row y holds (cp + y) & 0xFF, advance 1..8
    return bytes([cp % 8 + 1] + [(cp + y) & 0xFF for y in range(8)])


def make_font(path, cps):
    sizes = (8,)
    cps = sorted(cps)
    nst = len(sizes)
    head = struct.pack("<4sBBH", b"KFNT", 1, nst, 0)
    body = b""
    off = 8 + 24 * nst
    strikes = b""
    for size in sizes:
        table = struct.pack("<%dH" % len(cps), *cps)
        blocks = cps[::64]
        bidx = struct.pack("<%dH" % len(blocks), *blocks)
        t_off = off + len(body)
        body += table
        b_off = off + len(body)
        body += bidx
        g_off = off + len(body)
        strikes += struct.pack("<BBBBHHIIIHH", size, 8, 8, 1, 9, len(cps), t_off, g_off, b_off, len(blocks), 0)
    with open(path, "wb") as f:
        f.write(head + strikes + body)
        for c in cps:
            f.write(_glyph(c))
    return path


CPS = [0x41, 0x42, 0x4E2D] + list(range(0x3000, 0x3000 + 140, 2))


def test_find_across_blocks():
    font = Font(make_font(PATH % 1, CPS))
    st = font.strike(8)
    order = sorted(CPS)
    for i, cp in enumerate(order):
        mpassert.eq(st.find(cp), i, "cp %x" % cp)
    for cp in (0x20, 0x43, 0x3001, 0x308B, 0x4E2C, 0xFFFF, 0x10000, 0x1F600):
        mpassert.eq(st.find(cp), -1, "cp %x" % cp)
    mpassert.eq(len(st.blocks), 2)


def test_glyph_bits_drawn_where_asked():
    font = Font(make_font(PATH % 2, CPS))
    buf = bytearray(40 * 10 * 2)
    fb = framebuf.FrameBuffer(buf, 40, 10, framebuf.RGB565)
    pen = Pen(fb, font)
    x = pen.draw("A\u4e2d", 3, 1, 8, 0x1234)
    mpassert.eq(x, 3 + (0x41 % 8 + 1) + (0x4E2D % 8 + 1), "advances from the file")
    for cp in (0x41, 0x4E2D):
        fb.fill(0)
        Pen(fb, font).draw(chr(cp), 5, 1, 8, 0x1234)
        for y in range(8):
            row = (cp + y) & 0xFF
            for bit in range(8):
                want = 0x1234 if row & (0x80 >> bit) else 0
                mpassert.eq(fb.pixel(5 + bit, 1 + y), want, "cp %x (%d,%d)" % (cp, bit, y))
    mpassert.eq(pen.drawn, [("A\u4e2d", 3, 1, 8, 0x1234)])


def test_missing_characters_get_a_hex_box():
    font = Font(make_font(PATH % 3, CPS))
    buf = bytearray(30 * 10 * 2)
    fb = framebuf.FrameBuffer(buf, 30, 10, framebuf.RGB565)
    pen = Pen(fb, font)
    x = pen.draw("\u4dae\U0001F600", 0, 0, 8, 0xFFFF)  # outside the set, astral
    mpassert.eq(x, 16, "fallback glyph is one full cell")
    mpassert.eq([fb.pixel(i, 0) for i in range(7)], [0xFFFF] * 7, "box top edge")
    mpassert.eq([fb.pixel(0, j) for j in range(8)], [0xFFFF] * 8, "box left edge")
    ink = sum(1 for i in range(1, 6) for j in range(1, 7) if fb.pixel(i, j))
    assert ink > 0, "hex digits inside the box"


def test_cache_is_bounded_and_reused():
    font = Font(make_font(PATH % 4, CPS), cache=(4,))
    st = font.strike(8)
    fb = framebuf.FrameBuffer(bytearray(200 * 10 * 2), 200, 10, framebuf.RGB565)
    pen = Pen(fb, font)
    pen.draw("AB", 0, 0, 8, 1)
    r = st.reads
    pen.draw("ABAB", 0, 0, 8, 1)
    mpassert.eq(st.reads, r, "cached glyphs cost no flash reads")
    pen.draw("".join(chr(c) for c in range(0x3000, 0x3000 + 40, 2)), 0, 0, 8, 1)
    mpassert.eq(len(st._map), 4, "at most 4 glyphs kept")


def test_ram_does_not_grow_with_font_size():
    many = list(range(0x4E00, 0x4E00 + 7000))
    gc.collect()
    before = gc.mem_alloc()
    font = Font(make_font(PATH % 5, many), cache=(24,))
    gc.collect()
    used = gc.mem_alloc() - before
    assert used < 8 * 1024, "font object uses %d bytes for 7000 glyphs" % used
    mpassert.eq(font.strike(8).find(0x4E00 + 6999), 6999)
    font.close()
    __import__("os").remove(PATH % 5)


def test_bad_files_raise_uierror():
    good = open(make_font(PATH % 6, CPS), "rb").read()
    cases = {
        "magic": b"XFNT" + good[4:],
        "version": good[:4] + b"\x02" + good[5:],
        "nstrikes": good[:5] + b"\x00" + good[6:],
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "cell": good[:9] + b"\xc8" + good[10:],
        "count": good[:14] + b"\xff\xff" + good[16:],
    }
    for name, data in cases.items():
        with open(PATH % 7, "wb") as f:
            f.write(data)
        e = mpassert.raises(UiError, Font, PATH % 7)
        assert str(e), name
    mpassert.raises(UiError, Font, "/nonexistent/kiosk.fnt")


def test_ui_falls_back_to_english_without_a_font():
    import simlcd
    from kiosk.ui import Ui

    lcd = simlcd.make_lcd(240, 240)
    with open(PATH % 8, "wb") as f:
        f.write(b"garbage")
    ui = Ui(lcd, PATH % 8, "zh")
    assert "KFNT" in ui.font_error, ui.font_error
    mpassert.eq(ui.langs, ("en",))
    ui.fault("camera")
    texts = " ".join(d[0] for d in ui.drawn)
    assert "Camera failed" in texts, texts
    assert "E:camera" in texts, texts
    ink = sum(1 for x in range(80, 230) for y in range(10, 40) if lcd.sim.panel.pixel(x, y) == (255, 255, 255))
    assert ink > 100, "title drawn with the built-in font"


def test_flash_read_errors_draw_fallback_glyphs():
    path = make_font(PATH % 9, CPS)
    font = Font(path)
    st = font.strike(8)
    data = open(path, "rb").read()
    with open(path, "wb") as f:  # the file shrinks under the open reader
        f.write(data[:40])
    fb = framebuf.FrameBuffer(bytearray(20 * 10 * 2), 20, 10, framebuf.RGB565)
    x = Pen(fb, font).draw("A", 0, 0, 8, 0xFFFF)
    mpassert.eq(x, 8, "fallback box instead of a crash")
    assert st.errors > 0
