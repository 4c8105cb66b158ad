"""`kioskctl fonts build`: the KFNT file from a Debian CJK font (GB2312 + ASCII)."""

import os
import struct
import subprocess
import sys
import time

import pytest

from kioskctl import cmd_fonts, fontfile

BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("fonts")
    t0 = time.time()
    proc = subprocess.run([os.path.join(BIN, "kioskctl"), "fonts", "build", "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    took = time.time() - t0
    assert proc.returncode == 0, proc.stderr
    path = proc.stdout.strip()
    assert path == str(out / "kiosk.fnt")
    print("fonts build: %.1f s, %d bytes" % (took, os.path.getsize(path)))
    return path, fontfile.FontFile.open(path)


def test_every_gb2312_character_at_body_sizes(built):
    _, ff = built
    chars = fontfile.gb2312_chars()
    assert len(chars) > 7400
    for size in (16, 24):
        missing = [c for c in chars + fontfile.ascii_chars() if not ff.has(size, c)]
        assert missing == []


def test_headline_strike_holds_every_screen_character(built):
    _, ff = built
    used = cmd_fonts.ui_chars()
    assert "请" in used and "Y" in used
    for size in (32, 48):
        assert [c for c in used if not ff.has(size, c)] == []
        assert not ff.has(size, "龘"), "the large strikes are a subset"


def test_glyphs_look_like_their_characters(built):
    _, ff = built
    for size in (16, 24, 32, 48):
        if size < 32:
            adv, rows = ff.glyph(size, "一")  # one horizontal stroke
            ink_rows = [y for y, r in enumerate(rows) if any(r)]
            assert 1 <= len(ink_rows) <= max(2, size // 8)
            assert max(sum(r) for r in rows) >= size * 0.7
        adv, rows = ff.glyph(size, "|")
        cols = {x for r in rows for x, v in enumerate(r) if v}
        assert len(cols) <= max(2, size // 12)
        assert ff.glyph(size, " ")[1] == [[0] * len(rows[0])] * len(rows)
        assert ff.glyph(size, "i")[0] < ff.glyph(size, "W")[0] <= size
        assert ff.glyph(size, "请")[0] == size
    hanzi = [c for c in fontfile.gb2312_chars() if "\u4e00" <= c <= "\u9fff"]
    empty = [c for c in hanzi if not any(any(r) for r in ff.glyph(24, c)[1])]
    assert empty == []


def test_file_layout(built):
    path, ff = built
    data = open(path, "rb").read()
    magic, ver, nst, _ = struct.unpack_from("<4sBBH", data)
    assert (magic, ver, nst) == (b"KFNT", 1, 4)
    for i in range(nst):
        size, h, w, stride, rec, n, t_off, g_off, b_off, nb, _ = struct.unpack_from("<BBBBHHIIIHH", data, 8 + 24 * i)
        assert h == fontfile.cell_height(size) and w == size and stride == (w + 7) // 8
        assert rec == 1 + stride * h and g_off + rec * n <= len(data)
        cps = struct.unpack_from("<%dH" % n, data, t_off)
        assert list(cps) == sorted(set(cps))
        assert list(struct.unpack_from("<%dH" % nb, data, b_off)) == list(cps[::64])
    assert len(data) < 1_500_000


def test_bad_inputs():
    with pytest.raises(fontfile.FontFileError):
        fontfile.FontFile(b"NOPE" + bytes(20))
    with pytest.raises(fontfile.FontFileError):
        fontfile.find_font("/nonexistent/font.ttf")
    proc = subprocess.run([os.path.join(BIN, "kioskctl"), "fonts", "build", "-o", "/tmp/x", "--sizes", "200"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "out of range" in proc.stderr
