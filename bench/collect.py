"""Fleet ingest: 1,000 simulated kiosks through one Mosquitto into PostgreSQL.

    .venv/bin/python bench/collect.py            # 1,000 kiosks x 10 batches x 30 records
    .venv/bin/python bench/collect.py --quick    # 100 kiosks x 5 batches

All on 127.0.0.1, one run: a real Mosquitto (tests/support/broker.py), a real
PostgreSQL in a temporary directory (tests/support/postgres.py), the real
`kioskctl collect --workers N --ack-key` (N worker processes; group commit,
then a signed ACK per (device, log) per group), and CPython kiosks (two publisher processes, each a selector loop
over its share of the kiosks' MQTT connections: CONNECT, then KUP1 batches
at QoS 1 with a window of 4 in flight per kiosk). In the same run,
`mosquitto_sub` subscribes to the same topic and counts the same traffic:
its delivery rate is the peer. Ends with

    INGEST RPS <x> RAW_RPS <y> RATIO <x/y>

x = records committed in PostgreSQL / time from the first publish to the last
commit; y = records delivered to mosquitto_sub / time from the first publish
to its last message. Target (issue #12): x >= 5,000 on 2 cores.
"""

import argparse
import multiprocessing
import os
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "host_tools"))
sys.path.insert(0, os.path.join(REPO, "tests"))

from kioskctl.collect import kup1  # noqa: E402
from kioskctl.fw import records  # noqa: E402
from support.broker import Broker  # noqa: E402
from support.postgres import Postgres  # noqa: E402

WINDOW = 4
PER_BATCH = 30


def _len(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _str(s):
    s = s.encode()
    return struct.pack(">H", len(s)) + s


def connect_packet(client_id):
    body = _str("MQTT") + bytes((4, 0x02)) + struct.pack(">H", 60) + _str(client_id)
    return b"\x10" + _len(len(body)) + body


def publish_packet(topic, pid, payload):
    body = _str(topic) + struct.pack(">H", pid) + payload
    return b"\x32" + _len(len(body)) + body


def batches(dev, n_batches):
    out = []
    for b in range(n_batches):
        raws = []
        for i in range(PER_BATCH):
            seq = b * PER_BATCH + i + 1
            raws.append(records.encode(records.Record(
                seq=seq, time=1790000000 + seq, verdict="GREEN", colour="green", reason="ok", key_index=0,
                pseudonym=os.urandom(12), admit=True, kind="native")))
        out.append(kup1(dev, 0x5EED0000, raws))
    return out


class Kiosk:
    def __init__(self, host, port, dev, n_batches):
        self.dev = dev
        self.topic = "kiosk/%s/records" % dev
        self.todo = batches(dev, n_batches)
        self.sock = socket.create_connection((host, port))
        self.sock.setblocking(False)
        self.rx = b""
        self.out = bytearray(connect_packet("bench-" + dev))
        self.connected = False
        self.inflight = 0
        self.pid = 0
        self.done = 0

    def fill(self):
        while self.connected and self.todo and self.inflight < WINDOW:
            self.pid = self.pid % 65535 + 1
            self.out += publish_packet(self.topic, self.pid, self.todo.pop(0))
            self.inflight += 1

    def readable(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("broker closed %s" % self.dev)
        self.rx += data
        while len(self.rx) >= 2:
            n = self.rx[1]  # CONNACK and PUBACK have remaining length 2
            if len(self.rx) < 2 + n:
                break
            kind = self.rx[0] >> 4
            self.rx = self.rx[2 + n:]
            if kind == 2:
                self.connected = True
            elif kind == 4:
                self.inflight -= 1
                self.done += 1
        self.fill()

    def writable(self):
        if self.out:
            sent = self.sock.send(self.out)
            del self.out[:sent]


def publisher(host, port, devs, n_batches, go, out):
    kiosks = [Kiosk(host, port, d, n_batches) for d in devs]
    sel = selectors.DefaultSelector()
    for k in kiosks:
        sel.register(k.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, k)
    go.wait()
    want = len(kiosks) * n_batches
    done = 0
    while done < want:
        for key, ev in sel.select(1.0):
            k = key.data
            if ev & selectors.EVENT_READ:
                before = k.done
                k.readable()
                done += k.done - before
            if ev & selectors.EVENT_WRITE:
                k.writable()
        for k in kiosks:
            sel.modify(k.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if k.out else 0), k)
    out.put(done)
    for k in kiosks:
        k.sock.close()


def count(url):
    import psycopg

    with psycopg.connect(url) as c:
        return c.execute("SELECT COUNT(*) FROM records").fetchone()[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kiosks", type=int, default=1000)
    ap.add_argument("--batches", type=int, default=10, help="KUP1 batches of 30 records per kiosk")
    ap.add_argument("--workers", type=int, default=2, help="collector workers (shared subscription)")
    ap.add_argument("--procs", type=int, default=2, help="publisher processes")
    ap.add_argument("--quick", action="store_true", help="100 kiosks x 5 batches")
    args = ap.parse_args()
    if args.quick:
        args.kiosks, args.batches = 100, 5
    total_msgs = args.kiosks * args.batches
    total = total_msgs * PER_BATCH
    tmp = tempfile.mkdtemp(prefix="bench-collect-")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = os.path.join(tmp, "collector.key.pem")
    with open(key, "wb") as f:
        f.write(ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    procs = []
    try:
        with Broker(os.path.join(tmp, "mq"), persistence=False) as b, Postgres(tmp) as pg:
            coll = subprocess.Popen([sys.executable, "-m", "kioskctl", "collect", "--broker", b.url, "--db", pg.url,
                                     "--ack-key", key, "--workers", str(args.workers)],
                                    stderr=subprocess.PIPE, text=True, cwd=REPO)
            ready = 0
            while ready < args.workers:
                line = coll.stderr.readline()
                if not line:
                    raise SystemExit("collect exited: %s" % coll.wait())
                ready += " subscribed" in line
            sub = subprocess.Popen([shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub", "-h", b.host, "-p",
                                    str(b.port), "-t", "kiosk/+/records", "-q", "1", "-C", str(total_msgs)],
                                   stdout=subprocess.DEVNULL)
            time.sleep(1.0)  # mosquitto_sub subscribed
            go = multiprocessing.Event()
            q = multiprocessing.Queue()
            devs = ["K-%04d" % i for i in range(args.kiosks)]
            for i in range(args.procs):
                p = multiprocessing.Process(target=publisher, args=(b.host, b.port, devs[i::args.procs], args.batches,
                                                                    go, q))
                p.start()
                procs.append(p)
            print("%d kiosks connecting; %d records in %d KUP1 batches" % (args.kiosks, total, total_msgs), flush=True)
            time.sleep(2.0 + args.kiosks / 500)  # every kiosk connected before the clock starts
            t0 = time.monotonic()
            go.set()
            t_raw = t_db = None
            while t_db is None or t_raw is None:
                if t_raw is None and sub.poll() is not None:
                    t_raw = time.monotonic()
                if t_db is None and count(pg.url) >= total:
                    t_db = time.monotonic()
                time.sleep(0.05)
            published = sum(q.get(timeout=60) for _ in procs)
            stored = count(pg.url)
            coll.terminate()
            err = coll.communicate(timeout=30)[1]
            print(err.strip().splitlines()[-1])
            x = stored / (t_db - t0)
            y = total / (t_raw - t0)
            print("kiosks %d, batches published %d, records stored %d (duplicates must be 0: %d)" % (
                args.kiosks, published, stored, stored - total))
            print("INGEST RPS %.0f RAW_RPS %.0f RATIO %.2f" % (x, y, x / y))
    finally:
        for p in procs:
            p.join(5)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
