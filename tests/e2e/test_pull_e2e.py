"""kioskctl pull against the firmware over a real pty: a MicroPython kiosk
(tests/e2e/mp_kiosk_serve.py: the real log on a file-backed littlefs image and
the real protocol server) scans; pull gets every record exactly once, a second
pull gets nothing new, and a flaky, unplugged cable loses and duplicates nothing."""

import csv
import hashlib
import hmac
import json
import os
import subprocess
import threading

import pytest

from kioskctl import cli, mp
from kioskctl.ptybridge import PtyBridge

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = b"venue-secret-TEST"


class Kiosk:
    def __init__(self, tmp_path, scans, rate=0, **bridge):
        self.bridge = PtyBridge(**bridge).start()
        self.image = str(tmp_path / "flash.img")
        self.admin_key = admin_key(tmp_path)
        self.proc = mp.popen(os.path.join(HERE, "mp_kiosk_serve.py"),
                             [self.image, 64, self.bridge.device_path, scans, rate, admin_pub_hex(self.admin_key)],
                             heapsize="2M", stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().startswith("READY")

    def wait_scanned(self):
        line = self.proc.stdout.readline().split()
        assert line[0] == "SCANNED", line
        return int(line[2])

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.bridge.stop()


def admin_key(tmp_path):
    """A fresh admin key as a PEM file (the key that may acknowledge)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "admin.key.pem"
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(path)


def admin_pub_hex(path):
    from kioskctl import bundle

    return bundle.load_public_point(path).hex()


@pytest.fixture
def kiosk_factory(tmp_path):
    made = []

    def make(*a, **kw):
        k = Kiosk(tmp_path, *a, **kw)
        made.append(k)
        return k

    yield make
    for k in made:
        k.close()


def pull(kiosk, store, out, fmt="jsonl", *extra):
    return cli.main(["pull", "--port", kiosk.bridge.host_path, "--store", str(store),
                     "--format", fmt, "-o", str(out), "--quiet", "--ack-key", kiosk.admin_key] + list(extra))


def expected_pseudonym(seq):
    holder = b"holder-%d" % ((seq - 1) % 97)
    return hmac.new(SECRET, holder, hashlib.sha256).digest()[:12].hex()


def test_pull_gets_every_record_once_then_nothing(kiosk_factory, tmp_path, capsys):
    k = kiosk_factory(300)
    assert k.wait_scanned() == 300
    store = tmp_path / "host.sqlite"
    assert pull(k, store, tmp_path / "a.jsonl") == 0
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert [r["seq"] for r in rows] == list(range(1, 301))
    for r in rows[:10] + rows[-10:]:
        i = r["seq"] - 1
        assert r["verdict"] == ("GREEN", "YELLOW", "RED")[i % 3]
        assert r["time"] == 1790000000 + i and r["key_index"] == i % 4
        assert r["pseudonym"] == expected_pseudonym(r["seq"])
        assert r["admit"] == (i % 3 == 0)
    assert "pulled 300 new records" in capsys.readouterr().err

    assert pull(k, store, tmp_path / "b.csv", "csv") == 0
    assert list(csv.reader(open(tmp_path / "b.csv"))) == [
        ["device", "log_id", "seq", "time", "unix_time", "verdict", "colour", "reason", "key_index", "pseudonym",
         "admit", "kind"]]
    assert "pulled 0 new records" in capsys.readouterr().err

    # everything acknowledged: the kiosk reports nothing left to pull
    import serial

    from kioskctl.link import Link

    with serial.Serial(k.bridge.host_path, timeout=0.05) as port:
        st = Link(port).stats()
    assert (st["unacked"], st["ack_seq"], st["durable_seq"]) == (0, 300, 300)

    assert pull(k, store, tmp_path / "all.sqlite", "sqlite", "--all") == 0
    import sqlite3

    db = sqlite3.connect(str(tmp_path / "all.sqlite"))
    assert db.execute("SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM records").fetchone() == (300, 300, 1, 300)


def test_flaky_cable_and_unplug_mid_pull(kiosk_factory, tmp_path, capsys):
    # 115200 baud with dropped and flipped bytes; the cable is pulled mid-transfer
    k = kiosk_factory(900, rate=0, baud=115200, drop=0.0001, flip=0.0001, seed=7)
    k.wait_scanned()
    store = tmp_path / "host.sqlite"
    stop = threading.Event()

    def unplug_a_third_of_the_way():
        while not stop.is_set():
            if k.bridge.sent["to_host"] >= 900 * 32 // 3:
                k.bridge.disconnect(0.4)
                return
            stop.wait(0.005)

    watcher = threading.Thread(target=unplug_a_third_of_the_way, daemon=True)
    watcher.start()
    try:
        assert pull(k, store, tmp_path / "a.jsonl") == 0
    finally:
        stop.set()
    err = capsys.readouterr().err
    assert "reconnected" in err, err
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert sorted(r["seq"] for r in rows) == list(range(1, 901))
    assert all(r["pseudonym"] == expected_pseudonym(r["seq"]) for r in rows)
    assert k.bridge.dropped + k.bridge.flipped > 0
    assert pull(k, store, tmp_path / "b.jsonl") == 0
    assert (tmp_path / "b.jsonl").read_text() == ""


def test_records_scanned_during_a_pull_come_in_the_next_pull(kiosk_factory, tmp_path):
    k = kiosk_factory(60, rate=40)
    store = tmp_path / "host.sqlite"
    seen = []
    for i in range(40):
        assert pull(k, store, tmp_path / ("p%d.jsonl" % i)) == 0
        seen += [json.loads(x)["seq"] for x in (tmp_path / ("p%d.jsonl" % i)).read_text().splitlines()]
        if len(seen) >= 60:
            break
        threading.Event().wait(0.1)
    assert sorted(seen) == list(range(1, 61))  # each exactly once across pulls
