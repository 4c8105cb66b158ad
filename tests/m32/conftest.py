"""The 32-bit suite: firmware tests on the emulated Cortex-M7 board (board/qemu_m7).

Session fixtures build (or check) the firmware with `make`, stage a ROMFS
image with the MicroPython test modules (tests/firmware and tests/m32/board,
compiled to .mpy), a frame set and the host's expectations, and keep one
emulator per heap size per worker. Each board test runs in a fresh
interpreter (a soft reset over the raw REPL).

Without the cross toolchain or qemu (not root, no packages) the suite says
so loudly and fails when CI=true; elsewhere it is skipped with that message.
"""

import fcntl
import json
import os
import shutil
import subprocess
import warnings

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIRMWARE_TESTS = os.path.join(REPO, "tests", "firmware")
BOARD_TESTS = os.path.join(HERE, "board")
_NOT_ON_BOARD = ("conftest.py", "mprun.py")
_missing = []


def pytest_terminal_summary(terminalreporter):
    if _missing:
        terminalreporter.write_sep("!", "32-BIT SUITE NOT RUN: %s" % _missing[0], red=True, bold=True)


def _toolchain():
    from kioskctl import qemu

    missing = qemu.missing_tools()
    if missing:
        msg = "missing %s (host_tools/scripts/sysdeps.sh installs them as root)" % ", ".join(missing)
        _missing.append(msg)
        warnings.warn("32-bit suite not run: " + msg)
        if os.environ.get("CI") == "true":
            pytest.fail("32-bit suite cannot run in CI: " + msg)
        pytest.skip("32-bit suite not run: " + msg)


@pytest.fixture(scope="session")
def m32_firmware():
    """build/qemu_m7/firmware.elf, rebuilt by make when a source changed."""
    _toolchain()
    from kioskctl import qemu

    os.makedirs(os.path.join(REPO, "build"), exist_ok=True)
    with open(os.path.join(REPO, "build", ".m32.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers: one make at a time
        proc = subprocess.run(["make", "-s", "--no-print-directory", "build/qemu_m7/firmware.elf"],
                              cwd=REPO, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        pytest.fail("building the 32-bit firmware failed:\n" + (proc.stdout + proc.stderr)[-3000:])
    return qemu.firmware()


def frame_set(folder, issuer):
    """Camera frames the 32-bit tests decode, with what each holds (host-made)."""
    from kioskctl import photo

    os.makedirs(folder, exist_ok=True)
    code = issuer.mint("green", iat=1790000000)
    expected = {}
    for name, text, size, style, seed in (
        ("hc1-qvga-phone", code, (320, 240), "phone", 1),
        ("hc1-qvga-paper", code, (320, 240), "paper", 2),
        ("url-vga-phone", "https://example.org/kiosk/32-bit", (640, 480), "phone", 3),
    ):
        photo.save_pgm(photo.render(text, size=size, seed=seed, style=style), os.path.join(folder, name + ".pgm"))
        expected[name + ".pgm"] = [text.encode().hex()]
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f)
    return expected


@pytest.fixture(scope="session")
def m32_rom(tmp_path_factory, issuer):
    """The ROMFS folder the suite's boards load: test modules, frames, expectations."""
    from kioskctl import combtab

    root = str(tmp_path_factory.mktemp("m32rom"))
    for src in (FIRMWARE_TESTS, BOARD_TESTS):
        for n in os.listdir(src):
            if n.endswith(".py") and n not in _NOT_ON_BOARD:
                shutil.copy(os.path.join(src, n), os.path.join(root, n))
    frame_set(os.path.join(root, "frames"), issuer)
    g = bytes.fromhex("046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
    import hashlib

    with open(os.path.join(root, "gtable.sha256"), "w") as f:
        f.write(hashlib.sha256(combtab.build_table(g, s=3, w=11)).hexdigest())
    return root


class Boards:
    """One running board per heap size; `run(module, fn, heap)` on a fresh interpreter."""

    def __init__(self, firmware, rom, tmp):
        from kioskctl import qemu

        self.firmware = firmware
        self.image = qemu.make_romfs(rom, os.path.join(tmp, "m32.romfs"))
        self._boards = {}

    def _board(self, heap):
        import serial

        from kioskctl import qemu, rawrepl

        b = self._boards.get(heap)
        if b is not None and b[0].alive():
            return b
        if b is not None:
            b[0].close()
        emu = qemu.start(self.firmware, romfs=self.image, heap=heap)
        repl = rawrepl.RawRepl(serial.Serial(emu.pty_path, 115200, timeout=0.05))
        repl.enter()
        self._boards[heap] = b = (emu, repl)
        return b

    def run(self, code, heap=None, timeout=600):
        emu, repl = self._board(heap)
        repl.soft_reset()
        return repl.exec(code, timeout=timeout)

    def close(self):
        for emu, repl in self._boards.values():
            repl.port.close()
            emu.close()


@pytest.fixture(scope="session")
def boards(m32_firmware, m32_rom, tmp_path_factory):
    b = Boards(m32_firmware, m32_rom, str(tmp_path_factory.mktemp("m32img")))
    yield b
    b.close()
