"""USB CDC as the kiosk's serial link, shared with the REPL (docs/serial-protocol.md).

The app's serial server reads raw bytes from stdin: frames are COBS-encoded
with a zero delimiter, so REPL keystrokes and stray text are dropped by the
deframer's CRC check. Ctrl-C is disabled while the app runs (a stray 0x03
in a frame must not interrupt it); a technician reaches the REPL by holding
BOOT at power-up (main.py then returns before starting the app).
"""

import select
import sys

import micropython


class UsbSerial:
    def __init__(self):
        micropython.kbd_intr(-1)
        self._in = sys.stdin.buffer
        self._out = sys.stdout.buffer
        self._poll = select.poll()
        self._poll.register(self._in, select.POLLIN)

    def poll(self, timeout_ms=0):
        return bool(self._poll.poll(timeout_ms))

    def read(self, n):
        """What is waiting, up to n bytes; never blocks (stdin's read(n) would
        wait for all n)."""
        buf = bytearray(n)
        got = self.readinto(buf)
        return bytes(buf[:got])

    def readinto(self, buf):
        got = 0
        while got < len(buf) and self.poll(0):
            b = self._in.read(1)
            if not b:
                break
            buf[got] = b[0]
            got += 1
        return got

    def write(self, b):
        return self._out.write(b)

    def close(self):
        micropython.kbd_intr(3)
