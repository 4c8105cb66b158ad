"""`kioskctl sim run --pty` exposes the simulated kiosk on a pty; `kioskctl pull`
talks to it exactly as to a real board: every record once, then nothing new."""

import json
import os
import sqlite3
import subprocess
import sys
import time

KIOSKCTL = os.path.join(os.path.dirname(sys.executable), "kioskctl")
T0 = "2026-09-22T10:00:00Z"  # inside the minted codes' week


def test_pull_from_running_simulated_kiosk(tmp_path, issuer):
    inputs = tmp_path / "in"
    inputs.mkdir()
    codes = [issuer.mint("green", iat=1790000000 - 3600, holder="H%d" % i) for i in range(12)] + ["junk"]
    (inputs / "scanner.txt").write_text("\n".join(codes) + "\n")
    device = tmp_path / "device.json"
    device.write_text(json.dumps({"device_id": "SIM-PULL-1", "venue": {"id": "V1", "name": "Gym", "type": "general"}}))
    sim = subprocess.Popen(
        [KIOSKCTL, "sim", "run", str(inputs), "--trust", issuer.trust, "--secret", "22" * 32, "--device", str(device),
         "--at", T0, "--flash", str(tmp_path / "flash.img"), "--pty", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        line = sim.stderr.readline()
        assert "kiosk serial port:" in line, line
        port = line.split("kiosk serial port:")[1].split()[0]
        scans = [json.loads(sim.stdout.readline()) for _ in codes]
        assert [s["reason"] for s in scans] == ["ok"] * 12 + ["unknown_format"]
        time.sleep(1.2)  # group commit makes records durable within 1 s

        staff = subprocess.run([KIOSKCTL, "report", "--port", port, "--store", str(tmp_path / "staff.sqlite"),
                                "--tz", "+00:00"], capture_output=True, text=True, timeout=60)
        assert staff.returncode == 0, staff.stderr
        assert " 13 " in staff.stdout.splitlines()[1]  # counts read live, nothing acknowledged

        db = tmp_path / "host.sqlite"
        out = tmp_path / "records.jsonl"
        first = subprocess.run([KIOSKCTL, "pull", "--port", port, "--store", str(db), "--quiet",
                                "--format", "jsonl", "-o", str(out)], capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        rows = [json.loads(l) for l in out.read_text().splitlines()]
        assert [r["seq"] for r in rows] == list(range(1, 14))
        assert [r["verdict"] for r in rows] == ["GREEN"] * 12 + ["RED"]
        assert len({r["pseudonym"] for r in rows[:12]}) == 12

        again = subprocess.run([KIOSKCTL, "pull", "--port", port, "--store", str(db), "--quiet",
                                "--format", "jsonl", "-o", str(out)], capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        assert "pulled 0 new records" in again.stderr
        assert out.read_text() == ""
        with sqlite3.connect(db) as c:
            assert c.execute("SELECT COUNT(*), COUNT(DISTINCT seq), MIN(device) FROM records").fetchone() == (13, 13, "SIM-PULL-1")

        report = subprocess.run([KIOSKCTL, "report", "--store", str(db), "--tz", "+00:00"], capture_output=True, text=True)
        assert report.returncode == 0, report.stderr
        row = [l for l in report.stdout.splitlines() if l.startswith("SIM-PULL-1")]
        assert row and row[0].split()[1:7] == ["2026-09-22", "13", "12", "12", "0", "0"], report.stdout
        assert "unknown_format 1" in row[0]
        assert rows[3]["pseudonym"] not in report.stdout

        trace = subprocess.run([KIOSKCTL, "trace", "--store", str(db), "--holder", "H3", "--secret", "22" * 32, "--json"],
                               capture_output=True, text=True)
        assert trace.returncode == 0, trace.stderr
        visits = [json.loads(l) for l in trace.stdout.splitlines()]
        assert len(visits) == 1 and visits[0]["pseudonym"] == rows[3]["pseudonym"]
        assert sorted(visits[0]["contacts"]) == sorted(r["pseudonym"] for i, r in enumerate(rows[:12]) if i != 3)
        wrong = subprocess.run([KIOSKCTL, "trace", "--store", str(db), "--holder", "H3", "--secret", "33" * 32, "--json"],
                               capture_output=True, text=True)
        assert wrong.stdout == ""  # another venue's secret matches nothing
    finally:
        sim.terminate()
        sim.wait(10)
