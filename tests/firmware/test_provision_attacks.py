# Every attack on provisioning is refused with a clear error code and leaves
# every file of the kiosk's configuration exactly as it was.
import os

import mpassert
import test_provision_keys as K
from kiosk.provision import ProvisionError
from kiosk.provision.handlers import Provisioner
from simclock import SimClock

HEAPSIZE = "2M"

T0 = 1800000000
SECRET = b"venue-secret-0123456789abcdef!!"
WIFI_PW = "hunter2-wifi-password"


def snapshot(d):
    out = {}
    for name in sorted(os.listdir(d)):
        with open(d + "/" + name, "rb") as f:
            out[name] = f.read()
    return out


def setup_req(**over):
    req = {
        "op": "setup",
        "device_id": "kiosk-0001",
        "venue": {"id": "v-17", "name": "City Library", "type": "general"},
        "policy": {"venue_type": "general"},
        "admin": K.pub(K.ADMIN),
        "operator": K.pub(K.OPERATOR),
        "bundle": K.bundle(5, iat=T0 - 100, exp=T0 + 172800),
        "secret": SECRET,
        "clock": T0,
        "wifi": {"ssid": "venue-net", "password": WIFI_PW},
    }
    req.update(over)
    return req


def provisioned(**kw):
    mp, dev, mem = K.ramfs()
    clock = SimClock(T0)
    p = Provisioner(mp, clock=clock, **kw)
    p.handle(setup_req())
    return p, mp, mem, clock


def refused(p, code, req):
    before = snapshot(p.dir)
    ctr = p.state.ctr
    e = mpassert.raises(ProvisionError, p.handle, req)
    mpassert.eq(e.code, code, e.msg)
    mpassert.eq(snapshot(p.dir), before, "state changed by a refused request")
    mpassert.eq(p.state.ctr, ctr)
    resp = p.handle_safe(req)
    mpassert.eq(resp["ok"], False)
    mpassert.eq(resp["error"], code)
    mpassert.eq(snapshot(p.dir), before)
    return e


def cmd(p, ctr, op, args, d=K.ADMIN, dev="kiosk-0001", blob=None):
    r = {"op": "cmd", "cmd": K.command(dev, ctr, op, args, d)}
    if blob is not None:
        r["blob"] = blob
    return r


def test_setup_then_signed_change():
    p, mp, mem, clock = provisioned()
    info = p.handle({"op": "info"})
    mpassert.eq(info["provisioned"], True)
    mpassert.eq(info["venue"]["name"], "City Library")
    mpassert.eq(info["bundle"]["status"], "ok")
    mpassert.eq(info["bundle"]["seq"], 5)
    mpassert.eq(info["secret_set"], True)
    r = p.handle(cmd(p, 1, "venue", {"venue": {"id": "v-17", "name": "Main Library", "type": "general"}}))
    mpassert.eq(r["ctr"], 1)
    mpassert.eq(p.handle({"op": "info"})["venue"]["name"], "Main Library")
    # A fresh Provisioner (reboot) reads the same state.
    q = Provisioner(mp, clock=clock)
    mpassert.eq(q.state.ctr, 1)
    mpassert.eq(q.state.admin, K.pub(K.ADMIN))


def test_second_setup_refused():
    p, mp, mem, clock = provisioned()
    refused(p, "already_provisioned", setup_req(admin=K.pub(K.INTRUDER)))


def test_unsigned_command_refused():
    p, mp, mem, clock = provisioned()
    from kiosk.provision import command

    body = command.encode_body("kiosk-0001", 1, "admin", {"admin": K.pub(K.INTRUDER)})
    refused(p, "bad_signature", {"op": "cmd", "cmd": command.wrap(body, bytes(64))})
    refused(p, "malformed", {"op": "cmd", "cmd": body})
    refused(p, "malformed", {"op": "cmd"})
    refused(p, "malformed", {"op": "cmd", "cmd": b"\xff" * 5000})


def test_replayed_command_refused():
    p, mp, mem, clock = provisioned()
    first = cmd(p, 1, "policy", {"policy": {"venue_type": "medical"}})
    p.handle(first)
    refused(p, "replay", first)
    p.handle(cmd(p, 5, "policy", {"policy": {"venue_type": "general"}}))
    refused(p, "replay", cmd(p, 4, "policy", {"policy": {"venue_type": "medical"}}))
    refused(p, "replay", cmd(p, 5, "policy", {"policy": {"venue_type": "medical"}}))


def test_command_signed_by_another_key_refused():
    p, mp, mem, clock = provisioned()
    refused(p, "bad_signature", cmd(p, 1, "admin", {"admin": K.pub(K.INTRUDER)}, d=K.INTRUDER))
    refused(p, "bad_signature", cmd(p, 1, "secret", {"secret": b"x" * 32}, d=K.OPERATOR))


def test_command_for_another_device_refused():
    p, mp, mem, clock = provisioned()
    refused(p, "wrong_device", cmd(p, 1, "secret", {"secret": b"x" * 32}, dev="kiosk-0002"))


def test_tampered_and_older_bundles_refused():
    p, mp, mem, clock = provisioned()
    bad = bytearray(K.bundle(6))
    bad[-5] ^= 1
    refused(p, "tampered", cmd(p, 1, "trust", {}, blob=bytes(bad)))
    refused(p, "bad_signature", cmd(p, 1, "trust", {}, blob=K.bundle(6, d=K.INTRUDER)))
    refused(p, "rollback", cmd(p, 1, "trust", {}, blob=K.bundle(4)))
    refused(p, "rollback", cmd(p, 1, "trust", {}, blob=K.bundle(5)))
    # The signed command pins the file by hash: a swapped file is refused.
    import hashlib
    good = K.bundle(6)
    refused(p, "hash_mismatch", cmd(p, 1, "trust", {"sha": hashlib.sha256(good).digest()}, blob=K.bundle(7)))
    p.handle(cmd(p, 1, "trust", {"sha": hashlib.sha256(good).digest()}, blob=good))
    mpassert.eq(p.state.bundle_seq, 6)
    # Deleting the bundle file does not reopen the door to an older bundle.
    os.remove(p.dir + "/trust.ktb")
    refused(p, "rollback", cmd(p, 2, "trust", {}, blob=K.bundle(5)))


def test_revoked_token_and_list_updates():
    p, mp, mem, clock = provisioned()
    parts = {b"AAAAAAAA": {K.entry(b"stolen-1"), K.entry(b"stolen-2")}}
    p.handle(cmd(p, 1, "revoke", {}, blob=K.revlist(parts, 3)))
    from kiosk.trust import revocation
    rl = revocation.open_file(p.dir + "/revoked.krv", p.state.operator)
    mpassert.eq(rl.contains(b"AAAAAAAA", b"stolen-1"), True)
    mpassert.eq(rl.contains(b"AAAAAAAA", b"fine"), False)
    sha = rl.sha
    rl.close()
    refused(p, "rollback", cmd(p, 2, "revoke", {}, blob=K.revlist(parts, 2)))
    tampered = bytearray(K.revlist(parts, 4))
    tampered[-1] ^= 1
    refused(p, "tampered", cmd(p, 2, "revoke", {}, blob=bytes(tampered)))
    new = {b"AAAAAAAA": parts[b"AAAAAAAA"] | {K.entry(b"stolen-3")}}
    dlt, _ = K.delta(parts, new, 3, sha, 4)
    p.handle(cmd(p, 2, "revoke", {}, blob=dlt))
    rl = revocation.open_file(p.dir + "/revoked.krv", p.state.operator)
    mpassert.eq(rl.contains(b"AAAAAAAA", b"stolen-3"), True)
    mpassert.eq(rl.seq, 4)
    rl.close()
    refused(p, "wrong_base", cmd(p, 3, "revoke", {}, blob=dlt))


def test_delta_without_a_list_says_push_the_full_list():
    p, mp, mem, clock = provisioned()
    parts = {b"AAAAAAAA": {K.entry(b"stolen-1")}}
    # a delta against a list this kiosk never had
    dlt, _ = K.delta(parts, {b"AAAAAAAA": parts[b"AAAAAAAA"] | {K.entry(b"s-2")}}, 3, bytes(32), 4)
    refused(p, "no_list", cmd(p, 1, "revoke", {}, blob=dlt))
    e = mpassert.raises(ProvisionError, p.handle, cmd(p, 1, "revoke", {}, blob=dlt))
    mpassert.eq("push the full list first" in e.msg, True, e.msg)


def test_clock_rollback_refused_without_signed_override():
    p, mp, mem, clock = provisioned()
    g = p.guard
    mpassert.eq(g.now() is not None, True)
    g.seen(T0 + 3600)
    # Someone sets the RTC back a day (e.g. to reuse an expired code).
    clock.set(T0 - 86400)
    mpassert.eq(g.now(), None)
    mpassert.eq(g.status(), "rolled_back")
    refused(p, "clock_rollback", cmd(p, 1, "clock", {"time": T0 - 86400}))
    refused(p, "bad_signature", cmd(p, 1, "clock", {"time": T0 - 86400, "back": True}, d=K.INTRUDER))
    # Forward to the right time: fine, signed.
    p.handle(cmd(p, 1, "clock", {"time": T0 + 3700}))
    mpassert.eq(g.now() >= T0 + 3700, True)
    # An admin may deliberately go back (documented), with back=true.
    p.handle(cmd(p, 2, "clock", {"time": T0 + 10, "back": True}))
    mpassert.eq(g.now() is not None and g.now() < T0 + 100, True)
    clock.set(100)
    mpassert.eq(g.now(), None)
    mpassert.eq(g.status(), "unset")


def test_secrets_never_read_back():
    p, mp, mem, clock = provisioned()
    p.handle(cmd(p, 1, "secret", {"secret": b"S" * 32}))
    responses = [p.handle_safe({"op": o}) for o in ("info", "get", "read", "secret", "dump", "wifi")]
    responses.append(p.handle_safe({"op": "info", "path": "config/secret.bin"}))
    responses.append(p.handle_safe(cmd(p, 2, "get", {"name": "secret.bin"})))
    from kiosk.token import cbor
    for r in responses:
        raw = cbor.dumps(r)
        mpassert.eq(b"S" * 16 in raw, False, "secret in %r" % r)
        mpassert.eq(SECRET[:16] in raw, False)
        mpassert.eq(WIFI_PW.encode() in raw, False, "wifi password in %r" % r)
    mpassert.eq(responses[0]["wifi_password_set"], True)
    mpassert.eq(responses[1]["error"], "unknown_op")
    mpassert.eq(responses[-1]["error"], "unknown_op")


def test_reset_needs_presence_and_pulled_logs():
    held = [False]
    pending = [12]
    wiped = []
    p, mp, mem, clock = provisioned(presence=lambda: held[0], logs_pending=lambda: pending[0],
                                    wipe_logs=lambda: wiped.append(1))
    refused(p, "no_presence", {"op": "reset"})
    held[0] = True
    refused(p, "logs_pending", {"op": "reset"})
    mpassert.eq(wiped, [])
    r = p.handle({"op": "reset", "abandon_logs": True})
    mpassert.eq(r["abandoned"], 12)
    mpassert.eq(wiped, [1])
    mpassert.eq(os.listdir(p.dir), [])
    mpassert.eq(p.state.provisioned, False)
    # Unprovisioned again: first setup is accepted, signed commands are not.
    refused(p, "not_provisioned", cmd(p, 1, "secret", {"secret": b"x" * 32}))
    p.handle(setup_req())
    mpassert.eq(p.state.provisioned, True)


def test_no_file_path_from_the_wire():
    # #10.1: a junk command naming a file used to delete that file, and after a
    # reboot the kiosk took anyone's unsigned setup.
    p, mp, mem, clock = provisioned()
    import kiosk.records.log as L

    log = L.Log(mp + "/log")
    log_id = log.log_id
    log.close()
    files = snapshot(p.dir)
    targets = [p.dir + "/prov.json", mp + "/log/meta", p.dir + "/secret.bin", p.dir + "/trust.ktb"]
    for path in targets:
        for req in ({"op": "cmd", "cmd": b"junk", "blob_path": path},
                    {"op": "cmd", "cmd": K.command("kiosk-0001", 1, "trust", {}), "blob_path": path},
                    {"op": "cmd", "cmd": b"junk", "staged": True, "bundle_path": path},
                    {"op": "info", "path": path},
                    {"op": "reset", "abandon_logs": True, "dir": path}):
            r = p.handle_safe(req)
            mpassert.eq((r["ok"], r["error"]), (False, "bad_request"), repr(r))
        r = p.handle_safe(setup_req(bundle_path=path, admin=K.pub(K.INTRUDER)))
        mpassert.eq(r["ok"], False)
    mpassert.eq(snapshot(p.dir), files)
    mpassert.eq(L.Log(mp + "/log").log_id, log_id)  # the log keeps its id
    q = Provisioner(mp, clock=clock)  # after a reboot: still this admin's kiosk
    mpassert.eq((q.state.provisioned, q.state.admin), (True, K.pub(K.ADMIN)))
    mpassert.eq(q.handle_safe(setup_req(admin=K.pub(K.INTRUDER)))["error"], "already_provisioned")


def test_collector_keys_set_at_setup_and_by_signed_command():
    mp, dev, mem = K.ramfs()
    clock = SimClock(T0)
    p = Provisioner(mp, clock=clock)
    p.handle(setup_req(collectors=[K.pub(K.OPERATOR)]))
    mpassert.eq(p.ack_keys(), [K.pub(K.ADMIN), K.pub(K.OPERATOR)])
    refused(p, "bad_request", cmd(p, 1, "collectors", {"collectors": [K.pub(K.ISSUER)] * 9}))
    refused(p, "bad_request", cmd(p, 1, "collectors", {"collectors": [b"\x04" + bytes(64)]}))
    refused(p, "bad_signature", cmd(p, 1, "collectors", {"collectors": [K.pub(K.INTRUDER)]}, d=K.INTRUDER))
    p.handle(cmd(p, 1, "collectors", {"collectors": [K.pub(K.ISSUER), K.pub(K.INTRUDER)]}))
    q = Provisioner(mp, clock=clock)  # stored: survives a reboot
    mpassert.eq(q.ack_keys(), [K.pub(K.ADMIN), K.pub(K.ISSUER), K.pub(K.INTRUDER)])
    from kiosk.config import device

    mpassert.eq(device.load(mp, T0).ack_keys, q.ack_keys())
    mpassert.eq(len(q.handle({"op": "info"})["collector_kids"]), 2)
    p.handle(cmd(p, 2, "collectors", {"collectors": []}))
    mpassert.eq(p.ack_keys(), [K.pub(K.ADMIN)])


def test_bad_setup_values_refused():
    mp, dev, mem = K.ramfs()
    p = Provisioner(mp, clock=SimClock(T0))
    for over in ({"device_id": ""}, {"admin": b"\x04" + bytes(64)}, {"secret": b"short"},
                 {"venue": {"id": "x"}}, {"policy": {"venue_type": "casino"}},
                 {"bundle": b"KTB1junk"}, {"clock": 12}):
        before = snapshot(p.dir)
        r = p.handle_safe(setup_req(**over))
        mpassert.eq(r["ok"], False, repr(over))
        mpassert.eq(snapshot(p.dir), before)
        mpassert.eq(p.state.provisioned, False)


def test_device_state_for_the_scan_loop():
    from kiosk.config import device

    p, mp, mem, clock = provisioned()
    t = device.load(mp, A_NOW)
    mpassert.eq(t.problems, [])
    mpassert.eq(t.trust_state(A_NOW), "ok")
    mpassert.eq(t.usable(A_NOW), True)
    mpassert.eq(t.revoked, None)
    mpassert.eq(len(t.trust.keys), 1)
    mpassert.eq(t.trust_state(T0 + 172800 + 3600), "grace")
    mpassert.eq(t.usable(T0 + 172800 + 259200 + 1), False)
    mpassert.eq(t.trust_state(T0 + 172800 + 259200 + 1), "expired")
    p.handle(cmd(p, 1, "revoke", {}, blob=K.revlist({b"AAAAAAAA": {K.entry(b"x")}}, 1)))
    t = device.load(mp, A_NOW)
    mpassert.eq(t.revoked.contains(b"AAAAAAAA", b"x"), True)
    t.close()
    # Damage the bundle on flash: reported, not used, no exception.
    with open(p.dir + "/trust.ktb", "r+b") as f:
        f.seek(200)
        f.write(b"\x00\x01")
    t = device.load(mp, A_NOW)
    mpassert.eq(t.trust, None)
    mpassert.eq(t.usable(A_NOW), False)
    mpassert.eq(t.trust_state(A_NOW), "damaged")
    mpassert.eq("trust bundle" in t.problems[0], True)
    p.presence = lambda: True
    p.handle({"op": "reset"})
    t = device.load(mp, A_NOW)
    mpassert.eq((t.problems, t.trust_state(A_NOW), t.damaged), (["not provisioned"], "none", []))


A_NOW = T0 + 60
