"""Memory of the codes that admitted someone at this door (docs/policy.md, reuse).

"Each person scans their own code": a code that let someone in here within
the venue's window (policy `reuse_s`, default 600 s) is refused the next time
with reason `already_used` (or only noted, policy `reuse`: refuse | warn | off).

    mem = Memory(root + "/reuse", size=512, window_s=600)
    t = mem.seen(h, now)      # when h admitted someone within the window, or None
    mem.note(h, now)          # h admitted someone now (calls on_note(h, now))
    mem.merge_remote(h, t, now)   # another kiosk of the venue saw h at t
    mem.flush()               # batched write (the app's committer calls it)

`h` is a 16-byte hash (`key(secret, verdict)`): no name, no pseudonym, no
token. Bounded: at most `size` codes in RAM (a dict of 16-byte keys to
times); when full the oldest is forgotten. On flash it is an append-only journal of 20-byte
entries, flushed in batches (at most once per `flush()` call, and only when
something changed), rewritten (atomic rename on littlefs) when it reaches
twice `size` entries. A power cut loses at most the notes since the last
flush; a torn tail entry is ignored. Entries outside the window are dropped
when the journal is loaded or rewritten.
"""

import os
import struct

from micropython import const

HASH_LEN = const(16)
_ENTRY = const(20)
_SKEW = const(120)
_BATCH = const(8)  # codes per write at most...
_FLUSH_S = const(5)  # ...and no older than this when written  # a remote or stored time this far in the future is not believed


def key(secret, v, payload=b""):
    """The 16-byte memory key of the person a Verdict admitted: HMAC(venue
    secret, holder id | dependant flag | masked name), or of the token (cti,
    else the payload) when it names no holder. A dependant's proxy code is its
    own person: another holder line than the relative's own code."""
    from kiosk.crypto import hmac_sha256

    holder = getattr(v, "holder", None)
    if holder:
        if isinstance(holder, str):
            holder = holder.encode()
        name = getattr(v, "name", None)
        name = name.encode() if isinstance(name, str) else b""
        msg = b"reuse:h:" + holder + (b"|d|" if getattr(v, "dependant", False) else b"|s|") + name
    else:
        cti = getattr(v, "cti", None)
        msg = b"reuse:c:" + cti if isinstance(cti, bytes) and cti else b"reuse:p:" + bytes(payload)
    return hmac_sha256(secret or b"", msg)[:HASH_LEN]


class Memory:
    def __init__(self, path, size=512, window_s=600):
        self.path = path
        self.size = size
        self.window_s = window_s
        self.on_note = None  # callable(h, t): the uplink shares what this door admitted
        self._t = {}  # 16-byte key -> Unix time it admitted someone
        self._pending = bytearray()  # journal entries not yet on flash
        self._entries = 0  # journal entries on flash
        self._since = 0  # when the oldest pending entry was queued
        self.writes = 0  # journal flushes + rewrites (for the wear bench)
        self._load()

    # -- lookup ------------------------------------------------------------
    def _live(self, t, now):
        return t and now is not None and now - self.window_s < t <= now + _SKEW

    def seen(self, h, now):
        """The time h admitted someone within the window, or None."""
        if not isinstance(h, (bytes, bytearray)) or len(h) != HASH_LEN:
            return None
        t = self._t.get(bytes(h))
        return t if t and self._live(t, now) else None

    # -- updates -----------------------------------------------------------
    def _put(self, h, t):
        d = self._t
        old = d.get(h)
        if old is not None and old >= t:
            return False
        if old is None and len(d) >= self.size:  # full: forget the oldest
            oldest = None
            for k, v in d.items():
                if oldest is None or v < d[oldest]:
                    oldest = k
            del d[oldest]
        d[h] = t
        return True

    def note(self, h, now):
        """h admitted someone at `now`: remember it, queue it for flash, tell on_note."""
        if len(h) != HASH_LEN or not now:
            return
        h, now = bytes(h), int(now)
        if self._put(h, now):
            self._queue(h, now)
        if self.on_note:
            try:
                self.on_note(h, now)
            except Exception:  # noqa: BLE001 - a failing uplink never stops the door
                pass

    def merge_remote(self, h, t, now):
        """Another kiosk of this venue admitted h at t: remember it too.
        Ignored when outside the window (or from the future); never calls on_note."""
        if not isinstance(h, (bytes, bytearray)) or len(h) != HASH_LEN:
            return False
        if not isinstance(t, int) or not self._live(t, now):
            return False
        if self._put(bytes(h), t):
            self._queue(bytes(h), now)
            return True
        return False

    def _queue(self, h, now):
        if not self._pending:
            self._since = now
        self._pending += h + struct.pack("<I", self._t[h])

    # -- flash -------------------------------------------------------------
    def _load(self):
        try:
            f = open(self.path, "rb")
        except OSError:
            return
        n = 0
        with f:
            while True:
                e = f.read(_ENTRY)
                if len(e) < _ENTRY:
                    break  # end, or a torn last entry
                t = struct.unpack_from("<I", e, HASH_LEN)[0]
                if t:
                    self._put(bytes(e[:HASH_LEN]), t)
                n += 1
        self._entries = n

    def flush(self, now=None, force=False):
        """Write what changed (one append, or a rewrite when the journal is
        long), once `_BATCH` codes wait or `_FLUSH_S` passed since the first
        of them (or force). The app calls it often; it writes rarely."""
        if not self._pending:
            return False
        if not force and len(self._pending) < _BATCH * _ENTRY and (
                now is None or now - self._since < _FLUSH_S):
            return False
        if self._entries + len(self._pending) // _ENTRY > 2 * self.size:
            self._rewrite(now)
        else:
            with open(self.path, "ab") as f:
                f.write(self._pending)
            self._entries += len(self._pending) // _ENTRY
        self._pending = bytearray()
        self.writes += 1
        return True

    def _rewrite(self, now):
        tmp = self.path + ".new"
        n = 0
        with open(tmp, "wb") as f:
            for h, t in self._t.items():
                if now is None or self._live(t, now):
                    f.write(h)
                    f.write(struct.pack("<I", t))
                    n += 1
        os.rename(tmp, self.path)  # atomic on littlefs
        self._entries = n

    def clear(self):
        """Forget everything (a provisioning reset)."""
        self._t = {}
        self._pending = bytearray()
        self._entries = 0
        try:
            os.remove(self.path)
        except OSError:
            pass
