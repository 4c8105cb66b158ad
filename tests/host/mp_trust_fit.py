# MicroPython side of tests/host/test_trust_fit.py (not collected: no test_ prefix).
# micropython mp_trust_fit.py OLD_KTB NEW_KTB CUTS APPEND
# A 2 MB sim kiosk: first setup with the old bundle, then the update to the new
# one, power-cut at CUTS points in two modes; after every reboot the kiosk holds
# exactly the old or the new bundle, verified, and has room for 20,000 records.
# Prints one JSON line of figures.
import json
import os
import sys

import test_provision_attacks as A
import test_provision_keys as K
from kiosk.provision.handlers import Provisioner
from kiosk.records import SIZE, Record
from kiosk.records.log import Log
from kiosk.trust import bundle as B
from simclock import SimClock

BLOCKS = 512  # a 2 MB data partition
RECORDS = 20000
_CHUNK = 4096


def need_blocks(records, block=4096):
    # what kiosk.records.log needs: its reserve (4), the next segment's slack
    # (1), and ~1/16 littlefs metadata on top of the records
    return (records * SIZE * 16 + block * 15 - 1) // (block * 15) + 5


def stage(p, path):
    """Stage the file the way the serial UPLOAD does; returns request fields."""
    import hashlib

    d = hashlib.sha256()
    size = os.stat(path)[6]
    with open(path, "rb") as src:
        while True:
            b = src.read(_CHUNK)
            if not b:
                break
            d.update(b)
    sha = d.digest()
    staging = getattr(p, "staging", None)
    if staging is not None:  # signed stage intent, then bounded chunks
        if p.state.provisioned:
            p.handle(A.cmd(p, p.state.ctr + 1, "stage", {"size": size, "sha": sha}))
        else:
            p.handle({"op": "stage", "size": size, "sha": sha})
        with open(path, "rb") as src:
            off = 0
            while True:
                b = src.read(_CHUNK)
                if not b:
                    break
                staging.write(off, b)
                off += len(b)
        return {"staged": True}, sha
    dst = p.dir + "/staged.new"
    with open(path, "rb") as src, open(dst, "wb") as out:
        while True:
            b = src.read(_CHUNK)
            if not b:
                break
            out.write(b)
    return {"blob_path": dst, "bundle_path": dst}, sha


def setup(p, path):
    fields, _ = stage(p, path)
    req = A.setup_req(bundle=None)
    if "staged" in fields:
        req["staged"] = True
    else:
        req["bundle_path"] = fields["bundle_path"]
    p.handle(req)


LOW = []  # free blocks with the old bundle and the staged new one side by side


def update(p, path):
    fields, sha = stage(p, path)
    LOW.append(os.statvfs(p.dir)[3])
    req = A.cmd(p, p.state.ctr + 1, "trust", {"sha": sha})
    if "staged" in fields:
        req["staged"] = True
    else:
        req["blob_path"] = fields["blob_path"]
    p.handle(req)


def check_kiosk(mp, seqs):
    """(seq, free blocks) of a rebooted kiosk; its bundle verifies and matches."""
    q = Provisioner(mp, clock=SimClock(A.T0))
    seq = q.state.bundle_seq
    assert seq in seqs, "bundle seq %r after a cut" % seq
    store, info = B.open_bundle(q.dir + "/trust.ktb", q.state.operator, A.T0)
    assert info.seq == seq and info.status == "ok", (info.seq, seq, info.status)
    assert len(store.keys) >= 500, len(store.keys)
    return seq, os.statvfs(mp)[3]


def main():
    old, new, cuts, append = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    need = need_blocks(RECORDS)
    out = {"blocks": BLOCKS, "need_blocks_20000": need}
    mp, dev, mem = K.ramfs(BLOCKS)
    p = Provisioner(mp, clock=SimClock(A.T0))
    setup(p, old)
    old_seq = p.state.bundle_seq
    _, out["free_after_install"] = check_kiosk(mp, (old_seq,))
    base = bytearray(mem)
    # the uncut update: count its flash operations
    dev = K.remount(mp, mem)
    p = Provisioner(mp, clock=SimClock(A.T0))
    ops0 = dev.erases + dev.programs
    update(p, new)
    new_seq = p.state.bundle_seq
    ops = dev.erases + dev.programs - ops0
    out["update_ops"] = ops
    out["free_low_during_update"] = LOW[0]
    new_mem = bytearray(mem)
    K.remount(mp, mem)
    _, out["free_after_update"] = check_kiosk(mp, (new_seq,))
    assert new_seq > old_seq
    # power cuts at evenly spaced points of the update, two modes
    seen = {old_seq: 0, new_seq: 0}
    worst = out["free_after_update"]
    # evenly spaced (mostly the staging upload) and the last operations (the
    # install transaction: journal, renames, state)
    points = [(ops * (2 * i + 1)) // (2 * cuts) for i in range(cuts)] + [ops - 1 - 4 * i for i in range(cuts)]
    for mode in ("stop", "torn"):
        for at in points:
            mem[:] = base
            dev = K.remount(mp, mem)
            p = Provisioner(mp, clock=SimClock(A.T0))
            dev.arm(at, mode)
            try:
                update(p, new)
            except Exception:  # noqa: BLE001 - EIO from the dead flash
                pass
            assert dev.dead, "cut %d not reached" % at
            K.remount(mp, mem)
            seq, free = check_kiosk(mp, (old_seq, new_seq))
            seen[seq] += 1
            worst = min(worst, free)
            # the next push after the reboot completes the update
            p = Provisioner(mp, clock=SimClock(A.T0))
            if seq == old_seq:
                update(p, new)
            K.remount(mp, mem)
            check_kiosk(mp, (new_seq,))
    out["cuts"] = 2 * len(points)
    out["after_cut_old"] = seen[old_seq]
    out["after_cut_new"] = seen[new_seq]
    out["free_worst_after_cut"] = worst
    # prove the room: append records on the updated kiosk
    mem[:] = new_mem
    K.remount(mp, mem)
    log = Log(mp + "/log")
    for i in range(append):
        log.append(Record(time=A.T0 + i, verdict="GREEN", colour="green", reason="ok", key_index=i % 504,
                          pseudonym=b"%012d" % i))
    log.commit()
    st = log.stats()
    out["appended"] = append
    out["dropped"] = st["dropped"]
    out["capacity_after"] = st["capacity"]
    out["free_after_append"] = os.statvfs(mp)[3]
    print(json.dumps(out))


main()
