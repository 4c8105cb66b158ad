"""Every screen, in zh, en and zh+en and at 240x240 and 320x240, rendered by
the firmware on MicroPython (real ST7789 / ILI9341 drivers on the simulated SPI
panel, one PNG per show()), with the CJK font and with the built-in fallback,
then checked here with pillow: dominant colour, the decision read from the
icon region in grayscale alone (every ENTER screen one shape, every NO ENTRY
screen another, whatever the code's colour), no text outside the screen, and
the text pixels against the font file with the words the texts table says."""

import json
import os
import runpy
import time

import pytest
from PIL import Image

from kioskctl import fontfile, mp, paths
from kioskctl.fw import records

NOW = 1763800000  # 2025-11-22 08:26:40 UTC
NAME = "张*玲"
RARE = "欧阳*䶮"  # U+4DAE is outside GB2312: drawn as a hex box
TEXTS = runpy.run_path(os.path.join(paths.FIRMWARE, "kiosk", "ui", "texts.py"))
T = TEXTS["TEXTS"]

SCRIPT = r"""
import json, sys
import simlcd
from kiosk.ui import Ui

font, out, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
cases = json.loads(open(sys.argv[4]).read())
log = open(out + "/manifest.jsonl", "w")
for fname, fpath in (("", font), ("builtin-", None)):
  for w, h, ctl in ((240, 240, "st7789"), (320, 240, "ili9341")):
    for lang in ("zh", "en", "zh+en"):
        lcd = simlcd.make_lcd(w, h, out, controller=ctl, prefix="%s%d-%s-" % (fname, w, lang.replace("+", "_")))
        ui = Ui(lcd, fpath, lang)
        for case in cases:
            kind = case["kind"]
            if kind == "idle":
                ui.idle(now, counts=case.get("counts"), status=case.get("status"))
            elif kind == "verdict":
                ui.verdict(case["v"], now)
            else:
                ui.fault(case["code"], case.get("detail"))
            log.write(json.dumps({"case": case, "w": w, "h": h, "lang": lang, "png": lcd.sim.last_png,
                                  "screen": ui.screen, "icon": ui.icon, "drawn": ui.drawn,
                                  "boxes": [(x, y, ui.pen.width(t, sz), ui.pen.height(sz)) for t, x, y, sz, c in ui.drawn],
                                  "builtin": ui.builtin, "font_error": ui.font_error}) + "\n")
log.close()
"""


def _verdict(verdict, admit, reason, colour, name=NAME, exp=None, used_at=None):
    return {"kind": "verdict", "v": {"verdict": verdict, "admit": admit, "reason": reason,
                                     "colour": colour, "name": name, "exp": exp, "used_at": used_at}}


USED = NOW - 300
CASES = [{"kind": "idle"}, {"kind": "idle", "counts": [1234, 56]},
         {"kind": "idle", "counts": [7, 0], "status": "fleet: online 3 pending"}]
CASES += [
    _verdict("GREEN", True, "ok", "green", exp=NOW + 7 * 86400),
    _verdict("YELLOW", True, "ok", "yellow"),  # a travel window at a transit venue
    _verdict("YELLOW", False, "policy", "yellow"),
    _verdict("RED", False, "policy", "red", name=RARE),
    _verdict("RED", True, "ok", "red"),  # a medical venue
    _verdict("GREEN", False, "already_used", "green", used_at=USED),
    _verdict("GREEN", True, "ok", "green", used_at=USED),  # policy reuse "warn"
]
CASES += [_verdict("RED", False, r, None, name=None) for r in records.REASONS
          if r not in ("ok", "policy", "already_used")]
CASES += [_verdict("RED", False, "no_such_reason", None, name=None)]
CASES += [{"kind": "fault", "code": c} for c in TEXTS["FAULTS"]]
CASES += [{"kind": "fault", "code": "trust_grace", "detail": "3 days left"}, {"kind": "fault", "code": "disk_on_fire"}]

BG = {"enter": (0, 128, 56), "stop": (200, 24, 32), "idle": (16, 40, 72), "fault": (56, 64, 80)}
ICON = {"enter": "check", "stop": "octagon", "fault": "square", "idle": "qr"}


def q565(rgb):
    r, g, b = rgb
    r, g, b = r >> 3, g >> 2, b >> 3
    return ((r << 3) | (r >> 2), (g << 2) | (g >> 4), (b << 3) | (b >> 2))


def from_fb(v):
    """Frame buffer value (big-endian RGB565 in memory) -> RGB888 on screen."""
    c = ((v & 0xFF) << 8) | (v >> 8)
    return q565(((c >> 11) << 3, ((c >> 5) & 63) << 2, (c & 31) << 3))


def luminance(rgb):
    def ch(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (ch(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, kiosk_font):
    font_path = kiosk_font
    out = tmp_path_factory.mktemp("screens")
    script = out / "render.py"
    script.write_text(SCRIPT)
    cases = out / "cases.json"
    cases.write_text(json.dumps(CASES))
    t0 = time.time()
    mp.run(str(script), [font_path, str(out), NOW, str(cases)], timeout=300)
    print("rendered %d screens in %.1f s" % (N * len(CASES), time.time() - t0))
    entries = [json.loads(line) for line in open(out / "manifest.jsonl", encoding="utf-8")]
    return fontfile.FontFile.open(font_path), entries


N = 12  # 2 fonts x 2 sizes x 3 languages


def test_one_png_per_screen(rendered):
    _, entries = rendered
    assert len(entries) == N * len(CASES)
    pngs = [e["png"] for e in entries]
    assert len(set(pngs)) == len(pngs) and all(os.path.exists(p) for p in pngs)
    assert all((e["font_error"] is None) != e["builtin"] for e in entries)
    assert os.path.basename(entries[0]["png"]) == "240-zh-0001.png"
    for e in entries:
        im = Image.open(e["png"])
        assert im.size == (e["w"], e["h"]) and im.mode == "RGB"


def _expected_screen(case):
    if case["kind"] == "idle":
        return "idle"
    if case["kind"] == "fault":
        return "fault"
    return case["v"]["verdict"]


def _look(case):
    """What the screen looks like: the decision for a verdict, else idle / fault."""
    if case["kind"] == "verdict":
        return "enter" if case["v"]["admit"] else "stop"
    return case["kind"]


def test_dominant_colour_and_contrast(rendered):
    _, entries = rendered
    for e in entries:
        screen = _expected_screen(e["case"])
        assert e["screen"] == screen
        im = Image.open(e["png"])
        count, colour = max(im.getcolors(1 << 16))
        assert colour == q565(BG[_look(e["case"])]), (e["png"], colour)
        assert count > 0.55 * e["w"] * e["h"], e["png"]
        fg = from_fb(e["drawn"][0][4])
        lo, hi = sorted((luminance(fg), luminance(colour)))
        assert (hi + 0.05) / (lo + 0.05) >= 4.5, "WCAG AA contrast on %s" % e["png"]


def _extent(mask, s, row):
    xs = [x for x in range(s) if mask[row][x]]
    return (max(xs) - min(xs) + 1) / s if xs else 0.0


def _gray_mask(e):
    """The icon region in grayscale alone: ink = lighter than halfway between
    the region's darkest and lightest grey (no colour information used)."""
    kind, x, y, s = e["icon"]
    g = Image.open(e["png"]).convert("L").crop((x, y, x + s, y + s))
    lo, hi = g.getextrema()
    cut = (lo + hi) / 2
    return [[g.getpixel((i, j)) > cut for i in range(s)] for j in range(s)]


def test_decision_reads_from_the_icon_in_grayscale_alone(rendered):
    """ENTER screens share one shape, NO ENTRY screens another, whatever the
    code's colour (a red code admitted at a medical venue, a yellow one with
    a travel window, a green one used twice); same mask per screen size."""
    _, entries = rendered
    shapes = {}
    for e in entries:
        if e["case"]["kind"] != "verdict":
            continue
        key = (_look(e["case"]), e["w"], e["h"])
        mask = tuple(tuple(r) for r in _gray_mask(e))
        shapes.setdefault(key, set()).add(mask)
    for key, masks in shapes.items():
        assert len(masks) == 1, ("one shape per decision", key, len(masks))
    for w, h in ((240, 240), (320, 240)):
        enter, stop = shapes[("enter", w, h)], shapes[("stop", w, h)]
        a, b = next(iter(enter)), next(iter(stop))
        differ = sum(1 for ra, rb in zip(a, b) for pa, pb in zip(ra, rb) if pa != pb)
        assert differ > 0.15 * len(a) ** 2, ("ENTER and NO ENTRY look alike", w, differ)


def test_icon_shape_tells_the_verdict_without_colour(rendered):
    _, entries = rendered
    for e in entries:
        screen = _look(e["case"])
        kind, x, y, s = e["icon"]
        assert kind == ICON[screen]
        if screen == "idle":
            continue
        mask = _gray_mask(e)
        top, mid, bot = _extent(mask, s, 1), _extent(mask, s, s // 2), _extent(mask, s, s - 2)
        centre = mask[s // 2][s // 2]
        name = ICON[screen]
        assert name != "triangle"
        if name == "check":  # disc
            assert top < 0.33 and bot < 0.33 and mid > 0.9, (e["png"], top, mid, bot)
            holes = sum(1 for j in range(s) for i in range(s)
                        if (i - s / 2) ** 2 + (j - s / 2) ** 2 < (0.4 * s) ** 2 and not mask[j][i])
            assert holes > 0.05 * s * s, "check mark cut out of the disc"
        elif name == "octagon":
            assert 0.33 < top < 0.55 and 0.33 < bot < 0.55 and mid > 0.9, (e["png"], top, mid, bot)
            assert not centre, "cross through the middle"
        elif name == "square":
            assert top > 0.9 and bot > 0.9 and mid > 0.9
            assert not mask[int(s * 0.4)][s // 2], "exclamation mark"


def _width(ff, size, text):
    st = ff.strikes[size]
    w = 0
    for ch in text:
        g = ff.glyph(size, ch)
        w += g[0] if g else st["width"]
    return w


def test_no_text_outside_the_screen_with_either_font(rendered):
    """Every line the firmware drew lies inside the screen, with the CJK font
    and with the built-in fallback (whose glyphs are wider), at both sizes."""
    _, entries = rendered
    builtin = 0
    for e in entries:
        builtin += e["builtin"]
        for (text, *_), (x, y, w, h) in zip(e["drawn"], e["boxes"]):
            assert x >= 0 and y >= 0 and x + w <= e["w"] and y + h <= e["h"], ("text off screen", e["png"], text)
            assert not text.endswith("...") or e["case"].get("kind") == "fault", ("text cut", e["png"], text)
    assert builtin == len(entries) // 2


def test_builtin_fallback_keeps_english_words_whole(rendered):
    _, entries = rendered
    hint = T["en"]["idle_hint"].split()
    for e in entries:
        if e["builtin"] and e["case"] == {"kind": "idle"}:
            lines = [d[0] for d in e["drawn"] if d[0].split() and d[0].split()[0] in hint]
            assert " ".join(lines).split() == hint, (e["png"], lines)  # wrapped at spaces, nothing clipped


def test_cjk_lines_never_end_with_an_orphan(rendered):
    _, entries = rendered
    for e in entries:
        for text, *_ in e["drawn"]:
            pass
    # checked on the wrap itself: every wrapped Chinese paragraph
    for e in entries:
        drawn = [d[0] for d in e["drawn"]]
        for i in range(1, len(drawn)):
            line = drawn[i]
            if len(line) == 1 and ord(line) >= 0x2E80:
                assert False, ("orphaned character", e["png"], drawn[i - 1], line)
            assert line[:1] not in "，。、；：！？", ("line starts with punctuation", e["png"], line)


def test_text_pixels_match_the_font(rendered):
    ff, entries = rendered
    for e in [e for e in entries if not e["builtin"]][:: 3]:
        im = Image.open(e["png"])
        W, H = im.size
        boxes = []
        for text, x, y, size, fgv in e["drawn"]:
            fg = from_fb(fgv)
            h = ff.strikes[size]["height"]
            w = _width(ff, size, text)
            assert 0 <= x and x + w <= W and 0 <= y and y + h <= H, ("text off screen", e["png"], text)
            boxes.append((x, y, x + w, y + h, text))
            cx = x
            ink = 0
            for ch in text:
                g = ff.glyph(size, ch)
                if g is None:
                    cx += ff.strikes[size]["width"]
                    continue
                adv, rows = g
                for gy, row in enumerate(rows):
                    for gx, v in enumerate(row):
                        if v and cx + gx < W:
                            assert im.getpixel((cx + gx, y + gy)) == fg, (e["png"], text, ch)
                            ink += 1
                cx += adv
            assert ink > 0 or not text.strip()
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                assert not overlap, ("texts overlap", e["png"], a[4], b[4])
            kind, ix, iy, s = e["icon"]
            assert not (a[0] < ix + s and ix < a[2] and a[1] < iy + s and iy < a[3]), ("text on icon", e["png"])


def _squash(s):
    return s.replace(" ", "")


def _reason_key(v):
    r, admit, colour = v["reason"], v["admit"], v["colour"]
    if admit and v.get("used_at"):
        return "r_used_warn"
    if r == "ok":
        return "r_ok_" + colour
    if r == "policy" and colour:
        return "r_policy_" + colour
    return "r_" + r if "r_" + r in T["en"] else "r_other"


def test_words_on_each_screen(rendered):
    _, entries = rendered
    clock = time.strftime("%m-%d %H:%M", time.gmtime(NOW + 8 * 3600))
    for e in entries:
        if e["builtin"]:
            continue  # English only, checked below
        words = _squash("".join(d[0] for d in e["drawn"]))
        case = e["case"]
        for lang in e["lang"].split("+"):
            t = T[lang]
            want = []
            if case["kind"] == "idle":
                want = [t["idle"], clock]
                if case.get("counts"):
                    a, r = case["counts"]
                    if lang == e["lang"].split("+")[0]:  # the first language's counts always fit
                        want.append(t["counts"].replace("{a}", str(a)).replace("{r}", str(r)))
                if case.get("status"):
                    want.append(case["status"])
            elif case["kind"] == "fault":
                code = case["code"]
                known = code in TEXTS["FAULTS"]
                want = [t["f_" + code] if known else t["f_other"], t["h_" + code] if known else t["h_other"],
                        "E:" + code]
                if case.get("detail"):
                    want.append(case["detail"])
            else:
                v = case["v"]
                used = time.strftime("%H:%M", time.gmtime(v["used_at"] + 8 * 3600)) if v.get("used_at") else ""
                want = [t["enter" if v["admit"] else "stop"], t[_reason_key(v)].replace("{t}", used), clock]
                if v["colour"]:
                    want.append(t["c_" + v["colour"]])
                if v["name"]:
                    want.append(v["name"])
                if v["exp"]:
                    want.append(time.strftime("%m-%d", time.gmtime(v["exp"] + 8 * 3600)))
                if v["reason"] == "no_such_reason":
                    want.append("(no_such_reason)")
            for wtext in want:
                assert _squash(wtext) in words, (e["png"], wtext, words)
        other = {"zh": "en", "en": "zh"}.get(e["lang"])
        if other and case["kind"] == "verdict":
            assert _squash(T[other][_reason_key(case["v"])]) not in words


def test_png_files_are_strictly_valid(rendered):
    """Chunk CRCs, the zlib stream's Adler-32 and the row filters, checked
    with CPython's zlib rather than pillow's lenient reader."""
    import struct
    import zlib

    _, entries = rendered
    for e in entries[:: 13]:
        data = open(e["png"], "rb").read()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        pos, idat, kinds = 8, b"", []
        while pos < len(data):
            n, kind = struct.unpack_from(">I4s", data, pos)
            body = data[pos + 8: pos + 8 + n]
            (crc,) = struct.unpack_from(">I", data, pos + 8 + n)
            assert crc == zlib.crc32(kind + body), (e["png"], kind)
            kinds.append(kind)
            idat += body if kind == b"IDAT" else b""
            pos += 12 + n
        assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
        raw = zlib.decompress(idat)
        w, h = e["w"], e["h"]
        assert len(raw) == h * (1 + 3 * w)
        assert all(raw[y * (1 + 3 * w)] == 0 for y in range(h))
        row = h // 2
        im = Image.open(e["png"])
        line = raw[row * (1 + 3 * w) + 1: (row + 1) * (1 + 3 * w)]
        assert [tuple(line[3 * x: 3 * x + 3]) for x in range(w)] == [im.getpixel((x, row)) for x in range(w)]
