"""A simulated kiosk never outlives the kioskctl that started it."""

import os
import signal
import subprocess
import sys
import time

KIOSKCTL = os.path.join(os.path.dirname(sys.executable), "kioskctl")


def children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open("/proc/%d/stat" % pid) as f:
        return f.read().split()[2] != "Z"


def wait_gone(pid, seconds=10):
    end = time.time() + seconds
    while time.time() < end and alive(pid):
        time.sleep(0.1)
    return not alive(pid)


def start(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("hello\n")
    proc = subprocess.Popen([KIOSKCTL, "sim", "run", str(inputs), "--pty", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.readline()  # the kiosk scanned: it is serving its serial port now
    (kiosk,) = children(proc.pid)
    return proc, kiosk


def test_sigterm_stops_the_simulated_kiosk(tmp_path):
    proc, kiosk = start(tmp_path)
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)
    assert wait_gone(kiosk)


def test_sigkill_of_kioskctl_still_stops_it(tmp_path):
    proc, kiosk = start(tmp_path)
    proc.kill()
    proc.wait(10)
    assert wait_gone(kiosk)
