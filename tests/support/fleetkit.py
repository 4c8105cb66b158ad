"""A small fleet for the uplink tests and bench: Mosquitto with the fleet ACL
(kioskctl broker config's), kiosks on the unix port (tests/e2e/mp_uplink_kiosk.py)
and a collector-key-signed acknowledger on paho-mqtt.

    fleet = Fleet(tmp, kiosks=[("K-1", "V-1")])        # starts the broker
    k = fleet.kiosk("K-1", scans=100)                   # a MicroPython kiosk
    col = fleet.collector()                             # paho: store, then sign the ACK
    k.wait(lambda s: s["ack_seq"] == 100)

The collector here stands in for `kioskctl collect` only until that lands: it is an
external party speaking the interface (KUP1 in, KACK1-signed ACK out), not a
copy of our module. It keeps rows keyed by (device, log id, seq), counts
repeats it received, and acknowledges the highest contiguous stored seq.
"""

import json
import os
import queue
import struct
import subprocess
import threading
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from support.broker import Broker

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
KIOSK = os.path.join(REPO, "tests", "e2e", "mp_uplink_kiosk.py")
PASSWORDS = {"collector": "collector-pw-TEST", "operator": "operator-pw-TEST"}


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def pub_bytes(key):
    return key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def ack_message(dev, log_id, seq):
    dev = dev.encode()
    return b"KACK1" + bytes([len(dev)]) + dev + struct.pack(">II", log_id, seq)


def sign(key, msg):
    r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def ack_payload(key, dev, log_id, seq):
    return struct.pack(">II", log_id, seq) + sign(key, ack_message(dev, log_id, seq))


def parse_kup1(payload):
    """(dev, log_id, [(seq, 32-byte record)]) of a KUP1 batch."""
    assert payload[:4] == b"KUP1"
    n = payload[4]
    dev = payload[5 : 5 + n].decode()
    log_id, count = struct.unpack_from(">IB", payload, 5 + n)
    off = 10 + n
    recs = []
    for i in range(count):
        raw = payload[off + 32 * i : off + 32 * (i + 1)]
        recs.append((struct.unpack_from("<I", raw, 2)[0], raw))
    return dev, log_id, recs


def mqtt_client(fleet, user, name=None, **kw):
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name or user, **kw)
    c.username_pw_set(user, fleet.passwords[user])
    c.connect(fleet.broker.host, fleet.broker.port)
    c.loop_start()
    return c


class Collector:
    """With `db` (a SQLite path) rows go to a table keyed by (device, log_id, seq)
    and are committed before the ACK; `crash_next` makes the next batch be
    committed and then the collector stop without acknowledging it (a collector
    killed between its commit and its ACK)."""

    def __init__(self, fleet, key, user="collector", db=None):
        self.fleet = fleet
        self.key = key
        self.db = None
        self.crash_next = False
        self.crashed = False
        if db:
            import sqlite3

            self.db = sqlite3.connect(db, check_same_thread=False)
            self.db.execute("CREATE TABLE IF NOT EXISTS scans (device TEXT, log_id INTEGER, seq INTEGER, raw BLOB,"
                            " PRIMARY KEY (device, log_id, seq))")
            self.db.commit()
        self.rows = {}  # (device, log_id, seq) -> raw: what is stored (the table's content, when db)
        if self.db is not None:
            for dev, log_id, seq, raw in self.db.execute("SELECT device, log_id, seq, raw FROM scans"):
                self.rows[(dev, log_id, seq)] = raw
        self.received = 0
        self.repeats = 0
        self.lock = threading.Lock()
        self.client = mqtt_client(fleet, user, "collector-test", clean_session=True)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *a: c.subscribe("kiosk/+/records", qos=1)
        self.client.subscribe("kiosk/+/records", qos=1)

    def _on_message(self, client, userdata, msg):
        if self.crashed:
            return
        dev, log_id, recs = parse_kup1(msg.payload)
        with self.lock:
            if self.db is not None:
                self.db.executemany("INSERT OR IGNORE INTO scans VALUES (?, ?, ?, ?)",
                                    [(dev, log_id, seq, raw) for seq, raw in recs])
                self.db.commit()
                if self.crash_next:
                    self.crashed = True
                    threading.Thread(target=self.stop, daemon=True).start()
                    return
            for seq, raw in recs:
                self.received += 1
                k = (dev, log_id, seq)
                if k in self.rows:
                    self.repeats += 1
                self.rows[k] = raw
            top = 0
            while (dev, log_id, top + 1) in self.rows:
                top += 1
        if top:
            client.publish("kiosk/%s/ack" % dev, ack_payload(self.key, dev, log_id, top), qos=1)

    def seqs(self, dev):
        with self.lock:
            return sorted(s for (d, _, s) in self.rows if d == dev)

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()


class Kiosk:
    def __init__(self, fleet, dev, venue, scans=0, **opts):
        from kioskctl import mp

        self.dev = dev
        self.flash = opts.pop("flash", None) or os.path.join(fleet.dir, dev + ".img")
        o = {"flash": self.flash, "dev": dev, "venue": venue, "scans": scans,
             "broker": {"url": fleet.broker.url, "user": dev, "password": fleet.passwords.get(dev)},
             "ack_keys": [pub_bytes(k).hex() for k in fleet.ack_keys]}
        if fleet.broker.tls:
            o["broker"]["ca"] = fleet.ca_der().hex()
        o.update(opts)
        self.opts_path = os.path.join(fleet.dir, dev + ".json")
        with open(self.opts_path, "w") as f:
            json.dump(o, f)
        self.proc = mp.popen(KIOSK, [self.opts_path], heapsize="4M", stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("READY"), line
        self.log_id = json.loads(line.split(" ", 1)[1])["log_id"]
        self.state = {}
        self.lat = []  # verdict-step delays (ms) the kiosk reported, with probe options
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                d = json.loads(line)
                self.lat.extend(d.pop("lat", ()))
                self.lines.put(d)
            except ValueError:
                self.lines.put({"raw": line})

    def wait(self, pred, timeout=60):
        """Block until pred(state) (the newest state line); the state then."""
        deadline = time.monotonic() + timeout
        while not (self.state and pred(self.state)):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise AssertionError("kiosk %s: condition not met; last state %r" % (self.dev, self.state))
            try:
                self.state = self.lines.get(timeout=min(left, 1))
            except queue.Empty:
                pass
        return self.state

    def kill(self):
        """SIGKILL: the kiosk's power cut (the flash image keeps what was durable)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Fleet:
    def __init__(self, tmpdir, kiosks, tls=False, ack_keys=None):
        from kioskctl.cmd_broker import acl_text

        self.dir = str(tmpdir)
        self.passwords = dict(PASSWORDS)
        for dev, _ in kiosks:
            self.passwords[dev] = "pw-%s-TEST" % dev
        self.venues = dict(kiosks)
        self.admin = new_key()
        self.collector_key = new_key()
        self.ack_keys = ack_keys if ack_keys is not None else [self.admin, self.collector_key]
        self.broker = Broker(os.path.join(self.dir, "broker"), users=self.passwords,
                             acl_text=acl_text(kiosks), tls=tls).start()
        self.kiosks = []
        self.collectors = []

    def ca_der(self):
        from cryptography import x509

        with open(self.broker.ca_file, "rb") as f:
            return x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)

    def kiosk(self, dev, scans=0, **opts):
        k = Kiosk(self, dev, self.venues[dev], scans, **opts)
        self.kiosks.append(k)
        return k

    def collector(self, key=None, db=None):
        c = Collector(self, key or self.collector_key, db=db)
        self.collectors.append(c)
        return c

    def close(self):
        for k in self.kiosks:
            k.kill()
        for c in self.collectors:
            c.stop()
        self.broker.stop()
