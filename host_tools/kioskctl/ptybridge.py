"""Two linked ptys relayed by a thread: a simulated USB cable.

    bridge = PtyBridge(baud=115200, drop=0.0, flip=0.0, seed=1)
    bridge.start()
    bridge.device_path   # the firmware opens this (board/sim/serialport.py)
    bridge.host_path     # pyserial / kioskctl pull opens this (a stable symlink)
    bridge.disconnect(0.5)   # unplug: the host side vanishes, comes back 0.5 s later
    bridge.stop()

Both ends are the slave side of their own pty; the thread copies bytes between
the two masters. Options model a real line: `baud` paces each direction at
baud/10 bytes per second (8N1), `drop` and `flip` are per-byte probabilities
of losing a byte or flipping one of its bits. `disconnect()` closes the host
pty (its reader gets an error, as when a USB cable is pulled), discards what
was in flight and, after the pause, re-points `host_path` to a fresh pty.
Counters: `sent` (bytes delivered per direction), `dropped`, `flipped`.
"""

import errno
import os
import pty
import random
import select
import tempfile
import threading
import time
import tty

_CHUNK = 4096


class _Side:
    def __init__(self):
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        self.out = bytearray()  # waiting to be written into this side

    def close(self):
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


class PtyBridge:
    def __init__(self, baud=None, drop=0.0, flip=0.0, seed=None, name="kiosk"):
        self.rate = baud / 10.0 if baud else None
        self.drop = drop
        self.flip = flip
        self.rng = random.Random(seed)
        self._dir = tempfile.mkdtemp(prefix="ptybridge-")
        self.host_path = os.path.join(self._dir, name + "-host")
        self.device_path = os.path.join(self._dir, name + "-device")
        self.dev = _Side()
        self.host = _Side()
        os.symlink(self.dev.path, self.device_path)
        os.symlink(self.host.path, self.host_path)
        self.sent = {"to_host": 0, "to_device": 0}
        self.dropped = 0
        self.flipped = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._down_until = 0.0
        self._thread = None
        self._credit = {"to_host": 0.0, "to_device": 0.0}

    def start(self):
        self._thread = threading.Thread(target=self._run, name="ptybridge", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(2)
        self.dev.close()
        if self.host:
            self.host.close()
        for p in (self.host_path, self.device_path):
            try:
                os.unlink(p)
            except OSError:
                pass
        try:
            os.rmdir(self._dir)
        except OSError:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def disconnect(self, seconds=0.5):
        """Pull the cable: the host pty disappears for `seconds`, then a new one
        appears at the same host_path."""
        with self._lock:
            self._down_until = time.monotonic() + seconds
            old = self.host
            self.host = None
            self.dev.out.clear()
            os.unlink(self.host_path)
            old.close()

    def _replug(self):
        side = _Side()
        os.symlink(side.path, self.host_path)
        self.host = side

    def _mangle(self, data):
        if not (self.drop or self.flip):
            return data
        out = bytearray()
        rnd = self.rng.random
        for b in data:
            if self.drop and rnd() < self.drop:
                self.dropped += 1
                continue
            if self.flip and rnd() < self.flip:
                b ^= 1 << self.rng.randrange(8)
                self.flipped += 1
            out.append(b)
        return out

    def _pump_in(self, src, dst):
        try:
            data = os.read(src.master, _CHUNK)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EIO):
                return
            raise
        if dst is not None and data:
            dst.out += self._mangle(data)
            if len(dst.out) > (64 << 20):
                del dst.out[: len(dst.out) - (64 << 20)]

    def _pump_out(self, side, key, dt):
        if side is None or not side.out:
            self._credit[key] = 0.0
            return
        n = len(side.out)
        if self.rate:
            c = min(self._credit[key] + dt * self.rate, max(64.0, self.rate * 0.02))
            self._credit[key] = c
            n = min(n, int(c))
            if n <= 0:
                return
        try:
            k = os.write(side.master, side.out[:n])
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EIO):
                return
            raise
        del side.out[:k]
        self.sent[key] += k
        if self.rate:
            self._credit[key] -= k

    def _run(self):
        last = time.monotonic()
        while not self._stop.is_set():
            with self._lock:
                now = time.monotonic()
                if self.host is None and now >= self._down_until:
                    self._replug()
                dev, host = self.dev, self.host
                fds = [dev.master] + ([host.master] if host else [])
            busy = dev.out or (host is not None and host.out)
            try:
                r, _, _ = select.select(fds, [], [], 0.001 if busy else 0.01)
            except (OSError, ValueError):
                continue
            with self._lock:
                if self.host is not host:
                    continue
                if dev.master in r:
                    self._pump_in(dev, host)
                if host is not None and host.master in r:
                    self._pump_in(host, dev)
                now = time.monotonic()
                dt, last = now - last, now
                self._pump_out(host, "to_host", dt)
                self._pump_out(dev, "to_device", dt)
