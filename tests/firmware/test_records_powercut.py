# A few hundred power cuts (stop, torn and garbage program/erase) across scans,
# group commits, acknowledgement and segment rotation: nothing committed and
# unacknowledged is lost, nothing corrupt, always mountable. bench/powercut.py
# runs the same harness for 10,000 cuts.
import sys

import mpassert

HEAPSIZE = "8M"

sys.path.append(mpassert.repo_path("bench"))


def test_300_power_cuts():
    import powercut

    h = powercut.Harness(seed=20261122, verbose=True)
    line = h.run(300)
    print(line)
    mpassert.eq(line, "CUTS 300 LOST_ACKED 0 CORRUPT 0 UNMOUNTABLE 0")
    mpassert.eq(h.appended > 10000, True, "workload too small")


def test_harness_catches_a_log_that_forgets_to_sync():
    import powercut
    from kiosk.records import log

    class NoSync:
        def __init__(self, f):
            self.f = f

        def write(self, b):
            return self.f.write(b)

        def flush(self):
            pass

        def close(self):
            self.f.close()

    real_open = open

    def lazy_open(path, mode="r"):
        f = real_open(path, mode)
        return NoSync(f) if path.endswith(".seg") and "b" in mode and "r" not in mode else f

    log.open = lazy_open
    h = powercut.Harness(seed=5)
    h.run(60)
    mpassert.eq(h.lost > 0, True, "harness missed lost records: " + h.result())
