"""bench/attacks.py --quick in CI: every attack of issue #10 (and of the
provisioning attack tests) against the simulated kiosk over its pty is
refused, changes nothing and loses no record."""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_every_attack_refused_nothing_changed_nothing_lost():
    proc = subprocess.run([sys.executable, os.path.join(REPO, "bench", "attacks.py"), "--quick"],
                          capture_output=True, text=True, timeout=300)
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    n, r, s, lost = (int(x) for x in last.split()[1::2])
    assert last.startswith("ATTACKS ") and n >= 30, last
    assert (r, s, lost) == (n, 0, 0), proc.stdout
