"""The fleet collector: scan records from kiosks over MQTT into the record store.

    c = Collector("mqtt://127.0.0.1:1883", "postgresql://...", ack_key=key, workers=2)
    code = c.run(stop)   # until the threading.Event `stop` is set (or a worker dies)

Each worker is a process (so the workers use every core) with one MQTT client
in the shared subscription $share/collectors/kiosk/+/records (the broker
spreads the kiosks' batches over the workers) and its own database connection.
Its network thread only appends what arrives; its store thread takes all that
has arrived (group commit) and, for those KUP1 batches (docs/fleet.md): parses
(bounded; a hostile payload is counted and dropped), inserts idempotently by
(device, log_id, seq) (COPY into a staging table on PostgreSQL), COMMITs, then
publishes on kiosk/<dev>/ack one signed ACK (kioskctl.ackauth) per (device,
log_id) for its highest contiguous committed seq, and only then PUBACKs the
batches to the broker. A collector that dies before its PUBACK gets the batches
again (its session is persistent), and the insert makes the second delivery a
no-op. Retained kiosk/<dev>/status (CBOR) gives device -> venue for reports.
A worker that dies takes the collector down with its exit code (a supervisor
restarts it); a collector that is killed takes its workers with it.
"""

import collections
import multiprocessing
import os
import signal
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
GROUP = 400  # batches stored in one transaction at most
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
    """Per-worker counters in shared memory: each worker writes its own row, the parent sums."""

    NAMES = ("batches", "commits", "new", "duplicates", "corrupt", "hostile", "acks", "db_errors")

    def __init__(self, shared, index):
        self.shared = shared
        self.base = index * len(self.NAMES)

    def add(self, **kw):
        for k, v in kw.items():
            self.shared[self.base + self.NAMES.index(k)] += v

    @classmethod
    def totals(cls, shared):
        n = len(cls.NAMES)
        return {name: sum(shared[i::n]) for i, name in enumerate(cls.NAMES)}

    @classmethod
    def line(cls, totals, note=""):
        """"collect: batches 3, commits 2, new 60, ..." (fleet tests parse it), then an optional (note)."""
        return "collect: %s%s" % (", ".join("%s %d" % (n.replace("_", " "), totals[n]) for n in cls.NAMES),
                                  " (%s)" % note if note else "")


# The highest contiguous stored seq from `lo` (a seq known stored, or the lowest stored), for
# every (device, log_id) of a group in one statement: the first stored seq >= lo whose
# successor is not stored. The primary key (device, log_id, seq) serves every lookup.
_CURSOR = ("WITH k(device, log_id, lo) AS (VALUES %s) SELECT k.device, k.log_id, "
           "(SELECT r.seq FROM records r WHERE r.device=k.device AND r.log_id=k.log_id AND r.seq >= "
           "COALESCE(k.lo, (SELECT MIN(m.seq) FROM records m WHERE m.device=k.device AND m.log_id=k.log_id)) "
           "AND NOT EXISTS (SELECT 1 FROM records n WHERE n.device=r.device AND n.log_id=r.log_id AND n.seq=r.seq+1) "
           "ORDER BY r.seq LIMIT 1) FROM k")
_KEY = "(CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT))"


class Cursors:
    """Highest contiguous committed seq per (device, log_id), as this worker last acknowledged it.
    Read after the COMMIT, so it covers what other workers committed before; whichever of two
    workers commits last sees both batches. A lower cursor than another worker's is harmless
    (ACKs are cumulative), but this worker never sends one lower than its own last."""

    def __init__(self):
        self.high = {}

    def advance(self, db, touched):
        """{(dev, log_id): seq to acknowledge} for `touched` ({(dev, log_id): highest seq just
        stored or resent}): where the cursor moved, and where it covers a batch that was sent again
        (a kiosk that resends has missed the ACK)."""
        keys = sorted(touched)
        out = {}
        for i in range(0, len(keys), 200):
            part = keys[i:i + 200]
            args = [v for dev, log_id in part for v in (dev, log_id, self.high.get((dev, log_id)))]
            for dev, log_id, end in db.execute(_CURSOR % ",".join([_KEY] * len(part)), args).fetchall():
                k = (dev, log_id)
                if end is not None and (end > self.high.get(k, -1) or end >= touched[k]):
                    self.high[k] = out[k] = max(end, self.high.get(k, -1))
        return out


def _die_with_parent():
    """Linux: the kernel kills this worker when the collector process dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere the store loop watches its parent


class Worker:
    """One worker process: a paho client (network thread) and the store loop (its main thread)."""

    def __init__(self, cfg, index, shared, stop):
        import paho.mqtt.client as mqtt

        self.cfg = cfg
        self.index = index
        self.counters = Counters(shared, index)
        self.cursors = Cursors()
        self.stop_event = stop
        self.parent = os.getppid()
        self.ack_key = None
        if cfg["ack_key_pem"]:
            from cryptography.hazmat.primitives import serialization

            self.ack_key = serialization.load_pem_private_key(cfg["ack_key_pem"], None)
        self.db = None
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="%s-%d" % (cfg["client_id"], index),
                                  clean_session=False, protocol=mqtt.MQTTv311, manual_ack=True)
        if cfg["user"]:
            self.client.username_pw_set(cfg["user"], cfg["password"])
        if cfg["tls"]:
            self.client.tls_set(ca_certs=cfg["cafile"])
        self.client.max_inflight_messages_set(cfg["inflight"])
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self.on_connect
        self.client.on_message = self.on_message
        self.client.on_subscribe = self.on_subscribe
        self.records_mid = None
        self.inbox = collections.deque()  # appended by the network thread, popped by the store loop
        self.arrived = threading.Event()
        self.unsubscribed = threading.Event()
        self.client.on_unsubscribe = lambda *a: self.unsubscribed.set()

    def say(self, text):
        print("collect: worker %d%s" % (self.index, text), file=sys.stderr, flush=True)

    def run(self):
        self.client.connect_async(self.cfg["host"], self.cfg["port"], keepalive=30)
        self.client.loop_start()
        try:
            self.loop()
        finally:
            # leave the shared subscription first: an offline persistent session still in it would
            # be handed its share of new batches until it came back
            if self.client.is_connected():
                self.client.unsubscribe(SHARE)
                self.unsubscribed.wait(5)
            self.client.disconnect()
            self.client.loop_stop()
            self._drop_db()

    def on_connect(self, client, userdata, flags, reason, props=None):
        if reason.is_failure:
            self.say(": broker refused: %s" % reason)
            return
        self.records_mid = client.subscribe(SHARE, qos=1)[1]
        if self.index == 0:
            client.subscribe(STATUS, qos=1)

    def on_subscribe(self, client, userdata, mid, reasons, props=None):
        if any(r.is_failure for r in reasons):
            self.say(": subscription refused: %s" % reasons)
        elif mid == self.records_mid:
            self.say(" subscribed")

    def on_message(self, client, userdata, msg):
        self.inbox.append(msg)  # the network thread only appends; the store loop does the rest
        self.arrived.set()

    def _db(self):
        if self.db is None:
            from kioskctl import db as dbm

            self.db = dbm.connect(self.cfg["db_url"])
        return self.db

    def _drop_db(self):
        if self.db is not None:
            try:
                self.db.close()
            except Exception:  # noqa: BLE001
                pass
            self.db = None

    def loop(self):
        """Group commit: take what has arrived (up to GROUP messages), store it in one transaction,
        COMMIT, then the ACKs, then the PUBACKs. What is still queued at stop is never PUBACKed."""
        while not self.stop_event.is_set():
            if not self.arrived.wait(0.2):
                if os.getppid() != self.parent:
                    os._exit(1)  # the collector is gone: so is this worker, acknowledging nothing
                continue
            self.arrived.clear()
            group = []
            while self.inbox and len(group) < GROUP:
                group.append(self.inbox.popleft())
            if self.inbox:
                self.arrived.set()
            if not group:
                continue
            try:
                self.store(group)
            except Exception as exc:  # noqa: BLE001 - a database outage must not kill the worker
                self.counters.add(db_errors=1)
                self.say(": %s: %s (%d batches stay unacknowledged)" % (
                    type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc) else "", len(group)))
                self._drop_db()
                time.sleep(1)
                continue
            for msg in group:
                self.client.ack(msg.mid, msg.qos)

    def status(self, db, msg):
        import cbor2

        dev = msg.topic.split("/")[1]
        if len(msg.payload) > MAX_STATUS or not msg.payload:
            return
        try:
            m = cbor2.loads(msg.payload)
        except Exception:  # noqa: BLE001 - hostile CBOR: ignored
            self.counters.add(hostile=1)
            return
        venue = m.get("venue") if isinstance(m, dict) else None
        if not isinstance(venue, str) or not 0 < len(venue) <= 64 or m.get("dev") != dev:
            self.counters.add(hostile=1)
            return
        st.set_venue(db, dev, venue, int(time.time()))

    def parse(self, msg, now):
        """(dev, log_id, rows, n_raw) of a records message, or None for a hostile one."""
        from kioskctl.link import decode_record

        try:
            dev, log_id, raws = parse_kup1(msg.payload)
            if dev != msg.topic.split("/")[1]:
                raise KupError("device %s published on %s" % (dev, msg.topic))
        except KupError:
            return None
        rows = []
        for raw in raws:
            r = decode_record(raw)
            if r is not None:
                rows.append(st.row(dev, log_id, r, raw, now))
        return dev, log_id, rows, len(raws)

    def store(self, group):
        db = self._db()
        rows, touched, batches, raw_n, hostile = [], {}, 0, 0, 0
        now = int(time.time())
        for msg in group:
            if msg.topic.endswith("/status"):
                self.status(db, msg)
                continue
            got = self.parse(msg, now)
            if got is None:
                hostile += 1
                continue
            dev, log_id, r, n = got
            rows += r
            raw_n += n
            batches += 1
            if r:
                touched[(dev, log_id)] = max(touched.get((dev, log_id), 0), max(row[2] for row in r))
        new = st.insert(db, rows)
        db.commit()
        if os.environ.get(_DIE_AFTER_COMMIT) and rows:
            os._exit(137)
        self.counters.add(batches=batches, commits=1, new=new, duplicates=len(rows) - new, corrupt=raw_n - len(rows),
                          hostile=hostile)
        if self.ack_key is None or not touched:
            return
        highs = self.cursors.advance(db, touched)
        db.commit()  # end the read transaction
        for (dev, log_id), high in sorted(highs.items()):
            self.client.publish("kiosk/%s/ack" % dev, ack_payload(self.ack_key, dev, log_id, high), qos=1)
        self.counters.add(acks=len(highs))


def _worker_main(cfg, index, shared, stop):
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the collector, which stops the workers
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    Worker(cfg, index, shared, stop).run()


class Progress:
    """The collector's counters on stderr: on a terminal one line rewritten in place (at most
    every `tty_every` s); otherwise a line when they changed, at most every `every` s; always a
    final line. Lines start "collect: batches" (kioskctl.collect.Counters.line)."""

    def __init__(self, stream=None, every=30.0, tty_every=0.5):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = tty_every if self.tty else every
        self.t0 = self.last = time.monotonic()
        self.shown = None

    def rate(self, totals):
        dt = time.monotonic() - self.t0
        return "%.0f s, %.0f new records/s" % (dt, totals["new"] / dt if dt > 0 else 0)

    def tick(self, totals):
        now = time.monotonic()
        if totals == self.shown or now - self.last < self.every:
            return
        self.last, self.shown = now, dict(totals)
        line = Counters.line(totals, self.rate(totals))
        self.stream.write("\r\033[K" + line if self.tty else line + "\n")
        self.stream.flush()

    def final(self, totals):
        line = Counters.line(totals, "stopped; " + self.rate(totals))
        self.stream.write(("\r\033[K" if self.tty else "") + line + "\n")
        self.stream.flush()


class Collector:
    def __init__(self, broker, db_url, ack_key=None, workers=2, user=None, password=None, cafile=None,
                 client_id="kioskctl-collect", inflight=100):
        host, port, tls = parse_broker(broker)
        if workers < 1 or workers > 64:
            raise UsageError("--workers takes 1..64")
        pem = None
        if ack_key is not None:
            from cryptography.hazmat.primitives import serialization

            pem = ack_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
        self.cfg = dict(host=host, port=port, tls=tls, db_url=db_url, ack_key_pem=pem, user=user, password=password,
                        cafile=cafile, client_id=client_id, inflight=inflight)
        with st.Store(db_url) as _s:  # the tables exist before any worker writes
            pass
        methods = multiprocessing.get_all_start_methods()
        self.mp = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.shared = self.mp.Array("q", workers * len(Counters.NAMES), lock=False)
        self.stop_workers = self.mp.Event()
        self.workers = [self.mp.Process(target=_worker_main, args=(self.cfg, i, self.shared, self.stop_workers),
                                        name="collect-%d" % i) for i in range(workers)]

    def run(self, stop, progress=None):
        """Until `stop` is set or a worker dies; 0, or the exit code of the worker that died."""
        progress = progress or Progress()
        for w in self.workers:
            w.start()
        code = 0
        try:
            while not stop.wait(0.2):
                dead = [w for w in self.workers if w.exitcode is not None]
                if dead:
                    code = dead[0].exitcode if dead[0].exitcode > 0 else 1
                    print("collect: %s exited with code %s: stopping" % (dead[0].name, dead[0].exitcode),
                          file=sys.stderr, flush=True)
                    break
                progress.tick(Counters.totals(self.shared))
        finally:
            self.stop_workers.set()
            for w in self.workers:
                w.join(30)
                if w.exitcode is None:
                    w.kill()
                    w.join()
            progress.final(Counters.totals(self.shared))
        return code
