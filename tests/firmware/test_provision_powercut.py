# Power cut during every provisioning write (the sim flash's cut injection,
# board/sim/flashdev.py): after a reboot the configuration is exactly the old
# or exactly the new state, never a mix, for every cut point and cut mode.
import hashlib

import mpassert
import test_provision_attacks as A
import test_provision_keys as K
from kiosk.provision.handlers import Provisioner
from simclock import SimClock

HEAPSIZE = "4M"

MODES = ("stop", "torn", "garbage")


def _boot(mp, mem):
    K.remount(mp, mem)
    return Provisioner(mp, clock=SimClock(A.T0))


def _run_with_cuts(prepare, action, label, stride=1):
    """prepare(p) brings a fresh kiosk to the old state; action(p) is the write."""
    mp, dev, mem = K.ramfs(64)
    p = Provisioner(mp, clock=SimClock(A.T0))
    prepare(p)
    base = bytearray(mem)
    old = A.snapshot(p.dir)
    action(p)
    new = A.snapshot(p.dir)
    mpassert.eq(old != new, True, label)
    cuts = 0
    for mode in MODES:
        ops = 0
        while True:
            mem[:] = base
            dev = K.remount(mp, mem)
            p = Provisioner(mp, clock=SimClock(A.T0))
            dev.arm(ops, mode)
            done = True
            try:
                action(p)
            except Exception:  # noqa: BLE001 - EIO from the dead flash
                done = not dev.dead
            if done and not dev.dead:
                break
            cuts += 1
            q = _boot(mp, mem)
            got = A.snapshot(q.dir)
            if got != old and got != new:
                raise AssertionError("%s: mixed state after cut %d (%s): %r" % (label, ops, mode, sorted(got)))
            ops += stride
        mpassert.eq(A.snapshot(_boot(mp, mem).dir), new, label + " uncut run")
    import vfs
    vfs.umount(mp)
    return cuts


def test_powercut_first_setup():
    n = _run_with_cuts(lambda p: None, lambda p: p.handle(A.setup_req()), "setup")
    mpassert.eq(n > 10, True)


def test_powercut_signed_commands():
    n = _run_with_cuts(lambda p: p.handle(A.setup_req()),
                       lambda p: p.handle(A.cmd(p, 1, "policy", {"policy": {"venue_type": "medical"}})), "policy")
    n += _run_with_cuts(lambda p: p.handle(A.setup_req()),
                        lambda p: p.handle(A.cmd(p, 1, "secret", {"secret": b"N" * 32})), "secret")
    n += _run_with_cuts(lambda p: p.handle(A.setup_req()),
                        lambda p: p.handle(A.cmd(p, 1, "clock", {"time": A.T0 + 999})), "clock")
    mpassert.eq(n > 30, True)


def test_powercut_bundle_and_revocation_updates():
    good = K.bundle(6, points=[K.pub(K.ISSUER), K.pub(K.ADMIN)])
    n = _run_with_cuts(lambda p: p.handle(A.setup_req()),
                       lambda p: p.handle(A.cmd(p, 1, "trust", {"sha": hashlib.sha256(good).digest()}, blob=good)),
                       "bundle")
    parts = {b"AAAAAAAA": set(K.entry(b"r%d" % i) for i in range(400))}
    full = K.revlist(parts, 3)
    body_sha = hashlib.sha256(full[8 + int.from_bytes(full[4:8], "big") + 64 :]).digest()
    new = {b"AAAAAAAA": parts[b"AAAAAAAA"] | {K.entry(b"x1"), K.entry(b"x2")}, b"BBBBBBBB": {K.entry(b"y")}}
    dlt, _ = K.delta(parts, new, 3, body_sha, 4)

    def prep(p):
        p.handle(A.setup_req())
        p.handle(A.cmd(p, 1, "revoke", {}, blob=full))

    n += _run_with_cuts(prep, lambda p: p.handle(A.cmd(p, 2, "revoke", {}, blob=dlt)), "delta", stride=2)
    mpassert.eq(n > 20, True)


def test_powercut_reset():
    held = [True]

    def action(p):
        p.presence = lambda: held[0]
        p.handle({"op": "reset", "abandon_logs": True})

    _run_with_cuts(lambda p: p.handle(A.setup_req()), action, "reset")
