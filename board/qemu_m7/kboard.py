"""The emulated 32-bit board: MicroPython's qemu port on mps2-an500 (Cortex-M7).

What stands in for each device (docs/boards-qemu.md):
- serial link: the emulated UART (stdin/stdout, a pty on the host), as USB
  CDC is on the ESP32-S3 board (usbserial: select.poll, Ctrl-C off while the
  protocol runs);
- flash: littlefs on a block device in RAM (flashdev on a bytearray), blank
  at every power-on; durability is proven on the unix port's file flash;
- camera: frames played from the ROMFS image (/rom/frames/*.pgm, romframes),
  read with readinto into one preallocated frame buffer, replayed every
  `repeat_ms` (people keep coming to the door);
- clock: no RTC on this machine: unset until provisioning sets it
  (tickclock);
- no display, LED or buzzer;
- BOOT button: a flag in the power-on block the host loads
  (`qemu.start(..., boot_held=True)`): main.py then returns to the REPL, as
  on the ESP32 boards, so `kioskctl flash` can verify what is on the board.

    board = kboard.create(frames="/rom/frames", repeat_ms=2000, flash_kb=256)

The newest crash record (the ring kiosk.app.crashlog keeps under /flash/crash)
is printed on the UART before reset() ends the emulator, since the RAM flash
goes with it (so the crash streak, and safe mode, never build up here).
"""

import board_api

_BLOCK = const(4096)
_FLASH_KB = const(256)
_REPEAT_MS = const(2000)
_CFG = const(0x60BFFFC0)  # the host's power-on block (kioskctl.qemu.config_block)
_CFG_MAGIC = const(0x4746434B)  # "KCFG"
_CFG_FLAGS = const(40)  # u32 after magic, heap and entropy
_FLAG_BOOT = const(1)  # the BOOT button held at power-on (`kioskctl flash` verifies then)


class QemuBoard(board_api.Board):
    name = "qemu_m7"

    def __init__(self, frames="/rom/frames", repeat_ms=_REPEAT_MS, flash_kb=_FLASH_KB, at=None):
        self._frames = frames
        self._repeat_ms = repeat_ms
        self._flash_kb = flash_kb
        self._mounted = None
        from tickclock import TickClock

        self._clock = TickClock(at)

    def get_source(self):
        if not self._frames:
            return None
        from romframes import RomFrames

        return RomFrames(self._frames, self._repeat_ms)

    def get_clock(self):
        return self._clock

    def mount_storage(self):
        """A blank RAM flash, formatted and mounted at /flash once per boot."""
        if self._mounted:
            return self._mounted
        import vfs
        from flashdev import FlashDev

        dev = FlashDev(FlashDev.blank(_BLOCK, self._flash_kb * 1024 // _BLOCK), _BLOCK)
        vfs.VfsLfs2.mkfs(dev)
        vfs.mount(vfs.VfsLfs2(dev), "/flash")
        self._mounted = "/flash"
        return self._mounted

    def maintenance(self):
        """BOOT held at power-on: a flag in the host's configuration block."""
        import machine

        return machine.mem32[_CFG] == _CFG_MAGIC and bool(machine.mem32[_CFG + _CFG_FLAGS] & _FLAG_BOOT)

    def get_serial(self):
        from usbserial import UsbSerial

        return UsbSerial()

    def reset(self):
        import machine
        import sys

        if self._mounted:
            try:
                from kiosk.app.crashlog import CrashLog

                for text in CrashLog(self._mounted).records()[-1:]:
                    sys.stdout.write("\r\nkiosk crash:\r\n" + text)
            except Exception:  # noqa: BLE001 - the report is a courtesy: reset anyway
                pass
        machine.reset()  # ends the emulator (semihosting exit)


def create(**options):
    return QemuBoard(**options)
