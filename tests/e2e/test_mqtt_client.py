"""kiosk.link.mqtt on the unix port against the real Mosquitto (plain and TLS with a
TEST CA), a frozen Mosquitto, and a hostile broker sending bytes no broker should."""

import json
import os
import socket
import struct
import subprocess
import threading

import pytest

from kioskctl import mp
from support.broker import Broker

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE = os.path.join(HERE, "mp_mqtt_probe.py")


def probe(*args, stdin=None, timeout=60):
    p = mp.run(PROBE, [str(a) for a in args], input=stdin, timeout=timeout)
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


@pytest.mark.parametrize("tls", [False, True])
def test_packet_ids_wrap_past_65535(tmp_path, tls):
    with Broker(tmp_path / "b", tls=tls) as b:
        ca = None
        if tls:
            from support import fleetkit

            class F:
                broker = b
            ca = tmp_path / "ca.hex"
            ca.write_text(fleetkit.Fleet.ca_der(F).hex())
        out = probe("wrap", b.port, *([ca] if ca else []))
    pids = out["pids"]
    assert pids[:35] == list(range(65501, 65536))
    assert pids[35:] == [1, 2, 3, 4, 5]  # wrapped to 1, never 0
    assert out["got"] == ["m%d" % i for i in range(40)] + ["last"]
    assert out["up"]


def test_packet_ids_skip_those_in_flight(tmp_path):
    with Broker(tmp_path / "b") as b:
        assert probe("skip", b.port)["next"] == [2, 4]


def test_tls_refuses_a_broker_the_ca_did_not_sign(tmp_path):
    with Broker(tmp_path / "b", tls=True) as b, Broker(tmp_path / "other", tls=True) as other:
        from support import fleetkit

        class F:
            broker = other
        ca = tmp_path / "ca.hex"
        ca.write_text(fleetkit.Fleet.ca_der(F).hex())
        out = probe("wrap", b.port, ca)
    assert out["connect"].startswith("MQTTError('tls'")  # a clean refusal, no traceback


def test_frozen_broker_fails_publish_by_its_deadline(tmp_path):
    with Broker(tmp_path / "b") as b:
        p = mp.popen(PROBE, ["frozen", b.port], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "CONNECTED"
        b.freeze()
        try:
            out, _ = p.communicate("go\n", timeout=60)
        finally:
            b.thaw()
    res = json.loads(out.strip().splitlines()[-1])
    assert res["up"] is False and res["error"] in ("timeout", "closed")  # returned, and the link is down


CONNACK = b"\x20\x02\x00\x00"
HOSTILE = {
    "length_5_bytes": b"\x30\xff\xff\xff\xff\x7f",
    "oversized": b"\x30\xff\xff\x03" + b"x" * 64,  # 65,535 bytes announced
    "unknown_type": b"\xf0\x00",
    "topic_past_end": b"\x30\x04\x00\x10ab",
    "qos3": b"\x36\x05\x00\x01a\x00\x01",
    "bad_puback": b"\x40\x03\x00\x01\x00",
    "bad_suback": b"\x90\x01\x00",
    "pingresp_body": b"\xd0\x01\x00",
    "second_connack": CONNACK,
    "eof_mid_packet": b"\x30\x10\x00",
}


def _hostile_server(data, ready):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    ready.append(srv.getsockname()[1])

    def serve():
        conn, _ = srv.accept()
        conn.recv(1024)  # CONNECT
        conn.sendall(CONNACK + data)
        if data.endswith(b"\x00") and len(data) == 3:
            conn.shutdown(socket.SHUT_WR)
        try:
            while conn.recv(1024):
                pass
        except OSError:
            pass
        conn.close()
        srv.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_broker_bytes_close_the_link_cleanly(name):
    ready = []
    t = _hostile_server(HOSTILE[name], ready)
    out = probe("hostile", ready[0])
    t.join(5)
    assert out["up"] is False
    assert out["error"] in ("protocol", "closed")
