"""The device state the scan loop runs on, read from <root>/config; never raises.

    st = device.load("/flash", now)
    st.device       device.json as checked by kiosk.config.schema
    st.policy       kiosk.policy.Policy
    st.trust        TrustStore (signed bundle, or the simulator's unsigned store) or None
    st.bundle       BundleInfo of the signed bundle or None
    st.revoked      RevocationList or None
    st.secret       venue secret (bytes) or None, unsealed (kiosk.config.secrets)
    st.wifi         {"ssid", "password"} (unsealed) or None
    st.provisioned  trust and secret present
    st.trust_state(now)   one of kiosk.trust.bundle.STATES
    st.usable(now)  the kiosk may admit (bundle ok or in grace, or unsigned store)
    st.damaged      [(file, why)]: stored values that fail the schema or their check
    st.ack_keys     keys that may acknowledge records (admin + collectors; ackauth)
    st.problems     human-readable reasons for everything missing or refused

Files (written only by kiosk.provision through kiosk.config.atomic):
    device.json, policy.json, trust.ktb (operator-signed bundle), revoked.krv
    (signed revocation list), secret.bin (never read back over the link), and
    prov.json (kiosk.config.state). The simulator's factory step may instead
    install an unsigned trust store (trust.kts); only a board that asks for it
    (`allow_unsigned`) reads it.

Every value read back goes through the same schema checks as on the way in;
a value that fails, or any unexpected error while reading, is recorded in
`damaged` (the app shows the "config" fault screen), never raised: one bad
file cannot make a boot loop.
"""

import json

from micropython import const

from kiosk.config import ConfigError, atomic, schema
from kiosk.trust import bundle as B

_MAX_JSON = const(16384)


class DeviceState:
    def __init__(self):
        from kiosk.policy import Policy

        self.device = {}
        self.policy = Policy()
        self.trust = None
        self.bundle = None
        self.revoked = None
        self.secret = None
        self.wifi = None
        self.device_id = None
        self.ack_keys = []
        self.problems = []
        self.damaged = []
        self._trust_refused = False

    @property
    def provisioned(self):
        return self.trust is not None and self.secret is not None

    @property
    def lang(self):
        return self.device.get("lang") or self.policy.lang

    def trust_state(self, now):
        if self.trust is None:
            return B.DAMAGED if self._trust_refused else B.NONE
        if self.bundle is None:
            return B.OK  # simulator factory store: no lifetime
        return self.bundle.state(now)

    def usable(self, now):
        return self.trust_state(now) in (B.OK, B.GRACE)

    def damage(self, name, why):
        self.damaged.append((name, why))
        self.problems.append("%s: %s" % (name, why))

    def close(self):
        if self.revoked is not None and hasattr(self.revoked, "close"):
            self.revoked.close()
            self.revoked = None


def _json(path):
    raw = atomic.read(path, _MAX_JSON)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ConfigError("damaged", "not JSON")


def _load_device(st, base):
    try:
        d = _json(base + "device.json")
        if d is not None:
            st.device = schema.check_device(d)
    except ConfigError as exc:
        st.damage("device.json", exc.msg)
    venue = st.device.get("venue") or {}
    try:
        conf = _json(base + "policy.json")
        if conf is not None or venue.get("type"):
            st.policy = schema.check_policy(conf, venue.get("type"))[1]
    except ConfigError as exc:
        st.damage("policy.json", exc.msg)


def _load_secret(st, base):
    from kiosk.config import secrets

    secret = atomic.read(base + "secret.bin", 4096)
    if secret is not None:
        try:
            if secrets.is_sealed(secret):
                secret = secrets.unseal("secret", secret)
            else:
                st.problems.append("secret.bin: not sealed (written by an older firmware: provision the secret again)")
            st.secret = schema.check_secret(secret)
        except ConfigError as exc:
            st.damage("secret.bin", exc.msg)
    try:
        w = _json(base + "wifi.json")
        if w is not None:
            from binascii import unhexlify

            if "sealed" in w:
                w = {"ssid": w.get("ssid"), "password": secrets.unseal("wifi", unhexlify(w["sealed"])).decode()}
            st.wifi = schema.check_wifi(w)
    except (ConfigError, ValueError, TypeError) as exc:
        st.damage("wifi.json", getattr(exc, "msg", None) or repr(exc))


def _load_trust(st, base, now, allow_unsigned):
    from kiosk.config import state
    from kiosk.trust import TrustError

    if allow_unsigned and atomic.exists(base + "trust.kts") and not atomic.exists(base + "trust.ktb"):
        try:
            from kiosk.trust import store

            st.trust = store.open_file(base + "trust.kts")
        except Exception as exc:
            st._trust_refused = True
            st.problems.append("trust store: %s" % exc)
        return
    try:
        ps = state.load(base[:-1])
    except ConfigError as exc:
        st.damage("prov.json", exc.msg)
        return
    st.device_id = ps.device_id
    st.ack_keys = ps.ack_keys()
    if ps.operator is None:
        st.problems.append("not provisioned")
        return
    if atomic.exists(base + "trust.ktb"):
        try:
            st.trust, st.bundle = B.open_bundle(base + "trust.ktb", ps.operator, now)
        except (TrustError, OSError, MemoryError) as exc:
            st._trust_refused = True
            st.problems.append("trust bundle: %s" % exc)
    else:
        st.problems.append("no trust bundle")
    if atomic.exists(base + "revoked.krv"):
        from kiosk.trust import revocation

        try:
            st.revoked = revocation.open_file(base + "revoked.krv", ps.operator)
        except (TrustError, OSError, MemoryError) as exc:
            st.problems.append("revocation list: %s" % exc)


def load(root, now=None, allow_unsigned=False):
    """DeviceState of the kiosk at `root`; never raises."""
    st = DeviceState()
    base = root + "/config/"
    for step in (lambda: _load_device(st, base), lambda: _load_trust(st, base, now, allow_unsigned),
                 lambda: _load_secret(st, base)):
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - a fault screen, never a boot loop
            st.damage("config", repr(exc))
    if st.device_id is None:
        st.device_id = st.device.get("device_id")
    return st
