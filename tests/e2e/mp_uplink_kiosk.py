# A kiosk's log and uplink on the unix port, for the uplink tests and bench (MicroPython).
#   micropython mp_uplink_kiosk.py OPTIONS_JSON
# options: flash, blocks, scans, rate_hz (0: all at once), dev, venue,
#          broker {url, user, password, ca (hex)}, ack_keys [hex SEC1], radio, wifi, pid,
#          no_uplink, probe {pub, msg, sig (hex)} + probe_hz: timed verdict steps ("lat" in ms),
#          pause_file: while that file exists the uplink is paused (link closed, no reconnect)
#          and the verdict steps go to "lat0" instead (the bench's baseline windows)
# Appends `scans` records (the real Log on a file-backed littlefs image), runs
# kiosk.uplink.Uplink beside them and prints one JSON line whenever its state
# changes: {"ack_seq", "durable_seq", "unacked", "line", "batches", "acks",
# "refused"}. Prints READY first. Runs until killed.
import asyncio
import json
import os
import sys
import time
from binascii import unhexlify

import vfs
from micropython import const
from flashdev import FlashDev
from kiosk.records import make_record
from kiosk.records.log import Log
from mp_verdicts import Verdict
from kiosk.uplink import Uplink


async def scans(log, n, rate):
    period = int(1000 / rate) if rate else 0
    t0 = time.ticks_ms()
    start = log.next_seq - 1
    for i in range(start, n):
        log.append(make_record(Verdict(i), 1790000000 + i, b"venue-secret-TEST"))
        if period:
            while time.ticks_diff(time.ticks_ms(), t0) < (i - start + 1) * period:
                await asyncio.sleep_ms(2)
        elif i % 64 == 0:
            await asyncio.sleep_ms(0)


async def committer(log):
    while True:
        log.tick()
        await asyncio.sleep_ms(50)


LAT = []  # verdict-step delays (ms) with the uplink running
LAT0 = []  # ... and paused
PAUSED = [False]
_WARM = const(5)  # the first verifies after boot build G's table: not a scan-loop cost


async def probes(opts):
    """A scan's verdict step (one P-256 verify) every 1/probe_hz s; the delay from
    its due time to its verdict goes to LAT (what the uplink costs the scan loop)."""
    from kiosk.crypto import p256

    pub, msg, sig = (unhexlify(opts["probe"][k]) for k in ("pub", "msg", "sig"))
    period = int(1000 / opts.get("probe_hz", 5))
    due = time.ticks_add(time.ticks_ms(), period)
    n = 0
    while True:
        await asyncio.sleep_ms(max(0, time.ticks_diff(due, time.ticks_ms())))
        paused = PAUSED[0]
        assert p256.verify(pub, msg, sig)
        n += 1
        if n > _WARM:
            (LAT0 if paused and PAUSED[0] else LAT).append(time.ticks_diff(time.ticks_ms(), due))
        due = time.ticks_add(due, period)
        if time.ticks_diff(time.ticks_ms(), due) > 0:
            due = time.ticks_add(time.ticks_ms(), period)


def _paused(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


async def report(up, log, pause_file=None):
    last = None
    while True:
        if up and pause_file and _paused(pause_file) != PAUSED[0]:
            PAUSED[0] = not PAUSED[0]
            if PAUSED[0]:
                up.client.close()
        d = {"ack_seq": log.ack_seq, "durable_seq": log.durable_seq, "unacked": log.unacked(),
             "line": up.line() if up else "no uplink", "batches": up.batches if up else 0,
             "acks": up.acks if up else 0, "refused": up.acks_refused if up else 0,
             "pid": up.client.pid if up else 0, "log_id": log.log_id}
        for key, lat in (("lat", LAT), ("lat0", LAT0)):
            if lat:
                d[key] = lat[:]
                del lat[:]
        if d != last:
            print(json.dumps(d))
            last = d
        await asyncio.sleep_ms(100)


async def main(opts):
    image = opts["flash"]
    try:
        new = os.stat(image)[6] == 0
    except OSError:
        new = True
    dev = FlashDev(image, 4096, opts.get("blocks", 256))
    if new:
        vfs.VfsLfs2.mkfs(dev)
    vfs.mount(vfs.VfsLfs2(dev), "/flash")
    log = Log("/flash/log")
    broker = dict(opts.get("broker") or {})
    if broker.get("ca"):
        broker["ca"] = unhexlify(broker["ca"])
    net = None
    if opts.get("radio"):
        from simnet import SimNet

        net = SimNet(opts["radio"])
    keys = [unhexlify(k) for k in opts["ack_keys"]]
    up = None if opts.get("no_uplink") else Uplink(lambda: log, opts["dev"], opts["venue"], broker, lambda: keys, net=net,
                wifi=opts.get("wifi"), fw="test", timeout_ms=opts.get("timeout_ms", 2000),
                keepalive_s=opts.get("keepalive_s", 10), resend_ms=opts.get("resend_ms", 5000))
    if up and opts.get("pause_file"):
        ready = up.ready
        up.ready = lambda: not PAUSED[0] and ready()
    if up:
        up.client.backoff.max_ms = opts.get("backoff_max_ms", 2000)
    if up and opts.get("pid"):
        up.client.pid = opts["pid"]
    print("READY", json.dumps({"log_id": log.log_id}))
    asyncio.create_task(committer(log))
    asyncio.create_task(report(up, log, opts.get("pause_file")))
    asyncio.create_task(scans(log, opts.get("scans", 0), opts.get("rate_hz", 0)))
    if opts.get("probe"):
        asyncio.create_task(probes(opts))
    if up:
        await up.run()
    while True:
        await asyncio.sleep_ms(1000)


with open(sys.argv[1]) as f:
    asyncio.run(main(json.load(f)))
