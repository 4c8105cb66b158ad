# Acknowledging records deletes them: only the admin or a collector key may,
# bound to this device and log, never beyond the newest record, and a
# captured ACK cannot be replayed to do more (kiosk.records.ackauth, CMD_ACK).
import struct

import mpassert
import test_link_server as L
import test_provision_keys as K
from kiosk.link.server import CMD_ACK, ST_BAD_REQUEST, ST_DENIED
from kiosk.records import ackauth

HEAPSIZE = "2M"


def _kiosk(n=50, keys=(K.ADMIN,)):
    srv, pipe, log = L.setup(n)
    srv.ack_keys = lambda: [K.pub(d) for d in keys]
    return srv, pipe, log


def _ack(srv, pipe, seq, sig):
    [(_, _, st, data)] = L.request(srv, pipe, CMD_ACK, struct.pack("<I", seq) + sig)
    return st, data


def _sig(d, log, seq, dev=b"kiosk-7", log_id=None):
    return K.sign(d, ackauth.message(dev, log.log_id if log_id is None else log_id, seq))


def _unacked(log):
    return log.stats()["unacked"]


def test_unsigned_and_forged_acks_delete_nothing():
    srv, pipe, log = _kiosk()
    for body in (struct.pack("<I", 0xFFFFFFFF), struct.pack("<I", 50), struct.pack("<I", 50) + bytes(63)):
        [(_, _, st, _)] = L.request(srv, pipe, CMD_ACK, body)
        mpassert.eq(st, ST_BAD_REQUEST)
    for sig in (bytes(64), b"\xff" * 64, _sig(K.INTRUDER, log, 50), _sig(K.OPERATOR, log, 50)):
        st, why = _ack(srv, pipe, 50, sig)
        mpassert.eq(st, ST_DENIED, why)
    mpassert.eq((log.ack_seq, _unacked(log)), (0, 50))


def test_ack_bound_to_device_log_and_range():
    srv, pipe, log = _kiosk()
    mpassert.eq(_ack(srv, pipe, 50, _sig(K.ADMIN, log, 50, dev=b"kiosk-8"))[0], ST_DENIED)
    mpassert.eq(_ack(srv, pipe, 50, _sig(K.ADMIN, log, 50, log_id=log.log_id ^ 1))[0], ST_DENIED)
    # signed in advance for records not yet written: refused, not clamped
    st, why = _ack(srv, pipe, 0xFFFFFFFF, _sig(K.ADMIN, log, 0xFFFFFFFF))
    mpassert.eq(st, ST_DENIED, why)
    mpassert.eq(_ack(srv, pipe, 51, _sig(K.ADMIN, log, 51))[0], ST_DENIED)
    mpassert.eq((log.ack_seq, _unacked(log)), (0, 50))


def test_replayed_ack_changes_nothing():
    srv, pipe, log = _kiosk()
    old = _sig(K.ADMIN, log, 20)
    st, data = _ack(srv, pipe, 20, old)
    mpassert.eq((st, struct.unpack("<I", data)[0]), (0, 20))
    mpassert.eq(_ack(srv, pipe, 30, _sig(K.ADMIN, log, 30))[0], 0)
    st, data = _ack(srv, pipe, 20, old)  # replayed: the cursor never goes back or forward
    mpassert.eq((st, struct.unpack("<I", data)[0]), (0, 30))
    mpassert.eq(_ack(srv, pipe, 40, old)[0], ST_DENIED)  # its signature covers seq 20 only
    mpassert.eq((log.ack_seq, _unacked(log)), (30, 20))


def test_collector_keys_acknowledge_without_no_keys_nobody_does():
    srv, pipe, log = _kiosk(keys=(K.ADMIN, K.OPERATOR))
    mpassert.eq(_ack(srv, pipe, 10, _sig(K.OPERATOR, log, 10))[0], 0)
    srv.ack_keys = lambda: []
    mpassert.eq(_ack(srv, pipe, 20, _sig(K.ADMIN, log, 20))[0], ST_DENIED)
    mpassert.eq(log.ack_seq, 10)


def test_check_never_raises():
    pub = K.pub(K.ADMIN)
    for pubs, dev, sig in (([pub], b"k", b""), ([pub], b"k", None), ([], b"k", bytes(64)),
                           ([b"\x04" + bytes(64)], b"k", bytes(64)), ([pub], 5, bytes(64)),
                           ([pub], b"x" * 300, bytes(64))):
        mpassert.eq(ackauth.check(pubs, dev, 1, 1, sig), False)
    mpassert.eq(ackauth.check([pub], b"k", 1, 1, K.sign(K.ADMIN, ackauth.message(b"k", 1, 1))), True)


def test_forged_ack_cannot_open_the_reset_guard():
    # #10.2: ACK(0xFFFFFFFF) without a key used to mark every record pulled,
    # so `provision reset` passed its logs_pending guard and wiped the log.
    import test_provision_attacks as A
    from kiosk.link.server import Server
    from kiosk.provision import wire
    from kiosk.token import cbor
    from simclock import SimClock

    srv, pipe, log = L.setup(30)
    wiped = []
    prov = wire.register(srv, "/s", clock=SimClock(A.T0), presence=lambda: True,
                         logs_pending=lambda: log.stats()["unacked"], wipe_logs=lambda: wiped.append(1))
    prov.handle(A.setup_req())
    srv.device_id = b"kiosk-0001"

    def prov_req(req):
        [(_, _, st, data)] = L.request(srv, pipe, wire.CMD_PROV, cbor.dumps(req))
        return cbor.loads(bytes(data))

    for sig in (bytes(64), _sig(K.INTRUDER, log, 30, dev=b"kiosk-0001")):
        mpassert.eq(_ack(srv, pipe, 0xFFFFFFFF, sig)[0], ST_DENIED)
        mpassert.eq(_ack(srv, pipe, 30, sig)[0], ST_DENIED)
    r = prov_req({"op": "reset"})
    mpassert.eq((r["ok"], r["error"]), (False, "logs_pending"))
    mpassert.eq((wiped, prov.state.provisioned), ([], True))
    # the admin's pull acknowledges for real: then reset may proceed
    mpassert.eq(_ack(srv, pipe, 30, _sig(K.ADMIN, log, 30, dev=b"kiosk-0001"))[0], 0)
    r = prov_req({"op": "reset"})
    mpassert.eq(r["ok"], True, repr(r))
    mpassert.eq(wiped, [1])
