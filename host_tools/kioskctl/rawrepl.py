"""MicroPython's raw REPL over a serial port (the protocol mpremote speaks).

    repl = RawRepl(serial.Serial(pty_path, timeout=0.05))
    repl.enter()                      # Ctrl-C, Ctrl-A: the "raw REPL" prompt
    out = repl.exec("print(1 + 1)")   # b"2\\r\\n"; ReplError on an exception
    repl.soft_reset()                 # Ctrl-D at the prompt: a fresh interpreter

Raw mode: the code, then Ctrl-D; the board answers "OK", the output, Ctrl-D,
the error output, Ctrl-D, ">". Every wait is bounded by a timeout.
"""

import time

from kioskctl.errors import DeviceError

_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
_CHUNK = 256


class ReplError(DeviceError):
    """The code raised on the board; `output` and `error` hold what it printed."""

    def __init__(self, output, error):
        super().__init__(error.decode("utf-8", "replace").strip() or "exception on the board")
        self.output = output
        self.error = error


class RawRepl:
    def __init__(self, port):
        self.port = port
        self._buf = bytearray()  # read past the last marker, kept for the next

    def _read_until(self, end, timeout):
        """Bytes up to and including `end`."""
        buf = self._buf
        deadline = time.monotonic() + timeout
        while True:
            i = buf.find(end)
            if i >= 0:
                got = bytes(buf[: i + len(end)])
                del buf[: i + len(end)]
                return got
            b = self.port.read(max(1, self.port.in_waiting))
            if b:
                buf += b
            elif time.monotonic() > deadline:
                raise DeviceError("board did not answer within %.0f s (got %r)" % (timeout, bytes(buf[-120:])))

    def enter(self, timeout=10):
        """Interrupt whatever runs and enter the raw REPL."""
        deadline = time.monotonic() + timeout
        while True:
            self._buf.clear()
            self.port.write(b"\r\x03\x03\x01")
            try:
                self._read_until(_PROMPT, 1.0)
                return
            except DeviceError:
                if time.monotonic() > deadline:
                    raise DeviceError("no raw REPL on the board within %.0f s" % timeout)

    def soft_reset(self, timeout=20):
        """A fresh interpreter (heap swept, modules dropped), still in raw mode."""
        self.port.write(b"\x04")
        self._read_until(b"soft reboot", timeout)
        self._read_until(_PROMPT, timeout)

    def exec(self, code, timeout=120):
        """Run `code`; its stdout, or ReplError with what it printed."""
        if isinstance(code, str):
            code = code.encode()
        for i in range(0, len(code), _CHUNK):
            self.port.write(code[i : i + _CHUNK])
        self.port.write(b"\x04")
        self._read_until(b"OK", 10)
        out = self._read_until(b"\x04", timeout)[:-1]
        err = self._read_until(b"\x04", 10)[:-1]
        self._read_until(b">", 10)
        if err:
            raise ReplError(out, err)
        return out
