"""Put the kiosk on a board and check what is on it (`kioskctl flash`, `make flash`).

ESP32-S3 boards (a stock MicroPython image with the camera module):
  1. esptool writes the MicroPython image, when one is given;
  2. mpremote prepares the filesystem (old /lib removed, the crash streak
     cleared), copies the staged tree (kioskctl.devbuild: /lib .mpy modules,
     kpins, data files, /main.py, /boot.py, /fonts);
  3. mpremote runs the verification script: every file's SHA-256 on the
     device against the staged tree;
  4. mpremote resets the board: the kiosk starts.
  The kiosk's main.py keeps the REPL closed: to re-flash a running kiosk,
  hold BOOT while it powers up (main.py then returns to the REPL).
  With romfs (an image built with ROMFS enabled and a romfs partition), the
  read-only part (compiled modules, board module, Shift-JIS table, font: all
  but main.py/boot.py) goes as one ROMFS image built on the host
  (`mpremote romfs deploy`, mounted at /rom, /rom/lib on sys.path);
  littlefs keeps only main.py/boot.py and what the kiosk writes (/config
  trust store and settings, /log, /crash). Verification covers both.
The tools run from the venv beside sys.executable (`python -m esptool`,
`python -m mpremote`, pinned in host_tools/requirements.lock).

The emulated board (qemu_m7): its flash is the ROMFS image loaded at
power-on, so "writing" it is building the image; the board is then powered
on with BOOT held and verified over the raw REPL (the same script), powered
off, and booted for real: the kiosk must answer HELLO on its serial port.

    cmds = esp32_commands("esp32s3_eye", "/dev/ttyACM0", stage_dir, digests, image="fw.bin")
    cmds = esp32_commands(..., romfs=build_romfs(stage_dir, "build/flash/esp32s3_eye.romfs"))
    run(cmds)                                    # each an argv list
    info = deploy_qemu(stage_dir, digests, "build/flash/qemu_m7.romfs")
"""

import os
import subprocess
import sys

from kioskctl import devbuild
from kioskctl.errors import DeviceError, KioskError

FLASH_BAUD = 460800
VERIFY_OK = "KIOSK VERIFY OK"
ROMFS_SUFFIX = (".romfs", ".img")  # what `mpremote romfs deploy` takes as an image file
_ESPTOOL_OFFSET = {"esp32s3": "0x0"}  # where a merged MicroPython image goes


def verify_script(digests, root=""):
    """MicroPython code that checks every staged file's SHA-256 on the device:
    prints VERIFY_OK and the count, or raises naming the first file that differs."""
    rows = ",".join("(%r,%r)" % (root + "/" + t, h) for t, h in sorted(digests.items()))
    return (
        "import hashlib, binascii\n"
        "def _h(p):\n"
        " h = hashlib.sha256(); b = bytearray(1024)\n"
        " with open(p, 'rb') as f:\n"
        "  while True:\n"
        "   n = f.readinto(b)\n"
        "   if not n: break\n"
        "   h.update(memoryview(b)[:n])\n"
        " return binascii.hexlify(h.digest()).decode()\n"
        "_n = 0\n"
        "for _p, _d in (%s,):\n"
        " try: _g = _h(_p)\n"
        " except OSError: raise Exception('missing on the device: ' + _p)\n"
        " if _g != _d: raise Exception('differs on the device: ' + _p)\n"
        " _n += 1\n"
        "print(%r, _n)\n" % (rows, VERIFY_OK)
    )


def prepare_script():
    """Before copying: the old /lib goes (no stale module shadows a new one) and
    the crash streak is cleared (new firmware deserves a fresh start)."""
    return (
        "import os\n"
        "def _rm(p):\n"
        " try: st = os.stat(p)\n"
        " except OSError: return\n"
        " if st[0] & 0x4000:\n"
        "  for n in os.listdir(p): _rm(p + '/' + n)\n"
        "  os.rmdir(p)\n"
        " else: os.remove(p)\n"
        "_rm('/lib')\n"
        "_rm('/crash/state')\n"
    )


def rom_targets(digests):
    """The staged files that go into the ROMFS image: everything but the entry points."""
    return sorted(t for t in digests if t not in devbuild.ENTRY)


def build_romfs(stage_dir, out):
    """The ROMFS image of the staged tree's read-only part (its modules are
    already .mpy for the board) at `out`, with mpremote's builder; returns out."""
    import contextlib
    import io
    import shutil
    import tempfile

    from mpremote import romfs

    with tempfile.TemporaryDirectory(prefix="kiosk-romfs-") as tmp:
        tree = os.path.join(tmp, "rom")
        top = os.path.abspath(stage_dir)
        shutil.copytree(top, tree, ignore=lambda d, names: devbuild.ENTRY if os.path.abspath(d) == top else ())
        with contextlib.redirect_stdout(io.StringIO()):  # the builder lists every file
            image = romfs.make_romfs(tree, mpy_cross=False)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "wb") as f:
        f.write(image)
    return out


def device_digests(digests, romfs=False):
    """{device path without the leading "/": sha256}: with romfs the read-only part under rom/."""
    if not romfs:
        return dict(digests)
    return {("rom/" + t if t not in devbuild.ENTRY else t): h for t, h in digests.items()}


def esp32_commands(board, port, stage_dir, digests, image=None, baud=FLASH_BAUD, python=None, romfs=None):
    """The argv lists that flash an ESP32 board, in order. romfs: a ROMFS
    image of the read-only part (build_romfs); then only main.py and boot.py
    are copied to littlefs."""
    chip = devbuild.BOARDS[board][1]
    if chip is None:
        raise KioskError("%s is not an ESP32 board" % board)
    if romfs and not romfs.endswith(ROMFS_SUFFIX):
        raise KioskError("a ROMFS image file name ends in %s (mpremote builds anything else as a folder)" % " or ".join(ROMFS_SUFFIX))
    py = python or sys.executable
    cmds = []
    if image:
        cmds.append([py, "-m", "esptool", "--chip", chip, "--port", port, "--baud", str(baud),
                     "write-flash", "-z", _ESPTOOL_OFFSET[chip], image])
    mp = [py, "-m", "mpremote", "connect", port]
    copy = mp + ["exec", prepare_script()]
    names = devbuild.ENTRY if romfs else os.listdir(stage_dir)
    for name in sorted(names):
        src = os.path.join(stage_dir, name)
        copy += ["+", "fs", "cp", "-r", src, ":"] if os.path.isdir(src) else ["+", "fs", "cp", src, ":" + name]
    cmds.append(copy)
    if romfs:
        cmds.append(mp + ["romfs", "--partition", "0", "deploy", romfs])
    # a new connection soft-resets the board: /rom is mounted again before the check
    cmds.append(mp + ["exec", verify_script(device_digests(digests, bool(romfs)))])
    cmds.append(mp + ["reset"])
    return cmds


def missing_tools(cmds):
    """The Python tools (esptool, mpremote) the commands need that are not installed."""
    import importlib.util

    need = {argv[2] for argv in cmds if len(argv) > 2 and argv[1] == "-m"}
    return sorted(n for n in need if importlib.util.find_spec(n) is None)


def run(cmds, runner=None, log=None):
    """Run each argv in order; DeviceError naming the step that failed."""
    if runner is None:
        missing = missing_tools(cmds)
        if missing:
            raise KioskError("%s not installed in this Python (%s): run `make venv` (host_tools/requirements.lock "
                             "pins them), or --dry-run to see the commands" % (" and ".join(missing), sys.executable))
    runner = runner or (lambda argv: subprocess.run(argv, capture_output=True, text=True))
    outputs = []
    for argv in cmds:
        if log:
            log(" ".join(a if "\n" not in a else "<script>" for a in argv[:8]) + (" ..." if len(argv) > 8 else ""))
        proc = runner(argv)
        out = (proc.stdout or "") + (proc.stderr or "")
        if proc.returncode != 0:
            hint = ""
            if "romfs" in argv:
                hint = (" (the MicroPython image needs ROMFS enabled and a romfs partition large enough"
                        " for the image: docs/boards.md; or flash without --romfs)")
            elif "mpremote" in argv:
                hint = " (a running kiosk keeps the REPL closed: hold BOOT while it powers up, then flash again)"
            raise DeviceError("%s failed (exit %d): %s%s" % (argv[2], proc.returncode, out.strip()[-400:], hint))
        outputs.append(out)
    if outputs and VERIFY_OK not in "".join(outputs):
        raise DeviceError("the board did not confirm the files it holds")
    return outputs


def deploy_qemu(stage_dir, digests, image, firmware_elf=None, timeout=120):
    """Build the ROMFS image (the emulated board's flash), verify it on the
    board (BOOT held: raw REPL), then boot it and wait for the kiosk's HELLO.
    Returns (verified file count, HELLO dict)."""
    import serial

    from kioskctl import link, qemu, rawrepl

    os.makedirs(os.path.dirname(os.path.abspath(image)), exist_ok=True)
    qemu.make_romfs(stage_dir, image)
    with qemu.start(firmware_elf, romfs=image, boot_held=True) as board:
        port = serial.Serial(board.pty_path, 115200, timeout=0.05)
        try:
            repl = rawrepl.RawRepl(port)
            repl.enter()
            out = repl.exec(verify_script(digests, "/rom"), timeout=timeout)
        except rawrepl.ReplError as exc:
            raise DeviceError("verify failed: %s" % exc) from None
        finally:
            port.close()
    text = out.decode("utf-8", "replace")
    if VERIFY_OK not in text:
        raise DeviceError("the board did not confirm the files it holds: %r" % text[-200:])
    count = int(text.split(VERIFY_OK)[1].split()[0])
    with qemu.start(firmware_elf, romfs=image) as board:
        port = serial.Serial(board.pty_path, 115200, timeout=0.05)
        try:
            hello = link.Link(port, timeout=5.0, retries=int(timeout // 5)).hello()
        finally:
            port.close()
    return count, hello

