"""Simulated code source: a folder of camera frames and scanner lines.

Files are taken in name order: `*.pgm` (8-bit P5) is a camera frame;
`*.txt` holds payload lines, as a UART barcode-scanner module sends them (one
scan per non-empty line). Other files are skipped (the host tool converts
PNG/JPEG to PGM before the run).

With `watch=True` the folder is watched for new files after the first ones
(the kiosk keeps running, as on a wall). Frames whose names share the part before the first dot ("01-green.f1.pgm",
"01-green.f2.pgm") are one burst: the frames a camera takes while a person
holds up a code. A burst is one scan: the first frame that decodes counts and
the rest are skipped (`skip_burst`); a burst with no readable frame is an
`unreadable` scan (`burst_end` tells the scanner it is over).
"""

import os


_WATCH_MS = const(200)


class FolderSource:
    bursts = True  # one scan per burst of frames or scanner line (see above)

    def __init__(self, folder, watch=False):
        self.folder = folder
        self.watch = watch
        self._seen = set()
        self._items = []
        self._pos = 0
        self.current = None
        self.burst_end = True
        self._load()

    def _load(self):
        """Queue the files not seen yet, in name order."""
        folder = self.folder
        names = sorted(n for n in os.listdir(folder)
                       if (n.endswith(".pgm") or n.endswith(".txt")) and n not in self._seen)
        for n in names:
            self._seen.add(n)
            path = folder + "/" + n
            if n.endswith(".txt"):
                with open(path, "rb") as f:
                    for i, line in enumerate(f.read().split(b"\n")):
                        line = line.strip(b"\r")
                        if line:
                            self._items.append(("payload", line, "%s:%d" % (n, i + 1)))
            else:
                self._items.append(("frame", path, n.split(".")[0]))

    def skip_burst(self):
        """Drop the remaining frames of the current burst (its code was read)."""
        items = self._items
        while self._pos < len(items) and items[self._pos][0] == "frame" and items[self._pos][2] == self.current:
            self._pos += 1
        self.burst_end = True

    async def read(self):
        """("frame", (buf, w, h)) or ("payload", bytes); None at the end, or
        with watch=True wait for new files (write them under another name,
        then rename them into the folder, so no half-written file is read)."""
        while self._pos >= len(self._items):
            if not self.watch:
                return None
            import asyncio

            await asyncio.sleep_ms(_WATCH_MS)
            self._load()
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
