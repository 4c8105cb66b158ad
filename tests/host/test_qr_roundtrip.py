"""Round trips: codes made with segno (and kioskctl.photo) decoded by the
firmware decoder on the MicroPython unix port (one process for all images).

Covers every EC level, versions 1 to 40 (version information from 7 up),
all eight masks, numeric/alphanumeric/byte/Kanji/ECI segments, inverted,
mirrored, rotated and perspective-warped symbols, two codes in one frame,
and a symbol whose version information declares more modules than it has.
"""

import io
import math
import os
import sys
import time

import pytest
import segno
from PIL import Image, ImageOps

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "host_tools"))

from kioskctl import photo, sim_decode  # noqa: E402

# what can be read must not depend on machine load
RELAXED_MS = 60000


def render(qr, scale=4, border=4):
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=border)
    buf.seek(0)
    return Image.open(buf).convert("L")


def warp(img, k=0.18, seed=0):
    """Perspective: pull two corners in, on a light background."""
    w, h = img.size
    pad = int(w * 0.25)
    canvas = Image.new("L", (w + 2 * pad, h + 2 * pad), 235)
    canvas.paste(img, (pad, pad))
    W, H = canvas.size
    src = [(0, 0), (W, 0), (W, H), (0, H)]
    dst = [(W * k, H * k * 0.5), (W * (1 - k * 0.3), 0), (W, H), (0, H * (1 - k * 0.2))]
    coeffs = photo._perspective_coeffs(src, dst)
    return canvas.transform((W, H), Image.PERSPECTIVE, coeffs, Image.BILINEAR, fillcolor=235)


def rotate(img, deg):
    return img.rotate(deg, resample=Image.BILINEAR, expand=True, fillcolor=255)


CASES = []


def case(name, img, expect):
    CASES.append((name, img, [e if isinstance(e, bytes) else e.encode("utf-8") for e in expect]))


def build_cases():
    if CASES:
        return CASES
    for lvl in "LMQH":
        text = "EC level %s round trip" % lvl
        case("ec-" + lvl, render(segno.make(text, error=lvl, micro=False, boost_error=False)), [text])
    for ver, scale in ((1, 4), (2, 4), (5, 3), (7, 3), (10, 3), (15, 2), (25, 2), (40, 2)):
        text = ("V%02d:" % ver) + "".join(chr(65 + (i * 7 + ver) % 26) for i in range(ver * 18))
        qr = segno.make(text, version=ver, error="L", micro=False, boost_error=False)
        case("version-%d" % ver, render(qr, scale), [text])
    for mask in range(8):
        text = "mask %d https://example.org/m?%d" % (mask, mask * 1234567)
        case("mask-%d" % mask, render(segno.make(text, mask=mask, micro=False)), [text])
    case("numeric", render(segno.make("31415926535897932384626433", micro=False)), ["31415926535897932384626433"])
    case("alnum", render(segno.make("HC1:6BFOXN*TS0BI$ZD.P9UOL97O4-2HH77HRM3DSPTL", micro=False)), ["HC1:6BFOXN*TS0BI$ZD.P9UOL97O4-2HH77HRM3DSPTL"])
    case("byte-binary", render(segno.make(b"\x00\xff\x10binary\x80", micro=False)), [b"\x00\xff\x10binary\x80"])
    case("kanji", render(segno.make("日本語テキスト", micro=False)), ["日本語テキスト"])
    case("eci-utf8", render(segno.make("Grüße aus Zürich", micro=False, eci=True, encoding="utf-8")), ["Grüße aus Zürich"])
    base = render(segno.make("orientation test 0123", error="M", micro=False))
    case("inverted", ImageOps.invert(base), ["orientation test 0123"])
    case("mirrored", ImageOps.mirror(base), ["orientation test 0123"])
    for deg in (30, 90, 135, 180, 270):
        case("rotated-%d" % deg, rotate(base, deg), ["orientation test 0123"])
    big = render(segno.make("perspective warped code, version 5 or so", error="Q", micro=False), 5)
    case("perspective", warp(big), ["perspective warped code, version 5 or so"])
    case("perspective-v7", warp(render(segno.make("W" * 120, error="L", version=7, micro=False), 4), 0.12), ["W" * 120])
    a = render(segno.make("first code", micro=False), 4)
    b = render(segno.make("second code", micro=False), 4)
    two = Image.new("L", (a.width + b.width + 40, max(a.height, b.height) + 20), 255)
    two.paste(a, (10, 10))
    two.paste(rotate(b, 20).resize(b.size), (a.width + 30, 10))
    case("two-codes", two, ["first code", "second code"])
    return CASES


@pytest.fixture(scope="module")
def decoded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("qr")
    paths = []
    for name, img, _ in build_cases():
        p = str(tmp / (name + ".png"))
        img.save(p)
        paths.append(p)
    res = sim_decode.decode_files(paths, budget_ms=RELAXED_MS)
    return dict((name, r) for (name, _, _), r in zip(build_cases(), res))


@pytest.mark.parametrize("name", [c[0] for c in build_cases()])
def test_round_trip(decoded, name):
    expect = [e for n, _, e in build_cases() if n == name][0]
    _, payloads, ms, err = decoded[name]
    assert err is None
    assert ms is not None and ms > 0
    for e in expect:
        assert e in payloads, (name, payloads)
    assert len(payloads) == len(expect), payloads


def _set_version_info(qr_matrix, version):
    """Overwrite both version-information blocks with another version's code."""
    from segno import consts

    code = consts.VERSION_INFO[version - 7]
    dim = len(qr_matrix)
    bits = [(code >> i) & 1 for i in range(18)]
    for i in range(18):
        a, b = i // 3, dim - 11 + i % 3
        qr_matrix[a][b] = bits[i]
        qr_matrix[b][a] = bits[i]


def test_declared_version_larger_than_symbol(tmp_path):
    qr = segno.make("Z" * 100, version=7, error="L", micro=False)
    m = [bytearray(row) for row in qr.matrix]
    _set_version_info(m, 40)
    scale, border = 4, 4
    dim = len(m)
    img = Image.new("L", ((dim + 2 * border) * scale,) * 2, 255)
    px = img.load()
    for y in range(dim):
        for x in range(dim):
            if m[y][x]:
                for dy in range(scale):
                    for dx in range(scale):
                        px[(x + border) * scale + dx, (y + border) * scale + dy] = 0
    p = str(tmp_path / "v40-claim.png")
    img.save(p)
    t0 = time.time()
    ((_, payloads, ms, err),) = sim_decode.decode_files([p])
    assert err is None
    assert ms < 5000
    # the version bits are wrong in both copies: it may be read as version 7
    # (the only consistent reading) but never as anything else
    assert payloads in ([], [b"Z" * 100])
    assert time.time() - t0 < 30


def test_photo_frames_decode():
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        payloads = []
        for i in range(6):
            text = "HC1:" + "".join("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(i * 31 + k * 7) % 36] for k in range(150))
            img = photo.render(text, size=(640, 480) if i % 2 else (320, 240), seed=i, style="paper" if i % 3 == 2 else "phone")
            assert img.mode == "L"
            p = os.path.join(tmp, "f%d.pgm" % i)
            photo.save_pgm(img, p)
            paths.append(p)
            payloads.append(text.encode())
        res = sim_decode.decode_files(paths, budget_ms=RELAXED_MS)
    ok = sum(1 for (_, got, _, _), want in zip(res, payloads) if got == [want])
    assert ok >= 5, [r[1] for r in res]
