"""The uplink end to end: MicroPython kiosks (the real log on littlefs, kiosk.uplink,
kiosk.link.mqtt) through the real Mosquitto with per-kiosk users and the fleet ACL,
to the real `kioskctl collect` (SQLite), which commits, then signs its ACK with a
collector key. Records leave the flash only after that ACK; a forged ACK, another
kiosk's publish, a collector killed between its commit and its ACK and a broker
that dies or freezes mid-drain lose and duplicate nothing in the database."""

import time

import pytest

from support import fleetkit


@pytest.fixture
def fleet(tmp_path):
    f = fleetkit.Fleet(tmp_path, [("K-1", "V-1"), ("K-2", "V-1")])
    yield f
    f.close()


def test_publish_then_ack_end_to_end(fleet):
    col = fleet.collector()
    k = fleet.kiosk("K-1", scans=300)
    mid = k.wait(lambda s: s["ack_seq"] >= 60)["ack_seq"]
    stored = col.seqs("K-1")
    assert stored[:mid] == list(range(1, mid + 1))  # whatever is acknowledged is committed already
    st = k.wait(lambda s: s["durable_seq"] == 300 and s["ack_seq"] == 300)
    assert col.seqs("K-1") == list(range(1, 301))  # each once
    assert st["unacked"] == 0 and st["line"].startswith("fleet: online")
    assert st["batches"] >= 10  # at most 30 records per PUBLISH


def test_no_ack_no_delete_and_broker_puback_is_not_enough(fleet):
    k = fleet.kiosk("K-1", scans=50)  # no collector: the broker PUBACKs, nobody acknowledges
    st = k.wait(lambda s: s["durable_seq"] == 50 and s["batches"] >= 2)
    time.sleep(1.0)
    st = k.wait(lambda s: True)
    assert st["ack_seq"] == 0 and st["unacked"] == 50
    col = fleet.collector()  # the collector comes later: the kiosk resends, then it is acknowledged
    k.wait(lambda s: s["ack_seq"] == 50, timeout=60)
    assert col.seqs("K-1") == list(range(1, 51))


def test_forged_ack_acknowledges_nothing(fleet):
    k = fleet.kiosk("K-1", scans=40)
    k.wait(lambda s: s["durable_seq"] == 40 and s["batches"] >= 2)
    op = fleetkit.mqtt_client(fleet, "operator")  # may publish acks, but signs with a key the kiosk does not know
    forged = fleetkit.new_key()
    op.publish("kiosk/K-1/ack", fleetkit.ack_payload(forged, "K-1", k.log_id, 40), qos=1).wait_for_publish(5)
    op.publish("kiosk/K-1/ack", b"\x00" * 71, qos=1).wait_for_publish(5)  # wrong length
    st = k.wait(lambda s: s["refused"] >= 2)
    assert st["ack_seq"] == 0
    # the right key over another kiosk's id or another log is refused too
    op.publish("kiosk/K-1/ack", fleetkit.ack_payload(fleet.collector_key, "K-2", k.log_id, 40), qos=1)
    op.publish("kiosk/K-1/ack", fleetkit.ack_payload(fleet.collector_key, "K-1", k.log_id ^ 1, 40), qos=1)
    st = k.wait(lambda s: s["refused"] >= 4)
    assert st["ack_seq"] == 0
    op.publish("kiosk/K-1/ack", fleetkit.ack_payload(fleet.collector_key, "K-1", k.log_id, 25), qos=1)
    st = k.wait(lambda s: s["ack_seq"] == 25)
    op.loop_stop()


def test_acl_kiosk_cannot_publish_for_another(fleet):
    col = fleet.collector()
    k1 = fleet.kiosk("K-1", scans=10)
    k1.wait(lambda s: s["ack_seq"] == 10)
    # K-2 (a real kiosk login) tries K-1's records topic and an ack for K-1
    rogue = fleetkit.mqtt_client(fleet, "K-2", "rogue")
    batch = b"KUP1" + bytes([3]) + b"K-1" + (k1.log_id).to_bytes(4, "big") + bytes([1]) + bytes(32)
    rogue.publish("kiosk/K-1/records", batch, qos=1).wait_for_publish(5)
    rogue.publish("kiosk/K-1/ack", fleetkit.ack_payload(fleet.collector_key, "K-1", k1.log_id, 10), qos=1).wait_for_publish(5)
    got = []
    watcher = fleetkit.mqtt_client(fleet, "operator", "watch")
    watcher.on_message = lambda c, u, m: got.append(m.topic)
    watcher.subscribe("kiosk/K-1/ack", qos=1)
    watcher.subscribe("fleet/trust/#", qos=1)
    time.sleep(0.5)
    rogue.publish("kiosk/K-1/ack", b"x" * 72, qos=1).wait_for_publish(5)
    rogue.publish("fleet/trust/bundle/0", b"KTC1" + bytes(60), qos=1, retain=True).wait_for_publish(5)
    time.sleep(0.5)
    assert got == []  # the broker dropped K-2's publishes to K-1's ack topic and to fleet/trust
    assert col.seqs("K-1") == list(range(1, 11))
    c = col.stop()
    assert c["hostile"] == 0 and c["corrupt"] == 0  # and its records (a KUP1 of a zero record) never reached it
    for c in (rogue, watcher):
        c.loop_stop()


def test_collector_killed_between_commit_and_ack_resend_is_stored_once(fleet):
    # a collector without its key commits and never acknowledges: killed once rows are
    # committed, it is a collector that died between its commit and its ACK
    held = fleet.collector(ack=False)
    k = fleet.kiosk("K-1", scans=90, resend_ms=1500)
    deadline = time.monotonic() + 60
    while len(held.seqs("K-1")) < 90 and time.monotonic() < deadline:
        time.sleep(0.1)
    held.kill()
    assert held.seqs("K-1") == list(range(1, 91))
    st = k.wait(lambda s: s["durable_seq"] == 90)
    assert st["ack_seq"] == 0 and st["unacked"] == 90  # committed but unacknowledged: all still on the flash
    col = fleet.collector()  # the successor on the same database
    k.wait(lambda s: s["ack_seq"] == 90, timeout=60)
    assert col.seqs("K-1") == list(range(1, 91))  # the resend was absorbed: each record once
    c = col.stop()
    assert c["duplicates"] >= 30 and c["new"] == 0  # it did arrive again (at least one batch)


@pytest.mark.parametrize("how", ["kill", "freeze"])
def test_broker_dies_or_freezes_mid_drain(fleet, how):
    col = fleet.collector()
    k = fleet.kiosk("K-1", scans=3000, keepalive_s=2, timeout_ms=1000)
    k.wait(lambda s: s["ack_seq"] >= 300, timeout=120)
    if how == "kill":
        fleet.broker.stop(kill=True)
        k.wait(lambda s: not s["line"].startswith("fleet: online"))
        fleet.broker.start()
    else:
        fleet.broker.freeze()
        k.wait(lambda s: not s["line"].startswith("fleet: online"))
        fleet.broker.thaw()
    k.wait(lambda s: s["ack_seq"] == 3000, timeout=180)
    assert col.seqs("K-1") == list(range(1, 3001))


def test_broker_refuses_a_wrong_login_and_the_kiosk_says_so(fleet):
    k = fleet.kiosk("K-1", scans=5, broker={"url": fleet.broker.url, "user": "K-1", "password": "wrong"})
    st = k.wait(lambda s: s["durable_seq"] == 5 and s["line"].startswith("fleet: refused"))
    assert st["line"] in ("fleet: refused (bad_login)", "fleet: refused (not_authorised)")
    assert st["ack_seq"] == 0 and st["unacked"] == 5  # scans recorded, kept, nothing sent
