# PROV / UPLOAD handlers of the link server: bounded, idempotent, never raise
# on garbage, staged uploads pinned by hash (kiosk.provision.wire).
import hashlib
import struct

import mpassert
import test_provision_attacks as A
import test_provision_keys as K
from kiosk.link.server import Server
from kiosk.provision import wire
from kiosk.token import cbor
from simclock import SimClock

HEAPSIZE = "2M"


class _Log:
    pending = 0


def _wire():
    mp, dev, mem = K.ramfs()
    srv = Server(None, _Log())
    prov = wire.register(srv, mp, clock=SimClock(A.T0))
    return srv, prov


def _prov(srv, req):
    return cbor.loads(bytes(srv.handlers[wire.CMD_PROV](srv, cbor.dumps(req))))


def _upload(srv, data, chunk=300):
    off = 0
    while off < len(data):
        r = srv.handlers[wire.CMD_UPLOAD](srv, struct.pack("<I", off) + data[off : off + chunk])
        off = struct.unpack("<I", r)[0]
    return off


def _stage(srv, prov, data, ctr=None):
    """Announce `data` (signed when provisioned, like kioskctl), then upload it."""
    sha = hashlib.sha256(data).digest()
    if ctr is None:
        r = _prov(srv, {"op": "stage", "size": len(data), "sha": sha})
    else:
        r = _prov(srv, {"op": "cmd", "cmd": K.command("kiosk-0001", ctr, "stage", {"size": len(data), "sha": sha})})
    mpassert.eq(r["ok"], True, repr(r))
    return _upload(srv, data)


def test_garbage_requests_get_error_answers():
    srv, prov = _wire()
    h = srv.handlers[wire.CMD_PROV]
    for body in (b"", b"\xff", b"\x9f" * 300, b"\xa1\x61", cbor.dumps([1, 2]), cbor.dumps({"op": 5}),
                 cbor.dumps({"op": "cmd", "cmd": b"\x82\x40\x40"}), bytes(range(256))):
        r = cbor.loads(bytes(h(srv, body)))
        mpassert.eq(r["ok"], False, repr(body))
        mpassert.eq(isinstance(r["error"], str), True)
    mpassert.eq(prov.state.provisioned, False)


def test_setup_with_staged_bundle_and_signed_push():
    srv, prov = _wire()
    b5 = K.bundle(5)
    req = A.setup_req()
    del req["bundle"]
    mpassert.eq(_stage(srv, prov, b5), len(b5))
    req["staged"] = True
    r = _prov(srv, req)
    mpassert.eq(r["ok"], True, repr(r))
    mpassert.eq(prov.state.bundle_seq, 5)
    b6 = K.bundle(6)
    _stage(srv, prov, b6, ctr=1)
    c = K.command("kiosk-0001", 2, "trust", {"sha": hashlib.sha256(b6).digest()})
    r = _prov(srv, {"op": "cmd", "cmd": c, "staged": True})
    mpassert.eq(r["ok"], True, repr(r))
    mpassert.eq(prov.state.bundle_seq, 6)
    # The same request again (answer lost on the line): same answer, applied once.
    r2 = _prov(srv, {"op": "cmd", "cmd": c, "staged": True})
    mpassert.eq(r2, r)
    mpassert.eq(prov.state.ctr, 2)
    # A staged file that is not the one the command was signed for.
    _stage(srv, prov, K.bundle(8), ctr=3)
    c = K.command("kiosk-0001", 4, "trust", {"sha": hashlib.sha256(K.bundle(7)).digest()})
    r = _prov(srv, {"op": "cmd", "cmd": c, "staged": True})
    mpassert.eq(r["error"], "hash_mismatch")
    mpassert.eq(prov.state.bundle_seq, 6)
    mpassert.eq(_exists(prov.dir + "/staged.new"), False)  # removed on failure
    r = _prov(srv, {"op": "cmd", "cmd": c, "staged": True})
    mpassert.eq(r["error"], "not_staged")  # nothing staged any more


def _exists(path):
    import os

    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _up(srv, off, data):
    return struct.unpack("<I", srv.handlers[wire.CMD_UPLOAD](srv, struct.pack("<I", off) + data))[0]


def test_upload_is_idempotent_and_bounded():
    srv, prov = _wire()
    up = srv.handlers[wire.CMD_UPLOAD]
    from kiosk.link import LinkError

    mpassert.raises(LinkError, up, srv, b"\x00\x00")
    mpassert.raises(LinkError, up, srv, struct.pack("<I", 0) + b"abc")  # nothing announced
    mpassert.eq(_exists(prov.dir + "/staged.new"), False)
    _prov(srv, {"op": "stage", "size": 6, "sha": hashlib.sha256(b"abcdef").digest()})
    mpassert.eq(_up(srv, 0, b"abc"), 3)
    mpassert.eq(_up(srv, 0, b"abc"), 3)  # resent
    mpassert.eq(_up(srv, 3, b"def"), 6)
    mpassert.eq(_up(srv, 3, b"def"), 6)  # resent
    mpassert.raises(LinkError, up, srv, struct.pack("<I", 9) + b"gap")
    e = mpassert.raises(LinkError, up, srv, struct.pack("<I", 6) + b"more")  # beyond the announced size
    mpassert.eq(_exists(prov.dir + "/staged.new"), False)  # and discarded
    mpassert.eq("announced" in e.msg, True, e.msg)


def test_staging_needs_a_signed_intent_once_provisioned():
    srv, prov = _wire()
    mpassert.eq(_prov(srv, A.setup_req())["ok"], True)
    sha = hashlib.sha256(b"x" * 1000).digest()
    before = A.snapshot(prov.dir)
    for req in ({"op": "stage", "size": 1000, "sha": sha},
                {"op": "cmd", "cmd": K.command("kiosk-0001", 1, "stage", {"size": 1000, "sha": sha}, d=K.INTRUDER)},
                {"op": "cmd", "cmd": K.command("kiosk-0001", 1, "stage", {"size": 1 << 30, "sha": sha})},
                {"op": "cmd", "cmd": K.command("kiosk-0001", 1, "stage", {"size": 1000, "sha": b"short"})}):
        r = _prov(srv, req)
        mpassert.eq(r["ok"], False, repr(r))
        mpassert.eq(A.snapshot(prov.dir), before)
    from kiosk.link import LinkError

    mpassert.raises(LinkError, srv.handlers[wire.CMD_UPLOAD], srv, struct.pack("<I", 0) + b"x" * 100)
    mpassert.eq(A.snapshot(prov.dir), before)


def test_staged_file_removed_after_timeout_and_at_boot():
    import time
    from kiosk.provision import staging

    srv, prov = _wire()
    _prov(srv, {"op": "stage", "size": 600, "sha": hashlib.sha256(b"y" * 600).digest()})
    mpassert.eq(_up(srv, 0, b"y" * 300), 300)
    mpassert.eq(_exists(prov.dir + "/staged.new"), True)
    mpassert.eq(prov.staging.expire(time.ticks_add(time.ticks_ms(), staging.TIMEOUT_MS // 2)), False)
    mpassert.eq(prov.staging.expire(time.ticks_add(time.ticks_ms(), staging.TIMEOUT_MS + 1000)), True)
    mpassert.eq(_exists(prov.dir + "/staged.new"), False)
    from kiosk.link import LinkError

    mpassert.raises(LinkError, srv.handlers[wire.CMD_UPLOAD], srv, struct.pack("<I", 300) + b"y" * 300)
    # at boot: a staged file left by a power cut is gone before anything is served
    _prov(srv, {"op": "stage", "size": 600, "sha": hashlib.sha256(b"y" * 600).digest()})
    _up(srv, 0, b"y" * 300)
    prov.staging._f.flush()
    mpassert.eq(_exists(prov.dir + "/staged.new"), True)
    srv2 = Server(None, _Log())
    wire.register(srv2, prov.root, clock=SimClock(A.T0))
    mpassert.eq(_exists(prov.dir + "/staged.new"), False)


def test_upload_cannot_fill_the_flash():
    # 128 blocks of 4 KB: nothing beyond what fits with 128 KB to spare is announced,
    # and an announced upload still stops while 128 KB are free.
    srv, prov = _wire()
    import os

    r = _prov(srv, {"op": "stage", "size": 1800000, "sha": bytes(32)})
    mpassert.eq((r["ok"], r["error"]), (False, "no_space"))
    r = _prov(srv, {"op": "stage", "size": 300000, "sha": bytes(32)})
    mpassert.eq(r["ok"], True, repr(r))
    chunk = b"\xa5" * 1000
    off = 0
    # the scan log grows meanwhile: leave less room than announced
    with open(prov.root + "/filler", "wb") as f:
        f.write(b"\x00" * 200000)
    from kiosk.link import LinkError

    e = None
    while off < 300000:
        try:
            off = _up(srv, off, chunk)
        except LinkError as exc:
            e = exc
            break
    mpassert.eq(e is not None and e.status == 4, True)
    st = os.statvfs(prov.dir)
    mpassert.eq(st[0] * st[3] >= 120000, True)
    mpassert.eq(_exists(prov.dir + "/staged.new"), False)
