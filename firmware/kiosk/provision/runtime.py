"""What the scan loop needs from provisioning, in one call.

    t = runtime.open_trust("/flash", now)
    t.store      # TrustStore from the signed bundle, or None
    t.bundle     # BundleInfo (t.bundle.state(now): ok / grace / expired / clock_unset) or None
    t.revoked    # RevocationList (contains(kid, cti)) or None when no list is installed
    t.problems   # human-readable reasons when something is missing or refused
    t.usable(now)  # True while the bundle is ok or in grace: the kiosk may admit

A bundle or list that fails its signature or hash is not used and is named
in `problems` (the kiosk shows "trust list damaged"); nothing here raises.
"""

from kiosk.provision import ProvisionError, atomic, state
from kiosk.trust import TrustError


class Trust:
    def __init__(self):
        self.store = None
        self.bundle = None
        self.revoked = None
        self.problems = []

    def usable(self, now):
        return self.store is not None and self.bundle is not None and self.bundle.usable(now)

    def status(self, now):
        """"none", "damaged" or the bundle state at `now`."""
        if self.bundle is None:
            return "damaged" if self.problems else "none"
        return self.bundle.state(now)

    def close(self):
        if self.revoked:
            self.revoked.close()
            self.revoked = None


def open_trust(root, now):
    """Trust material under <root>/config, verified with the provisioned operator key."""
    t = Trust()
    d = root + "/config"
    try:
        st = state.load(d)
    except ProvisionError as exc:
        t.problems.append("provisioning state: %s" % exc.msg)
        return t
    if st.operator is None:
        t.problems.append("not provisioned")
        return t
    from kiosk.trust import bundle, revocation

    if atomic.exists(d + "/trust.ktb"):
        try:
            t.store, t.bundle = bundle.open_bundle(d + "/trust.ktb", st.operator, now)
        except (TrustError, OSError, MemoryError) as exc:
            t.problems.append("trust bundle: %s" % exc)
    else:
        t.problems.append("no trust bundle")
    if atomic.exists(d + "/revoked.krv"):
        try:
            t.revoked = revocation.open_file(d + "/revoked.krv", st.operator)
        except (TrustError, OSError, MemoryError) as exc:
            t.problems.append("revocation list: %s" % exc)
    return t
