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
        return self._in.read(n) if self.poll(0) else b""

    def readinto(self, buf):
        return self._in.readinto(buf) if self.poll(0) else 0

    def write(self, b):
        return self._out.write(b)

    def close(self):
        micropython.kbd_intr(3)
