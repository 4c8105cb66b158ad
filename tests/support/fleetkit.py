"""A small fleet for the uplink tests and bench: Mosquitto with the fleet ACL
(kioskctl broker config's), kiosks on the unix port (tests/e2e/mp_uplink_kiosk.py)
and the real `kioskctl collect` into SQLite.

    fleet = Fleet(tmp, kiosks=[("K-1", "V-1")])        # starts the broker
    k = fleet.kiosk("K-1", scans=100)                   # a MicroPython kiosk
    col = fleet.collector()                             # kioskctl collect: commit, then signed ACK
    k.wait(lambda s: s["ack_seq"] == 100)
    col.seqs("K-1")                                     # what the database holds
"""

import json
import os
import queue
import re
import signal
import sqlite3
import struct
import subprocess
import sys
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


def mqtt_client(fleet, user, name=None, **kw):
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name or user, **kw)
    c.username_pw_set(user, fleet.passwords[user])
    c.connect(fleet.broker.host, fleet.broker.port)
    c.loop_start()
    return c


class Collector:
    """The real `kioskctl collect` as a process: the fleet's `collector` login, a SQLite
    record store (`db`, default <fleet dir>/scans.sqlite), ACKs signed with `key`.
    `ack=False` runs it without --ack-key: it stores and commits and never acknowledges
    (what a kiosk sees of a collector that dies between its commit and its ACK).
    Returned once every worker is subscribed."""

    def __init__(self, fleet, key, db=None, ack=True, workers=1, client_id="collector-test"):
        self.db = db or os.path.join(fleet.dir, "scans.sqlite")
        cmd = [sys.executable, "-m", "kioskctl", "collect", "--broker", fleet.broker.url, "--user", "collector",
               "--password", fleet.passwords["collector"], "--db", "sqlite:///" + self.db,
               "--workers", str(workers), "--client-id", client_id]
        if ack:
            path = os.path.join(fleet.dir, "collector-%d.key.pem" % id(key))
            with open(path, "wb") as f:
                f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
            cmd += ["--ack-key", path]
        self.proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True)
        self.counters = {}
        ready = 0
        while ready < workers:
            line = self.proc.stderr.readline()
            assert line, "kioskctl collect exited: %s" % self.proc.wait(5)
            ready += " subscribed" in line
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        # "collect: batches 3, commits 2, new 60, duplicates 0, ... (stopped)": every 5 s and at the end
        for line in self.proc.stderr:
            if line.startswith("collect: batches"):
                items = line[len("collect: "):].split(" (")[0].split(", ")
                self.counters = {k.replace(" ", "_"): int(v) for k, v in (i.strip().rsplit(" ", 1) for i in items)}

    def seqs(self, dev):
        """The seqs stored for dev, in order, one entry per row (a duplicate would show twice)."""
        con = sqlite3.connect(self.db)
        try:
            return [s for (s,) in con.execute("SELECT seq FROM records WHERE device=? ORDER BY seq", (dev,))]
        except sqlite3.OperationalError:
            return []
        finally:
            con.close()

    def kill(self):
        """SIGKILL: the collector dies wherever it is."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def stop(self):
        """SIGTERM (a clean stop); its final counters (batches, new, duplicates, corrupt, hostile, acks ...)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        time.sleep(0.2)  # the reader thread takes the final line
        return self.counters


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
        self.lat0 = []  # ... while its uplink was paused (pause_file)
        self.latest = {}  # the newest state line (read by the reader thread)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                d = json.loads(line)
                self.lat.extend(d.pop("lat", ()))
                self.lat0.extend(d.pop("lat0", ()))
                self.latest = d
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

    def collector(self, key=None, db=None, ack=True):
        c = Collector(self, key or self.collector_key, db=db, ack=ack)
        self.collectors.append(c)
        return c

    def close(self):
        for k in self.kiosks:
            k.kill()
        for c in self.collectors:
            c.kill()
        self.broker.stop()
