"""Simulated code source: a folder of camera frames and scanner lines.

Files are taken in name order: `*.pgm` (8-bit P5) is a camera frame;
`*.txt` holds payload lines, as a UART barcode-scanner module sends them (one
scan per non-empty line). Other files are skipped (the host tool converts
PNG/JPEG to PGM before the run).

Frames whose names share the part before the first dot ("01-green.f1.pgm",
"01-green.f2.pgm") are one burst: the frames a camera takes while a person
holds up a code. A burst is one scan: the first frame that decodes counts and
the rest are skipped (`skip_burst`); a burst with no readable frame is an
`unreadable` scan (`burst_end` tells the scanner it is over).
"""

import os


class FolderSource:
    finite = True

    def __init__(self, folder):
        self.folder = folder
        names = sorted(n for n in os.listdir(folder) if n.endswith(".pgm") or n.endswith(".txt"))
        self._items = []
        for n in names:
            path = folder + "/" + n
            if n.endswith(".txt"):
                with open(path, "rb") as f:
                    for i, line in enumerate(f.read().split(b"\n")):
                        line = line.strip(b"\r")
                        if line:
                            self._items.append(("payload", line, "%s:%d" % (n, i + 1)))
            else:
                self._items.append(("frame", path, n.split(".")[0]))
        self._pos = 0
        self.current = None
        self.burst_end = True

    def skip_burst(self):
        """Drop the remaining frames of the current burst (its code was read)."""
        items = self._items
        while self._pos < len(items) and items[self._pos][0] == "frame" and items[self._pos][2] == self.current:
            self._pos += 1
        self.burst_end = True

    async def read(self):
        """("frame", (buf, w, h)) or ("payload", bytes); None at the end."""
        if self._pos >= len(self._items):
            return None
        kind, data, name = self._items[self._pos]
        self._pos += 1
        self.current = name
        nxt = self._items[self._pos] if self._pos < len(self._items) else None
        self.burst_end = kind != "frame" or nxt is None or nxt[0] != "frame" or nxt[2] != name
        if kind == "frame":
            import pgm

            try:
                data = pgm.read(data)
            except (OSError, ValueError) as exc:
                return ("error", "camera: %s: %s" % (name, exc))
        return (kind, data)
