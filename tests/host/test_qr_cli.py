"""`kioskctl sim decode IMAGE...` output contract (DESIGN.md): stdout one line
per decoded code (the text when UTF-8 without CR/LF, else "hex:" + hex),
stderr "TIME_MS <float>" per image, PGM (P5) read directly and other formats
through pillow, one MicroPython process for the whole batch."""

import io
import os
import re
import subprocess
import sys

import segno
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KIOSKCTL = os.path.join(os.path.dirname(sys.executable), "kioskctl")
sys.path.insert(0, os.path.join(REPO, "host_tools"))

from kioskctl import photo, sim_decode  # noqa: E402


def qr_image(payload, scale=4):
    buf = io.BytesIO()
    segno.make(payload, micro=False).save(buf, kind="png", scale=scale, border=4)
    buf.seek(0)
    return Image.open(buf).convert("L")


def run(*args):
    # a relaxed budget: what is read must not depend on machine load
    return subprocess.run([KIOSKCTL, "sim", "decode", "--budget-ms", "60000"] + list(args),
                          capture_output=True, text=True, timeout=300)


def test_output_format(tmp_path):
    text = qr_image("HC1:NCFOXN%TS3DH 1 plain text line")
    text.save(tmp_path / "a.png")
    photo.save_pgm(qr_image("zwei\r\nZeilen"), str(tmp_path / "b.pgm"))
    qr_image(b"\xff\xfe\x00raw").save(tmp_path / "c.jpg", quality=95)
    Image.new("L", (120, 90), 200).save(tmp_path / "d.bmp")
    qr_image("Grüße 日本").convert("RGB").save(tmp_path / "e.png")
    paths = [str(tmp_path / n) for n in ("a.png", "b.pgm", "c.jpg", "d.bmp", "e.png")]
    proc = run(*paths)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "HC1:NCFOXN%TS3DH 1 plain text line",
        "hex:" + "zwei\r\nZeilen".encode().hex(),
        "hex:fffe00726177",
        "Grüße 日本",
    ]
    times = [l for l in proc.stderr.splitlines() if l.startswith("TIME_MS ")]
    assert len(times) == 5
    for l in times:
        assert re.match(r"^TIME_MS \d+\.\d+$", l)
        assert 0 < float(l.split()[1]) < 10000


def test_unreadable_file_reported(tmp_path):
    (tmp_path / "bad.pgm").write_bytes(b"P5\n10 10\n255\n" + b"\x00" * 20)
    photo.save_pgm(qr_image("still read"), str(tmp_path / "good.pgm"))
    (tmp_path / "junk.png").write_bytes(b"not an image")
    proc = run(str(tmp_path / "bad.pgm"), str(tmp_path / "missing.png"), str(tmp_path / "junk.png"), str(tmp_path / "good.pgm"))
    assert proc.returncode == 2
    assert "truncated" in proc.stderr
    assert "missing.png: no such file" in proc.stderr
    assert "junk.png: cannot read image" in proc.stderr
    assert proc.stdout == "still read\n"
    assert proc.stderr.count("TIME_MS ") == 1


def test_p5_detection(tmp_path):
    p = tmp_path / "x.pgm"
    photo.save_pgm(Image.new("L", (4, 3), 9), str(p))
    assert sim_decode.is_p5(str(p))
    q = tmp_path / "y.pgm"
    q.write_bytes(b"P5\n# comment\n4 3\n65535\n" + b"\x00" * 24)
    assert not sim_decode.is_p5(str(q))
    assert sim_decode.format_payload(b"abc") == "abc"
    assert sim_decode.format_payload(b"a\nb") == "hex:610a62"
    assert sim_decode.format_payload(b"\xc3") == "hex:c3"


def test_same_frame_twice_reuses_buffers(tmp_path):
    # the decoder's cached buffers only read the frame: the second read of
    # the same file in the same process gives the same payload
    photo.save_pgm(qr_image("twice"), str(tmp_path / "a.pgm"))
    proc = run(str(tmp_path / "a.pgm"), str(tmp_path / "a.pgm"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["twice", "twice"]
