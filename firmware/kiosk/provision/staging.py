"""The one staged upload: a large file (trust bundle, revocation list) that a
later signed command installs.

Staging follows a declared intent, `begin(size, sha)`: a signed `stage`
command on a provisioned kiosk (an unsigned `stage` request only before first
setup, like setup itself). Chunks are then accepted in order up to exactly
`size` bytes into the one fixed file `config/staged.new`; no path or storage
location ever comes from the wire. `take(sha)` hands the complete file to the
command that installs it, only when its SHA-256 is the declared one (and the
command's own pinned hash, when it has one). The file is removed on any
failure, after `TIMEOUT_MS` without a chunk, and at boot.
"""

import hashlib
import os
import time

from micropython import const

from kiosk.provision import ProvisionError

NAME = "staged.new"
MAX_SIZE = const(4194304)
RESERVE = const(131072)  # staging never takes the last 128 KB (scan log, config)
TIMEOUT_MS = const(30000)


class Staging:
    def __init__(self, directory):
        self.dir = directory
        self.path = directory + "/" + NAME
        self._f = None
        self.size = 0  # declared size (0: nothing staged)
        self.sha = None
        self.written = 0
        self._hash = None
        self._last = 0
        self.discard()  # at boot: a staged file never survives a restart

    @property
    def active(self):
        return self.size > 0

    def check(self, size, sha):
        """Refuse a stage intent before anything is committed (ProvisionError)."""
        if not isinstance(size, int) or not 0 < size <= MAX_SIZE:
            raise ProvisionError("bad_request", "stage size must be 1..%d bytes" % MAX_SIZE)
        if not isinstance(sha, bytes) or len(sha) != 32:
            raise ProvisionError("bad_request", "stage needs the SHA-256 (32 bytes) of the file")
        self.discard()
        if self.free() - size < RESERVE:
            raise ProvisionError("no_space", "flash nearly full: %d bytes cannot be staged (the scan log keeps its space)" % size)

    def begin(self, size, sha):
        self.check(size, sha)
        self._f = open(self.path, "wb")
        self.size, self.sha = size, sha
        self.written = 0
        self._hash = hashlib.sha256()
        self._last = time.ticks_ms()

    def write(self, off, data):
        """Write one chunk at `off`; a chunk already written is acknowledged
        again. Returns the bytes staged. Raises ProvisionError (and discards
        the staged file when the upload can no longer complete)."""
        self.expire()
        if not self.active:
            raise ProvisionError("not_staged", "no upload announced: a signed stage command comes first")
        end = off + len(data)
        if off == self.written and data:
            if end > self.size:
                self.discard()
                raise ProvisionError("too_large", "upload beyond the %d bytes announced" % self.size)
            if self.free() - len(data) < RESERVE:
                self.discard()
                raise ProvisionError("no_space", "flash nearly full: upload refused (the scan log keeps its space)")
            try:
                self._f.write(data)
            except OSError as exc:
                self.discard()
                raise ProvisionError("no_space", "upload failed: %s" % exc)
            self._hash.update(data)
            self.written = end
        elif end > self.written:
            raise ProvisionError("bad_request", "upload offset %d, expected %d" % (off, self.written))
        self._last = time.ticks_ms()
        return self.written

    def take(self, sha=None):
        """Path of the complete staged file for the command pinning `sha`
        (None: the intent's own hash pins it). The caller moves or removes it."""
        self.expire()
        if not self.active:
            raise ProvisionError("not_staged", "nothing staged")
        try:
            if self.written != self.size:
                raise ProvisionError("incomplete", "staged %d of %d bytes" % (self.written, self.size))
            if self._hash.digest() != self.sha or (sha is not None and sha != self.sha):
                raise ProvisionError("hash_mismatch", "staged file differs from the signed command")
            self._f.close()
            self._f = None
        except ProvisionError:
            self.discard()
            raise
        self.size = 0
        return self.path

    def expire(self, now=None):
        """Discard an upload idle for TIMEOUT_MS; True when it did."""
        if self.active and time.ticks_diff(time.ticks_ms() if now is None else now, self._last) > TIMEOUT_MS:
            self.discard()
            return True
        return False

    def discard(self):
        if self._f is not None:
            try:
                self._f.close()
            except OSError:
                pass
            self._f = None
        self.size = 0
        self.written = 0
        self.sha = self._hash = None
        try:
            os.remove(self.path)
        except OSError:
            pass

    def free(self):
        try:
            st = os.statvfs(self.dir)
            return st[0] * st[3]
        except (OSError, AttributeError):
            return RESERVE + MAX_SIZE
