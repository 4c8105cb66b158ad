"""Recorder for MicroPython's `esp32` module (tests only): the flash
partition the stock image mounts littlefs on, backed by a bytearray."""


class Partition:
    TYPE_APP = 0
    TYPE_DATA = 1
    BOOT = 0
    RUNNING = 1

    def __init__(self, label="vfs", blocks=64, block=4096):
        self.label = label
        self._b = block
        self._mem = bytearray(b"\xff" * (blocks * block))

    @classmethod
    def find(cls, type=TYPE_DATA, subtype=255, label=None):
        return [cls(label or "vfs")]

    def readblocks(self, n, buf, off=0):
        s = n * self._b + off
        buf[:] = self._mem[s : s + len(buf)]

    def writeblocks(self, n, buf, off=None):
        if off is None:
            s = n * self._b
            self._mem[s : s + self._b] = b"\xff" * self._b
            off = 0
        s = n * self._b + off
        self._mem[s : s + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:
            return len(self._mem) // self._b
        if op == 5:
            return self._b
        if op == 6:
            s = arg * self._b
            self._mem[s : s + self._b] = b"\xff" * self._b
            return 0
        return 0


class NVS:
    """esp32.NVS recorder: one namespace's blobs in RAM (lost at power-off,
    as a test board's NVS may as well be)."""

    _store = {}

    def __init__(self, namespace):
        self._ns = self._store.setdefault(namespace, {})

    def get_blob(self, key, buf):
        if key not in self._ns:
            raise OSError(-4354)  # ESP_ERR_NVS_NOT_FOUND
        v = self._ns[key]
        buf[: len(v)] = v
        return len(v)

    def set_blob(self, key, value):
        self._ns[key] = bytes(value)

    def commit(self):
        pass
