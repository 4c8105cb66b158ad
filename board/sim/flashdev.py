"""Simulated NOR flash: a littlefs block device backed by a file or a bytearray.

`FlashDev` implements the extended MicroPython block-device protocol that
`vfs.VfsLfs2` uses: `readblocks(n, buf, off)`, `writeblocks(n, buf, off)`
(program only: bits can go from 1 to 0, like NOR flash) and `ioctl(op, arg)`
(4 block count, 5 block size, 6 erase a block to 0xFF).

Power-cut injection, for the power-cut harness (bench/powercut.py):
`arm(ops, mode)` lets `ops` more program/erase operations through, then cuts
power on the next one. Modes: "stop" (the operation does not happen),
"torn" (a program writes only a prefix of its bytes; an erase leaves a prefix
erased and the rest as it was), "garbage" (the operation's range is left
with random bits). The cut operation and every later one fail with -EIO
(littlefs raises OSError(EIO); returning the error instead of raising keeps
MicroPython from printing each one): remount with a new FlashDev on the same
backing bytes, as a rebooted board would.

Counters: `erases`, `programs`, `prog_bytes` (for wear figures).
"""

import os

_EIO = const(5)
_IOCTL_COUNT = const(4)
_IOCTL_SIZE = const(5)
_IOCTL_ERASE = const(6)
_FF = b"\xff" * 8192


class FlashDev:
    def __init__(self, backing, block_size=4096, block_count=None, rng=None):
        """`backing`: a bytearray (in RAM) or a path (created, all 0xFF, when
        missing; `block_count` is then required)."""
        self.block_size = block_size
        self._file = None
        if isinstance(backing, bytearray):
            self.mem = backing
            self.block_count = len(backing) // block_size
        else:
            self.mem = None
            try:
                size = os.stat(backing)[6]
            except OSError:
                size = 0
            if size == 0:
                if not block_count:
                    raise ValueError("block_count needed for a new flash image")
                with open(backing, "wb") as f:
                    blank = b"\xff" * block_size
                    for _ in range(block_count):
                        f.write(blank)
                size = block_count * block_size
            self.block_count = size // block_size
            self._file = open(backing, "r+b")
        self.erases = 0
        self.programs = 0
        self.prog_bytes = 0
        self.dead = False
        self._left = -1
        self._mode = "stop"
        self._rng = rng

    @staticmethod
    def blank(block_size, block_count):
        return bytearray(b"\xff" * (block_size * block_count))

    def close(self):
        if self._file:
            self._file.close()
            self._file = None

    # -- power-cut injection -------------------------------------------

    def arm(self, ops, mode="stop"):
        """Cut power on the (ops+1)-th program/erase from now."""
        self._left = ops
        self._mode = mode

    def _check(self):
        if self._left == 0:
            self.dead = True
            return True
        if self._left > 0:
            self._left -= 1
        return False

    def _rand(self, n):
        if self._rng:
            return self._rng(n)
        return os.urandom(n)

    # -- raw access ------------------------------------------------------

    def _read(self, addr, buf):
        if self.mem is not None:
            n = len(buf)
            buf[:] = self.mem[addr : addr + n]
        else:
            self._file.seek(addr)
            self._file.readinto(buf)

    def _write(self, addr, data):
        if self.mem is not None:
            self.mem[addr : addr + len(data)] = data
        else:
            self._file.seek(addr)
            self._file.write(data)
            self._file.flush()

    def _program(self, addr, data):
        # NOR: programming only clears bits (fast path: the range is erased).
        n = len(data)
        old = bytearray(n)
        self._read(addr, old)
        if old == _FF[:n]:
            self._write(addr, data)
            return
        for i in range(n):
            old[i] &= data[i]
        self._write(addr, old)

    # -- block device protocol -------------------------------------------

    def readblocks(self, block, buf, off=0):
        if self.dead:
            return -_EIO
        self._read(block * self.block_size + off, buf)

    def writeblocks(self, block, buf, off=None):
        if off is None:
            # Simple protocol: erase then program whole blocks.
            nblk = len(buf) // self.block_size
            for i in range(nblk):
                self.ioctl(_IOCTL_ERASE, block + i)
            off = 0
        if self.dead:
            return -_EIO
        cut = self._check()
        addr = block * self.block_size + off
        n = len(buf)
        if cut:
            mode = self._mode
            if mode == "torn" and n > 1:
                k = self._rand(1)[0] * n // 256
                self._program(addr, memoryview(buf)[:k])
            elif mode == "garbage":
                self._write(addr, self._rand(n))
            return -_EIO
        self.programs += 1
        self.prog_bytes += n
        self._program(addr, buf)

    def ioctl(self, op, arg):
        if op == _IOCTL_COUNT:
            return self.block_count
        if op == _IOCTL_SIZE:
            return self.block_size
        if op == _IOCTL_ERASE:
            if self.dead:
                return -_EIO
            cut = self._check()
            bs = self.block_size
            addr = arg * bs
            if cut:
                mode = self._mode
                if mode == "torn":
                    k = self._rand(1)[0] * bs // 256
                    self._write(addr, b"\xff" * k)
                elif mode == "garbage":
                    self._write(addr, self._rand(bs))
                return -_EIO
            self.erases += 1
            self._write(addr, b"\xff" * bs)
            return 0
        return 0
