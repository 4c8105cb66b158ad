"""Crash records in a bounded ring on flash, and how many crashes in a row.

    ring = CrashLog(root)           # <root>/crash/: slots 0..7 and "state"
    ring.record("ValueError: ...")  # into the next slot (oldest overwritten)
    ring.streak                     # crashes since the kiosk last ran stably
    ring.stable()                   # the app made progress long enough: streak 0
    ring.records()                  # texts, oldest first

The ring takes at most _SLOTS x _SLOT_BYTES of flash (plus the state file),
so a kiosk that crashes every few seconds for a year does not fill the
flash its scan log lives on. The state ("total streak") is replaced
atomically (kiosk.config.atomic): a power cut keeps the old count or the new.
"""

from micropython import const

from kiosk.config import atomic

_SLOTS = const(8)
_SLOT_BYTES = const(512)
_STATE = "state"


class CrashLog:
    def __init__(self, root):
        self.dir = root + "/crash"
        atomic.makedirs(self.dir)
        self.total, self.streak = 0, 0
        try:
            raw = atomic.read(self.dir + "/" + _STATE, 64)
            if raw:
                a, b = raw.split()
                self.total, self.streak = max(0, int(a)), max(0, int(b))
        except Exception:  # noqa: BLE001 - a damaged state file counts as no crashes
            pass

    def _save(self):
        atomic.write(self.dir + "/" + _STATE, b"%d %d" % (self.total, self.streak))

    def record(self, text):
        """Keep `text` (its last _SLOT_BYTES) and count one more crash."""
        data = text.encode() if isinstance(text, str) else bytes(text)
        with open("%s/%d.txt" % (self.dir, self.total % _SLOTS), "wb") as f:
            f.write(data[-_SLOT_BYTES:])  # a traceback ends with the exception: keep the end
            f.flush()
        self.total += 1
        self.streak += 1
        self._save()

    def stable(self):
        if self.streak:
            self.streak = 0
            self._save()

    def records(self):
        out = []
        for n in range(max(0, self.total - _SLOTS), self.total):
            try:
                with open("%s/%d.txt" % (self.dir, n % _SLOTS), "rb") as f:
                    out.append(f.read(_SLOT_BYTES).decode("utf-8", "replace"))
            except OSError:
                pass
        return out

    def last(self):
        """The newest record's last line (the exception), or None."""
        r = self.records()
        if not r:
            return None
        lines = [line for line in r[-1].split("\n") if line.strip()]
        return lines[-1].strip()[:60] if lines else None


def size_bound():
    """Most bytes the ring's slots can take on flash."""
    return _SLOTS * _SLOT_BYTES


def exception_text(exc):
    import io
    import sys

    buf = io.StringIO()
    sys.print_exception(exc, buf)
    return buf.getvalue()

