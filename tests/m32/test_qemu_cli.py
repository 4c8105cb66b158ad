"""`kioskctl qemu run` starts the board, names its serial port, answers on it,
and takes the emulator down with it (SIGTERM, or SIGKILL of kioskctl)."""

import os
import signal
import subprocess
import sys
import time

import serial

from kioskctl import rawrepl

KIOSKCTL = os.path.join(os.path.dirname(sys.executable), "kioskctl")


def _qemu_children(pid):
    out = subprocess.run(["ps", "-o", "pid=,ppid=,comm="], capture_output=True, text=True).stdout
    return [int(p) for p, pp, c in (l.split(None, 2) for l in out.splitlines()) if int(pp) == pid and "qemu" in c]


def _start(tmp_path):
    proc = subprocess.Popen([KIOSKCTL, "qemu", "run", "--heap", "262144"], stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    assert "board serial port:" in line, line + proc.stderr.read()
    return proc, line.split("board serial port:")[1].strip()


def test_run_serves_a_repl_and_stops_with_sigterm(tmp_path, m32_firmware):
    proc, port = _start(tmp_path)
    try:
        kids = _qemu_children(proc.pid)
        assert len(kids) == 1
        repl = rawrepl.RawRepl(serial.Serial(port, timeout=0.05))
        repl.enter()
        free = int(repl.exec("import gc; gc.collect(); print(gc.mem_free())"))
        assert 200000 < free < 262144  # the --heap it was given, not the build's 2.5 MB
        repl.port.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    time.sleep(0.5)
    assert not os.path.exists("/proc/%d" % kids[0]) or "zombie" in open("/proc/%d/status" % kids[0]).read().lower()


def test_emulator_dies_with_a_killed_kioskctl(tmp_path, m32_firmware):
    proc, port = _start(tmp_path)
    kids = _qemu_children(proc.pid)
    assert len(kids) == 1
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while os.path.exists("/proc/%d" % kids[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not os.path.exists("/proc/%d" % kids[0])


def test_romfs_image_and_errors(tmp_path, m32_firmware):
    src = tmp_path / "rom"
    src.mkdir()
    (src / "hello.py").write_text("print('hi')\n")
    out = tmp_path / "rom.img"
    p = subprocess.run([KIOSKCTL, "qemu", "romfs", str(src), "-o", str(out)], capture_output=True, text=True)
    assert p.returncode == 0 and out.stat().st_size > 0
    p = subprocess.run([KIOSKCTL, "qemu", "romfs", str(tmp_path / "nope"), "-o", str(out)], capture_output=True, text=True)
    assert p.returncode != 0 and "Traceback" not in p.stderr and "not a folder" in p.stderr
    p = subprocess.run([KIOSKCTL, "qemu", "run", "--firmware", str(tmp_path / "none.elf")], capture_output=True, text=True)
    assert p.returncode != 0 and "Traceback" not in p.stderr and "no firmware" in p.stderr
