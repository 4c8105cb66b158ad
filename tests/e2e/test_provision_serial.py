"""Provisioning end to end: kioskctl on CPython talks to the firmware on the
MicroPython unix port over a pty (kioskctl.ptybridge), with the flash as a
littlefs image. First setup, signed changes, bundle and revocation pushes,
each attack refused with a clear error, and the reset protocol."""

import json
import os
import subprocess

import pytest

from kioskctl import mp, provision
from kioskctl.cli import main as kioskctl
from support.roles import role_keys

# The kiosk: flash image, scan log, link server with the provisioning handlers.
# The reset button is simulated by the existence of a file.
KIOSK = r'''
import os, sys
import vfs
from flashdev import FlashDev
from kiosk.link.server import Server
from kiosk.records.log import Log
from kiosk import provision
from serialport import SerialPort
from simclock import SimClock

image, port, button = sys.argv[1], sys.argv[2], sys.argv[3]
dev = FlashDev(image, 4096, 256)
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/flash")
log = Log("/flash/log")
srv = Server(SerialPort(port), log, device_id=b"sim-kiosk")

def pressed():
    try:
        os.stat(button)
        return True
    except OSError:
        return False

prov = provision.register(srv, "/flash", clock=SimClock(None), presence=pressed,
                          logs_pending=lambda: log.stats()["unacked"], wipe_logs=lambda: None)
print("READY")
while True:
    if not srv.poll(8):
        srv.stream.poll(20)
'''




@pytest.fixture
def kiosk(tmp_path):
    from kioskctl.ptybridge import PtyBridge

    script = tmp_path / "prov_kiosk_main.py"  # not kiosk.py: it would shadow the package
    script.write_text(KIOSK)
    bridge = PtyBridge()
    bridge.start()
    button = tmp_path / "button"
    proc = mp.popen(str(script), [tmp_path / "flash.img", bridge.device_path, button],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    first = proc.stdout.readline().strip()
    if first != b"READY":
        proc.kill()
        raise AssertionError((first + proc.stdout.read()).decode("utf-8", "replace"))
    try:
        yield bridge.host_path, button
    finally:
        proc.kill()
        proc.wait()
        bridge.stop()


def _cli(capsys, *argv):
    capsys.readouterr()
    rc = kioskctl(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_provision_over_serial(tmp_path, kiosk, capsys):
    port, button = kiosk
    r = role_keys(tmp_path)
    op_key, op_pub, admin_key, admin_pub = r["op_key"], r["op_pub"], r["admin_key"], r["admin_pub"]
    evil_key, issuer = r["evil_key"], r["issuer"]
    secret = tmp_path / "secret"
    secret.write_bytes(os.urandom(16).hex().encode())
    wpass = tmp_path / "wifi-pass"
    wpass.write_text("correct horse battery")
    kts = str(tmp_path / "t.kts")
    b = {i: str(tmp_path / ("b%d.ktb" % i)) for i in (1, 2, 3)}
    assert _cli(capsys, "trust", "build", "--key", issuer, "-o", kts, "--no-tables")[0] == 0
    for i in b:
        assert _cli(capsys, "trust", "bundle", "--store", kts, "--key", op_key, "--seq", str(i), "-o", b[i])[0] == 0
    P = ["--port", port, "--timeout", "3"]

    rc, out, _ = _cli(capsys, "provision", "info", "--json", *P)
    assert rc == 0 and json.loads(out)["provisioned"] is False
    # Before setup, signed commands have nothing to check against.
    rc, _, err = _cli(capsys, "provision", "set", "--policy", str(tmp_path / "none.json"), "--admin-key", admin_key, *P)
    assert rc != 0

    rc, _, err = _cli(capsys, "provision", "setup", *P, "--device-id", "kiosk-e2e", "--venue-id", "v1", "--venue-name",
                      "Harbour Clinic", "--venue-type", "medical", "--admin-pub", admin_pub, "--operator-pub", op_pub,
                      "--bundle", b[2], "--secret-file", str(secret), "--wifi-ssid", "clinic", "--wifi-pass-file", str(wpass))
    assert rc == 0, err
    assert "kioskctl: the kiosk is checking" in err  # a status line while the kiosk works
    rc, out, _ = _cli(capsys, "provision", "info", "--json", *P)
    info = json.loads(out)
    assert info["provisioned"] and info["device_id"] == "kiosk-e2e" and info["bundle"]["status"] == "ok"
    assert info["bundle"]["seq"] == 2 and info["clock_status"] == "ok" and info["wifi_password_set"]
    # Secrets are never read back: not in info, not in the human output.
    rc, text, _ = _cli(capsys, "provision", "info", *P)
    for shown in (out, text):
        assert secret.read_text() not in shown and "correct horse" not in shown
    # A second setup (e.g. by someone with a USB cable) is refused.
    rc, _, err = _cli(capsys, "provision", "setup", *P, "--device-id", "x", "--venue-id", "v", "--venue-name", "n",
                      "--admin-pub", r["evil_pub"], "--operator-pub", op_pub,
                      "--secret-file", str(secret))
    assert rc != 0 and "already_provisioned" in err

    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"venue_type": "medical"}))
    assert _cli(capsys, "provision", "set", "--policy", str(policy), "--admin-key", admin_key, *P)[0] == 0
    rc, _, err = _cli(capsys, "provision", "set", "--policy", str(policy), "--admin-key", evil_key, *P)
    assert rc != 0 and "bad_signature" in err

    # Bundles: newer accepted, older refused, tampered refused.
    assert _cli(capsys, "trust", "push", b[3], "--admin-key", admin_key, *P)[0] == 0
    rc, _, err = _cli(capsys, "trust", "push", b[1], "--admin-key", admin_key, *P)
    assert rc != 0 and "rollback" in err
    bad = bytearray(open(b[3], "rb").read())
    bad[-3] ^= 1
    (tmp_path / "bad.ktb").write_bytes(bytes(bad))
    rc, _, err = _cli(capsys, "trust", "push", str(tmp_path / "bad.ktb"), "--admin-key", admin_key, *P)
    assert rc != 0 and ("tampered" in err or "rollback" in err)

    # Revocation list and an incremental update.
    ids = tmp_path / "ids.txt"
    ids.write_text("".join("%s %s\n" % ("11" * 8, os.urandom(16).hex()) for _ in range(500)))
    more = tmp_path / "more.txt"
    more.write_text("%s %s\n" % ("22" * 8, "abcd"))
    l1, l2, d2 = (str(tmp_path / n) for n in ("1.krv", "2.krv", "2.krd"))
    assert _cli(capsys, "trust", "revoke", "--key", op_key, "--seq", "1", "--add", str(ids), "-o", l1)[0] == 0
    assert _cli(capsys, "trust", "revoke", "--key", op_key, "--seq", "2", "--base", l1, "--add", str(more), "-o", l2, "--delta", d2)[0] == 0
    rc, _, err = _cli(capsys, "trust", "push", d2, "--admin-key", admin_key, *P)  # a delta before any list
    assert rc == 3 and "push the full list first" in err and "no_list" in err, err
    assert _cli(capsys, "trust", "push", l1, "--admin-key", admin_key, *P)[0] == 0
    assert _cli(capsys, "trust", "push", d2, "--admin-key", admin_key, *P)[0] == 0
    rc, out, _ = _cli(capsys, "provision", "info", "--json", *P)
    assert json.loads(out)["rev_seq"] == 2
    rc, _, err = _cli(capsys, "trust", "push", l1, "--admin-key", admin_key, *P)
    assert rc != 0 and "rollback" in err

    # Replay a captured signed command after a later one: refused.
    from kioskctl import bundle as kb
    from kioskctl.transport import open_port
    from kioskctl.link import Link

    client = provision.Client(Link(open_port(port), timeout=3))
    ctr = client.info()["ctr"]
    admin = kb.load_private_key(admin_key)
    captured = {"op": "cmd", "cmd": provision.sign_command(admin, "kiosk-e2e", ctr + 1, "venue",
                                                           {"venue": {"id": "v1", "name": "Old Name", "type": "medical"}})}
    assert client.request(captured)["ctr"] == ctr + 1
    client.command(admin, "venue", {"venue": {"id": "v1", "name": "New Name", "type": "medical"}})
    with pytest.raises(provision.Refused) as e:
        client.request(captured)
    assert e.value.code == "replay"
    assert client.info()["venue"]["name"] == "New Name"
    with pytest.raises(provision.Refused) as e:
        client.request({"op": "read", "name": "secret.bin"})
    assert e.value.code == "unknown_op"

    # Reset needs the physical button.
    rc, _, err = _cli(capsys, "provision", "reset", *P)
    assert rc != 0 and "no_presence" in err
    button.write_text("held")
    assert _cli(capsys, "provision", "reset", *P)[0] == 0
    rc, out, _ = _cli(capsys, "provision", "info", "--json", *P)
    info = json.loads(out)
    assert info["provisioned"] is False and info["secret_set"] is False and info["rev_seq"] == 0
    rc, text, _ = _cli(capsys, "provision", "info", *P)  # the human form of a wiped kiosk
    assert rc == 0 and "None" not in text and "grace -" not in text and "1970" not in text, text
    assert "no bundle installed" in text and "no list installed" in text
