"""End to end on the 32-bit board: the kiosk boots from ROMFS (/rom/main.py,
frames in /rom/frames) on the emulated Cortex-M7, and the real kioskctl
provisions it, pulls its log and pushes a revocation over the board's UART
(a pty) exactly as over USB. Scans come from its camera (frames replayed
every 2 s): refused before provisioning, admitted after, refused as revoked
after the push."""

import os
import shutil
import sqlite3
import subprocess
import sys
import time

from kioskctl import photo, qemu

KIOSKCTL = os.path.join(os.path.dirname(sys.executable), "kioskctl")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ctl(*args, timeout=180):
    proc = subprocess.run([KIOSKCTL] + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def pull_until(port, store, want, timeout=240, ack_key=None):
    """Pull (as an admin would, repeatedly) until a record matches want(row)."""
    deadline = time.monotonic() + timeout
    while True:
        ctl("pull", "--port", port, "--store", store, "--quiet", *(["--ack-key", ack_key] if ack_key else []))
        rows = sqlite3.connect(store).execute(
            "SELECT seq, verdict, reason, admit FROM records ORDER BY seq").fetchall()
        if any(want(r) for r in rows):
            return rows
        assert time.monotonic() < deadline, rows
        time.sleep(2)


def test_provision_scan_pull_and_revoke_on_the_32bit_board(tmp_path, issuer, m32_firmware):
    now = int(time.time())
    cti = b"\x5a" * 16
    code = issuer.mint("green", iat=now - 3600, holder="m32-holder", cti=cti)
    rom = tmp_path / "rom"
    (rom / "frames").mkdir(parents=True)
    shutil.copy(os.path.join(REPO, "firmware", "main.py"), rom / "main.py")  # what `make flash` ships
    for k in range(2):  # one burst: a person holding up a phone
        photo.save_pgm(photo.render(code, size=(320, 240), seed=k), str(rom / "frames" / ("01-green.f%d.pgm" % k)))

    k = str(tmp_path / "k")
    ctl("keys", "gen", "-o", k + "-operator")
    ctl("keys", "gen", "-o", k + "-admin")
    bundle = tmp_path / "trust.ktb"
    ctl("trust", "bundle", "--store", issuer.trust, "--key", k + "-operator.key.pem", "--seq", 1, "-o", bundle)
    secret = tmp_path / "secret.bin"
    secret.write_bytes(os.urandom(32))
    store = str(tmp_path / "records.sqlite")

    with qemu.start(m32_firmware, romfs=str(rom)) as board:
        port = board.pty_path
        info = ctl("provision", "info", "--json", "--port", port).stdout
        assert '"provisioned": false' in info
        # scanning, not set up: the fault screen, nobody judged, nothing but unreadable frames recorded

        ctl("provision", "setup", "--port", port, "--device-id", "K-M32", "--venue-id", "V32",
            "--venue-name", "Clinic", "--venue-type", "medical", "--admin-pub", k + "-admin.pub.pem",
            "--operator-pub", k + "-operator.pub.pem", "--bundle", bundle, "--secret-file", secret, "--clock", "now")
        rows = pull_until(port, store, lambda r: r[1:] == ("GREEN", "ok", 1), ack_key=k + "-admin.key.pem")
        assert not [r for r in rows if r[2] == "unknown_issuer"], rows

        from kioskctl import mint

        kid = mint.kid_for(issuer.signing_key()).hex()
        revfile = tmp_path / "revoke.txt"
        revfile.write_text("%s %s\n" % (kid, cti.hex()))
        krv = tmp_path / "revoked.krv"
        ctl("trust", "revoke", "--key", k + "-operator.key.pem", "--seq", 1, "--add", revfile, "-o", krv)
        ctl("trust", "push", "--port", port, "--admin-key", k + "-admin.key.pem", krv)
        rows = pull_until(port, store, lambda r: r[2] == "revoked", ack_key=k + "-admin.key.pem")
        assert board.alive()

    seqs = [r[0] for r in rows]
    assert seqs == sorted(set(seqs)) and seqs[0] == 1  # every record once, none lost
    first_ok = min(r[0] for r in rows if r[1:] == ("GREEN", "ok", 1))
    assert all(r[2] == "unknown_issuer" for r in rows if r[0] < first_ok)
    revoked = [r for r in rows if r[2] == "revoked"]
    assert revoked and all(r[0] > first_ok and r[3] == 0 for r in revoked)
