"""Host side of the serial protocol: frames and records agree byte for byte
with the firmware (run on the MicroPython unix port), the host store is
idempotent and exports, and the pty bridge paces and corrupts as told."""

import json
import os
import random
import sqlite3
import subprocess
import time

import pytest

from kioskctl import cmd_pull, link, paths
from kioskctl.ptybridge import PtyBridge

FW_SCRIPT = r"""
import sys, binascii, json
from kiosk.link.frame import encode
from kiosk.records import Record, encode as renc
for line in sys.stdin:
    d = json.loads(line)
    if "payload" in d:
        print(binascii.hexlify(encode(binascii.unhexlify(d["payload"]))).decode())
    elif "holder" in d:
        from kiosk.records import pseudonym
        print(binascii.hexlify(pseudonym(binascii.unhexlify(d["secret"]), d["holder"])).decode())
    else:
        r = Record(d["seq"], d["time"], d["verdict"], d["colour"], d["reason"], d["key_index"],
                   binascii.unhexlify(d["pseudonym"]), d["admit"], d["kind"])
        print(binascii.hexlify(renc(r)).decode())
"""


def firmware(lines):
    env = dict(os.environ, MICROPYPATH=paths.sim_path())
    proc = subprocess.run([paths.micropython(), "-c", FW_SCRIPT], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [bytes.fromhex(x) for x in proc.stdout.split()]


def test_frames_match_the_firmware():
    rnd = random.Random(4)
    payloads = [b"", b"\x00", b"\x00" * 300, bytes(range(256)) * 3, bytes(254), b"\x01" * 254, b"\x01" * 508]
    payloads += [bytes(rnd.choice((0, rnd.randrange(256))) for _ in range(rnd.randrange(600))) for _ in range(40)]
    fw = firmware([json.dumps({"payload": p.hex()}) for p in payloads])
    assert fw == [link.frame(p) for p in payloads]
    d = link.Deframer()
    stream = b"".join(b"garbage\x00" + f for f in fw)
    got = []
    for i in range(0, len(stream), 13):
        got += d.feed(stream[i : i + 13])
    assert got == payloads[1:] and d.bad >= 2  # an empty payload is no message


def test_records_decode_like_the_firmware_wrote_them():
    recs = [{"seq": 1, "time": 1790000000, "verdict": "GREEN", "colour": "green", "reason": "ok",
             "key_index": 3, "pseudonym": "ab" * 12, "admit": True, "kind": "native"},
            {"seq": 2 ** 32 - 1, "time": 0, "verdict": "RED", "colour": None, "reason": "clock_unset",
             "key_index": -1, "pseudonym": "00" * 12, "admit": False, "kind": None}]
    raws = firmware([json.dumps(r) for r in recs])
    assert [link.decode_record(raw) for raw in raws] == recs
    bad = bytearray(raws[0])
    bad[9] ^= 4
    assert link.decode_record(bytes(bad)) is None


def test_host_vocabulary_is_the_firmwares():
    """Reasons, record layout, protocol numbers and the pseudonym are the firmware's own
    definitions (kioskctl.fw), and the host's pseudonym equals the one the kiosk stores."""
    import hashlib
    import hmac

    from kioskctl import cmd_report, fw, provision

    assert link.REASONS is fw.records.REASONS and link.RECORD_SIZE == fw.records.SIZE
    assert (link.READ, link.ACK, provision.PROV) == (fw.proto.CMD_READ, fw.proto.CMD_ACK, fw.prov.CMD_PROV)
    assert set(provision.OPS) == set(fw.prov_handlers._COMMANDS)
    cases = [("0f" * 16, "H-0001"), ("a5" * 32, "张三-440101"), ("01" * 20, "x" * 200)]
    on_device = firmware([json.dumps({"secret": k, "holder": h}) for k, h in cases])
    for (k, h), dev in zip(cases, on_device):
        want = hmac.new(bytes.fromhex(k), h.encode(), hashlib.sha256).digest()[:12]
        assert dev == want and cmd_report.pseudonym(bytes.fromhex(k), h) == want.hex()


def test_store_is_idempotent_reports_gaps_and_exports(tmp_path):
    raws = firmware([json.dumps({"seq": s, "time": 100 + s, "verdict": "GREEN", "colour": "green", "reason": "ok",
                                 "key_index": 0, "pseudonym": "01" * 12, "admit": True, "kind": "dcc"})
                     for s in (1, 2, 3, 7, 8, 10)])
    recs = [(link.decode_record(r)["seq"], r) for r in raws]
    st = cmd_pull.Store(str(tmp_path / "s.sqlite"))
    st.log_id, st.device = 42, "k1"
    st.add(recs[:4])
    st.add(recs)  # a resend after a lost ack: no duplicates
    st.commit()
    assert st.new == [1, 2, 3, 7, 8, 10] and st.duplicates == 4
    assert st.gaps() == [(4, 6), (9, 9)]
    for fmt in ("csv", "jsonl", "sqlite"):
        out = str(tmp_path / ("x." + fmt))
        assert cmd_pull.export(st, st.rows([7, 8]), fmt, out) == 2
    assert open(tmp_path / "x.csv").read().splitlines()[1].startswith("k1,0000002a,7,1970-01-01T00:01:47Z,107,GREEN,green,ok,0,")
    assert json.loads(open(tmp_path / "x.jsonl").readline())["log_id"] == "0000002a"
    assert [json.loads(x)["seq"] for x in open(tmp_path / "x.jsonl")] == [7, 8]
    db = sqlite3.connect(str(tmp_path / "x.sqlite"))
    assert db.execute("SELECT seq, kind FROM records ORDER BY seq").fetchall() == [(7, "dcc"), (8, "dcc")]
    st.close()
    st = cmd_pull.Store(str(tmp_path / "s.sqlite"))  # durable across processes
    st.log_id = 42
    assert len(list(st.rows())) == 6


def _pump(bridge, data):
    import serial

    with serial.Serial(bridge.host_path, timeout=0.05) as host:
        fd = os.open(bridge.device_path, os.O_RDWR | os.O_NOCTTY)
        try:
            t0 = time.monotonic()
            os.write(fd, data)
            got = b""
            last = t0
            while len(got) < len(data) and time.monotonic() - last < 0.5:
                chunk = host.read(4096)
                if chunk:
                    got += chunk
                    last = time.monotonic()
            return got, last - t0
        finally:
            os.close(fd)


def test_bridge_paces_to_the_baud_rate():
    """The pacing on virtual time (no wall-clock bound): 3072 bytes at 11520 B/s
    need 0.267 s of line time, delivered in slices of the elapsed time."""
    data = bytes(range(256)) * 12
    b = PtyBridge(baud=115200)  # not started: the test drives the relay step by step
    try:
        b.host.out += data
        sent_at = []
        for step in range(1, 40):
            b._pump_out(b.host, "to_host", 0.01)  # 10 ms of line time per step
            sent_at.append(b.sent["to_host"])
            assert b.sent["to_host"] <= 115.2 * step + 1  # never faster than the line
        assert sent_at[25] < len(data) <= sent_at[27]  # all of it after 0.27 s, not before 0.26 s
        got = b""
        while len(got) < len(data):
            got += os.read(b.host.slave, 8192)
        assert got == data
    finally:
        b.stop()
    with PtyBridge(baud=115200) as b:  # and through the running relay, every byte in order
        got, _ = _pump(b, data)
    assert got == data


def test_bridge_drops_and_flips_bytes():
    with PtyBridge(drop=0.01, flip=0.01, seed=3) as b:
        data = bytes(range(256)) * 40
        got, _ = _pump(b, data)
        time.sleep(0.2)
    assert b.dropped > 30 and b.flipped > 30
    assert len(data) - b.dropped - 50 <= len(got) <= len(data) - b.dropped


def test_no_kiosk_port_is_a_clear_error(monkeypatch):
    from serial.tools import list_ports

    monkeypatch.setattr(list_ports, "comports", lambda: [])
    with pytest.raises(cmd_pull.DeviceError, match="--port"):
        cmd_pull.find_port()


def test_port_discovery_by_usb_id_and_description(monkeypatch):
    from serial.tools import list_ports
    from serial.tools.list_ports_common import ListPortInfo

    def port(dev, vid=None, pid=None, desc="n/a"):
        p = ListPortInfo(dev, skip_link_detection=True)
        p.vid, p.pid, p.description = vid, pid, desc
        return p

    other = port("/dev/ttyUSB0", 0x0403, 0x6001, "FT232R USB UART")
    esp = port("/dev/ttyACM0", 0x303A, 0x1001, "USB JTAG/serial debug unit")
    mp = port("/dev/ttyACM1", 0xF055, 0x9800, "Board in FS mode")
    monkeypatch.setattr(list_ports, "comports", lambda: [other, esp])
    assert cmd_pull.find_port() == "/dev/ttyACM0"
    monkeypatch.setattr(list_ports, "comports", lambda: [other, port("/dev/ttyS9", desc="Health kiosk")])
    assert cmd_pull.find_port() == "/dev/ttyS9"
    monkeypatch.setattr(list_ports, "comports", lambda: [esp, mp, other])
    with pytest.raises(cmd_pull.UsageError, match="ttyACM0, /dev/ttyACM1"):
        cmd_pull.find_port()


def test_reason_13_is_already_used_on_the_host():
    """The host decodes the firmware's reason table (kioskctl.fw): 13 = already_used."""
    from kioskctl import link
    from kioskctl.fw import records

    assert records.REASONS[12:14] == ("other", "already_used")
    assert link.REASONS is records.REASONS
    rec = records.Record(7, 1790000000, "GREEN", "green", "already_used", 0, b"p" * 12, False, "native")
    raw = bytearray(32)
    records.encode_into(rec, raw)
    assert raw[12] == 13  # the reason byte (docs/record-format.md)
    assert records.decode(bytes(raw)).reason == "already_used"
    odd = records.Record(8, 1790000000, "RED", None, "no_such_reason", -1, b"p" * 12)
    records.encode_into(odd, raw)
    assert records.decode(bytes(raw)).reason == "other"  # unknown reasons stay "other"


def test_report_counts_already_used_refusals(tmp_path, capsys):
    """Raw records as pulled (link.decode_record -> Store) -> kioskctl report."""
    from kioskctl import cli
    from kioskctl.fw import records
    from kioskctl.store import Store

    store = Store(str(tmp_path / "r.sqlite"))
    store.device, store.log_id = "K-1", 5
    raws = []
    for seq, reason, admit in ((1, "ok", True), (2, "already_used", False), (3, "already_used", False)):
        raw = bytearray(32)
        records.encode_into(records.Record(seq, 1790000000 + seq, "GREEN", "green", reason, 0, b"p" * 12, admit), raw)
        raws.append((seq, bytes(raw)))
    store.add(raws)
    store.commit()
    store.close()
    assert cli.main(["report", "--store", str(tmp_path / "r.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "already_used 2" in out, out


class _OneBehindPort:
    """A serial port whose kiosk is slower than the host's timeout: it answers
    each copy of a request only when the next copy arrives (the lowest level,
    bytes in and out; no time involved)."""

    def __init__(self):
        self.deframer = link.Deframer()
        self.pending = None
        self.out = bytearray()

    def write(self, wire):
        for p in self.deframer.feed(wire):
            if self.pending is not None:
                ver, cmd, seq = self.pending
                self.out += link.frame(bytes((ver, cmd | 0x80)) + seq.to_bytes(2, "little") + b"\x00late")
            self.pending = (p[0], p[1], int.from_bytes(p[2:4], "little"))

    @property
    def in_waiting(self):
        return len(self.out)

    def read(self, n):
        data, self.out = bytes(self.out[:n]), self.out[n:]
        return data


def test_a_late_answer_to_an_earlier_copy_of_a_request_counts():
    port = _OneBehindPort()
    lk = link.Link(port, timeout=0.01, retries=4)
    assert lk.request(7, b"x") == b"late"  # only ever answered one copy behind
    lk2 = link.Link(_OneBehindPort(), timeout=0.01, retries=1)
    with pytest.raises(link.LinkError):
        lk2.request(7, b"x")  # no second copy, so no answer at all
