"""The kiosk on the emulated 32-bit board: guest instructions and heap.

    .venv/bin/python bench/m32.py [--quick]

On the Cortex-M7 board (board/qemu_m7, `make m32`) under `qemu -icount
shift=0`, time.ticks_us() counts thousands of guest instructions, the same on
every run and under any host load. Measured there (bench/m32_ops.py), and the
same code on the MicroPython unix port in the same run:
- ES256 verify (kiosk.crypto.p256) without and with the issuer's comb table:
  the first after boot and the median of the later ones;
- HC1 string -> verdict (kiosk.verify.check, trust store with tables);
- QR decode over a frame set at QVGA and VGA (median, max) and frame ->
  verdict (decode + verify + policy);
- the heap frame -> verdict needs, frame included: the smallest board heap
  (16 KB steps) that reads every frame the large-heap build reads;
- the ratio guest instructions / unix-port microsecond, which turns unix-port
  times into device estimates (one instruction a cycle).
Targets from issue 13 are printed beside the figures. Last line:
  M32 ES256_TABLE_MI x ES256_MI y FIRST_RATIO r HC1_MI h QVGA_MED_MI a QVGA_MAX_MI b
      VGA_MED_MI c VGA_MAX_MI d QVGA_VERDICT_MED_MI e QVGA_HEAP_KB f VGA_HEAP_KB g
      UNIX_MI_PER_MS k
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "host_tools"))

from kioskctl import mp, paths, qemu, rawrepl  # noqa: E402

NOW = 1790000000


def make_data(folder, n_cases, n_qvga, n_vga):
    """Keys, signatures, HC1 codes, a trust store and frames (all TEST data,
    the same on every run: a fixed TEST key, RFC 6979 signatures, fixed cti)."""
    import hashlib

    from ecdsa import NIST256p, SigningKey

    from kioskctl import combtab, mint, photo, trust

    secret = int.from_bytes(hashlib.sha256(b"kiosk bench/m32.py TEST key").digest(), "big") % NIST256p.order
    sk = SigningKey.from_secret_exponent(secret, curve=NIST256p, hashfunc=hashlib.sha256)
    pub = sk.get_verifying_key().to_string("uncompressed")
    cases = []
    for i in range(n_cases):
        msg = b"kiosk m32 bench message %d" % i
        cases.append([msg.hex(), mint.sign_es256(sk, msg).hex()])
    kid = mint.kid_for(sk)
    payloads = []
    for i in range(n_cases):
        claims = mint.health_code_claims("CN-TEST", "green", "H-%04d" % i, "张*玲", NOW - 3600, NOW + 7 * 86400,
                                         cti=hashlib.sha256(b"cti %d" % i).digest()[:16])
        payloads.append(mint.hc1(mint.cose_sign1(claims, sk, kid)))
    with open(os.path.join(folder, "issuer.tab"), "wb") as f:
        f.write(combtab.build_table(pub, 4))
    with open(os.path.join(folder, "trust.kts"), "wb") as f:
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub)
        f.write(trust.build([trust.key_entry(key, kid, "bench TEST issuer")], iat=NOW - 86400))
    with open(os.path.join(folder, "cases.json"), "w") as f:
        json.dump({"pub": pub.hex(), "cases": cases, "payloads": payloads, "now": NOW}, f)
    for size, n, (w, h) in (("qvga", n_qvga, (320, 240)), ("vga", n_vga, (640, 480))):
        d = os.path.join(folder, "frames", size)
        os.makedirs(d)
        for i in range(n):
            style = "phone" if i % 2 == 0 else "paper"
            img = photo.render(payloads[i % len(payloads)], size=(w, h), seed=100 + i, style=style)
            photo.save_pgm(img, os.path.join(d, "%02d-%s.pgm" % (i, style)))


class Board:
    def __init__(self, image, icount, heap=None):
        import serial

        self.emu = qemu.start(qemu.firmware(), romfs=image, icount=icount, heap=heap)
        self.repl = rawrepl.RawRepl(serial.Serial(self.emu.pty_path, timeout=0.05))
        self.repl.enter()

    def op(self, *args, timeout=3600):
        """One op in a fresh interpreter (soft reset: 'after boot')."""
        self.repl.soft_reset()
        call = ", ".join(repr(a) for a in args[1:])
        code = "import m32_ops\nm32_ops.op_%s('/rom/bench'%s)\n" % (args[0], ", " + call if call else "")
        out = self.repl.exec(code, timeout=timeout)
        return json.loads(out.decode().strip().splitlines()[-1])

    def close(self):
        self.repl.port.close()
        self.emu.close()


def unix_op(data, *args):
    env = mp.env(extra_path=[os.path.join(REPO, "bench")])
    proc = subprocess.run([paths.micropython(), "-X", "heapsize=16M", os.path.join(REPO, "bench", "m32_ops.py"), data]
                          + list(args), capture_output=True, env=env, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit("unix port: %s" % proc.stderr.decode()[-2000:])
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def reads(rows):
    """Frames whose every decoded code got the verdict ok (and had one)."""
    return sorted(r[0] for r in rows if r[3] and all(x == "ok" for x in r[3]))


def smallest_heap(image, size, want, lo_kb, hi_kb):
    """Smallest heap (16 KB steps) in which frame -> verdict reads `want`."""

    def fits(kb):
        b = Board(image, icount=False, heap=kb * 1024)
        try:
            got = reads(b.op("frames", size)["frames"])
        except rawrepl.ReplError:
            got = []  # out of memory outside the decoder (the frame, the imports)
        finally:
            b.close()
        return got == want

    if not fits(hi_kb):
        return None
    while hi_kb - lo_kb > 16:
        mid = (lo_kb + hi_kb) // 32 * 16
        if fits(mid):
            hi_kb = mid
        else:
            lo_kb = mid
    return hi_kb


def mi(us):
    """ticks_us on the board under -icount shift=0 -> millions of instructions."""
    return us / 1000.0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer cases and frames")
    args = ap.parse_args(argv)
    missing = qemu.missing_tools()
    if missing:
        raise SystemExit("bench/m32.py: missing %s (host_tools/scripts/sysdeps.sh)" % ", ".join(missing))
    r = subprocess.run(["make", "-s", "--no-print-directory", "build/qemu_m7/firmware.elf"], cwd=REPO)
    if r.returncode != 0:
        raise SystemExit("bench/m32.py: building the firmware failed")
    n_cases, n_qvga, n_vga = (4, 4, 2) if args.quick else (10, 8, 6)
    tmp = tempfile.mkdtemp(prefix="m32bench-")
    try:
        rom = os.path.join(tmp, "rom")
        data = os.path.join(rom, "bench")
        os.makedirs(data)
        make_data(data, n_cases, n_qvga, n_vga)
        shutil.copy(os.path.join(REPO, "bench", "m32_ops.py"), rom)
        image = qemu.make_romfs(rom, os.path.join(tmp, "bench.romfs"))

        b = Board(image, icount=True)
        try:
            ver = b.op("verify")
            hc1 = b.op("hc1")
            fq = b.op("frames", "qvga")["frames"]
            fv = b.op("frames", "vga")["frames"]
        finally:
            b.close()
        u_ver = unix_op(data, "verify")
        u_hc1 = unix_op(data, "hc1")
        u_fq = unix_op(data, "frames", "qvga")["frames"]
        u_fv = unix_op(data, "frames", "vga")["frames"]

        want_q, want_v = reads(fq), reads(fv)
        heap_q = smallest_heap(image, "qvga", want_q, 64, 1024)
        heap_v = smallest_heap(image, "vga", want_v, 256, 2048)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    med = statistics.median
    plain_first, plain_later = ver["plain"][0], med(ver["plain"][1:])
    tab_first, tab_later = ver["table"][0], med(ver["table"][1:])
    hc1_first, hc1_later = hc1["hc1"][0], med(hc1["hc1"][1:])
    dq = [r[1] for r in fq]
    dv = [r[1] for r in fv]
    vq = [r[1] + r[2] for r in fq]
    # ratio: board instructions per unix-port microsecond, per operation
    pairs = [(plain_later, med(u_ver["plain"][1:])), (tab_later, med(u_ver["table"][1:])),
             (hc1_later, med(u_hc1["hc1"][1:])), (med(dq), med([r[1] for r in u_fq])),
             (med(dv), med([r[1] for r in u_fv]))]
    ratios = [a / b for a, b in pairs]  # k instr per unix us = M instr per unix ms
    ratio = med(ratios)

    print("emulated instruction counts (qemu -icount shift=0, mps2-an500 Cortex-M7, MicroPython qemu port)")
    print("  G's table from gtable():       %8.3f M  (frozen bytes; target: no run-time build)" % mi(ver["gtable"]))
    print("  ES256 verify, no table:  first %8.1f M, later median %7.1f M" % (mi(plain_first), mi(plain_later)))
    print("  ES256 verify, key table: first %8.1f M (includes the table check %.1f M), later %7.1f M  (target <= 20 M)"
          % (mi(tab_first), mi(ver["check"]), mi(tab_later)))
    print("  first / later verify (no table): %.2fx  (target <= 1.2x)" % (plain_first / plain_later))
    print("  HC1 -> verdict:          first %8.1f M, later median %7.1f M  (target <= 25 M)" % (mi(hc1_first), mi(hc1_later)))
    print("  QR decode QVGA (%d frames): median %7.1f M, max %7.1f M" % (len(dq), mi(med(dq)), mi(max(dq))))
    print("  QR decode VGA  (%d frames): median %7.1f M, max %7.1f M" % (len(dv), mi(med(dv)), mi(max(dv))))
    print("  QVGA frame -> verdict:      median %7.1f M, max %7.1f M  (target <= 100 M, goal 24 M)" % (mi(med(vq)), mi(max(vq))))
    print("  frames read (verdict ok):   QVGA %d/%d, VGA %d/%d" % (len(want_q), len(fq), len(want_v), len(fv)))
    print("  smallest heap reading them all, frame included: QVGA %s KB (target 256), VGA %s KB (target 1024)"
          % (heap_q, heap_v))
    print("unix port, same run: M instructions per unix-port ms, per op: %s; median %.1f"
          % (", ".join("%.1f" % x for x in ratios), ratio))
    print("M32 ES256_TABLE_MI %.1f ES256_MI %.1f FIRST_RATIO %.2f HC1_MI %.1f QVGA_MED_MI %.1f QVGA_MAX_MI %.1f "
          "VGA_MED_MI %.1f VGA_MAX_MI %.1f QVGA_VERDICT_MED_MI %.1f QVGA_HEAP_KB %s VGA_HEAP_KB %s UNIX_MI_PER_MS %.1f"
          % (mi(tab_later), mi(plain_later), plain_first / plain_later, mi(hc1_later), mi(med(dq)), mi(max(dq)),
             mi(med(dv)), mi(max(dv)), mi(med(vq)), heap_q, heap_v, ratio))
    return 0


if __name__ == "__main__":
    sys.exit(main())
