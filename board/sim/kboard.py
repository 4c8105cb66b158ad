"""The simulator board for the MicroPython unix port.

Real parts wherever they can run here: littlefs on a file-backed block device,
a pty for the USB serial, the real LCD/LED/buzzer drivers on recording buses.
Only the camera sensor is replaced, by a folder of frames (simsource).

    board = kboard.create(inputs="dir", flash="kiosk.img", at=1795344576,
                          serial="/dev/pts/5", png_dir="out/screens")
"""

import board_api

_FLASH_BLOCKS = const(512)  # 2 MB of 4 KB blocks, a typical log partition
_BLOCK = const(4096)
_RAM_BLOCKS = const(64)  # without an image file: 256 KB of flash in RAM
# flash_blocks (sim run --flash-size) sets both; an existing image keeps its size


class SimBoard(board_api.Board):
    name = "sim"

    def __init__(self, inputs=None, flash=None, flash_blocks=None, at=None,
                 clock_file=None, serial=None, png_dir=None, lcd_size=(320, 240), watch=False, radio=None):
        self._inputs = inputs
        self._watch = watch
        self._flash = flash
        self._flash_blocks = flash_blocks
        self._serial_path = serial
        self._png_dir = png_dir
        self._lcd_size = lcd_size
        self._mounted = None
        self._radio = radio
        self._net = None
        self._lcd = self._led = self._buzzer = None
        from simclock import SimClock

        self._clock = SimClock(at, clock_file)

    _ram_key = None  # the device key of a flash kept in RAM (one per process)

    def device_key(self):
        """The key that seals secrets: the file <flash image>.key, outside the
        data partition as an eFuse/NVS key is on a real board (made on first
        use); a flash in RAM gets one key per process."""
        import os

        if not self._flash:
            if SimBoard._ram_key is None:
                SimBoard._ram_key = os.urandom(32)
            return SimBoard._ram_key
        path = self._flash + ".key"
        try:
            with open(path, "rb") as f:
                key = f.read(64)
            if len(key) == 32:
                return key
        except OSError:
            pass
        key = os.urandom(32)
        with open(path + ".tmp", "wb") as f:
            f.write(key)
        os.rename(path + ".tmp", path)
        return key

    def maintenance(self):
        """The simulated BOOT button: held while the file <flash image>.button exists."""
        if not self._flash:
            return False
        import os

        try:
            os.stat(self._flash + ".button")
            return True
        except OSError:
            return False

    def get_source(self):
        if not self._inputs:
            return None
        from simsource import FolderSource

        return FolderSource(self._inputs, self._watch)

    def get_clock(self):
        return self._clock

    def mount_storage(self):
        """Mount littlefs on the flash image at /flash (format only a blank image)."""
        if self._mounted:
            return self._mounted
        import vfs
        from flashdev import FlashDev

        if self._flash:
            dev = FlashDev(self._flash, _BLOCK, self._flash_blocks or _FLASH_BLOCKS)
        else:
            n = (self._flash_blocks or _RAM_BLOCKS) * _BLOCK
            mem = bytearray(n)
            mv = memoryview(mem)
            ff = b"\xff" * _BLOCK
            for off in range(0, n, _BLOCK):
                mv[off : off + _BLOCK] = ff
            dev = FlashDev(mem, _BLOCK)
        try:
            fs = vfs.VfsLfs2(dev)
        except OSError:
            if not _is_blank(dev):
                raise  # never format a damaged image: that would wipe the log
            vfs.VfsLfs2.mkfs(dev)
            fs = vfs.VfsLfs2(dev)
        vfs.mount(fs, "/flash")
        self._mounted = "/flash"
        return self._mounted

    def get_serial(self):
        if not self._serial_path:
            return None
        import serialport

        return serialport.open(self._serial_path)

    def get_network(self):
        """Wi-Fi when the options name a radio file (simnet: real sockets, a
        switchable radio); True means <flash image>.radio."""
        if not self._radio:
            return None
        if self._net is None:
            from simnet import SimNet

            path = self._radio if isinstance(self._radio, str) else (self._flash or "kiosk") + ".radio"
            self._net = SimNet(path)
        return self._net

    def get_lcd(self):
        if self._png_dir is None:
            return None
        if self._lcd is None:
            import simlcd

            self._lcd = simlcd.make_lcd(self._lcd_size[0], self._lcd_size[1], self._png_dir)
        return self._lcd

    def get_led(self):
        if self._led is None:
            import simpins

            self._led = simpins.make_led("ws2812")
        return self._led

    def get_buzzer(self):
        if self._buzzer is None:
            import simpins

            self._buzzer = simpins.make_buzzer()
        return self._buzzer


def _is_blank(dev):
    buf = bytearray(_BLOCK)
    for block in (0, 1):
        dev.readblocks(block, buf)
        if buf != b"\xff" * _BLOCK:
            return False
    return True


def create(**options):
    return SimBoard(**options)
