"""The test broker fixture itself: a real Mosquitto with users, ACL, TLS, restart and freeze."""

import socket
import ssl
import threading

import paho.mqtt.client as mqtt
import pytest

from support.broker import Broker

ACL = """user alice
topic write a/#
topic read a/#
"""


def client(b, user=None, password=None):
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="t-%s" % (user or "anon"))
    if user:
        c.username_pw_set(user, password)
    if b.tls:
        c.tls_set(ca_certs=b.ca_file)
    got, connected = [], threading.Event()
    c.on_connect = lambda cl, ud, fl, rc, props: (got.append(("rc", rc.value)), connected.set())
    c.on_message = lambda cl, ud, msg: got.append((msg.topic, msg.payload))
    c.connect(b.host, b.port, keepalive=10)
    c.loop_start()
    assert connected.wait(10)
    return c, got


def wait_for(pred, n=200):
    import time

    for _ in range(n):
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_users_acl_and_retained_survive_restart(tmp_path):
    with Broker(tmp_path, users={"alice": "pw-a", "bob": "pw-b"}, acl_text=ACL) as b:
        c, got = client(b, "alice", "pw-a")
        assert got[0] == ("rc", 0)
        c.subscribe("a/#", qos=1)
        c.publish("a/x", b"retained", qos=1, retain=True).wait_for_publish(5)
        assert wait_for(lambda: ("a/x", b"retained") in got)
        c.loop_stop()
        c.disconnect()
        bad, badgot = client(b, "alice", "wrong")
        assert badgot[0][1] != 0  # refused: bad password
        bad.loop_stop()
        bob, bobgot = client(b, "bob", "pw-b")
        bob.subscribe("a/#", qos=1)
        wait_for(lambda: False, 10)
        assert ("a/x", b"retained") not in bobgot  # the ACL gives bob nothing
        bob.loop_stop()
        b.restart()
        c2, got2 = client(b, "alice", "pw-a")
        c2.subscribe("a/#", qos=1)
        assert wait_for(lambda: ("a/x", b"retained") in got2)
        c2.loop_stop()


def test_tls_listener_speaks_only_tls(tmp_path):
    with Broker(tmp_path, tls=True) as b:
        assert b.url.startswith("mqtts://")
        c, got = client(b)
        assert got[0] == ("rc", 0)
        c.loop_stop()
        ctx = ssl.create_default_context(cafile=b.ca_file)
        with socket.create_connection((b.host, b.port), timeout=5) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                assert t.version().startswith("TLS")


def test_freeze_stops_answers_and_thaw_resumes(tmp_path):
    with Broker(tmp_path) as b:
        b.freeze()
        s = socket.create_connection((b.host, b.port), timeout=5)
        s.settimeout(0.5)
        s.sendall(bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 10, 0, 0]))
        with pytest.raises(socket.timeout):
            s.recv(4)
        b.thaw()
        s.settimeout(10)
        assert s.recv(4)[0] == 0x20  # CONNACK once it runs again
        s.close()
