"""Simulated code source: a folder of camera frames and scanner lines.

Files are taken in name order, one scan each: `*.pgm` (8-bit P5) is a camera
frame; `*.txt` holds payload lines, as a UART barcode-scanner module sends
them (one scan per non-empty line). Other files are skipped (the host tool
converts PNG/JPEG to PGM before the run).
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
                self._items.append(("frame", path, n))
        self._pos = 0
        self.current = None

    async def read(self):
        """("frame", (buf, w, h)) or ("payload", bytes); None at the end."""
        if self._pos >= len(self._items):
            return None
        kind, data, name = self._items[self._pos]
        self._pos += 1
        self.current = name
        if kind == "frame":
            import pgm

            try:
                data = pgm.read(data)
            except (OSError, ValueError) as exc:
                return ("error", "camera: %s: %s" % (name, exc))
        return (kind, data)
