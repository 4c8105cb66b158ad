# The kiosk's USB serial at its lowest level for MicroPython tests: bytes the
# host sent (rx) and bytes the kiosk wrote (tx).


class Pipe:
    def __init__(self):
        self.rx = bytearray()
        self.tx = bytearray()

    def poll(self, ms=0):
        return len(self.rx) > 0

    def read(self, n):
        d = bytes(self.rx[:n])
        self.rx = self.rx[n:]
        return d

    def write(self, b):
        self.tx += b
        return len(b)
