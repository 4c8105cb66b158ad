# A handful of real photos and renders from ../shared/corpus/qr decode to the
# exact expected bytes (Kanji/Shift_JIS, nested double code, inverted screen
# photo, version 40 at 1 px per module, rotated small symbol, t-shirt).
import json
import time

import pgm
from mpassert import eq, repo_path
from kiosk.qr import decoder

_IDS = (
    "zxing-qrcode-1-1",
    "zxing-qrcode-2-10",
    "zxing-qrcode-2-16",
    "zxing-qrcode-3-01",
    "zxing-qrcode-4-17",
    "zxing-qrcode-5-17",
    "zxing-qrcode-6-1",
    "zxingcpp-qrcode-2-qr-inv-2",
)


def _manifest():
    with open(repo_path("..", "shared", "corpus", "qr", "manifest.json")) as f:
        man = json.load(f)
    return dict((it["id"], it) for it in man["images"] if it["id"] in _IDS)


def _hex(b):
    return "".join("%02x" % c for c in b)


def _check(ids):
    man = _manifest()
    for i in ids:
        it = man[i]
        buf, w, h = pgm.read(repo_path("..", "shared", "corpus", "qr", it["pgm_path"]))
        syms = decoder.decode(buf, w, h)
        got = [_hex(s.data) for s in syms]
        for e in it["expected"]:
            eq(e["hex"] in got, True, "%s: got %r" % (i, got))
        for s in syms:
            eq(len(s.corners), 4)
            eq(s.ec in ("L", "M", "Q", "H"), True)
            eq(1 <= s.version <= 40, True)


def test_photos():
    _check(("zxing-qrcode-1-1", "zxing-qrcode-3-01", "zxing-qrcode-4-17"))


def test_shift_jis_and_nested_codes():
    _check(("zxing-qrcode-2-10", "zxing-qrcode-2-16"))


def test_version_40_one_pixel_per_module():
    _check(("zxing-qrcode-5-17",))


def test_rotated_small_and_inverted():
    _check(("zxing-qrcode-6-1", "zxingcpp-qrcode-2-qr-inv-2"))
    man = _manifest()
    buf, w, h = pgm.read(repo_path("..", "shared", "corpus", "qr", man["zxingcpp-qrcode-2-qr-inv-2"]["pgm_path"]))
    eq(decoder.decode(buf, w, h)[0].inverted, True)
