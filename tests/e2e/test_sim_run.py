"""The kiosk main loop on the simulator: scanner lines and camera frames in,
verdicts out, scan records committed to a littlefs flash image."""

import json
import os
import subprocess
import sys

from kioskctl import mp, paths
from kioskctl.sim_run import run_sim

T0 = 1790000000
SECRET = "11" * 32


def sim(tmp_path, issuer, inputs, flash, at=T0, png_dir=None, policy=None):
    opts = {"inputs": str(inputs), "flash": str(flash), "at": at,
            "install": {"trust": issuer.trust, "secret_hex": SECRET}}
    if png_dir:
        opts["png_dir"] = str(png_dir)
    if policy:
        opts["install"]["policy"] = str(policy)
    return list(run_sim(opts))


def read_log(flash):
    """Records in the flash image, read back by the firmware's own log code."""
    script = os.path.join(os.path.dirname(__file__), "read_log.py")
    out = mp.run(script, [flash]).stdout.decode()
    return [json.loads(line) for line in out.splitlines()]


def test_scanner_lines_give_verdicts_and_durable_records(tmp_path, issuer, other_issuer):
    inputs = tmp_path / "in"
    inputs.mkdir()
    lines = [issuer.mint("green", holder="A"), issuer.mint("red", holder="B"),
             other_issuer.mint("green"), "not a code", issuer.mint("green", holder="A")]
    (inputs / "scanner.txt").write_text("\n".join(lines) + "\n")
    flash = tmp_path / "flash.img"
    out = sim(tmp_path, issuer, inputs, flash)
    assert [(d["verdict"], d["reason"], d["admit"]) for d in out] == [
        ("GREEN", "ok", True), ("RED", "policy", False), ("RED", "unknown_issuer", False),
        ("RED", "unknown_format", False), ("GREEN", "already_used", False)]  # A again: one code, one person
    assert [d["seq"] for d in out] == [1, 2, 3, 4, 5]

    recs = read_log(str(flash))
    assert [r["verdict"] for r in recs] == ["GREEN", "RED", "RED", "RED", "GREEN"]
    assert [r["reason"] for r in recs] == ["ok", "policy", "unknown_issuer", "unknown_format", "already_used"]
    assert all(r["time"] == T0 or T0 <= r["time"] <= T0 + 60 for r in recs)
    # same holder, same pseudonym; different holders differ; no holder -> zeros
    assert recs[0]["pseudonym"] == recs[4]["pseudonym"] != recs[1]["pseudonym"]
    assert recs[3]["pseudonym"] == "00" * 12
    raw = flash.read_bytes()
    for secret_text in (b"\xe5\xbc\xa0*\xe7\x8e\xb2", b"H-0001"):  # masked name, holder id
        assert secret_text not in raw

    # the next boot continues the same log
    (inputs / "scanner.txt").write_text(issuer.mint("yellow") + "\n")
    out = sim(tmp_path, issuer, inputs, flash)
    assert out[0]["seq"] == 6 and len(read_log(str(flash))) == 6


def test_unset_clock_gives_clock_unset(tmp_path, issuer):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text(issuer.mint("green") + "\n")
    out = sim(tmp_path, issuer, inputs, tmp_path / "f.img", at=None)
    assert out[0]["reason"] == "clock_unset" and out[0]["verdict"] == "RED"


def test_camera_frames_from_kioskctl_sim_photo(tmp_path, issuer):
    """Codes rendered as phone/paper photos go camera -> QR decoder -> verifier."""
    inputs = tmp_path / "cam"
    for stem, colour, style, size in (("a", "green", "phone", "320x240"), ("b", "red", "paper", "640x480")):
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "kioskctl"), "sim", "photo",
                               issuer.mint(colour), "-o", str(inputs), "--stem", stem, "--style", style,
                               "--size", size], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert len(list(inputs.glob("*.pgm"))) == 6
    out = sim(tmp_path, issuer, inputs, tmp_path / "f.img")
    assert [(d["source"], d["verdict"], d["reason"]) for d in out] == [("a", "GREEN", "ok"), ("b", "RED", "policy")]
