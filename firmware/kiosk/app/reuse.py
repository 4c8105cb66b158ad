"""Memory of the codes that admitted someone at this door (docs/policy.md, reuse).

"Each person scans their own code": a code that let someone in here within
the venue's window (policy `reuse_s`, default 600 s) is refused the next time
with reason `already_used` (or only noted, policy `reuse`: refuse | warn | off).

    mem = Memory(root + "/reuse", size=512, window_s=600)
    t = mem.seen(h, now)      # when h admitted someone within the window, or None
    mem.note(h, now)          # h admitted someone now (calls on_note(h, now))
    mem.merge_remote(h, t, now)   # another kiosk of the venue saw h at t
    mem.flush()               # batched write (the app's committer calls it)

`h` is a 16-byte hash (`key(secret, holder)`): no name, no pseudonym, no
token. Bounded: at most `size` codes in RAM (16 + 4 bytes each); when full
the oldest is forgotten. On flash it is an append-only journal of 20-byte
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
_SKEW = const(120)  # a remote or stored time this far in the future is not believed


def key(secret, holder):
    """The 16-byte memory key of one person: HMAC(venue secret, "reuse" + holder id).
    A dependant's code carries the dependant's own holder id, so it is its own person."""
    from kiosk.crypto import hmac_sha256

    if isinstance(holder, str):
        holder = holder.encode()
    return hmac_sha256(secret or b"", b"reuse:" + holder)[:HASH_LEN]


class Memory:
    def __init__(self, path, size=512, window_s=600):
        self.path = path
        self.size = size
        self.window_s = window_s
        self.on_note = None  # callable(h, t): the uplink shares what this door admitted
        self._hs = bytearray(size * HASH_LEN)
        self._ts = [0] * size  # 0 = empty slot
        self._pending = bytearray()  # journal entries not yet on flash
        self._entries = 0  # journal entries on flash
        self.writes = 0  # journal flushes + rewrites (for the wear bench)
        self._load()

    # -- lookup ------------------------------------------------------------
    def _find(self, h):
        hs = self._hs
        i = hs.find(h)
        while i >= 0:
            if i % HASH_LEN == 0:
                return i // HASH_LEN
            i = hs.find(h, i + 1)
        return -1

    def _live(self, t, now):
        return t and now is not None and now - self.window_s < t <= now + _SKEW

    def seen(self, h, now):
        """The time h admitted someone within the window, or None."""
        if not isinstance(h, (bytes, bytearray)) or len(h) != HASH_LEN:
            return None
        i = self._find(h)
        if i < 0:
            return None
        t = self._ts[i]
        return t if self._live(t, now) else None

    # -- updates -----------------------------------------------------------
    def _put(self, h, t):
        i = self._find(h)
        ts = self._ts
        if i < 0:
            i = 0
            for j in range(self.size):  # an empty slot, else the oldest
                if ts[j] < ts[i]:
                    i = j
                if not ts[j]:
                    break
            self._hs[i * HASH_LEN:(i + 1) * HASH_LEN] = h
        elif ts[i] >= t:
            return False
        ts[i] = t
        return True

    def note(self, h, now):
        """h admitted someone at `now`: remember it, queue it for flash, tell on_note."""
        if len(h) != HASH_LEN or not now:
            return
        if self._put(h, now):
            self._pending += h + struct.pack("<I", now)
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
            self._pending += bytes(h) + struct.pack("<I", t)
            return True
        return False

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
                    self._put(e[:HASH_LEN], t)
                n += 1
        self._entries = n

    def flush(self, now=None):
        """Write what changed since the last flush (one append, or a rewrite
        when the journal is long). Call it in batches, not per scan."""
        if not self._pending:
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
            for i in range(self.size):
                t = self._ts[i]
                if t and (now is None or self._live(t, now)):
                    f.write(self._hs[i * HASH_LEN:(i + 1) * HASH_LEN])
                    f.write(struct.pack("<I", t))
                    n += 1
        os.rename(tmp, self.path)  # atomic on littlefs
        self._entries = n

    def clear(self):
        """Forget everything (a provisioning reset)."""
        self._hs = bytearray(self.size * HASH_LEN)
        self._ts = [0] * self.size
        self._pending = bytearray()
        self._entries = 0
        try:
            os.remove(self.path)
        except OSError:
            pass
