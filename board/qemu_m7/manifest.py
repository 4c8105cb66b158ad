# Freeze the kiosk firmware and this board into the MicroPython qemu port for
# mps2-an500 (Cortex-M7, 32-bit): `make m32` runs, from the repo root,
#   make -C build/micropython/ports/qemu BOARD=MPS2_AN500 MICROPY_VFS_LFS2=1 \
#        FROZEN_MANIFEST=<repo>/board/qemu_m7/manifest.py
# (docs/boards-qemu.md). The qemu port has no manifest of its own to include.
# Paths are relative to this file. main.py is not frozen: it ships in the
# ROMFS image (/rom/main.py runs at power-on), so a bare board gives a REPL.
include("$(MPY_DIR)/extmod/asyncio")
include("../../firmware/kiosk")
# G's comb table as frozen bytes (host_tools/scripts/gen_gtable.py, run by make)
module("kiosk/crypto/gtab.py", base_path="../../build/gen")
module("board_api.py", base_path="../common")
module("flashdev.py", base_path="../sim")  # the NOR flash model, here on a bytearray
module("pgm.py", base_path="../sim")  # bounded PGM reader (frames in ROMFS)
module("usbserial.py", base_path="../common")  # stdin/stdout as the serial link
freeze(".", ("kboard.py", "romframes.py", "tickclock.py"))
