# A bundle already past its grace period is refused at install (issue #10
# item 6): clear error code "expired", the sequence mark and every file stay.
import mpassert
import test_provision_keys as K
import test_provision_attacks as A
from test_provision_attacks import T0, cmd, provisioned, refused

HEAPSIZE = "2M"


def test_bundle_past_grace_refused_and_seq_mark_kept():
    p, mp, mem, clock = provisioned()
    seq = p.state.bundle_seq
    # expired a week ago, grace (3 days) over: useless, and it would lock the
    # door and burn seq 9 so that no bundle 6..8 could ever install.
    stale = K.bundle(9, iat=T0 - 14 * 86400, exp=T0 - 7 * 86400, grace=3 * 86400)
    e = refused(p, "expired", cmd(p, 1, "trust", {}, blob=stale))
    mpassert.eq("grace period ended" in e.msg, True, e.msg)
    mpassert.eq(p.state.bundle_seq, seq)
    # The next regular bundle (seq 6 < 9) still installs.
    p.handle(cmd(p, 1, "trust", {}, blob=K.bundle(6, iat=T0 - 100, exp=T0 + 86400)))
    mpassert.eq(p.state.bundle_seq, 6)


def test_bundle_in_grace_installs():
    p, mp, mem, clock = provisioned()
    # expired an hour ago but inside its grace period: installs (status grace).
    b = K.bundle(6, iat=T0 - 86400, exp=T0 - 3600, grace=86400)
    p.handle(cmd(p, 1, "trust", {}, blob=b))
    mpassert.eq(p.state.bundle_seq, 6)
    mpassert.eq(p.handle({"op": "info"})["bundle"]["status"], "grace")


def test_first_setup_with_expired_bundle_refused():
    import os

    from kiosk.provision import ProvisionError
    from kiosk.provision.handlers import Provisioner
    from simclock import SimClock

    mp, dev, mem = K.ramfs()
    p = Provisioner(mp, clock=SimClock(None))  # clock unset: the request's clock decides
    stale = K.bundle(9, iat=T0 - 14 * 86400, exp=T0 - 7 * 86400, grace=3 * 86400)
    e = mpassert.raises(ProvisionError, p.handle, A.setup_req(bundle=stale))
    mpassert.eq(e.code, "expired", e.msg)
    mpassert.eq(p.state.provisioned, False)
    mpassert.eq(os.listdir(p.dir), [])
