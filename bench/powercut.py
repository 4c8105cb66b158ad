"""Power-cut harness for the scan log: `python bench/powercut.py --cuts N [--seed S]`.

Runs on the MicroPython unix port (re-executes itself there when started with
CPython) against the real log (kiosk.records.log) on a real littlefs
(vfs.VfsLfs2) over the simulated NOR flash (board/sim/flashdev.py).

One image lives through N power cuts, like a kiosk on a bad socket. Each life:
remount with a fresh FlashDev on the same bytes, recover the log, check it,
then run a random workload (scans, group commits, a host pulling and
acknowledging, segment rotation, flash filling up) with a cut armed at a
random program/erase. The cut stops the operation, tears it (a prefix
programmed or erased) or leaves garbage. Checks after each remount:
- LOST_ACKED: a record the log reported durable (commit returned) that the
  host had not acknowledged is missing, or the ack cursor moved past what the
  host acknowledged.
- CORRUPT: a record reads back with content other than what was appended for
  its seq, records out of order, or a committed seq would be reused.
- UNMOUNTABLE: mount or log recovery fails (the image is then reformatted).
Ends with `CUTS <n> LOST_ACKED <k> CORRUPT <c> UNMOUNTABLE <u>`.
"""

import sys

_IS_MP = sys.implementation.name == "micropython"


def _host_main():
    import os
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    sys.path.insert(0, os.path.join(repo, "host_tools"))
    from kioskctl import mp

    proc = mp.popen(os.path.abspath(__file__), sys.argv[1:], heapsize="8M", cwd=repo,
                    stdout=subprocess.PIPE, text=True)
    quiet = 0
    for line in proc.stdout:
        # files left open at a cut are closed by the GC later; MicroPython
        # prints the EIO their finaliser gets from the dead device
        if line.strip() == "OSError: [Errno 5] EIO":
            quiet += 1
            continue
        sys.stdout.write(line)
        sys.stdout.flush()
    rc = proc.wait()
    if quiet:
        sys.stderr.write("(%d EIO messages from finalisers of files open at a cut not shown)\n" % quiet)
    return rc


def _content(seq, life):
    return (seq * 2654435761 + life * 40503) & 0x7FFFFFFF


class Harness:
    def __init__(self, seed=1, blocks=40, block_size=4096, seg_records=32, verbose=False):
        import random

        from flashdev import FlashDev

        random.seed(seed)
        self.rnd = random
        self.FlashDev = FlashDev
        self.block_size = block_size
        self.mem = FlashDev.blank(block_size, blocks)
        self.seg_records = seg_records
        self.verbose = verbose
        self.model = {}  # seq -> content (time field) of the last append of that seq
        self.committed = 0  # newest seq the log reported durable
        self.host_acked = 0  # newest seq the host acknowledged
        self.host_next = 1
        self.life = 0
        self.cuts = self.lost = self.corrupt = self.unmountable = 0
        self.erases = self.appended = 0
        self._rand_bytes = lambda n: bytes(random.getrandbits(8) for _ in range(n))
        self._format()

    def _dev(self):
        return self.FlashDev(self.mem, self.block_size, rng=self._rand_bytes)

    def _format(self):
        import vfs

        vfs.VfsLfs2.mkfs(self._dev())
        self.model = {}
        self.committed = self.host_acked = 0
        self.host_next = 1

    def _mount(self, dev):
        import vfs

        try:
            vfs.umount("/pc")
        except OSError:
            pass
        vfs.mount(vfs.VfsLfs2(dev), "/pc")

    def _open(self, dev):
        from kiosk.records.log import Log

        self._mount(dev)
        return Log("/pc/log", seg_records=self.seg_records, group_max=8, reserve=3)

    def check(self, log):
        from kiosk.records import SIZE, decode

        if log.ack_seq > self.host_acked:
            self.lost += 1
            self._say("ack cursor %d beyond host ack %d" % (log.ack_seq, self.host_acked))
        if log.next_seq <= self.committed:
            self.corrupt += 1
            self._say("next seq %d would reuse committed %d" % (log.next_seq, self.committed))
        buf = bytearray(64 * SIZE)
        seq = 1
        seen = set()
        last = 0
        while True:
            n, nxt = log.read_into(seq, buf, 64)
            for i in range(n):
                r = decode(buf, i * SIZE)
                if r.seq <= last or self.model.get(r.seq, r.time) != r.time:
                    if r.seq > self.host_acked:
                        self.corrupt += 1
                        self._say("record %d content/order wrong" % r.seq)
                last = r.seq
                seen.add(r.seq)
            if nxt > log.durable_seq or (n == 0 and nxt == seq):
                break
            seq = nxt
        for s in range(self.host_acked + 1, self.committed + 1):
            if s in self.model and s not in seen:
                self.lost += 1
                self._say("committed record %d lost" % s)

    def _say(self, msg):
        if self.verbose:
            print("life %d: %s" % (self.life, msg))

    def _committed(self, log):
        # after a commit returns, every seq below next_seq is durable or was
        # refused (flash full, counted in log.dropped)
        self.committed = log.durable_seq
        for s in range(log.durable_seq + 1, log.next_seq):
            self.model.pop(s, None)

    def _workload(self, log):
        from kiosk.records import SIZE, Record

        rnd = self.rnd
        buf = bytearray(16 * SIZE)
        while True:
            a = rnd.getrandbits(4)
            if a < 9:
                for _ in range(1 + rnd.getrandbits(2)):
                    t = _content(log.next_seq, self.life)
                    seq = log.append(Record(time=t, reason="ok", pseudonym=b"p" * 12))
                    if seq:
                        self.model[seq] = t
                        self.appended += 1
                    if log.pending == 0:
                        self._committed(log)
            elif a < 13:
                log.commit()
                self._committed(log)
            elif a < 15 or log.full:
                # the host pulls a batch, stores it, then acknowledges it
                n, nxt = log.read_into(self.host_next, buf, 16)
                last = self.host_next - 1
                for i in range(n):
                    from kiosk.records import seq_of

                    last = seq_of(buf, i * SIZE)
                self.host_next = nxt
                if last > self.host_acked and rnd.getrandbits(1):
                    self.host_acked = last
                    for s in [s for s in self.model if s <= last]:
                        del self.model[s]
                    log.ack(last)

    def one_life(self):
        import vfs

        rnd = self.rnd
        self.life += 1
        dev = self._dev()
        early = rnd.getrandbits(3) == 0
        if early:  # power bounces during mount/recovery
            dev.arm(rnd.getrandbits(3), ("stop", "torn", "garbage")[rnd.getrandbits(8) % 3])
        try:
            log = self._open(dev)
        except Exception as e:  # noqa: BLE001 - any failure here is a finding
            if dev.dead:
                self.cuts += 1
                return
            self.unmountable += 1
            self._say("unmountable: %r" % e)
            self._format()
            return
        if not early:
            self.check(log)
            dev.arm(rnd.getrandbits(9), ("stop", "torn", "garbage")[rnd.getrandbits(8) % 3])
        try:
            self._workload(log)
        except Exception as e:  # noqa: BLE001
            if not dev.dead:
                raise
        log._close_active()  # else the GC closes it later and prints the EIO
        self.cuts += 1
        self.erases += dev.erases
        try:
            vfs.umount("/pc")
        except OSError:
            pass

    def run(self, cuts):
        while self.cuts < cuts:
            self.one_life()
        # final remount and check
        self.life += 1
        try:
            log = self._open(self._dev())
            self.check(log)
        except Exception as e:  # noqa: BLE001
            self.unmountable += 1
            self._say("final unmountable: %r" % e)
        return self.result()

    def result(self):
        return "CUTS %d LOST_ACKED %d CORRUPT %d UNMOUNTABLE %d" % (
            self.cuts, self.lost, self.corrupt, self.unmountable)


def wear(n=900):
    """Block erases per record at one scan per second (tick every 100 ms),
    for the log and for its peer: append + flush every record to one file."""
    import vfs

    from flashdev import FlashDev
    from kiosk.records import SIZE, Record, encode
    from kiosk.records.log import Log

    out = []
    for peer in (False, True):
        dev = FlashDev(FlashDev.blank(4096, 256))
        vfs.VfsLfs2.mkfs(dev)
        vfs.mount(vfs.VfsLfs2(dev), "/wear")
        log = None if peer else Log("/wear/log")
        f = open("/wear/peer.log", "ab") if peer else None
        t = 0
        e0 = dev.erases
        for i in range(n):
            r = Record(time=i, pseudonym=b"w" * 12)
            if peer:
                r.seq = i + 1
                f.write(encode(r))
                f.flush()
                continue
            log.append(r)
            log._t0 = t
            for _ in range(10):
                t += 100
                log.tick(t)
        out.append((dev.erases - e0) / n)
        if f:
            f.close()
        vfs.umount("/wear")
    return out


def _mp_main(argv):
    import time

    cuts, seed, verbose = 300, 1, False
    i = 0
    while i < len(argv):
        if argv[i] == "--cuts":
            cuts = int(argv[i + 1])
            i += 1
        elif argv[i] == "--seed":
            seed = int(argv[i + 1])
            i += 1
        elif argv[i] in ("-v", "--verbose"):
            verbose = True
        i += 1
    ours, peer = wear()
    print("WEAR at 1 scan/s: %.3f block erases/record (peer, flush per record: %.3f; %.1fx fewer)" % (
        ours, peer, peer / ours))
    t0 = time.ticks_ms()
    h = Harness(seed=seed, verbose=verbose)
    line = h.run(cuts)
    dt = time.ticks_diff(time.ticks_ms(), t0) / 1000
    print("appended %d records in %d lives, %.1f s, %.2f erases/record" % (
        h.appended, h.life, dt, h.erases / max(1, h.appended)))
    print(line)
    return 0 if line.endswith("LOST_ACKED 0 CORRUPT 0 UNMOUNTABLE 0") or (
        h.lost == h.corrupt == h.unmountable == 0) else 1


if __name__ == "__main__":
    if _IS_MP:
        sys.exit(_mp_main(sys.argv[1:]))
    sys.exit(_host_main())
