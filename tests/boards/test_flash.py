"""`kioskctl flash` for ESP32 boards: the exact commands it runs (esptool,
mpremote), how it fails, and its on-device verification script run for real
on the MicroPython unix port against a staged tree."""

import os
import subprocess
import sys

import pytest

from kioskctl import devbuild, flash, paths
from kioskctl.errors import DeviceError


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("dev") / "esp32s3_eye")
    return out, devbuild.stage("esp32s3_eye", out)


def test_esp32_commands_are_exact(staged):
    out, digests = staged
    cmds = flash.esp32_commands("esp32s3_eye", "/dev/ttyACM0", out, digests, image="fw.bin", python="py")
    mp = ["py", "-m", "mpremote", "connect", "/dev/ttyACM0"]
    assert cmds == [
        ["py", "-m", "esptool", "--chip", "esp32s3", "--port", "/dev/ttyACM0", "--baud", "460800",
         "write-flash", "-z", "0x0", "fw.bin"],
        mp + ["exec", flash.prepare_script(),
              "+", "fs", "cp", os.path.join(out, "boot.py"), ":boot.py",
              "+", "fs", "cp", "-r", os.path.join(out, "lib"), ":",
              "+", "fs", "cp", os.path.join(out, "main.py"), ":main.py"],
        mp + ["exec", flash.verify_script(digests)],
        mp + ["reset"],
    ]
    assert len(flash.esp32_commands("esp32s3_eye", "COM3", out, digests)) == 3  # no image: no esptool


class Runner:
    def __init__(self, fail_at=None, verified=True):
        self.argvs = []
        self.fail_at = fail_at
        self.verified = verified

    def __call__(self, argv):
        self.argvs.append(argv)
        n = len(self.argvs) - 1
        ok = n != self.fail_at
        out = flash.VERIFY_OK + " 79\n" if "exec" in argv and "hashlib" in argv[-1] and self.verified else ""
        return subprocess.CompletedProcess(argv, 0 if ok else 1, out, "" if ok else "could not enter raw repl")


def test_run_goes_in_order_and_names_the_failing_step(staged):
    out, digests = staged
    cmds = flash.esp32_commands("esp32s3_eye", "/dev/ttyACM0", out, digests)
    r = Runner()
    flash.run(cmds, runner=r)
    assert r.argvs == cmds
    with pytest.raises(DeviceError, match="mpremote failed.*hold BOOT"):
        flash.run(cmds, runner=Runner(fail_at=0))
    with pytest.raises(DeviceError, match="did not confirm"):
        flash.run(cmds, runner=Runner(verified=False))


def _verify_on_unix_port(root, digests):
    script = flash.verify_script(digests, root)
    return subprocess.run([paths.micropython(), "-c", script], capture_output=True, text=True, timeout=60)


def test_verify_script_checks_every_file_on_micropython(staged, tmp_path):
    out, digests = staged
    proc = _verify_on_unix_port(out, digests)
    assert proc.returncode == 0 and "%s %d" % (flash.VERIFY_OK, len(digests)) in proc.stdout, proc.stderr
    victim = os.path.join(out, "lib", "kpins.mpy")
    data = open(victim, "rb").read()
    try:
        with open(victim, "wb") as f:
            f.write(data[:-1] + bytes([data[-1] ^ 1]))
        proc = _verify_on_unix_port(out, digests)
        assert proc.returncode != 0 and "differs on the device: %s/lib/kpins.mpy" % out in proc.stdout + proc.stderr
        os.remove(victim)
        proc = _verify_on_unix_port(out, digests)
        assert proc.returncode != 0 and "missing on the device" in proc.stdout + proc.stderr
    finally:
        with open(victim, "wb") as f:
            f.write(data)


def test_kioskctl_flash_dry_run_prints_the_commands(tmp_path):
    kioskctl = os.path.join(os.path.dirname(sys.executable), "kioskctl")
    img = tmp_path / "fw.bin"
    img.write_bytes(b"\xe9" + b"\0" * 15)
    proc = subprocess.run([kioskctl, "flash", "--board", "freenove_s3cam", "--port", "/dev/ttyACM1", "--image", str(img),
                           "--out", str(tmp_path / "dev"), "--dry-run"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()  # shell-quoted; the scripts span lines inside their quotes
    assert "-m esptool --chip esp32s3 --port /dev/ttyACM1" in lines[0] and lines[0].endswith(str(img))
    assert proc.stdout.count("-m mpremote connect /dev/ttyACM1 ") == 3
    assert lines[-1].endswith("-m mpremote connect /dev/ttyACM1 reset")
    proc = subprocess.run([kioskctl, "flash", "--board", "freenove_s3cam", "--out", str(tmp_path / "dev")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "--port is needed" in proc.stderr and "Traceback" not in proc.stdout + proc.stderr


def test_missing_tools_are_named_before_anything_runs(staged):
    out, digests = staged
    cmds = flash.esp32_commands("esp32s3_eye", "/dev/ttyACM0", out, digests, image="fw.bin")
    assert flash.missing_tools(cmds) == sorted(n for n in ("esptool", "mpremote") if not _installed(n))
    assert flash.missing_tools([["py", "-m", "no_such_tool_here"]]) == ["no_such_tool_here"]
    from kioskctl.errors import KioskError

    with pytest.raises(KioskError, match="no_such_tool_here not installed"):
        flash.run([["py", "-m", "no_such_tool_here"]])


def _installed(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None
