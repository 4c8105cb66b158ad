"""The kiosk end of a simulated USB serial line: a pty opened by path.

`SerialPort(path)` (or `serialport.open(path)`) opens the pty (e.g. the device path a
kioskctl.ptybridge.PtyBridge hands out) with `open(path, "r+b")`, puts it in
raw mode (no echo, no newline translation) and makes reads non-blocking
(VMIN = VTIME = 0), so it behaves like the Board serial stream
(board/common/board_api.py):
    poll(timeout_ms) -> bool   bytes are waiting (select.poll); sets `hung_up`
                               when the other side of the pty has closed
    read(n) -> bytes           up to n waiting bytes, b"" when none
    write(b) -> int            all of b (blocks while the pty buffer is full)
"""

import select
import termios

from micropython import const

_file_open = open  # the builtin: this module defines open() below
_VMIN = const(6)
_VTIME = const(5)
_POLLIN = const(1)
_POLLERR = const(8)
_POLLHUP = const(16)


class SerialPort:
    def __init__(self, path):
        self.path = path
        self._f = _file_open(path, "r+b", buffering=0)
        fd = self._f.fileno()
        termios.setraw(fd)
        attr = termios.tcgetattr(fd)
        cc = attr[6]
        cc[_VMIN] = 0
        cc[_VTIME] = 0
        termios.tcsetattr(fd, termios.TCSANOW, attr)
        self.hung_up = False
        self._poll = select.poll()
        self._poll.register(self._f, select.POLLIN)

    def fileno(self):
        return self._f.fileno()

    def poll(self, timeout_ms=0):
        for _, ev in self._poll.poll(timeout_ms):
            if ev & _POLLIN:
                return True
            if ev & (_POLLHUP | _POLLERR):
                self.hung_up = True  # the other end of the pty is gone
        return False

    def read(self, n):
        return self._f.read(n) or b""

    def readinto(self, buf):
        return self._f.readinto(buf) or 0

    def write(self, b):
        mv = memoryview(b)
        done = 0
        while done < len(mv):
            k = self._f.write(mv[done:])
            if k:
                done += k
            else:
                self._poll.poll(5)
        return done

    def close(self):
        if self._f:
            self._f.close()
            self._f = None


def open(path):
    """The Board serial stream for the pty at `path`."""
    return SerialPort(path)
