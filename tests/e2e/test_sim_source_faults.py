"""#10.4 over the real pty: a camera frame the kiosk cannot allocate (a PGM
header claiming 8192x8192 with 10 bytes of data) is a camera fault; the scan
loop goes on and the serial link still answers HELLO."""

import json
import os
import subprocess
import sys

import serial

from kioskctl.link import Link

KIOSKCTL = os.path.join(os.path.dirname(sys.executable), "kioskctl")


def test_bad_frame_is_a_fault_and_the_link_stays_up(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "01-huge.pgm").write_bytes(b"P5\n8192 8192\n255\n" + b"\x80" * 10)
    (inputs / "02-after.txt").write_text("not a code\n")
    proc = subprocess.Popen([KIOSKCTL, "sim", "run", str(inputs), "--flash", str(tmp_path / "flash.img"),
                             "--pty", "--json", "--watch"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "kiosk serial port:" in line, line + proc.stderr.read()
        port = line.split("kiosk serial port:")[1].split()[0]
        scans = [json.loads(proc.stdout.readline()) for _ in range(2)]
        assert [s["reason"] for s in scans] == ["unreadable", "provision"], scans  # not set up: the text is not judged
        with serial.Serial(port, timeout=0.05) as p:
            link = Link(p)
            assert link.hello()["proto"] == 1
            assert link.stats()["count"] == 1  # the unreadable frame only: nobody judged
        assert proc.poll() is None  # still running
    finally:
        proc.terminate()
        proc.wait(10)
