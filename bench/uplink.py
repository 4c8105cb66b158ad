"""Uplink benchmark: `python bench/uplink.py [--records N] [--freeze-s S]` (default 10,000, 60 s).

All on 127.0.0.1, one run, real parts: Mosquitto with the fleet ACL
(tests/support/broker.py), one MicroPython kiosk (tests/e2e/mp_uplink_kiosk.py:
the real log on a file-backed littlefs image, kiosk.uplink, kiosk.link.mqtt),
and the real `kioskctl collect` into SQLite (keyed by device, log id, seq;
COMMIT, then a collector-key-signed ACK).

  outage     the broker is down while the kiosk buffers N records
  drain      the broker comes back; the drain rate over the time the uplink
             ran (baseline windows excluded) -> DRAIN_RPS
  faults     mid-drain, in turn: broker SIGKILLed and restarted; broker
             frozen (SIGSTOP) for --freeze-s; the collector killed between
             its commit and its ACK (a collector holding its ACKs, killed once
             its rows are committed; a new one takes over the same database);
             the kiosk power-cut (SIGKILL) and restarted on its flash image
  check      every seq 1..N in the database exactly once

Scan cost: the kiosk runs a verdict step (one P-256 verify) every 100 ms and
reports its delay from due time to verdict. Throughout the drain and the
faults, baseline windows (--base-s, the uplink paused: link closed) alternate
with uplink windows (--window-s), so both see the same machine load.
SCAN_P99_RATIO = p99 with the uplink running (draining or frozen) / p99 in
the baseline windows. Ends with
`UPLINK RECORDS <n> DUPLICATES <d> MISSING <m> DRAIN_RPS <x> SCAN_P99_RATIO <r>`.
"""

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "host_tools"))
sys.path.insert(0, os.path.join(REPO, "tests"))

from support import fleetkit  # noqa: E402

DEV, VENUE = "K-BENCH-1", "V-B"


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else 0


def probe_opts():
    key = fleetkit.new_key()
    msg = b"scan verdict step"
    return {"probe": {"pub": fleetkit.pub_bytes(key).hex(), "msg": msg.hex(), "sig": fleetkit.sign(key, msg).hex()},
            "probe_hz": 10}


class Windows(threading.Thread):
    """Alternates uplink windows and baseline windows (the pause file exists) until stopped;
    adds up the uplink-window time and the records acknowledged in it until `rate()` is
    taken (DRAIN_RPS: the undisturbed drain, baseline windows excluded)."""

    def __init__(self, path, run_s, base_s, kiosk):
        super().__init__(daemon=True)
        self.path, self.run_s, self.base_s = path, run_s, base_s
        self.kiosk = kiosk  # replaced after the power cut
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counting = True
        self.run_time = 0.0
        self.run_acked = 0
        self._open = None  # (t0, ack0) of the uplink window running now

    def _ack(self):
        return self.kiosk.latest.get("ack_seq", 0)

    def _close(self):
        if self._open is not None and self.counting:
            self.run_time += time.monotonic() - self._open[0]
            self.run_acked += max(0, self._ack() - self._open[1])
        self._open = None

    def rate(self):
        """Records/s acknowledged in the uplink windows so far; stops counting."""
        with self.lock:
            self._close()
            self.counting = False
        return self.run_acked / max(1e-6, self.run_time)

    def run(self):
        while not self.stop.is_set():
            with self.lock:
                self._open = (time.monotonic(), self._ack())
            self.stop.wait(self.run_s)
            with self.lock:
                self._close()
            open(self.path, "w").close()
            self.stop.wait(self.base_s)
            os.remove(self.path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--freeze-s", type=float, default=60.0)
    ap.add_argument("--window-s", type=float, default=6.0, help="uplink window (default 6 s)")
    ap.add_argument("--base-s", type=float, default=3.0, help="baseline window, uplink paused (default 3 s)")
    args = ap.parse_args()
    n = args.records
    tmp = tempfile.mkdtemp(prefix="bench-uplink-")
    fleet = fleetkit.Fleet(tmp, [(DEV, VENUE)])
    pause = os.path.join(tmp, "pause")
    db = os.path.join(tmp, "scans.sqlite")
    win = None
    try:
        # outage: buffer N records with the broker down
        fleet.broker.stop()
        opts = dict(probe_opts(), keepalive_s=5, timeout_ms=3000, blocks=512, resend_ms=10000, backoff_max_ms=4000,
                    pause_file=pause)
        k = fleet.kiosk(DEV, n, **opts)
        k.wait(lambda s: s["durable_seq"] == n, timeout=600)
        print("buffered %d records during the outage" % n, flush=True)

        fleet.broker.start()
        t0 = time.monotonic()
        col = fleet.collector(db=db)
        k.wait(lambda s: s["ack_seq"] > 0, timeout=120)
        # (batches published before the collector's first subscription reach nobody: resent after resend_ms)
        print("drain: first ACK %.2f s after the broker came back" % (time.monotonic() - t0), flush=True)
        del k.lat[:], k.lat0[:]  # the probes so far saw buffering and waiting, not the drain
        win = Windows(pause, args.window_s, args.base_s, k)
        win.start()

        def at(frac):
            return k.wait(lambda s: s["ack_seq"] >= int(n * frac), timeout=900)

        at(0.3)
        rps = win.rate()  # DRAIN_RPS: the undisturbed drain only
        print("drain: %.0f records/s undisturbed (%d records in %.1f s of uplink windows)"
              % (rps, win.run_acked, win.run_time), flush=True)
        fleet.broker.stop(kill=True)
        print("broker SIGKILLed at ack %d" % k.latest["ack_seq"], flush=True)
        time.sleep(2)
        fleet.broker.start()
        at(0.45)
        fleet.broker.freeze()
        print("broker frozen (SIGSTOP) for %.0f s at ack %d" % (args.freeze_s, k.latest["ack_seq"]), flush=True)
        time.sleep(args.freeze_s)
        fleet.broker.thaw()
        at(0.6)
        # the collector killed between its commit and its ACK: a collector holding its ACKs
        # (no key) takes over, commits, and is SIGKILLed as soon as its rows are in
        col.kill()
        before = len(col.seqs(DEV))
        held = fleet.collector(db=db, ack=False)
        deadline = time.monotonic() + 120
        while len(held.seqs(DEV)) <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        held.kill()
        print("collector killed between commit and ACK at ack %d (%d rows committed, unacknowledged)"
              % (k.latest["ack_seq"], len(held.seqs(DEV)) - before), flush=True)
        col = fleet.collector(db=db)
        at(0.8)
        k.kill()
        print("kiosk power-cut at ack %d" % k.latest["ack_seq"], flush=True)
        lat, lat0 = list(k.lat), list(k.lat0)
        fleet.kiosks.remove(k)
        k = fleet.kiosk(DEV, n, **opts)
        win.kiosk = k
        k.wait(lambda s: s["ack_seq"] == n, timeout=900)
        win.stop.set()
        win.join()
        lat += k.lat
        lat0 += k.lat0
        counters = col.stop()

        con = sqlite3.connect(db)
        rows = con.execute("SELECT COUNT(*), COUNT(DISTINCT seq) FROM records WHERE device=?", (DEV,)).fetchone()
        in_range = con.execute("SELECT COUNT(DISTINCT seq) FROM records WHERE device=? AND seq BETWEEN 1 AND ?",
                               (DEV, n)).fetchone()[0]
        dups = rows[0] - rows[1]
        missing = n - in_range
        ratio = p99(lat) / max(1, p99(lat0))
        print("verdict-step delay p99: %d ms in baseline windows (%d probes), %d ms draining/frozen (%d probes); "
              "max %d / %d ms" % (p99(lat0), len(lat0), p99(lat), len(lat), max(lat0 or [0]), max(lat or [0])))
        print("resent records the last collector absorbed (duplicates, not new rows): %d" % counters.get("duplicates", 0))
        print("load average: %.2f %.2f %.2f" % os.getloadavg())
        print("UPLINK RECORDS %d DUPLICATES %d MISSING %d DRAIN_RPS %.0f SCAN_P99_RATIO %.2f"
              % (rows[1], dups, missing, rps, ratio))
        return 0 if dups == 0 and missing == 0 else 1
    finally:
        if win is not None:
            win.stop.set()
        fleet.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
