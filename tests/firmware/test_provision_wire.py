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
    mpassert.eq(_upload(srv, b5), len(b5))
    req["staged"] = True
    r = _prov(srv, req)
    mpassert.eq(r["ok"], True, repr(r))
    mpassert.eq(prov.state.bundle_seq, 5)
    b6 = K.bundle(6)
    _upload(srv, b6)
    c = K.command("kiosk-0001", 1, "trust", {"sha": hashlib.sha256(b6).digest()})
    r = _prov(srv, {"op": "cmd", "cmd": c, "staged": True})
    mpassert.eq(r["ok"], True, repr(r))
    mpassert.eq(prov.state.bundle_seq, 6)
    # The same request again (answer lost on the line): same answer, applied once.
    r2 = _prov(srv, {"op": "cmd", "cmd": c, "staged": True})
    mpassert.eq(r2, r)
    mpassert.eq(prov.state.ctr, 1)
    # A staged file that is not the one the command was signed for.
    _upload(srv, K.bundle(8))
    c = K.command("kiosk-0001", 2, "trust", {"sha": hashlib.sha256(K.bundle(7)).digest()})
    r = _prov(srv, {"op": "cmd", "cmd": c, "staged": True})
    mpassert.eq(r["error"], "hash_mismatch")
    mpassert.eq(prov.state.bundle_seq, 6)
    r = _prov(srv, {"op": "cmd", "cmd": c, "staged": True})
    mpassert.eq(r["error"], "bad_request")  # nothing staged any more


def test_upload_is_idempotent_and_bounded():
    srv, prov = _wire()
    up = srv.handlers[wire.CMD_UPLOAD]
    from kiosk.link import LinkError

    mpassert.raises(LinkError, up, srv, b"\x00\x00")
    mpassert.raises(LinkError, up, srv, struct.pack("<I", 10) + b"x")  # no upload started
    mpassert.eq(struct.unpack("<I", up(srv, struct.pack("<I", 0) + b"abc"))[0], 3)
    mpassert.eq(struct.unpack("<I", up(srv, struct.pack("<I", 0) + b"abc"))[0], 3)  # resent
    mpassert.eq(struct.unpack("<I", up(srv, struct.pack("<I", 3) + b"def"))[0], 6)
    mpassert.eq(struct.unpack("<I", up(srv, struct.pack("<I", 3) + b"def"))[0], 6)  # resent
    mpassert.raises(LinkError, up, srv, struct.pack("<I", 9) + b"gap")
    prov.wire._f.flush()  # a PROV "staged" request flushes it
    with open(prov.dir + "/staged.new", "rb") as f:
        mpassert.eq(f.read(), b"abcdef")


def test_upload_cannot_fill_the_flash():
    # 128 blocks of 4 KB: uploads stop while 128 KB are still free.
    srv, prov = _wire()
    up = srv.handlers[wire.CMD_UPLOAD]
    from kiosk.link import LinkError
    import os

    chunk = b"\xa5" * 1000
    off = 0
    e = None
    while off < 2000000:
        try:
            off = struct.unpack("<I", up(srv, struct.pack("<I", off) + chunk))[0]
        except LinkError as exc:
            e = exc
            break
    mpassert.eq(e is not None and e.status == 4, True)
    st = os.statvfs(prov.dir)
    mpassert.eq(st[0] * st[3] >= 120000, True)
    mpassert.eq(off > 200000, True)
