"""Unix-port driver for `kioskctl sim decode`: decode PGM files in one process.

    micropython kiosk/qr/cli.py [--budget-ms N] IMAGE.pgm...   (MICROPYPATH from kioskctl.mp)

For each image it prints `IMG <index>`, then `SYM <hex of data>` per decoded
symbol, then `TIME_MS <ms>` (the decode alone, timed inside MicroPython), or
`ERR <message>` when the file cannot be read. The host side formats these
lines; this script stays a thin loop so the timing covers only the decoder.
"""

import gc
import sys
import time

import pgm
from kiosk.qr import decoder


def _hex(b):
    return "".join("%02x" % c for c in b)


def main(paths):
    while paths and paths[0].startswith("--"):
        if paths[0] == "--budget-ms" and len(paths) > 1:
            decoder.BUDGET_MS = int(paths[1])
            paths = paths[2:]
        else:
            print("ERR unknown option %s" % paths[0])
            return
    buf = None
    for i, path in enumerate(paths):
        print("IMG", i)
        gc.collect()
        try:
            buf, w, h = pgm.read(path, buf)
        except (OSError, ValueError) as e:
            print("ERR", str(e).replace("\n", " "))
            continue
        gc.collect()
        t0 = time.ticks_us()
        syms = decoder.decode(buf, w, h)
        dt = time.ticks_diff(time.ticks_us(), t0)
        for s in syms:
            print("SYM", _hex(s.data))
        print("TIME_MS %.3f" % (dt / 1000))


if __name__ == "__main__":
    main(sys.argv[1:])
