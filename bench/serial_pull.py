"""Serial pull benchmark: `python bench/serial_pull.py [--records N]` (default 100,000).

A MicroPython kiosk (tests/e2e/mp_kiosk_serve.py: the real scan log on a
file-backed littlefs image, the real protocol server on a pty) holds N
unacknowledged records; `kioskctl pull` (library call, the same code as the
CLI) fetches them through kioskctl.ptybridge in four scenarios:
  115200        paced to 115200 baud (8N1: 11,520 bytes/s), clean line
  fast          unpaced pty, clean line
  fast+faults   unpaced, byte drops and bit flips (1e-4 per byte each), and
                the cable pulled for 0.5 s a third of the way through
  115200+faults paced, the same faults and unplug
  peer-64       stop-and-wait peers at 115200 on 10,000 records: one READ in
  peer-1        flight (a plain request/response client), 64 records or one
                record per READ: what pipelining and batching buy
Each scenario checks the host store: every seq 1..N exactly once with the
content the kiosk wrote (pseudonym = HMAC of the scan's holder).
LINE_UTIL = record bytes delivered / (elapsed s x 11,520 bytes/s) in the clean
115200 run (protocol, framing and round-trip overheads all count against it).
Ends with `RECORDS <n> DUPLICATES <d> MISSING <m> LINE_UTIL <fraction>`.
"""

import argparse
import hashlib
import hmac
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "host_tools"))

from kioskctl import mp, pull, transport  # noqa: E402
from kioskctl.store import Store  # noqa: E402
from kioskctl.ptybridge import PtyBridge  # noqa: E402

SERVE = os.path.join(REPO, "tests", "e2e", "mp_kiosk_serve.py")
SECRET = b"venue-secret-TEST"
BLOCK = 4096


def blocks_for(n):
    return max(64, n * 32 // BLOCK * 5 // 4 + 64)


def _admin_key():
    """A throwaway admin key: the pull signs its ACKs as a real admin's would."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from kioskctl import bundle

    key = ec.generate_private_key(ec.SECP256R1())
    return key, bundle.point_of(key).hex()


ADMIN, ADMIN_PUB = _admin_key()


def start_kiosk(image, n, device_path, scans):
    proc = mp.popen(SERVE, [image, blocks_for(n), device_path, scans, 0, ADMIN_PUB], heapsize="4M",
                    stdout=subprocess.PIPE, text=True)
    if not proc.stdout.readline().startswith("READY"):
        raise SystemExit("kiosk did not start")
    return proc


def prepare(n, folder):
    """A flash image holding n records (made once, copied per scenario)."""
    image = os.path.join(folder, "base%d.img" % n)
    bridge = PtyBridge().start()
    t0 = time.monotonic()
    proc = start_kiosk(image, n, bridge.device_path, n)
    line = proc.stdout.readline().split()
    proc.kill()
    proc.wait()
    bridge.stop()
    if line[:2] != ["SCANNED", str(n)]:
        raise SystemExit("kiosk failed to log %d records: %r" % (n, line))
    print("prepared %d records on a %d-block littlefs image in %.1f s" % (n, blocks_for(n), time.monotonic() - t0))
    return image


def expected_pseudonym(seq):
    return hmac.new(SECRET, b"holder-%d" % ((seq - 1) % 97), hashlib.sha256).digest()[:12].hex()


def scenario(name, base, n, folder, baud=None, faults=False, window=3, batch=64):
    image = os.path.join(folder, name + ".img")
    shutil.copyfile(base, image)
    bridge = PtyBridge(baud=baud, drop=1e-4 if faults else 0, flip=1e-4 if faults else 0, seed=11).start()
    proc = start_kiosk(image, n, bridge.device_path, 0)
    store_path = os.path.join(folder, name + ".sqlite")
    store = Store(store_path)
    stop = threading.Event()

    def unplug():
        while not stop.is_set():
            if bridge.sent["to_host"] >= n * 32 // 3:
                bridge.disconnect(0.5)
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=unplug, daemon=True)
    if faults:
        watcher.start()
    port = transport.open_port(bridge.host_path)
    t0 = time.monotonic()
    try:
        s = pull.pull(port, store, ack_key=ADMIN, progress=False, window=window, batch=batch,
                          reopen=lambda: transport.open_port(bridge.host_path, wait=10), log=lambda m: None)
    finally:
        stop.set()
        proc.kill()
        proc.wait()
    dt = time.monotonic() - t0
    rows = store.db.execute("SELECT seq, pseudonym FROM records ORDER BY seq").fetchall()
    seqs = [r[0] for r in rows]
    dup = len(seqs) - len(set(seqs))
    good = {seq for seq, ps in rows if ps == expected_pseudonym(seq)}
    missing = sum(1 for s_ in range(1, n + 1) if s_ not in good)
    store.close()
    try:
        s["port"].close()
    except Exception:  # noqa: BLE001
        pass
    util = n * 32 / (dt * baud / 10.0) if baud else 0.0
    print("%-14s %7d records %6.1f s %8.0f rec/s  resent %d reconnects %d wire-dups-ignored %d  "
          "bytes dropped %d flipped %d  RECORDS %d DUPLICATES %d MISSING %d LINE_UTIL %.3f" % (
              name, len(set(seqs)), dt, n / dt, s["resends"], s["reconnects"], s["duplicates"],
              bridge.dropped, bridge.flipped, n, dup, missing, util), flush=True)
    bridge.stop()
    return n, dup, missing, util


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--only", help="comma-separated scenario names")
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="serial_pull-")
    try:
        base = prepare(args.records, folder)
        plans = [("115200", 115200, False), ("fast", None, False), ("fast+faults", None, True),
                 ("115200+faults", 115200, True)]
        if args.only:
            keep = args.only.split(",")
            plans = [p for p in plans if p[0] in keep]
        total = dups = missing = 0
        util = None
        for name, baud, faults in plans:
            n, d, m, u = scenario(name, base, args.records, folder, baud, faults)
            total += n
            dups += d
            missing += m
            if name == "115200":
                util = u
        if not args.only or "peer" in args.only.split(","):
            pn = min(args.records, 10000)
            peer_base = prepare(pn, folder) if pn != args.records else base
            for name, batch in (("peer-64", 64), ("peer-1", 1)):
                _, _, _, pu = scenario(name, peer_base, pn, folder, 115200, False, window=1, batch=batch)
                if util:
                    print("%s: pipelined pull / stop-and-wait with %d record(s) per READ = %.2fx line use" % (
                        name, batch, util / pu))
        print("RECORDS %d DUPLICATES %d MISSING %d LINE_UTIL %.3f" % (total, dups, missing, util or 0.0))
        return 0 if dups == 0 and missing == 0 and (util is None or util >= 0.8) else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
