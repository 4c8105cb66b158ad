"""Flash wear of the reuse memory (kiosk.app.reuse.Memory) on littlefs.

A busy door (one admission every 2 s, 512 codes remembered, a 10-minute
window) on a simulated 4 KB-block NOR flash (board/sim/flashdev.py counts
erases). The memory's batched journal (the app calls flush() every 100 ms;
it writes at most every 5 s or 8 codes, and rewrites the journal when it
reaches 2 x size entries) against its peer measured in the same run: the
same memory flushed after every admission. Runs on the MicroPython unix port.

    .venv/bin/python bench/reuse.py [--admissions N]
    REUSE ADMISSIONS n ERASES_PER_ADMISSION x FLUSH_EACH_ERASES_PER_ADMISSION y RATIO r
"""

import sys

_IS_MP = sys.implementation.name == "micropython"


def _host_main():
    import os
    import subprocess

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(repo, "host_tools"))
    from kioskctl import mp

    proc = mp.popen(os.path.abspath(__file__), sys.argv[1:], heapsize="4M", cwd=repo, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        sys.stdout.write(line)
    return proc.wait()


def _run(n, batched):
    import os
    import vfs
    from flashdev import FlashDev
    from kiosk.app.reuse import Memory

    mem = bytearray(b"\xff" * (128 * 4096))
    dev = FlashDev(mem, 4096)
    vfs.VfsLfs2.mkfs(dev)
    vfs.mount(vfs.VfsLfs2(dev), "/rb")
    start = dev.erases
    m = Memory("/rb/reuse", 512, 600)
    t = 1790000000
    for i in range(n):
        h = (b"%016d" % i)[:16]
        if m.seen(h, t) is None:
            m.note(h, t)
        if batched:
            for step in range(20):  # the committer's 100 ms ticks over 2 s
                m.flush(t + step // 10)
        else:
            m.flush(force=True)
        t += 2
    m.flush(force=True)
    erases = dev.erases - start
    vfs.umount("/rb")
    del os
    return erases


def _mp_main():
    n = 3000
    if "--admissions" in sys.argv:
        n = int(sys.argv[sys.argv.index("--admissions") + 1])
    batched = _run(n, True)
    each = _run(n, False)
    print("batched: %d erases for %d admissions; flush each: %d erases" % (batched, n, each))
    print("REUSE ADMISSIONS %d ERASES_PER_ADMISSION %.3f FLUSH_EACH_ERASES_PER_ADMISSION %.3f RATIO %.2f" % (
        n, batched / n, each / n, (batched / each) if each else 0.0))
    return 0


if __name__ == "__main__":
    sys.exit(_mp_main() if _IS_MP else _host_main())
