"""`kioskctl flash` for ESP32 boards: the exact commands it runs (esptool,
mpremote), parsed by the installed esptool and mpremote themselves (no
device), how it fails, its on-device verification script run for real on the
MicroPython unix port against a staged tree, and the ROMFS route: the image
built on the host, mounted in the unix port (vfs.VfsRom) and checked by
hashes and by importing the kiosk from it."""

import os
import subprocess
import sys

import pytest

from kioskctl import devbuild, flash, paths
from kioskctl.errors import DeviceError, KioskError


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


def test_esp32_romfs_commands_are_exact(staged, tmp_path):
    out, digests = staged
    rom = str(tmp_path / "eye.romfs")
    cmds = flash.esp32_commands("esp32s3_eye", "/dev/ttyACM0", out, digests, romfs=rom, python="py")
    mp = ["py", "-m", "mpremote", "connect", "/dev/ttyACM0"]
    on_device = {("rom/" + t if t not in devbuild.ENTRY else t): h for t, h in digests.items()}
    assert cmds == [
        mp + ["exec", flash.prepare_script(),  # the old /lib goes: it would shadow /rom/lib
              "+", "fs", "cp", os.path.join(out, "boot.py"), ":boot.py",
              "+", "fs", "cp", os.path.join(out, "main.py"), ":main.py"],
        mp + ["romfs", "--partition", "0", "deploy", rom],
        mp + ["exec", flash.verify_script(on_device)],
        mp + ["reset"],
    ]
    assert "'/rom/lib/kpins.mpy'" in cmds[2][-1] and "'/main.py'" in cmds[2][-1]
    with pytest.raises(KioskError, match="ends in .romfs"):
        flash.esp32_commands("esp32s3_eye", "/dev/ttyACM0", out, digests, romfs=str(tmp_path / "romdir"))


def _esptool_parse(argv):
    """The installed esptool's own parser (click) on argv: global and command options, no device."""
    import esptool

    esptool.cli._esp = None  # what esptool.main() sets: no preconnected device
    ctx = esptool.cli.make_context("esptool", list(argv))
    rest = getattr(ctx, "_protected_args", None)
    rest = (rest if rest is not None else ctx.protected_args) + ctx.args
    name, cmd, rest = esptool.cli.resolve_command(ctx, rest)
    sub = cmd.make_context(name, rest, parent=ctx)
    for f in sub.params.get("addr_filename") or ():
        f[1].close()
    return ctx.params, name, sub.params


def _mpremote_parse(argv, monkeypatch):
    """mpremote's own command loop on argv with every handler replaced by a
    recorder: [(command, parsed args)], nothing opened."""
    from mpremote import main as mpm

    seen = []

    def recorder(name):
        def handle(state, args):
            state.did_action()
            seen.append((name, args))
        return handle

    monkeypatch.setattr(mpm, "_COMMANDS", {k: (recorder(k), v[1]) for k, v in mpm._COMMANDS.items()})
    monkeypatch.setattr(sys, "argv", ["mpremote"] + list(argv))
    assert mpm.main() == 0
    return seen


def test_installed_tools_accept_the_commands(staged, tmp_path, monkeypatch):
    out, digests = staged
    img = tmp_path / "fw.bin"
    img.write_bytes(b"\xe9" + bytes(15))
    rom = flash.build_romfs(out, str(tmp_path / "eye.romfs"))
    cmds = flash.esp32_commands("esp32s3_eye", "/dev/ttyACM0", out, digests, image=str(img), romfs=rom)
    assert not flash.missing_tools(cmds)  # pinned in requirements.lock, installed by `make venv`
    assert all(argv[0] == sys.executable for argv in cmds)  # the venv's tools, never one on PATH
    top, name, sub = _esptool_parse(cmds[0][3:])
    assert (top["chip"], top["port"], top["baud"], name) == ("esp32s3", "/dev/ttyACM0", 460800, "write-flash")
    assert sub["compress"] and [(a, f.name) for a, f in sub["addr_filename"]] == [(0, str(img))]
    seen = [_mpremote_parse(argv[3:], monkeypatch) for argv in cmds[1:]]
    assert [[n for n, _ in s] for s in seen] == [["connect", "exec", "fs", "fs"], ["connect", "romfs"],
                                                   ["connect", "exec"], ["connect", "exec"]]
    assert "machine.reset()" in seen[3][1][1].expr[0]  # mpremote's `reset` shortcut
    assert seen[0][0][1].device == ["/dev/ttyACM0"]
    assert [(a.command, a.path) for n, a in seen[0] if n == "fs"] == [
        (["cp"], [os.path.join(out, "boot.py"), ":boot.py"]), (["cp"], [os.path.join(out, "main.py"), ":main.py"])]
    deploy = seen[1][1][1]
    assert (deploy.command, deploy.path, deploy.partition) == (["deploy"], rom, 0)
    assert seen[2][1][1].expr == [flash.verify_script(flash.device_digests(digests, True))]
    plain = flash.esp32_commands("esp32s3_eye", "/dev/ttyACM0", out, digests)
    fs = [a for n, a in _mpremote_parse(plain[0][3:], monkeypatch) if n == "fs"]
    assert (fs[1].command, fs[1].recursive, fs[1].path) == (["cp"], True, [os.path.join(out, "lib"), ":"])
    # the subcommands the route needs exist in the installed mpremote
    from mpremote import commands

    assert callable(commands._do_romfs_deploy) and "cp" in _fs_commands()


def _fs_commands():
    import inspect

    from mpremote import commands

    return inspect.getsource(commands.do_filesystem)


ROM_CHECK = r"""
import os, sys, vfs
with open(%(img)r, "rb") as f:
    data = f.read()
vfs.mount(vfs.VfsRom(data), "/rom")
%(verify)s
sys.path[:] = [".frozen", "/rom/lib"]  # only the image's modules (and the port's asyncio)
import kpins
print("PINS", kpins.PINS["CAM_XCLK"], kpins.__file__)
from kiosk.qr import segments
print("SJIS", segments._table() is not None, segments.__file__)
from kiosk.app import main
print("FONTS", main.fonts_dir("/flash"), os.stat("/rom/fonts/kiosk.fnt")[6])
"""


def test_romfs_image_read_back_on_micropython(tmp_path):
    font = tmp_path / "kiosk.fnt"
    font.write_bytes(b"KFNT" + os.urandom(3000))
    out = str(tmp_path / "dev")
    digests = devbuild.stage("esp32s3_eye", out, font=str(font))
    rom = flash.build_romfs(out, str(tmp_path / "eye.romfs"))
    assert open(rom, "rb").read(3) == b"\xd2\xcd\x31"  # the ROMFS header mpremote deploy checks
    rom_part = {t: h for t, h in flash.device_digests(digests, True).items() if t.startswith("rom/")}
    assert len(rom_part) == len(flash.rom_targets(digests)) == len(digests) - len(devbuild.ENTRY)
    script = ROM_CHECK % {"img": rom, "verify": flash.verify_script(rom_part)}
    proc = subprocess.run([paths.micropython(), "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "%s %d\n" % (flash.VERIFY_OK, len(rom_part)) in proc.stdout  # every file, byte for byte
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if not line.startswith(flash.VERIFY_OK))
    assert lines["PINS"] == "15 /rom/lib/kpins.mpy"
    assert lines["SJIS"] == "True /rom/lib/kiosk/qr/segments.mpy"  # the table beside its module
    assert lines["FONTS"] == "/rom/fonts %d" % font.stat().st_size  # the kiosk finds the font in ROMFS
    assert "main.py" not in proc.stdout and not os.path.exists(os.path.join(out, "rom"))
    # a file changed after the build is caught by the hashes
    bad = dict(rom_part)
    bad["rom/lib/kpins.mpy"] = "0" * 64
    proc = subprocess.run([paths.micropython(), "-c", ROM_CHECK % {"img": rom, "verify": flash.verify_script(bad)}],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "differs on the device: /rom/lib/kpins.mpy" in proc.stdout + proc.stderr


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
