"""Uplink benchmark: `python bench/uplink.py [--records N] [--freeze-s S]` (default 10,000, 60 s).

All on 127.0.0.1, one run, real parts: Mosquitto with the fleet ACL
(tests/support/broker.py), one MicroPython kiosk (tests/e2e/mp_uplink_kiosk.py:
the real log on a file-backed littlefs image, kiosk.uplink, kiosk.link.mqtt),
and a collector storing into SQLite keyed by (device, log id, seq), committing,
then publishing a collector-key-signed ACK (tests/support/fleetkit.py, paho-mqtt;
`kioskctl collect` replaces it when it lands).

  baseline   the kiosk without uplink: verdict-step delays (one P-256 verify
             every 200 ms, due time to verdict) -> p99_base
  outage     the broker is down while the kiosk buffers N records
  drain      the broker comes back; undisturbed drain rate -> DRAIN_RPS
  faults     mid-drain, in turn: broker SIGKILLed and restarted; broker
             frozen (SIGSTOP) for --freeze-s; the collector killed between
             its commit and its ACK (a new one takes over the same database);
             the kiosk power-cut (SIGKILL) and restarted on its flash image
  check      every seq 1..N in the database exactly once

SCAN_P99_RATIO = p99 of the verdict-step delay while draining or frozen /
p99_base (same kiosk code, same run). Ends with
`UPLINK RECORDS <n> DUPLICATES <d> MISSING <m> DRAIN_RPS <x> SCAN_P99_RATIO <r>`.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "host_tools"))
sys.path.insert(0, os.path.join(REPO, "tests"))

from support import fleetkit  # noqa: E402

DEV, VENUE = "K-BENCH-1", "V-B"
WARM = 5  # the first verifies after boot build G's table: not a scan-loop cost


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else 0


def probe_opts():
    key = fleetkit.new_key()
    msg = b"scan verdict step"
    return {"probe": {"pub": fleetkit.pub_bytes(key).hex(), "msg": msg.hex(), "sig": fleetkit.sign(key, msg).hex()},
            "probe_hz": 5}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--freeze-s", type=float, default=60.0)
    ap.add_argument("--baseline-s", type=float, default=20.0)
    args = ap.parse_args()
    n = args.records
    tmp = tempfile.mkdtemp(prefix="bench-uplink-")
    fleet = fleetkit.Fleet(tmp, [(DEV, VENUE)])
    probe = probe_opts()
    try:
        # baseline: the same kiosk process, no uplink
        base = fleet.kiosk(DEV, 0, no_uplink=True, flash=os.path.join(tmp, "base.img"), **probe)
        time.sleep(args.baseline_s)
        base.wait(lambda s: True)
        lat_base = list(base.lat[WARM:])
        base.kill()
        fleet.kiosks.remove(base)

        # outage: buffer N records with the broker down
        fleet.broker.stop()
        opts = dict(probe, keepalive_s=5, timeout_ms=3000, blocks=512, resend_ms=10000, backoff_max_ms=4000)
        k = fleet.kiosk(DEV, n, **opts)
        k.wait(lambda s: s["durable_seq"] == n, timeout=600)
        print("buffered %d records during the outage" % n, flush=True)
        k.lat.clear()

        db = os.path.join(tmp, "scans.sqlite")
        fleet.broker.start()
        t0 = time.monotonic()
        col = fleet.collector(db=db)
        a0 = k.wait(lambda s: s["ack_seq"] > 0, timeout=120)["ack_seq"]
        t1 = time.monotonic()
        target = min(n, a0 + max(30, n // 5))
        st = k.wait(lambda s: s["ack_seq"] >= target, timeout=600)
        rps = (st["ack_seq"] - a0) / max(1e-6, time.monotonic() - t1)
        print("drain: first ACK %.2f s after the broker came back; %.0f records/s undisturbed" % (t1 - t0, rps), flush=True)

        def at(frac):
            return k.wait(lambda s: s["ack_seq"] >= int(n * frac), timeout=900)

        at(0.3)
        fleet.broker.stop(kill=True)
        print("broker SIGKILLed at ack %d" % k.wait(lambda s: True)["ack_seq"], flush=True)
        time.sleep(2)
        fleet.broker.start()
        at(0.45)
        fleet.broker.freeze()
        print("broker frozen (SIGSTOP) for %.0f s at ack %d" % (args.freeze_s, k.wait(lambda s: True)["ack_seq"]), flush=True)
        time.sleep(args.freeze_s)
        fleet.broker.thaw()
        at(0.6)
        col.crash_next = True
        deadline = time.monotonic() + 60
        while not col.crashed and time.monotonic() < deadline:
            time.sleep(0.05)
        print("collector killed between commit and ACK at ack %d" % k.wait(lambda s: True)["ack_seq"], flush=True)
        col = fleet.collector(db=db)
        at(0.8)
        k.kill()
        lat_drain = list(k.lat)
        print("kiosk power-cut at ack %d" % k.state["ack_seq"], flush=True)
        fleet.kiosks.remove(k)
        k = fleet.kiosk(DEV, n, **opts)
        k.wait(lambda s: s["ack_seq"] == n, timeout=900)
        lat_drain += k.lat[WARM:]

        import sqlite3

        con = sqlite3.connect(db)
        rows = con.execute("SELECT COUNT(*), COUNT(DISTINCT seq) FROM scans WHERE device=?", (DEV,)).fetchone()
        in_range = con.execute("SELECT COUNT(DISTINCT seq) FROM scans WHERE device=? AND seq BETWEEN 1 AND ?",
                               (DEV, n)).fetchone()[0]
        dups = rows[0] - rows[1]
        missing = n - in_range
        resent = sum(c.repeats for c in fleet.collectors)
        ratio = p99(lat_drain) / max(1, p99(lat_base))
        print("verdict-step delay p99: %d ms without uplink (%d probes), %d ms draining/frozen (%d probes)"
              % (p99(lat_base), len(lat_base), p99(lat_drain), len(lat_drain)))
        print("records the collectors received more than once (resends, absorbed by the key): %d" % resent)
        print("UPLINK RECORDS %d DUPLICATES %d MISSING %d DRAIN_RPS %.0f SCAN_P99_RATIO %.2f"
              % (rows[1], dups, missing, rps, ratio))
        return 0 if dups == 0 and missing == 0 else 1
    finally:
        fleet.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
