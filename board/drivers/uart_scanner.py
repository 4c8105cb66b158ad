"""UART barcode-scanner module (e.g. GM65/GM861 class): payload lines as codes.

Such modules decode the QR code themselves and send its text followed by CR
and/or LF. The driver takes an already-configured UART-like stream with
`read(n)` (non-blocking: returns None or b"" when nothing is waiting) and
`any()` or a poll function, and turns the byte stream into payloads with a
bounded line buffer: an over-long line is dropped whole (counted in
`overflows`) instead of being cut into two fake codes.

    scanner = UartScanner(UART(1, 9600, tx=17, rx=18))
    kind, payload = await scanner.read()          # ("payload", b"HC1:...")
"""

import asyncio

from micropython import const

_MAX_LINE = const(4400)  # a version-40 QR holds at most 4296 alphanumeric chars
_POLL_MS = const(10)


class UartScanner:
    waits = True  # idles until a person scans: not a stall (kiosk.app.watchdog)

    def __init__(self, uart, max_line=_MAX_LINE):
        self.uart = uart
        self._buf = bytearray(max_line)
        self._n = 0
        self._skip = False
        self.overflows = 0
        self.current = "uart"
        self._backlog = []

    def feed(self, data):
        """Consume bytes; return the completed payloads (a list, often empty)."""
        out = []
        buf = self._buf
        for b in data:
            if b == 0x0D or b == 0x0A:
                if self._n and not self._skip:
                    out.append(bytes(buf[: self._n]))
                self._n = 0
                self._skip = False
            elif self._skip:
                continue
            elif self._n >= len(buf):
                self._skip = True
                self._n = 0
                self.overflows += 1
            else:
                buf[self._n] = b
                self._n += 1
        return out

    async def read(self):
        """("payload", bytes) for the next complete line; waits for one."""
        while not self._backlog:
            data = self.uart.read(256)
            if data:
                self._backlog = self.feed(data)
            else:
                await asyncio.sleep_ms(_POLL_MS)
        return ("payload", self._backlog.pop(0))
