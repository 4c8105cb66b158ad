"""Safe mode end to end: the kiosk (kiosk.app.main.run_forever on the
MicroPython unix port, flash as a littlefs image) crashes on three boots in a
row and then stays up in safe mode; kioskctl on CPython reaches it over a real
pty and recovers it without reflashing: info names the crash, first setup and
a signed trust push go through with the normal rules (unsigned, wrongly signed
and replayed commands refused), the log can be pulled, and a signed resume
(refused when forged or replayed) ends safe mode: the next boot is a normal one."""

import json
import subprocess

import pytest
import serial

from kioskctl import link, mp, paths, provision
from kioskctl.cli import main as kioskctl
from support.roles import role_keys

SCRIPT = paths.REPO + "/tests/e2e/mp_safe_kiosk.py"


@pytest.fixture
def bridge():
    from kioskctl.ptybridge import PtyBridge

    b = PtyBridge()
    b.start()
    yield b
    b.stop()


class Kiosk:
    def __init__(self, tmp_path, bridge):
        self.image, self.broken, self.bridge = tmp_path / "flash.img", tmp_path / "broken", bridge
        self.proc = None

    def boot(self):
        self.proc = mp.popen(SCRIPT, [self.image, self.bridge.device_path, self.broken],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return self.proc

    def crash_boot(self):
        out = self.boot().communicate(timeout=60)[0].decode()
        assert self.proc.returncode == 0 and "RESET" in out and "Traceback" not in out, out

    def hello(self):
        port = serial.Serial(self.bridge.host_path, 115200, timeout=0.05)
        try:
            return link.Link(port, timeout=2.0, retries=15).hello()
        finally:
            port.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()


@pytest.fixture
def kiosk(tmp_path, bridge):
    k = Kiosk(tmp_path, bridge)
    yield k
    k.stop()


def _cli(capsys, *argv):
    capsys.readouterr()
    rc = kioskctl([str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_safe_mode_serves_authorised_recovery(tmp_path, kiosk, capsys):
    r = role_keys(tmp_path)
    op_key, op_pub, admin_key, admin_pub = r["op_key"], r["op_pub"], r["admin_key"], r["admin_pub"]
    evil_key, issuer = r["evil_key"], r["issuer"]
    secret = tmp_path / "secret"
    secret.write_bytes(b"ab" * 16)
    kts, b1, b2 = tmp_path / "t.kts", tmp_path / "b1.ktb", tmp_path / "b2.ktb"
    assert _cli(capsys, "trust", "build", "--key", issuer, "-o", kts, "--no-tables")[0] == 0
    for seq, b in ((1, b1), (2, b2)):
        assert _cli(capsys, "trust", "bundle", "--store", kts, "--key", op_key, "--seq", seq, "-o", b)[0] == 0

    kiosk.broken.write_text("x")
    for _ in range(3):
        kiosk.crash_boot()
    kiosk.boot()  # the fourth boot: safe mode, no reset
    hello = kiosk.hello()
    assert hello["firmware"].endswith("safe-mode") and hello["device"] == "unprovisioned"
    P = ["--port", kiosk.bridge.host_path, "--timeout", "3"]
    rc, out, _ = _cli(capsys, "provision", "info", "--json", *P)
    info = json.loads(out)
    assert rc == 0 and "ValueError: camera bus on fire" in info["safe_mode"] and not info["provisioned"]
    rc, out, _ = _cli(capsys, "provision", "info", *P)
    assert "SAFE MODE  last crash: ValueError: camera bus on fire" in out

    # first setup over the safe-mode link, as on a kiosk that runs normally
    rc, _, err = _cli(capsys, "provision", "setup", *P, "--device-id", "kiosk-safe", "--venue-id", "v1", "--venue-name",
                      "Harbour Clinic", "--venue-type", "medical", "--admin-pub", admin_pub, "--operator-pub", op_pub,
                      "--bundle", b1, "--secret-file", secret)
    assert rc == 0, err
    assert kiosk.hello()["device"] == "kiosk-safe"  # named at once: pulls and ACKs use the real id
    # a trust push signed by another key is refused; the admin's goes through (staged, signed)
    rc, _, err = _cli(capsys, "trust", "push", b2, "--admin-key", evil_key, *P)
    assert rc != 0 and "bad_signature" in err, err
    rc, _, err = _cli(capsys, "trust", "push", b2, "--admin-key", admin_key, *P)
    assert rc == 0, err
    rc, out, _ = _cli(capsys, "provision", "info", "--json", *P)
    info = json.loads(out)
    assert info["bundle"]["seq"] == 2 and info["bundle"]["status"] == "ok" and info["safe_mode"]
    assert info["secret_set"] and info["secret_protection"] == "device_key"  # sealed as in normal running
    # the log can be pulled (nothing scanned: nothing to lose)
    rc, _, err = _cli(capsys, "pull", *P[:2], "--store", tmp_path / "rec.sqlite")
    assert rc == 0, err

    port = serial.Serial(kiosk.bridge.host_path, 115200, timeout=0.05)
    try:
        client = provision.Client(link.Link(port, timeout=3.0))
        ctr = client.info()["ctr"]
        evil = provision.bundle.load_private_key(evil_key)
        with pytest.raises(provision.Refused, match="bad_signature"):
            client.command(evil, "resume", {})
        old = provision.sign_command(provision.bundle.load_private_key(admin_key), "kiosk-safe", ctr, "resume", {})
        with pytest.raises(provision.Refused, match="replay"):  # a captured older counter
            client.request({"op": "cmd", "cmd": old})
        with pytest.raises(provision.Refused, match="bad_request"):  # no path or extra field from the wire
            client.request({"op": "info", "path": "/config/trust.ktb"})
        assert kiosk.proc.poll() is None  # none of that ended safe mode
    finally:
        port.close()
    rc, _, err = _cli(capsys, "provision", "set", "--resume", "--admin-key", admin_key, *P)
    assert rc == 0 and "resume accepted" in err, err
    out = kiosk.proc.communicate(timeout=30)[0].decode()
    assert "RESET" in out and "Traceback" not in out, out

    kiosk.broken.unlink()  # the technician mended the camera; the streak was cleared by resume
    kiosk.boot()
    hello = kiosk.hello()
    assert not hello["firmware"].endswith("safe-mode") and hello["device"] == "kiosk-safe"
    rc, out, _ = _cli(capsys, "provision", "info", "--json", *P)
    info = json.loads(out)
    assert info["safe_mode"] is None and info["bundle"]["seq"] == 2 and info["provisioned"]
    assert info["secret_protection"] == "device_key" and not info["damaged"]
    # outside safe mode a signed resume is refused (and changes nothing)
    rc, _, err = _cli(capsys, "provision", "set", "--resume", "--admin-key", admin_key, *P)
    assert rc != 0 and "not_safe_mode" in err, err
    assert kiosk.proc.poll() is None
