"""A simulated kiosk provisioned over its serial link the way a technician does
it (signed trust bundle, admin key, clock, venue secret), then scanning with
that configuration after a restart: revocation pushed by the admin applies,
and the RTC keeps running across the restart."""

import json
import os
import subprocess
import sys
import time

KIOSKCTL = os.path.join(os.path.dirname(sys.executable), "kioskctl")


def ctl(*args):
    proc = subprocess.run([KIOSKCTL] + [str(a) for a in args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc


class Kiosk:
    """`kioskctl sim run --pty` in the background; `port` is the host side."""

    def __init__(self, inputs, flash, watch=False, at=None):
        self.proc = subprocess.Popen(
            [KIOSKCTL, "sim", "run", str(inputs), "--flash", str(flash), "--pty", "--json"] + (["--watch"] if watch else [])
            + (["--at", at] if at else []),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        assert "kiosk serial port:" in line, line + self.proc.stderr.read()
        self.port = line.split("kiosk serial port:")[1].split()[0]

    def scans(self, n):
        return [json.loads(self.proc.stdout.readline()) for _ in range(n)]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def provision(tmp_path, kiosk, issuer, clock="now"):
    """Keys, a signed 48 h bundle (72 h grace) and first setup over the link."""
    k = str(tmp_path / "k")
    ctl("keys", "gen", "-o", k + "-operator")
    ctl("keys", "gen", "-o", k + "-admin")
    bundle = tmp_path / "trust.ktb"
    ctl("trust", "bundle", "--store", issuer.trust, "--key", k + "-operator.key.pem", "--seq", 1,
        "--valid-hours", 48, "--grace-hours", 72, "-o", bundle)
    secret = tmp_path / "secret.bin"
    secret.write_bytes(os.urandom(32))
    ctl("provision", "setup", "--port", kiosk.port, "--device-id", "K-PROV-1", "--venue-id", "V9",
        "--venue-name", "Clinic", "--venue-type", "medical", "--admin-pub", k + "-admin.pub.pem",
        "--operator-pub", k + "-operator.pub.pem", "--bundle", bundle, "--secret-file", secret, "--clock", clock)
    return k


def scan_after_setup(tmp_path, issuer, codes, clock="now", later=None):
    """Provision a fresh simulated kiosk, restart it (at `later` when given), scan `codes`."""
    first = tmp_path / "first"
    first.mkdir(parents=True)
    (first / "a.txt").write_text("warm-up\n")
    flash = tmp_path / "flash.img"
    kiosk = Kiosk(first, flash)
    try:
        kiosk.scans(1)
        provision(tmp_path, kiosk, issuer, clock)
    finally:
        kiosk.stop()
    second = tmp_path / "second"
    second.mkdir()
    (second / "b.txt").write_text("\n".join(codes) + "\n")
    kiosk = Kiosk(second, flash, at=later)
    try:
        return kiosk.scans(len(codes))
    finally:
        kiosk.stop()


def test_stale_bundle_keeps_working_in_grace_then_says_so(tmp_path, issuer):
    now = int(time.time())
    code = issuer.mint("green", iat=now, valid=30 * 86400)
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    in_grace = scan_after_setup(tmp_path / "g", issuer, [code], iso(now + 60 * 3600))
    assert (in_grace[0]["trust"], in_grace[0]["reason"], in_grace[0]["admit"]) == ("grace", "ok", True)
    # installed while fresh, then the kiosk's clock runs past the grace period
    past = scan_after_setup(tmp_path / "x", issuer, [code], later=iso(now + 130 * 3600))
    assert (past[0]["trust"], past[0]["reason"], past[0]["admit"]) == ("expired", "unknown_issuer", False)
    assert "expired" in past[0]["detail"]


def test_provision_then_scan(tmp_path, issuer):
    now = int(time.time())
    good = issuer.mint("green", iat=now - 3600, holder="ok-holder")
    revoked = issuer.mint("green", iat=now - 3600, holder="bad-holder", cti=b"\x42" * 16)
    flash = tmp_path / "flash.img"
    first = tmp_path / "first"
    first.mkdir()
    (first / "a.txt").write_text(good + "\n")
    kiosk = Kiosk(first, flash)
    try:
        assert kiosk.scans(1)[0]["reason"] == "provision"  # not set up yet: nobody judged, nothing recorded
        k = provision(tmp_path, kiosk, issuer)
        kid = json.loads(ctl("sim", "verify", "--trust", issuer.trust, good).stdout)["kid"]
        revfile = tmp_path / "revoke.txt"
        revfile.write_text("%s %s\n" % (kid, "42" * 16))
        krv = tmp_path / "revoked.krv"
        ctl("trust", "revoke", "--key", k + "-operator.key.pem", "--seq", 1, "--add", revfile, "-o", krv)
        ctl("trust", "push", "--port", kiosk.port, "--admin-key", k + "-admin.key.pem", krv)
    finally:
        kiosk.stop()

    second = tmp_path / "second"
    second.mkdir()
    (second / "b.txt").write_text("\n".join([good, revoked, issuer.mint("red", iat=now - 3600)]) + "\n")
    kiosk = Kiosk(second, flash)  # no --at, no factory install: the provisioned state only
    try:
        out = kiosk.scans(3)
    finally:
        kiosk.stop()
    assert [(d["verdict"], d["reason"], d["admit"]) for d in out] == [
        ("GREEN", "ok", True), ("RED", "revoked", False), ("RED", "ok", True)]  # medical venue admits red
    assert all(d["trust"] == "ok" for d in out)


def test_reset_needs_the_button_and_pulled_logs(tmp_path, issuer):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("warm-up\n")
    flash = tmp_path / "flash.img"
    kiosk = Kiosk(inputs, flash, watch=True)
    try:
        kiosk.scans(1)
        k = provision(tmp_path, kiosk, issuer)
        drop(inputs, "b.txt", ["scanned after setup"])
        assert kiosk.scans(1)[0]["seq"] == 1  # recorded (before setup nothing is)
        refused = subprocess.run([KIOSKCTL, "provision", "reset", "--port", kiosk.port, "--abandon-logs"],
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and "no_presence" in refused.stderr
        button = tmp_path / "flash.img.button"
        button.write_text("held")  # the technician holds BOOT
        pending = subprocess.run([KIOSKCTL, "provision", "reset", "--port", kiosk.port],
                                 capture_output=True, text=True, timeout=60)
        assert pending.returncode != 0 and "logs_pending" in pending.stderr  # that scan is not pulled
        keyless = ctl("pull", "--port", kiosk.port, "--store", tmp_path / "r.sqlite", "--quiet")
        assert "nothing acknowledged" in keyless.stderr  # stored on the host, still on the kiosk
        wrong = subprocess.run([KIOSKCTL, "pull", "--port", kiosk.port, "--store", tmp_path / "r.sqlite", "--quiet",
                                "--ack-key", k + "-operator.key.pem"], capture_output=True, text=True, timeout=60)
        assert wrong.returncode != 0 and "not signed by the admin or a collector key" in wrong.stderr, wrong.stderr
        pending = subprocess.run([KIOSKCTL, "provision", "reset", "--port", kiosk.port],
                                 capture_output=True, text=True, timeout=60)
        assert pending.returncode != 0 and "logs_pending" in pending.stderr
        ctl("pull", "--port", kiosk.port, "--store", tmp_path / "r.sqlite", "--quiet", "--ack-key", k + "-admin.key.pem")
        ctl("provision", "reset", "--port", kiosk.port)
        info = ctl("provision", "info", "--port", kiosk.port).stdout
        assert "K-PROV-1" not in info
        after = ctl("pull", "--port", kiosk.port, "--store", tmp_path / "r.sqlite", "--quiet")
        assert "0 new" in after.stderr or "nothing new" in after.stderr, after.stderr  # the log was wiped
    finally:
        kiosk.stop()


def drop(folder, name, lines):
    """Hand the watching kiosk a scanner file (written aside, then moved in)."""
    tmp = folder.parent / (name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.rename(tmp, folder / name)


def test_provisioning_changes_apply_without_a_restart(tmp_path, issuer):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("warm-up\n")
    red = issuer.mint("red", iat=int(time.time()) - 3600)
    kiosk = Kiosk(inputs, tmp_path / "flash.img", watch=True)
    try:
        assert kiosk.scans(1)[0]["reason"] == "provision"
        k = provision(tmp_path, kiosk, issuer)  # a medical venue: red codes enter
        drop(inputs, "b.txt", [red])
        assert [(d["reason"], d["admit"]) for d in kiosk.scans(1)] == [("ok", True)]
        general = tmp_path / "general.json"
        general.write_text(json.dumps({"venue_type": "general"}))
        ctl("provision", "set", "--port", kiosk.port, "--admin-key", k + "-admin.key.pem", "--policy", general)
        drop(inputs, "c.txt", [red])
        assert [(d["reason"], d["admit"]) for d in kiosk.scans(1)] == [("policy", False)]
    finally:
        kiosk.stop()
