"""All-or-nothing file updates on littlefs: write new files, journal, rename.

One file: `write(path, data)` writes `path + ".new"`, flushes it (littlefs
syncs on flush/close) and renames it over `path`; renaming onto an existing
file is atomic on littlefs, so a power cut leaves the old or the new file.

Several files: a `Txn` stages every new file as `NAME.new`, then writes the
journal `<dir>/journal` (atomically) listing the renames and deletions, then
applies them and removes the journal. `recover(dir)` runs at boot: with a
journal present the transaction was committed and is rolled forward (renames
are idempotent: a missing `.new` was already moved); without one, stray
`.new` files are from an uncommitted transaction and are deleted. Either way
the directory holds the complete old or the complete new state.
"""

import os

from micropython import const

from kiosk.config import ConfigError

_JOURNAL = "journal"
_MAX_JOURNAL = const(4096)
_ENOENT = const(2)


def _remove(path):
    try:
        os.remove(path)
    except OSError as exc:
        if exc.errno != _ENOENT:
            raise


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def sha256_file(path):
    """SHA-256 of a file, read in 1 KB pieces (a staged bundle may be larger than the heap)."""
    import hashlib

    d = hashlib.sha256()
    buf = bytearray(1024)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            d.update(memoryview(buf)[:n])
    return d.digest()


def write_new(path, data):
    """Write data to path + ".new" and make it durable; returns that path."""
    tmp = path + ".new"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
    return tmp


def write(path, data):
    """Atomically replace path with data."""
    os.rename(write_new(path, data), path)


def read(path, limit=65536):
    """File contents, or None when missing. Raises ConfigError when too big."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:
        raise ConfigError("damaged", "%s larger than %d bytes" % (path, limit))
    return data


class Txn:
    """Stage files in `directory`, then commit them all at once."""

    def __init__(self, directory):
        self.dir = directory
        self.puts = []
        self.dels = []

    def put(self, name, data):
        if "/" in name or name == _JOURNAL:
            raise ConfigError("bad_request", "bad file name")
        write_new(self.dir + "/" + name, data)
        if name not in self.puts:
            self.puts.append(name)

    def put_file(self, name, src):
        """Stage an already written, durable file `src` (moved, not copied)."""
        os.rename(src, self.dir + "/" + name + ".new")
        if name not in self.puts:
            self.puts.append(name)

    def delete(self, name):
        if name not in self.dels:
            self.dels.append(name)

    def abort(self):
        for name in self.puts:
            _remove(self.dir + "/" + name + ".new")
        self.puts = []
        self.dels = []

    def commit(self):
        lines = ["P " + n for n in self.puts] + ["D " + n for n in self.dels]
        write(self.dir + "/" + _JOURNAL, "\n".join(lines).encode())
        _apply(self.dir, lines)
        self.puts = []
        self.dels = []


def _apply(directory, lines):
    for line in lines:
        op, name = line[:1], line[2:]
        path = directory + "/" + name
        if op == "P":
            if exists(path + ".new"):
                os.rename(path + ".new", path)
        elif op == "D":
            _remove(path)
    _remove(directory + "/" + _JOURNAL)


def recover(directory):
    """Finish or undo an interrupted transaction; returns "forward", "back" or None."""
    raw = read(directory + "/" + _JOURNAL, _MAX_JOURNAL)
    if raw is not None:
        lines = [l for l in raw.decode().split("\n") if l[:2] in ("P ", "D ")]
        _apply(directory, lines)
        result = "forward"
    else:
        result = None
    try:
        names = os.listdir(directory)
    except OSError:
        return result
    for name in names:
        if name.endswith(".new"):
            _remove(directory + "/" + name)
            result = result or "back"
    return result


def makedirs(path):
    """Create path and its parents (like os.makedirs(exist_ok=True))."""
    cur = ""
    for part in path.split("/"):
        if not part:
            cur = "/" if not cur else cur
            continue
        cur = cur + part if cur.endswith("/") or not cur else cur + "/" + part
        if not exists(cur):
            os.mkdir(cur)
