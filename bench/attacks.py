"""Attacks on a provisioned simulated kiosk over its serial pty (issue #10).

    .venv/bin/python bench/attacks.py [--quick]

Starts `kioskctl sim run ... --pty --watch` (the firmware on the MicroPython
unix port, a littlefs flash image, the real serial server), provisions it as
a technician does (admin, operator and a signed trust bundle, venue secret,
Wi-Fi password), lets it scan, then plays every attack of issue #10 and of
tests/firmware/test_provision_attacks.py as raw frames from someone holding
the USB cable without the admin key. Before and after each attack it reads
the kiosk's state over the link (provisioning info, log id, ack cursor,
free log capacity, every unacknowledged record). At the end it reboots the
kiosk (a power cycle: staged files are gone, the state is what was saved)
and the admin pulls with the admin key: every record scanned must arrive.

Per attack: REFUSED when the kiosk refused it (or, for a replay, did
nothing), STATE_CHANGED when its provisioning state, log id, ack cursor or
free space changed, RECORDS_LOST for records present before and missing
after. Ends with

    ATTACKS <n> REFUSED <r> STATE_CHANGED <s> RECORDS_LOST <l>

and exits 0 only with r = n, s = 0 and l = 0. `--quick` floods 100 KB
instead of 1.8 MB (a CI-sized run: tests/e2e/test_attacks_bench.py).
"""

import argparse
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "host_tools"))

import cbor2  # noqa: E402
import serial  # noqa: E402

from kioskctl import bundle, cli  # noqa: E402
from kioskctl.ackauth import sign_ack  # noqa: E402
from kioskctl.fw import prov as P, proto  # noqa: E402
from kioskctl.link import Link  # noqa: E402
from kioskctl.provision import CHUNK, Client, sign_command  # noqa: E402

KIOSKCTL = os.path.join(os.path.dirname(sys.executable), "kioskctl")
DEV = "K-ATTACK-1"
SECRET = b"venue-secret-for-the-attack-bench!"
WIFI_PW = "wifi-password-attack-bench"
CAPACITY_SLACK = 256  # records: a new log segment may take a block or two
VOLATILE = ("ok", "clock", "clock_status", "clock_floor", "bundle")  # change with time, not with attacks


class Kiosk:
    """The simulated kiosk in the background; `link` talks to its pty."""

    def __init__(self, inputs, flash):
        self.inputs = inputs
        self.proc = subprocess.Popen(
            [KIOSKCTL, "sim", "run", inputs, "--flash", flash, "--pty", "--json", "--watch"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        if "kiosk serial port:" not in line:
            raise SystemExit("simulator did not start: " + line + self.proc.stderr.read())
        self.port_path = line.split("kiosk serial port:")[1].split()[0]
        self.port = serial.Serial(self.port_path, timeout=0.05, write_timeout=10)
        self.link = Link(self.port, timeout=3.0, retries=3)
        self.files = 0

    def scan(self, lines):
        """Hand the camera/scanner a file; returns the verdict lines."""
        self.files += 1
        self.drop("%04d-scan.txt" % self.files, ("\n".join(lines) + "\n").encode())
        return [json.loads(self.proc.stdout.readline()) for _ in lines]

    def drop(self, name, data):
        tmp = os.path.join(os.path.dirname(self.inputs), name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.inputs, name))

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.port.close()
        self.proc.terminate()
        self.proc.wait(10)


def raw(link, cmd, body=b""):
    """(status, data) of one request, whatever the status."""
    for _ in range(link.retries):
        rseq = link.send(cmd, body)
        deadline = time.monotonic() + link.timeout
        while time.monotonic() < deadline:
            for c, s, status, data in link.receive(deadline - time.monotonic()):
                if c == cmd and s == rseq:
                    return status, bytes(data)
    raise SystemExit("no answer from the kiosk to command %d" % cmd)


def prov(link, req):
    status, data = raw(link, P.CMD_PROV, cbor2.dumps(req))
    return dict(cbor2.loads(data)) if status == 0 else {"ok": False, "error": "status %d" % status}


def state(k):
    """What an attack must not change, read over the link."""
    link = k.link
    hello = link.hello()
    st = link.stats()
    info = {key: v for key, v in prov(link, {"op": "info"}).items() if key not in VOLATILE}
    recs = {}
    seq = st["ack_seq"] + 1
    while True:
        status, data = raw(link, proto.CMD_READ, struct.pack("<IH", seq, 64))
        nxt, n = struct.unpack_from("<IH", data)
        for i in range(n):
            r = data[6 + 32 * i : 38 + 32 * i]
            recs[struct.unpack_from("<I", r, 2)[0]] = r
        if n == 0:
            break
        seq = nxt
    return {"info": info, "log_id": hello["log_id"], "device": hello["device"], "ack_seq": st["ack_seq"],
            "capacity": st["capacity"], "count": st["count"], "records": recs}


def changes(before, after):
    """(what changed, records lost) between two states."""
    what = []
    for key in ("info", "log_id", "device", "ack_seq"):
        if before[key] != after[key]:
            what.append(key)
    if after["capacity"] + max(0, after["count"] - before["count"]) < before["capacity"] - CAPACITY_SLACK:
        what.append("capacity %d -> %d" % (before["capacity"], after["capacity"]))
    lost = [s for s, r in before["records"].items() if after["records"].get(s) != r]
    return what, lost


class Bench:
    def __init__(self, work, quick):
        self.work = work
        self.quick = quick
        self.keys = {}
        for name in ("issuer", "operator", "admin", "intruder"):
            prefix = os.path.join(work, name)
            _ctl("keys", "gen", "-o", prefix)
            self.keys[name] = bundle.load_private_key(prefix + ".key.pem")
        self.trust = os.path.join(work, "issuer.kts")
        _ctl("trust", "build", "--key", os.path.join(work, "issuer.pub.pem"), "-o", self.trust, "--no-tables")
        self.bundles = {}
        for name, key, seq in (("b1", "operator", 1), ("b1again", "operator", 1), ("intruder", "intruder", 9)):
            path = os.path.join(work, name + ".ktb")
            _ctl("trust", "bundle", "--store", self.trust, "--key", os.path.join(work, key + ".key.pem"),
                 "--seq", seq, "-o", path)
            with open(path, "rb") as f:
                self.bundles[name] = f.read()
        self.inputs = os.path.join(work, "in")
        os.mkdir(self.inputs)
        with open(os.path.join(self.inputs, "0000-warmup.txt"), "w") as f:
            f.write("warm-up\n")
        self.flash = os.path.join(work, "flash.img")
        self.results = []
        self.seen = {}  # every record ever read from the kiosk: seq -> raw
        self.captured_ack = None
        self.captured_cmd = None

    # -- setup: what the technician and the admin do -------------------------

    def provision(self, k):
        k.proc.stdout.readline()  # the warm-up scan
        self.unprovisioned_attacks()
        c = Client(k.link)
        pub = bundle.point_of
        c.setup(device_id=DEV, venue={"id": "V-1", "name": "Clinic", "type": "medical"},
                policy={"venue_type": "medical"}, admin=pub(self.keys["admin"]), operator=pub(self.keys["operator"]),
                secret=SECRET, clock=int(time.time()), bundle_data=self.bundles["b1"],
                wifi={"ssid": "venue-net", "password": WIFI_PW})
        k.scan(["junk-%d" % i for i in range(6)])
        k.link.hello()  # HELLO commits what is pending: every scan is durable
        # the admin acknowledges the first records (the capture a replay reuses)
        hello = k.link.hello()
        sig = sign_ack(self.keys["admin"], DEV, hello["log_id"], 3)
        k.link.ack(3, sig)
        self.captured_ack = struct.pack("<I", 3) + sig
        # and changes the policy once (the command a replay reuses)
        info = c.info()
        self.captured_cmd = {"op": "cmd", "cmd": sign_command(self.keys["admin"], DEV, info["ctr"] + 1, "policy",
                                                              {"policy": {"venue_type": "medical"}})}
        assert prov(k.link, self.captured_cmd)["ok"]

    def signed(self, op, args, key="admin", dev=DEV, ctr=None):
        if ctr is None:
            ctr = prov(self.k.link, {"op": "info"})["ctr"] + 1
        return {"op": "cmd", "cmd": sign_command(self.keys[key], dev, ctr, op, args)}

    def admin_stage(self, data):
        """What the admin does before an install (a legitimate, signed stage)."""
        r = prov(self.k.link, self.signed("stage", {"size": len(data), "sha": hashlib.sha256(data).digest()}))
        assert r["ok"], r

    def upload(self, data):
        """Send every chunk of `data`; returns how many the kiosk refused."""
        refused = 0
        for off in range(0, len(data), CHUNK):
            status, _ = raw(self.k.link, P.CMD_UPLOAD, struct.pack("<I", off) + data[off : off + CHUNK])
            refused += status != 0
        return refused

    # -- running one attack ----------------------------------------------------

    def attack(self, name, fn, prepare=None):
        if prepare:
            prepare()
        before = state(self.k)
        self.seen.update(before["records"])
        refused = bool(fn())
        self.k.link.deframer.buf.clear()
        alive = self.k.alive()
        after = state(self.k) if alive else before
        self.seen.update(after["records"])
        what, lost = changes(before, after)
        if not alive:
            what.append("kiosk died")
        self.results.append((name, refused, what, lost))
        print("%-62s %s%s%s" % (name, "refused" if refused else "ACCEPTED",
                                "  CHANGED " + ", ".join(what) if what else "",
                                "  LOST %d" % len(lost) if lost else ""), flush=True)

    def refusal(self, req, code=None):
        r = prov(self.k.link, req)
        return not r.get("ok") and (code is None or r.get("error") == code)

    def ack_denied(self, body):
        return raw(self.k.link, proto.CMD_ACK, body)[0] != 0

    def run(self):
        self.k = k = Kiosk(self.inputs, self.flash)
        try:
            self.provision(k)
            self.baseline = state(k)
            self.seen = dict(self.baseline["records"])  # the admin acknowledged what came before
            self.attacks()
            k.stop()
            later = os.path.join(self.work, "in-after-reboot")
            os.mkdir(later)
            self.k = k = Kiosk(later, self.flash)  # power cycle
            after = state(k)
            what, lost = changes(self.ref, after)
            if "info" in what:
                what[what.index("info")] = "info " + ", ".join(
                    "%s %r -> %r" % (key, self.ref["info"].get(key), v) for key, v in after["info"].items()
                    if self.ref["info"].get(key) != v)
            self.results.append(("after a reboot: state as provisioned", not what, what, lost))
            print("%-62s %s" % ("after a reboot: state as provisioned", ", ".join(what) or "same"))
            self.final_pull(k)
        finally:
            k.stop()

    def final_pull(self, k):
        """The admin pulls with the admin key: every record ever seen arrives."""
        from kioskctl.pull import pull
        from kioskctl.store import Store

        store = Store(os.path.join(self.work, "admin.sqlite"))
        try:
            pull(k.port, store, ack_key=self.keys["admin"], progress=False, log=lambda m: None)
            got = dict(store.db.execute("SELECT seq, 1 FROM records").fetchall())
        finally:
            store.close()
        missing = [s for s in self.seen if s not in got]
        self.results.append(("admin pull after the attacks gets every record", not missing, [], missing))
        print("%-62s %d records, %d missing" % ("admin pull after the attacks", len(got), len(missing)))

    # -- the attacks -------------------------------------------------------------

    def unprovisioned_attacks(self):
        """Before first setup: setup is unsigned, but only valid values install."""
        A = self.attack
        pub = bundle.point_of(self.keys["intruder"])
        good = {"op": "setup", "device_id": "EVIL", "venue": {"id": "x", "name": "x", "type": "general"},
                "admin": pub, "operator": pub, "secret": b"s" * 32, "clock": int(time.time())}
        for what, bad in (("a short secret", {"secret": b"short"}), ("a key off the curve", {"admin": b"\x04" + bytes(64)}),
                          ("an unknown venue type", {"venue": {"id": "x", "name": "x", "type": "casino"}}),
                          ("a junk bundle", {"bundle": b"KTB1junk"}), ("a clock in 1970", {"clock": 12})):
            A("unprovisioned: setup with %s" % what, lambda b=bad: self.refusal(dict(good, **b)))
        A("unprovisioned: stage of 1 GB", lambda: self.refusal({"op": "stage", "size": 1 << 30, "sha": bytes(32)}))
        A("unprovisioned: UPLOAD without a stage", lambda: self.upload(b"x" * 2000) == 3)


    def attacks(self):
        k = self.k
        A = self.attack
        # 1. file paths from the wire
        for path in ("/flash/config/prov.json", "/flash/log/meta", "/flash/config/secret.bin",
                     "/flash/config/trust.ktb", "config/prov.json"):
            A("unsigned cmd deleting %s via blob_path" % path,
              lambda p=path: self.refusal({"op": "cmd", "cmd": b"junk", "blob_path": p}))
        A("setup naming its own bundle file (bundle_path)", lambda: self.refusal(
            {"op": "setup", "device_id": "EVIL", "bundle_path": "/flash/config/trust.ktb"}))
        A("second, unsigned setup with the intruder's keys", lambda: self.refusal(
            {"op": "setup", "device_id": "EVIL", "venue": {"id": "x", "name": "x", "type": "medical"},
             "admin": bundle.point_of(self.keys["intruder"]), "operator": bundle.point_of(self.keys["intruder"]),
             "secret": b"s" * 32, "clock": int(time.time())}, "already_provisioned"))
        A("info with a path field", lambda: self.refusal({"op": "info", "path": "/flash/config/secret.bin"}))
        # 2. acknowledgements
        hello = k.link.hello()
        log_id = hello["log_id"]
        A("ACK 0xFFFFFFFF without a signature", lambda: self.ack_denied(struct.pack("<I", 0xFFFFFFFF)))
        A("ACK everything with a zero signature", lambda: self.ack_denied(struct.pack("<I", 0xFFFFFFFF) + bytes(64)))
        for who in ("intruder", "operator"):
            A("ACK signed by the %s key" % who, lambda w=who: self.ack_denied(
                struct.pack("<I", 8) + sign_ack(self.keys[w], DEV, log_id, 8)))
        A("ACK signed by the admin for another kiosk", lambda: self.ack_denied(
            struct.pack("<I", 8) + sign_ack(self.keys["admin"], "K-OTHER", log_id, 8)))
        A("ACK signed by the admin for another log", lambda: self.ack_denied(
            struct.pack("<I", 8) + sign_ack(self.keys["admin"], DEV, log_id ^ 1, 8)))
        A("ACK signed by the admin beyond the newest record", lambda: self.ack_denied(
            struct.pack("<I", 0xFFFFFFFF) + sign_ack(self.keys["admin"], DEV, log_id, 0xFFFFFFFF)))
        A("replayed admin ACK (captured earlier)", lambda: raw(k.link, proto.CMD_ACK, self.captured_ack) == (
            0, struct.pack("<I", self.baseline["ack_seq"])))

        def forged_ack_then_reset():
            button = self.flash + ".button"
            with open(button, "w") as f:
                f.write("held")
            try:
                self.ack_denied(struct.pack("<I", 0xFFFFFFFF) + bytes(64))
                return self.refusal({"op": "reset"}, "logs_pending")
            finally:
                os.remove(button)
        A("forged ACK, then reset with the button held", forged_ack_then_reset)
        A("reset without the button", lambda: self.refusal({"op": "reset", "abandon_logs": True}, "no_presence"))
        # 3. uploads
        flood = b"\xa5" * ((100 if self.quick else 1800) * 1024)
        A("unsigned UPLOAD flood of %d KB" % (len(flood) // 1024),
          lambda: self.upload(flood) == (len(flood) + CHUNK - 1) // CHUNK)
        sha = hashlib.sha256(flood).digest()
        A("unsigned stage on a provisioned kiosk", lambda: self.refusal(
            {"op": "stage", "size": len(flood), "sha": sha}, "already_provisioned"))
        A("stage signed by the intruder", lambda: self.refusal(
            self.signed("stage", {"size": len(flood), "sha": sha}, key="intruder"), "bad_signature"))
        b = self.bundles["b1again"]
        A("UPLOAD beyond the size the admin staged", lambda: self.upload(b + b"\x00" * CHUNK) > 0,
          prepare=lambda: self.admin_stage(b))
        bad = bytearray(b)
        bad[-7] ^= 1

        def swapped():
            self.upload(bytes(bad))
            return self.refusal(self.signed("trust", {"sha": hashlib.sha256(b).digest()}) | {"staged": True},
                                "hash_mismatch")
        A("staged bundle swapped on the cable (hash mismatch)", swapped, prepare=lambda: self.admin_stage(b))

        def install(data, code):
            def go():
                self.upload(data)
                return self.refusal(self.signed("trust", {"sha": hashlib.sha256(data).digest()}) | {"staged": True},
                                    code)
            return go
        A("older bundle (rollback), pushed by the admin", install(b, "rollback"), prepare=lambda: self.admin_stage(b))
        ib = self.bundles["intruder"]
        A("bundle signed by an intruder operator key", install(ib, "bad_signature"),
          prepare=lambda: self.admin_stage(ib))
        # 4. signed commands
        intruder_pub = bundle.point_of(self.keys["intruder"])
        A("admin key rotation signed by the intruder", lambda: self.refusal(
            self.signed("admin", {"admin": intruder_pub}, key="intruder"), "bad_signature"))
        A("collectors replaced, signed by the intruder", lambda: self.refusal(
            self.signed("collectors", {"collectors": [intruder_pub]}, key="intruder"), "bad_signature"))
        A("clock set back a year, signed by the intruder", lambda: self.refusal(
            self.signed("clock", {"time": int(time.time()) - 365 * 86400, "back": True}, key="intruder"),
            "bad_signature"))
        A("replayed admin command (captured earlier)", lambda: self.refusal(self.captured_cmd, "replay"))
        A("admin command signed for another kiosk", lambda: self.refusal(
            self.signed("venue", {"venue": {"id": "x", "name": "x", "type": "medical"}}, dev="K-OTHER"),
            "wrong_device"))
        A("unsigned command body", lambda: self.refusal({"op": "cmd", "cmd": cbor2.dumps(
            {"dev": DEV, "ctr": 99, "op": "admin", "args": {"admin": intruder_pub}})}))

        def secrets():
            answers = [raw(k.link, P.CMD_PROV, cbor2.dumps({"op": op}))[1]
                       for op in ("info", "get", "read", "secret", "dump", "wifi")]
            return not any(SECRET[:12] in a or WIFI_PW.encode() in a for a in answers)
        A("reading the venue secret or Wi-Fi password", secrets)

        def garbage():
            k.port.write(b"\x00" + os.urandom(3000) + b"\x00" + b"\xff" * 5000 + b"\x00")
            raw(k.link, 0x55)
            return k.link.hello()["device"] == DEV
        A("garbage, oversized frames and unknown commands", garbage)
        # 5. the camera
        def bad_frame():
            k.drop("9000-huge.pgm", b"P5\n8192 8192\n255\n" + b"\x80" * 10)
            v = json.loads(k.proc.stdout.readline())
            return v["reason"] == "unreadable" and k.link.hello()["device"] == DEV
        A("camera frame claiming 8192x8192 with 10 bytes", bad_frame)
        # last: a large upload the admin staged and never installed; the
        # reboot below must leave the flash as it was before it
        self.admin_stage(flood)
        self.ref = state(k)
        self.upload(flood)  # staged, never installed: the flash must get it back
        if state(k)["capacity"] > self.ref["capacity"] - len(flood) // 64:
            print("(the abandoned upload was not staged: the reboot check below proves less)")


def _ctl(*args):
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main([str(a) for a in args])
    if code:
        raise SystemExit("kioskctl %s failed" % " ".join(map(str, args)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI size: a 100 KB flood instead of 1.8 MB")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="kiosk-attacks-")
    try:
        b = Bench(work, args.quick)
        b.run()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res = b.results
    n = len(res)
    r = sum(1 for _, refused, _, _ in res if refused)
    s = sum(1 for _, _, what, _ in res if what)
    lost = set()
    for _, _, _, l in res:
        lost.update(l)
    print("ATTACKS %d REFUSED %d STATE_CHANGED %d RECORDS_LOST %d" % (n, r, s, len(lost)))
    return 0 if r == n and s == 0 and not lost else 1


if __name__ == "__main__":
    sys.exit(main())
