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
- no display, LED or buzzer.

    board = kboard.create(frames="/rom/frames", repeat_ms=2000, flash_kb=256)

A crash report (crash.txt, written by kiosk.app.main.run_forever) is printed
on the UART before reset() ends the emulator, since the RAM flash goes with it.
"""

import board_api

_BLOCK = const(4096)
_FLASH_KB = const(256)
_REPEAT_MS = const(2000)


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

    def get_serial(self):
        from usbserial import UsbSerial

        return UsbSerial()

    def reset(self):
        import machine
        import sys

        if self._mounted:
            try:
                with open(self._mounted + "/crash.txt") as f:
                    sys.stdout.write("\r\nkiosk crash:\r\n" + f.read())
            except OSError:
                pass
        machine.reset()  # ends the emulator (semihosting exit)


def create(**options):
    return QemuBoard(**options)
