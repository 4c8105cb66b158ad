"""`kioskctl flash --board qemu_m7` end to end with the real qemu: the device
tree is staged, written as the board's ROMFS image, verified file by file
(SHA-256 on the board over the raw REPL, BOOT held), then the board boots the
kiosk and answers HELLO on its serial pty. A file that differs is caught."""

import os
import subprocess
import sys

import pytest

from kioskctl import devbuild, flash, photo
from kioskctl.errors import DeviceError

KIOSKCTL = os.path.join(os.path.dirname(sys.executable), "kioskctl")


def test_flash_verify_boot_hello(tmp_path, m32_firmware):
    frames = tmp_path / "frames"
    frames.mkdir()
    photo.save_pgm(photo.render("https://example.org/flash", size=(320, 240), seed=4), str(frames / "01-url.pgm"))
    image = tmp_path / "flash.romfs"
    proc = subprocess.run([KIOSKCTL, "flash", "--board", "qemu_m7", "--frames", str(frames), "--romfs", str(image),
                           "--out", str(tmp_path / "stage")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verified (3 files)" in proc.stdout, proc.stdout  # main.py, boot.py, the frame
    assert "booted: HELLO from unprovisioned, firmware 0.1.0" in proc.stdout, proc.stdout
    assert image.stat().st_size > 0


def test_a_file_that_differs_on_the_board_is_caught(tmp_path, m32_firmware):
    stage = str(tmp_path / "stage")
    digests = devbuild.stage("qemu_m7", stage)
    digests["main.py"] = "0" * 64
    with pytest.raises(DeviceError, match="differs on the device: /rom/main.py"):
        flash.deploy_qemu(stage, digests, str(tmp_path / "img"), m32_firmware)
