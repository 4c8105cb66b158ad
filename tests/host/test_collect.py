"""kioskctl collect end to end: a CPython (paho) kiosk publishes KUP1 batches to a real Mosquitto
with per-kiosk users and the fleet ACL; the real `kioskctl collect` stores them into real SQLite
and PostgreSQL, commits, then sends the signed ACK."""

import os
import queue
import signal
import struct
import subprocess
import sys
import threading
import time

import cbor2
import paho.mqtt.client as mqtt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from kioskctl import db as dbm
from kioskctl.collect import kup1, parse_kup1, KupError
from kioskctl.fw import ack_message, records
from support.broker import Broker
from support.postgres import Postgres

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = bytes(range(32))
USERS = {"collector": "cpw", "operator": "opw", "K-1": "k1pw", "K-2": "k2pw"}


def acl():
    """The fleet ACL of docs/fleet.md, for kiosks K-1 and K-2 of venue V-1."""
    out = ["user collector", "topic read $share/collectors/kiosk/+/records", "topic read kiosk/+/records",
           "topic read kiosk/+/status", "topic write kiosk/+/ack", "",
           "user operator", "topic readwrite fleet/trust/#", "topic write kiosk/+/ack", "topic read kiosk/+/status", ""]
    for dev in ("K-1", "K-2"):
        out += ["user " + dev, "topic write kiosk/%s/records" % dev, "topic write kiosk/%s/status" % dev,
                "topic read kiosk/%s/ack" % dev, "topic read fleet/trust/#", "topic readwrite venue/V-1/used", ""]
    return "\n".join(out) + "\n"


def record(seq, t=1790000000, holder="holder-%d", verdict="GREEN", reason="ok"):
    colour = {"GREEN": "green", "YELLOW": "yellow", "RED": "red"}[verdict]
    ps = records.pseudonym(SECRET, (holder % seq) if "%" in holder else holder)
    return records.encode(records.Record(seq=seq, time=t + seq, verdict=verdict, colour=colour, reason=reason,
                                         key_index=0, pseudonym=ps, admit=verdict != "RED", kind="native"))


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    with Broker(tmp_path_factory.mktemp("mq"), users=USERS, acl_text=acl()) as b:
        yield b


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    with Postgres(tmp_path_factory.mktemp("pg")) as p:
        yield p


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path / "scans.sqlite")
    return request.getfixturevalue("pg").new_database("t")


@pytest.fixture(scope="module")
def collector_key(tmp_path_factory):
    key = ec.generate_private_key(ec.SECP256R1())
    path = str(tmp_path_factory.mktemp("keys") / "collector.key.pem")
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return path, key.public_key()


class Kiosk:
    """A CPython kiosk: publishes its records and status, collects the ACKs it is sent."""

    def __init__(self, broker, dev, venue="V-1", log_id=0x1234ABCD):
        self.dev, self.log_id, self.acks = dev, log_id, queue.Queue()
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="kiosk-" + dev)
        self.c.username_pw_set(dev, USERS[dev])
        self.c.on_message = lambda c, u, m: self.acks.put(m.payload)
        self.c.connect(broker.host, broker.port)
        self.c.loop_start()
        self.c.subscribe("kiosk/%s/ack" % dev, qos=1)
        st = {"dev": dev, "venue": venue, "log_id": log_id, "unacked": 0, "bundle_seq": 1, "fw": "test"}
        self.c.publish("kiosk/%s/status" % dev, cbor2.dumps(st), qos=1, retain=True).wait_for_publish(5)

    def send(self, seqs, payload=None, topic=None):
        payload = payload if payload is not None else kup1(self.dev, self.log_id, [record(s) for s in seqs])
        self.c.publish(topic or "kiosk/%s/records" % self.dev, payload, qos=1).wait_for_publish(5)

    def ack(self, timeout=20):
        return self.acks.get(timeout=timeout)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def start_collect(broker, db_url, key_path, env_extra=None, workers=2, client_id=None):
    """`kioskctl collect` as a process, returned once every worker is subscribed."""
    env = dict(os.environ, **(env_extra or {}))
    client_id = client_id or "c-%s" % os.path.basename(os.path.dirname(db_url.replace("sqlite:///", "")) or db_url)
    cmd = [sys.executable, "-m", "kioskctl", "collect", "--broker", broker.url, "--user", "collector",
           "--password", USERS["collector"], "--db", db_url, "--ack-key", key_path, "--workers", str(workers),
           "--client-id", client_id]
    p = subprocess.Popen(cmd, env=env, cwd=REPO, stderr=subprocess.PIPE, text=True)
    stuck = threading.Timer(60, p.kill)  # a worker that never subscribes fails the test, not hangs it
    stuck.start()
    ready = 0
    try:
        while ready < workers:
            line = p.stderr.readline()
            assert line, "collect exited (or was killed after 60 s not subscribed): %s" % p.wait(5)
            ready += " subscribed" in line
    finally:
        stuck.cancel()
    return p


def stop_collect(p):
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=20)
    assert p.returncode == 0, err
    return err


def rows(db_url, dev="K-1"):
    with dbm.connect(db_url) as d:
        return d.execute("SELECT seq FROM records WHERE device=? ORDER BY seq", (dev,)).fetchall()


def verify_ack(payload, pub, dev):
    assert len(payload) == 72
    log_id, seq = struct.unpack(">II", payload[:8])
    sig = encode_dss_signature(int.from_bytes(payload[8:40], "big"), int.from_bytes(payload[40:], "big"))
    pub.verify(sig, ack_message.message(dev, log_id, seq), ec.ECDSA(hashes.SHA256()))  # raises if forged
    return log_id, seq


def wait_for(pred, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_ingest_ack_idempotent_and_venue(broker, db_url, collector_key):
    key_path, pub = collector_key
    p = start_collect(broker, db_url, key_path)
    k = Kiosk(broker, "K-1")
    try:
        k.send(range(1, 31))
        log_id, seq = verify_ack(k.ack(), pub, "K-1")
        assert (log_id, seq) == (k.log_id, 30)
        k.send(range(31, 41))
        assert verify_ack(k.ack(), pub, "K-1")[1] == 40
        k.send(range(31, 41))  # the same batch again (a kiosk that missed the ACK): acknowledged again
        assert verify_ack(k.ack(), pub, "K-1")[1] == 40
        k.send(range(41, 43))
        assert verify_ack(k.ack(), pub, "K-1")[1] == 42
        assert [s for (s,) in rows(db_url)] == list(range(1, 43))
        with dbm.connect(db_url) as d:
            assert d.execute("SELECT venue FROM devices WHERE device='K-1'").fetchall() == [("V-1",)]
    finally:
        k.close()
        err = stop_collect(p)
    assert "new 42" in err and "duplicates 10" in err


def test_killed_between_commit_and_ack_redelivers_without_duplicate(broker, db_url, collector_key):
    key_path, pub = collector_key
    k = Kiosk(broker, "K-2")
    try:
        cid = "c-kill-%d" % os.getpid() + db_url[-6:]
        p = start_collect(broker, db_url, key_path, {"KIOSKCTL_COLLECT_DIE_AFTER_COMMIT": "1"}, 1, cid)
        k.send(range(1, 11))
        p.wait(20)
        assert p.returncode == 137  # died after COMMIT, before the ACK and the PUBACK
        assert len(rows(db_url, "K-2")) == 10
        assert k.acks.empty()
        p = start_collect(broker, db_url, key_path, workers=1, client_id=cid)  # same client id: the broker redelivers
        assert verify_ack(k.ack(), pub, "K-2")[1] == 10
        assert [s for (s,) in rows(db_url, "K-2")] == list(range(1, 11))
    finally:
        k.close()
    err = stop_collect(p)
    assert "duplicates 10" in err and "new 0" in err


HOSTILE = [
    b"",
    b"KUP1",
    b"XXXX" + bytes(100),
    b"KUP1\x03K-1" + struct.pack(">IB", 1, 31) + bytes(31 * 32),      # n > 30
    b"KUP1\x03K-1" + struct.pack(">IB", 1, 2) + bytes(33),           # length mismatch
    b"KUP1\xffK-1" + bytes(10),                                       # device length beyond the payload
    b"KUP1\x03K/1" + struct.pack(">IB", 1, 1) + bytes(32),           # bad device id
    b"KUP1\x03K-2" + struct.pack(">IB", 1, 1) + record(1),          # another kiosk's id on K-1's topic
    b"KUP1\x03K-1" + bytes(2000),                                     # oversize
]


def test_hostile_payloads_counted_and_dropped(broker, db_url, collector_key):
    key_path, pub = collector_key
    p = start_collect(broker, db_url, key_path)
    k = Kiosk(broker, "K-1", log_id=7)
    try:
        for h in HOSTILE:
            k.send(None, payload=h)
        bad = bytearray(record(2))
        bad[5] ^= 0xFF  # CRC mismatch: a corrupt record inside a well-formed batch
        k.send(None, payload=kup1("K-1", 7, [record(1), bytes(bad)]))
        assert verify_ack(k.ack(), pub, "K-1")[1] == 1
        k.send(None, payload=kup1("K-1", 7, [record(2)]))
        assert verify_ack(k.ack(), pub, "K-1")[1] == 2
        # ACL: a kiosk cannot publish records as another kiosk, nor acknowledge
        k.send(None, payload=kup1("K-2", 7, [record(5)]), topic="kiosk/K-2/records")
        k.c.publish("kiosk/K-1/ack", bytes(72), qos=1).wait_for_publish(5)
        k.send(None, payload=kup1("K-1", 7, [record(3)]))
        assert verify_ack(k.ack(), pub, "K-1")[1] == 3  # the forged ACK above never reached K-1
        assert rows(db_url, "K-2") == []
    finally:
        k.close()
        err = stop_collect(p)
    assert "hostile %d" % len(HOSTILE) in err and "corrupt 1" in err


def test_parse_kup1_bounds():
    dev, log_id, raws = parse_kup1(kup1("K-9", 5, [record(1), record(2)]))
    assert (dev, log_id, len(raws)) == ("K-9", 5, 2)
    for h in HOSTILE[:7]:
        with pytest.raises(KupError):
            parse_kup1(h)


def test_insert_copy_path_stores_each_record_once(db_url):
    """store.insert takes large inserts by COPY on PostgreSQL (plain statements on SQLite): a
    resent or overlapping batch, in the same transaction or a later one, is stored once."""
    from kioskctl import store as st
    from kioskctl.link import decode_record

    def rows_for(seqs):
        return [st.row("K-9", 5, decode_record(record(s)), record(s), 1) for s in seqs]

    n = st.COPY_MIN + 10
    with st.Store(db_url) as s:
        assert st.insert(s.db, rows_for(range(1, n + 1))) == n
        assert st.insert(s.db, rows_for(range(1, n + 1))) == 0          # same transaction, again
        s.commit()
        m = n + st.COPY_MIN
        assert st.insert(s.db, rows_for(range(n // 2, m + 1))) == st.COPY_MIN  # overlapping
        assert st.insert(s.db, rows_for(range(m + 1, m + 4)) * 2) == 3       # duplicates inside one (small) insert
        assert st.insert(s.db, rows_for(range(m + 4, m + 4 + st.COPY_MIN)) * 2) == st.COPY_MIN  # one COPY
        s.commit()
        assert st.insert(s.db, rows_for(range(1, m + 4 + st.COPY_MIN))) == 0
        s.commit()
        got = s.db.execute("SELECT seq, raw FROM records WHERE device='K-9' ORDER BY seq").fetchall()
    assert [q for q, _ in got] == list(range(1, n + 2 * st.COPY_MIN + 4))
    assert all(bytes(raw) == record(q) for q, raw in got)


def test_two_workers_share_one_kiosk_and_acknowledge_all(broker, db_url, collector_key):
    """20 batches at once from one kiosk, spread by the broker over two worker processes: every
    record stored once, every ACK at a batch boundary, and the last ACK covers all of them."""
    key_path, pub = collector_key
    p = start_collect(broker, db_url, key_path, workers=2)
    k = Kiosk(broker, "K-1", log_id=99)
    try:
        for b in range(20):
            k.c.publish("kiosk/K-1/records", kup1("K-1", 99, [record(s) for s in range(b * 30 + 1, b * 30 + 31)]),
                        qos=1)
        seen = []
        while 600 not in seen:
            seen.append(verify_ack(k.ack(), pub, "K-1")[1])
        assert all(s % 30 == 0 for s in seen)
        assert [s for (s,) in rows(db_url)] == list(range(1, 601))
    finally:
        k.close()
        err = stop_collect(p)
    assert "new 600" in err and "duplicates 0" in err and "(stopped" in err


def _children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(c) for c in f.read().split()]


def _running(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return "\nState:\tZ" not in f.read()
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc")
def test_killed_collector_takes_its_workers_with_it(broker, tmp_path, collector_key):
    p = start_collect(broker, "sqlite:///" + str(tmp_path / "scans.sqlite"), collector_key[0], workers=2,
                      client_id="c-orphans-%d" % os.getpid())
    workers = _children(p.pid)
    assert len(workers) == 2 and all(_running(w) for w in workers)
    p.kill()
    p.wait(10)
    assert wait_for(lambda: not any(_running(w) for w in workers))


def test_progress_quiet_off_a_terminal_and_in_place_on_one():
    import io

    from kioskctl.collect import Counters, Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    zero = dict.fromkeys(Counters.NAMES, 0)
    some = dict(zero, batches=3, new=90)
    log = io.StringIO()
    pr = Progress(log, every=0)
    pr.tick(zero)
    pr.tick(zero)       # unchanged: nothing
    pr.tick(some)
    pr.final(some)
    lines = log.getvalue().splitlines()
    assert len(lines) == 3 and lines[1].startswith("collect: batches 3, commits 0, new 90,")
    assert "(stopped; " in lines[2]
    late = io.StringIO()
    pr = Progress(late, every=3600)
    pr.tick(some)       # changed, but less than `every` after the start: nothing until the final line
    pr.final(some)
    assert late.getvalue().count("\n") == 1
    tty = Tty()
    pr = Progress(tty, tty_every=0)
    pr.tick(some)
    pr.final(some)
    assert tty.getvalue().startswith("\r\033[Kcollect: batches 3") and tty.getvalue().count("\n") == 1
