"""The emulated 32-bit board (board/qemu_m7): start it, find its serial pty.

    emu = qemu.start(qemu.firmware(), romfs="build/rom.img")  # or a folder
    emu.pty_path          # the board's UART: kioskctl --port, pyserial, mpremote
    emu.close()           # or `with qemu.start(...) as emu:`

`qemu-system-arm -machine mps2-an500` runs the MicroPython qemu port with the
kiosk frozen in (built by `make m32`). Its UART is a pty; the ROMFS image
(code and data for /rom: main.py, frames) is loaded into the board's ROMFS
partition at power-on, as a flashed image would be. The board is held in
reset until its pty is open (held by the Emulator for its lifetime, so no
UART byte is lost between clients). The emulator ends with
close(), with the Python process that started it (PR_SET_PDEATHSIG), or when
the firmware calls machine.reset().

icount=True runs with `-icount shift=0`: the guest clock counts instructions
(time.ticks_ms() = millions of guest instructions), the same on every run
and under any host load; plain TCG (icount=False) runs faster.
heap: a smaller MicroPython heap than the build's (bytes), set at power-on
(board/qemu_m7/port.patch reads it), so one firmware serves every heap size.
"""

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

from kioskctl import mp, paths
from kioskctl.errors import DeviceError, KioskError

MACHINE = "mps2-an500"
ROMFS_ADDR = 0x60C00000  # MICROPY_HW_ROMFS_PART0_START of MPS2_AN500
ROMFS_SIZE = 0x00400000
_CFG_ADDR = ROMFS_ADDR - 64  # "KCFG", heap bytes, 32 bytes of entropy (port.patch's main.c)
_PTY_RE = re.compile(rb"char device redirected to (/dev/pts/\d+)")


def firmware():
    """The firmware `make m32` builds: build/qemu_m7/firmware.elf."""
    return os.path.join(paths.REPO, "build", "qemu_m7", "firmware.elf")


def missing_tools():
    """Names of the host tools the board needs that are not installed."""
    return [t for t in ("qemu-system-arm", "arm-none-eabi-gcc") if shutil.which(t) is None]


def mpy_cross():
    """The mpy-cross `make m32` builds (the firmware's own bytecode version)."""
    return os.path.join(paths.REPO, "build", "micropython", "mpy-cross", "build", "mpy-cross")


def make_romfs(folder, out, compile_py=True):
    """Build a ROMFS image of `folder` at `out` with mpremote's builder.

    With compile_py, every .py but boot.py and main.py (run as source by the
    port) is compiled to .mpy for the board (-march=armv7emdp), so imports
    from /rom cost no compiler RAM."""
    import contextlib
    import io

    from mpremote import romfs  # pinned in host_tools/requirements.lock

    with tempfile.TemporaryDirectory(prefix="kiosk-romfs-") as stage:
        tree = os.path.join(stage, "rom")
        shutil.copytree(folder, tree)
        if compile_py:
            for root, _, names in os.walk(tree):
                for n in names:
                    if n.endswith(".py") and n not in ("boot.py", "main.py"):
                        src = os.path.join(root, n)
                        proc = subprocess.run([mpy_cross(), "-march=armv7emdp", "-o", src[:-3] + ".mpy", src],
                                              capture_output=True, text=True)
                        if proc.returncode != 0:
                            raise KioskError("mpy-cross %s: %s" % (n, proc.stderr.strip()))
                        os.remove(src)
        with contextlib.redirect_stdout(io.StringIO()):  # the builder lists every file
            image = romfs.make_romfs(tree, mpy_cross=False)
    if len(image) > ROMFS_SIZE:
        raise KioskError("ROMFS image of %s is %d bytes; the partition holds %d" % (folder, len(image), ROMFS_SIZE))
    with open(out, "wb") as f:
        f.write(image)
    return out


FLAG_BOOT = 1  # the BOOT button held at power-on (board/qemu_m7/kboard.py maintenance())


def config_block(heap=None, entropy=None, flags=0):
    """The power-on configuration the patched firmware reads (magic, heap,
    entropy) and the board module reads (flags), 44 bytes."""
    import struct

    return struct.pack("<4sI32sI", b"KCFG", int(heap or 0), entropy if entropy is not None else os.urandom(32),
                       flags)


def command(firmware_elf, romfs=None, icount=False, config=None, held=False):
    """The qemu-system-arm argument list for the board (config: a file
    holding config_block())."""
    cmd = ["qemu-system-arm", "-machine", MACHINE, "-nographic", "-monitor", "null", "-semihosting",
           "-serial", "pty", "-kernel", firmware_elf]
    if held:  # paused at power-on until "cont" on the monitor (start() holds the pty first)
        cmd[cmd.index("null")] = "stdio"
        cmd.append("-S")
    if icount:
        cmd += ["-icount", "shift=0"]
    if romfs:
        cmd += ["-device", "loader,file=%s,addr=0x%X,force-raw=on" % (romfs, ROMFS_ADDR)]
    if config:
        cmd += ["-device", "loader,file=%s,addr=0x%X,force-raw=on" % (config, _CFG_ADDR)]
    return cmd


class Emulator:
    """A running board: `pty_path` (its UART) and `proc` (qemu)."""

    def __init__(self, proc, pty_path, tmpdir=None, hold=None):
        self.proc = proc
        self.pty_path = pty_path
        self._tmpdir = tmpdir
        self._hold = hold

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._hold is not None:
            os.close(self._hold)
            self._hold = None
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def start(firmware_elf=None, romfs=None, icount=False, heap=None, timeout=10, boot_held=False):
    """Power on the board; returns an Emulator once its pty exists.

    romfs: a ROMFS image file, or a folder (built into a temporary image).
    boot_held: power on with the BOOT button held (main.py gives the REPL)."""
    firmware_elf = firmware_elf or firmware()
    if not os.path.exists(firmware_elf):
        raise KioskError("no firmware at %s: run `make m32`" % firmware_elf)
    if shutil.which("qemu-system-arm") is None:
        raise KioskError("qemu-system-arm not found (host_tools/scripts/sysdeps.sh installs it)")
    tmpdir = tempfile.mkdtemp(prefix="kiosk-qemu-")
    if romfs and os.path.isdir(romfs):
        romfs = make_romfs(romfs, os.path.join(tmpdir, "romfs.img"))
    config = os.path.join(tmpdir, "config.bin")
    with open(config, "wb") as f:
        f.write(config_block(heap, flags=FLAG_BOOT if boot_held else 0))
    proc = subprocess.Popen(command(firmware_elf, romfs, icount, config, held=True), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=mp._die_with_parent)
    found = {}
    seen = bytearray()

    def watch():
        for line in proc.stdout:  # qemu's own messages; the guest talks on the pty
            seen.extend(line[-200:])
            m = _PTY_RE.search(line)
            if m and "pty" not in found:
                found["pty"] = m.group(1).decode()

    threading.Thread(target=watch, daemon=True).start()
    deadline = time.monotonic() + timeout
    while "pty" not in found:
        if proc.poll() is not None or time.monotonic() > deadline:
            Emulator(proc, None, tmpdir).close()
            raise DeviceError("qemu did not start the board: %s" % bytes(seen).decode("utf-8", "replace").strip())
        time.sleep(0.02)
    # Hold the pty open for the board's lifetime (never read here): qemu drops
    # UART output while no one has the pty open, and notices a new opener
    # only by polling, so clients opening and closing it (one per kioskctl
    # command) would lose bytes. Then power on.
    hold = os.open(found["pty"], os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    proc.stdin.write(b"cont\n")
    proc.stdin.flush()
    return Emulator(proc, found["pty"], tmpdir, hold)
