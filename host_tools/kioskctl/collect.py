"""The fleet collector: scan records from kiosks over MQTT into the record store.

    c = Collector("mqtt://127.0.0.1:1883", "postgresql://...", ack_key=key, workers=2)
    c.run(stop)          # until the threading.Event `stop` is set

Each worker is one MQTT client in the shared subscription
$share/collectors/kiosk/+/records (the broker spreads the kiosks' batches over
the workers) with its own database connection. For every KUP1 batch
(docs/fleet.md): parse (bounded; a hostile payload is counted and dropped),
insert idempotently by (device, log_id, seq), COMMIT, then publish on
kiosk/<dev>/ack the signed ACK (kioskctl.ackauth) for the highest contiguous
committed seq of that (device, log_id), and only then PUBACK the batch to the
broker. A collector that dies before its PUBACK gets the batch again (its
session is persistent), and the insert makes the second delivery a no-op.
Retained kiosk/<dev>/status (CBOR) gives device -> venue for reports.
"""

import os
import queue
import struct
import sys
import threading
import time
import urllib.parse

from kioskctl import store as st
from kioskctl.errors import UsageError

MAGIC = b"KUP1"
MAX_PAYLOAD = 1024
MAX_RECORDS = 30
MAX_STATUS = 1024
GROUP = 200  # batches stored in one transaction at most
SHARE = "$share/collectors/kiosk/+/records"
STATUS = "kiosk/+/status"
_ID_OK = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
# fault injection for the tests: die right after the COMMIT, before the ACK and the PUBACK
_DIE_AFTER_COMMIT = "KIOSKCTL_COLLECT_DIE_AFTER_COMMIT"


class KupError(ValueError):
    """A payload that is not a well-formed KUP1 batch."""


def valid_id(dev):
    return 0 < len(dev) <= 64 and all(c in _ID_OK for c in dev)


def parse_kup1(payload):
    """(device id, log_id, [32-byte raw record]) of a KUP1 batch; KupError if it is not one."""
    from kioskctl.fw import records

    if len(payload) > MAX_PAYLOAD:
        raise KupError("payload of %d bytes (at most %d)" % (len(payload), MAX_PAYLOAD))
    if len(payload) < 6 or payload[:4] != MAGIC:
        raise KupError("not KUP1")
    n_dev = payload[4]
    dev = bytes(payload[5:5 + n_dev])
    if len(dev) != n_dev or not valid_id(dev):
        raise KupError("bad device id")
    off = 5 + n_dev
    if len(payload) < off + 5:
        raise KupError("truncated header")
    log_id, n = struct.unpack_from(">IB", payload, off)
    off += 5
    if n == 0 or n > MAX_RECORDS:
        raise KupError("%d records in one batch (1..%d)" % (n, MAX_RECORDS))
    if len(payload) != off + n * records.SIZE:
        raise KupError("length %d does not match %d records" % (len(payload), n))
    return dev.decode(), log_id, [bytes(payload[off + i * records.SIZE: off + (i + 1) * records.SIZE])
                                  for i in range(n)]


def kup1(dev, log_id, raws):
    """A KUP1 payload (what a kiosk publishes): for tests, the demo and the benchmark."""
    dev = dev.encode() if isinstance(dev, str) else dev
    return MAGIC + bytes((len(dev),)) + dev + struct.pack(">IB", log_id, len(raws)) + b"".join(raws)


def ack_payload(key, dev, log_id, seq):
    """kiosk/<dev>/ack payload: u32BE log_id | u32BE seq | ES256 signature (64)."""
    from kioskctl.ackauth import sign_ack

    return struct.pack(">II", log_id, seq) + sign_ack(key, dev, log_id, seq)


def parse_broker(url):
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("mqtt", "mqtts") or not u.hostname:
        raise UsageError("--broker takes mqtt://HOST:PORT or mqtts://HOST:PORT, not %r" % url)
    try:
        port = u.port or (8883 if u.scheme == "mqtts" else 1883)
    except ValueError:
        raise UsageError("bad port in --broker %r" % url)
    return u.hostname, port, u.scheme == "mqtts"


class Counters:
    NAMES = ("batches", "commits", "new", "duplicates", "corrupt", "hostile", "acks", "db_errors")

    def __init__(self):
        self.lock = threading.Lock()
        for n in self.NAMES:
            setattr(self, n, 0)

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)

    def line(self):
        return "collect: %s" % ", ".join("%s %d" % (n.replace("_", " "), getattr(self, n)) for n in self.NAMES)


class Cursors:
    """Highest contiguous committed seq per (device, log_id), shared by the workers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.high = {}

    def advance(self, db, dev, log_id, seqs=()):
        """New highest contiguous seq after a commit of `seqs`, or None if it did not move.
        When the committed seqs continue the known cursor without a hole and nothing is stored
        right after them (another worker's later batch), one lookup is all it takes."""
        with self.lock:
            base = self.high.get((dev, log_id))
        run = sorted(set(seqs))
        if base is not None and run and run[0] <= base + 1 and run[-1] - run[0] == len(run) - 1 and run[-1] > base:
            after = db.execute("SELECT 1 FROM records WHERE device=? AND log_id=? AND seq=?",
                               (dev, log_id, run[-1] + 1)).fetchone()
            if after is None:
                with self.lock:
                    if run[-1] <= self.high.get((dev, log_id), -1):
                        return None
                    self.high[(dev, log_id)] = run[-1]
                return run[-1]
            base = run[0] - 1  # the run continues past this group: find where it ends
        if base is None:
            (low,) = db.execute("SELECT MIN(seq) FROM records WHERE device=? AND log_id=?", (dev, log_id)).fetchone()
            if low is None:
                return None
            base = low - 1
        (end,) = db.execute(
            "SELECT MIN(seq) FROM records r WHERE device=? AND log_id=? AND seq>? AND NOT EXISTS "
            "(SELECT 1 FROM records n WHERE n.device=r.device AND n.log_id=r.log_id AND n.seq=r.seq+1)",
            (dev, log_id, base)).fetchone()
        present = db.execute("SELECT 1 FROM records WHERE device=? AND log_id=? AND seq=?",
                             (dev, log_id, base + 1)).fetchone()
        if end is None or not present:
            return None
        with self.lock:
            if end <= self.high.get((dev, log_id), -1):
                return None
            self.high[(dev, log_id)] = end
        return end


class Worker:
    def __init__(self, collector, index):
        import paho.mqtt.client as mqtt

        self.c = collector
        self.index = index
        self.db = None
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="%s-%d" % (collector.client_id, index),
                                  clean_session=False, protocol=mqtt.MQTTv311, manual_ack=True)
        if collector.user:
            self.client.username_pw_set(collector.user, collector.password)
        if collector.tls:
            self.client.tls_set(ca_certs=collector.cafile)
        self.client.max_inflight_messages_set(collector.inflight)
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self.on_connect
        self.client.on_message = self.on_message
        self.client.on_subscribe = self.on_subscribe
        self.records_mid = None
        self.inbox = queue.Queue()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, name="collect-%d" % index, daemon=True)
        self.unsubscribed = threading.Event()
        self.client.on_unsubscribe = lambda *a: self.unsubscribed.set()

    def start(self):
        self.client.connect_async(self.c.host, self.c.port, keepalive=30)
        self.client.loop_start()
        self.thread.start()

    def stop(self):
        # leave the shared subscription first: an offline persistent session still in it would
        # be handed its share of new batches until it came back
        if self.client.is_connected():
            self.client.unsubscribe(SHARE)
            self.unsubscribed.wait(5)
        self.stopping.set()
        self.thread.join()
        self.client.disconnect()
        self.client.loop_stop()
        self._drop_db()

    def on_connect(self, client, userdata, flags, reason, props=None):
        if reason.is_failure:
            print("collect: worker %d: broker refused: %s" % (self.index, reason), file=sys.stderr)
            return
        self.records_mid = client.subscribe(SHARE, qos=1)[1]
        if self.index == 0:
            client.subscribe(STATUS, qos=1)

    def on_subscribe(self, client, userdata, mid, reasons, props=None):
        if any(r.is_failure for r in reasons):
            print("collect: worker %d: subscription refused: %s" % (self.index, reasons), file=sys.stderr, flush=True)
        elif mid == self.records_mid:
            print("collect: worker %d subscribed" % self.index, file=sys.stderr, flush=True)

    def _db(self):
        if self.db is None:
            from kioskctl import db as dbm

            self.db = dbm.connect(self.c.db_url)
        return self.db

    def on_message(self, client, userdata, msg):
        self.inbox.put(msg)  # the network thread only queues; the worker thread stores

    def loop(self):
        """Group commit: take what has arrived (up to GROUP messages), store it in one transaction,
        COMMIT, then the ACKs, then the PUBACKs. What is still queued at stop is never PUBACKed."""
        while not self.stopping.is_set():
            try:
                group = [self.inbox.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(group) < GROUP:
                try:
                    group.append(self.inbox.get_nowait())
                except queue.Empty:
                    break
            try:
                self.store(group)
            except Exception as exc:  # noqa: BLE001 - a database outage must not kill the worker
                self.c.counters.add(db_errors=1)
                print("collect: worker %d: %s: %s (%d batches stay unacknowledged)" % (
                    self.index, type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc) else "",
                    len(group)), file=sys.stderr, flush=True)
                self._drop_db()
                time.sleep(1)
                continue
            for msg in group:
                self.client.ack(msg.mid, msg.qos)

    def _drop_db(self):
        if self.db is not None:
            try:
                self.db.close()
            except Exception:  # noqa: BLE001
                pass
            self.db = None

    def status(self, db, msg):
        import cbor2

        dev = msg.topic.split("/")[1]
        if len(msg.payload) > MAX_STATUS or not msg.payload:
            return
        try:
            m = cbor2.loads(msg.payload)
        except Exception:  # noqa: BLE001 - hostile CBOR: ignored
            self.c.counters.add(hostile=1)
            return
        venue = m.get("venue") if isinstance(m, dict) else None
        if not isinstance(venue, str) or not 0 < len(venue) <= 64 or m.get("dev") != dev:
            self.c.counters.add(hostile=1)
            return
        st.set_venue(db, dev, venue, int(time.time()))

    def parse(self, msg):
        """(dev, log_id, rows, n_raw) of a records message, or None for a hostile one."""
        from kioskctl.link import decode_record

        try:
            dev, log_id, raws = parse_kup1(msg.payload)
            if dev != msg.topic.split("/")[1]:
                raise KupError("device %s published on %s" % (dev, msg.topic))
        except KupError:
            self.c.counters.add(hostile=1)
            return None
        now = int(time.time())
        rows = []
        for raw in raws:
            r = decode_record(raw)
            if r is not None:
                rows.append(st.row(dev, log_id, r, raw, now))
        return dev, log_id, rows, len(raws)

    def store(self, group):
        db = self._db()
        rows, touched, batches, raw_n = [], {}, 0, 0
        for msg in group:
            if msg.topic.endswith("/status"):
                self.status(db, msg)
                continue
            got = self.parse(msg)
            if got is None:
                continue
            dev, log_id, r, n = got
            rows += r
            raw_n += n
            batches += 1
            touched.setdefault((dev, log_id), []).extend(row[2] for row in r)
        new = st.insert(db, rows)
        db.commit()
        if os.environ.get(_DIE_AFTER_COMMIT) and rows:
            os._exit(137)
        self.c.counters.add(batches=batches, commits=1, new=new, duplicates=len(rows) - new, corrupt=raw_n - len(rows))
        if self.c.ack_key is None:
            return
        for (dev, log_id), seqs in sorted(touched.items()):
            high = self.c.cursors.advance(db, dev, log_id, seqs) if seqs else None
            if high is not None:
                self.client.publish("kiosk/%s/ack" % dev, ack_payload(self.c.ack_key, dev, log_id, high), qos=1)
                self.c.counters.add(acks=1)
        db.commit()  # end the read transaction


class Collector:
    def __init__(self, broker, db_url, ack_key=None, workers=2, user=None, password=None, cafile=None,
                 client_id="kioskctl-collect", inflight=100):
        self.host, self.port, self.tls = parse_broker(broker)
        self.db_url = db_url
        self.ack_key = ack_key
        self.user, self.password, self.cafile = user, password, cafile
        self.client_id = client_id
        self.inflight = inflight
        self.counters = Counters()
        self.cursors = Cursors()
        if workers < 1 or workers > 64:
            raise UsageError("--workers takes 1..64")
        with st.Store(db_url) as _s:  # the tables exist before any worker writes
            pass
        self.workers = [Worker(self, i) for i in range(workers)]

    def run(self, stop, every=5.0):
        for w in self.workers:
            w.start()
        last = time.monotonic()
        try:
            while not stop.wait(0.2):
                if time.monotonic() - last >= every:
                    last = time.monotonic()
                    print(self.counters.line(), file=sys.stderr, flush=True)
        finally:
            for w in self.workers:
                w.stop()
            print(self.counters.line() + " (stopped)", file=sys.stderr, flush=True)
