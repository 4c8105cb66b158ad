"""Verdict-to-screen time on the simulator, SPI modelled at the real bus speed.

For each LCD size the firmware draws verdict screens; the script measures the
MicroPython time inside `Ui.verdict()` minus the time the simulator itself
spends (decoding SPI bytes, writing PNGs), and adds the modelled time of the
bytes on a 40 MHz (and 80 MHz) SPI bus. Figures: docs/performance.md,
"Display timing".

    .venv/bin/python bench/ui_timing.py [--n 30]
"""

import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "host_tools"))

from kioskctl import cmd_fonts, mp  # noqa: E402

SCRIPT = r"""
import json, sys, time
import simlcd
from kiosk.ui import Ui

font, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
V = ({"verdict": "GREEN", "admit": True, "reason": "ok", "colour": "green", "name": "张*玲", "exp": 1764400000},
     {"verdict": "YELLOW", "admit": False, "reason": "policy", "colour": "yellow", "name": "李*", "exp": None},
     {"verdict": "RED", "admit": False, "reason": "bad_signature", "colour": None, "name": None, "exp": None})
res = []
for w, h, ctl in ((240, 240, "st7789"), (320, 240, "ili9341")):
    for baud in (40_000_000, 80_000_000):
        lcd = simlcd.make_lcd(w, h, out, controller=ctl, baudrate=baud, prefix="t%d-%d-" % (w, baud // 1000000))
        ui = Ui(lcd, font, "zh+en")
        spi, sim = lcd.sim.spi, lcd.sim
        ui.verdict(V[0], 1763800000)  # warm the glyph caches once
        for i in range(n):
            v = V[i % 3]
            spi.reset_counters()
            sim.png_us = 0
            reads = sum(s.reads for s in ui.font.strikes)
            t0 = time.ticks_us()
            ui.verdict(v, 1763800000 + i)
            wall = time.ticks_diff(time.ticks_us(), t0)
            cpu = wall - spi.host_us - sim.png_us
            res.append({"w": w, "h": h, "baud": baud, "verdict": v["verdict"], "cpu_us": cpu,
                        "bus_us": spi.bus_us(), "bytes": spi.bytes, "writes": spi.writes,
                        "flash_reads": sum(s.reads for s in ui.font.strikes) - reads})
print(json.dumps(res))
"""


def _median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def figures(out, n):
    font_path, _ = cmd_fonts.build_to(out)
    script = os.path.join(out, "timing.py")
    with open(script, "w") as f:
        f.write(SCRIPT)
    proc = mp.run(script, [font_path, out, n], timeout=600)
    figs = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    for f in figs:  # the bus model: one frame plus the window commands, at the bus clock
        frame = f["w"] * f["h"] * 2
        assert f["bytes"] == frame + 3 + 8, "RAMWR + CASET/RASET + one frame"
        assert f["bus_us"] == f["bytes"] * 8_000_000 // f["baud"] + 2 * f["writes"]
    return figs


def report(figs, n):
    print("%-8s %-6s %-7s %10s %10s %10s %8s" % ("LCD", "SPI", "verdict", "render ms", "bus ms", "total ms", "reads"))
    worst = 0
    for w, h in ((240, 240), (320, 240)):
        for baud in (40_000_000, 80_000_000):
            sel = [f for f in figs if f["w"] == w and f["baud"] == baud]
            assert len(sel) == n
            cpu = _median([f["cpu_us"] for f in sel]) / 1000
            bus = _median([f["bus_us"] for f in sel]) / 1000
            reads = max(f["flash_reads"] for f in sel)
            worst = max(worst, cpu + bus)
            print("%-8s %-6s %-7s %10.2f %10.2f %10.2f %8d" % (
                "%dx%d" % (w, h), "%dM" % (baud // 1000000), "median", cpu, bus, cpu + bus, reads))
    print("ui_timing: slowest median verdict-to-screen %.1f ms" % worst)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=30, help="screens per LCD and bus clock (default 30)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ui-timing-") as out:
        report(figures(out, args.n), args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
