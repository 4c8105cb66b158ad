"""The camera of the emulated board: frames played from the ROMFS image.

Every `*.pgm` under the folder (8-bit P5, name order) is one camera frame,
read with readinto into a frame buffer allocated once and reused (a frame of
another size gets a new buffer). Frames sharing the part of the name before the first dot are one
burst, as in the simulator (board/sim/simsource.py): one scan per burst.
After the last frame the set plays again `repeat_ms` later, as people keep
arriving at a door; with repeat_ms=None the source ends (`read()` -> None).
"""

import os


class RomFrames:
    bursts = True

    def __init__(self, folder, repeat_ms=None):
        self.folder = folder
        self.repeat_ms = repeat_ms
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(".pgm"))
        except OSError:
            names = []
        self._names = names
        self._pos = 0
        self._buf = None
        self.current = None
        self.burst_end = True

    def _burst(self, i):
        return self._names[i].split(".")[0]

    def skip_burst(self):
        names = self._names
        while self._pos < len(names) and self._burst(self._pos) == self.current:
            self._pos += 1
        self.burst_end = True

    async def read(self):
        import asyncio

        await asyncio.sleep_ms(0)
        if self._pos >= len(self._names):
            if self.repeat_ms is None or not self._names:
                return None
            await asyncio.sleep_ms(self.repeat_ms)
            self._pos = 0
        i = self._pos
        self._pos += 1
        self.current = self._burst(i)
        self.burst_end = self._pos >= len(self._names) or self._burst(self._pos) != self.current
        import pgm

        try:
            buf, w, h = pgm.read(self.folder + "/" + self._names[i], self._buf)
        except (OSError, ValueError) as exc:
            return ("error", "camera: %s: %s" % (self._names[i], exc))
        self._buf = buf
        return ("frame", (buf, w, h))
