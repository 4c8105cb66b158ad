"""`make bench`: every benchmark in bench/, each against its peer in the same run.

Runs them one after another (they measure time: nothing else should load the
machine) and ends with each benchmark's summary line. The figures and the
exact commands are recorded in docs/performance.md.

    .venv/bin/python bench/run_all.py [--quick]
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# (script, full-run arguments, quick arguments)
BENCHES = [
    ("verify.py", ["--n", "300"], ["--quick"]),
    ("qr_corpus.py", [], ["--synth", "20"]),
    ("revocation.py", [], ["--n", "20000", "--lookups", "500"]),
    ("trust_fit.py", [], ["--cuts", "1"]),
    ("powercut.py", ["--cuts", "10000"], ["--cuts", "300"]),
    ("serial_pull.py", [], ["--records", "5000"]),
    ("uplink.py", [], ["--records", "4000", "--freeze-s", "10"]),
    ("reuse.py", ["--admissions", "6000"], ["--admissions", "1500"]),
    ("ui_timing.py", [], ["--n", "6"]),
    ("fuzz.py", ["--count", "1000000", "--procs", "2"], ["--count", "20000"]),
    ("attacks.py", [], ["--quick"]),
    ("collect.py", [], ["--quick"]),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small runs (minutes, not hours)")
    ap.add_argument("--only", help="run only benchmarks whose file name contains this")
    args = ap.parse_args()
    summary = []
    failed = 0
    for script, full, quick in BENCHES:
        if args.only and args.only not in script:
            continue
        path = os.path.join(HERE, script)
        if not os.path.exists(path):
            summary.append("%-16s missing" % script)
            failed += 1
            continue
        cmd = [sys.executable, path] + (quick if args.quick else full)
        print("\n== %s" % " ".join(cmd[1:]), flush=True)
        t0 = time.monotonic()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        sys.stdout.write(proc.stdout)
        lines = [l for l in proc.stdout.strip().splitlines() if l.strip()]
        last = lines[-1] if lines else "(no output)"
        summary.append("%-16s %6.0f s  exit %d  %s" % (script, time.monotonic() - t0, proc.returncode, last))
        failed += proc.returncode != 0
    print("\n== summary")
    for line in summary:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
