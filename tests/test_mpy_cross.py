"""Every firmware and board .py compiles with mpy-cross for the ESP32-S3 (xtensawin)."""

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOTS = ["firmware", "board"]


def sources():
    out = []
    for root in ROOTS:
        for d, _, files in os.walk(os.path.join(REPO, root)):
            out += [os.path.join(d, f) for f in files if f.endswith(".py")]
    return sorted(out)


def test_there_is_firmware():
    assert len(sources()) > 5


@pytest.mark.parametrize("path", sources(), ids=lambda p: os.path.relpath(p, REPO))
def test_compiles_for_xtensawin(path, tmp_path):
    mpy_cross = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    proc = subprocess.run(
        [mpy_cross, "-march=xtensawin", "-o", str(tmp_path / "out.mpy"), path],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
