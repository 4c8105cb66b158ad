"""Kiosk configuration on the flash filesystem (written by provisioning).

    <root>/config/device.json   {"device_id", "venue": {"id", "name", "type"}, "lang"}
    <root>/config/policy.json   venue policy (kiosk.policy)
    <root>/config/trust.ktb     trust bundle signed by the operator key (docs/provisioning.md)
    <root>/config/revoked.krv   revocation list, signed
    <root>/config/secret.bin    venue secret for holder pseudonyms (never read back)

The simulator's factory step may instead install an unsigned trust store
(`trust.kts`); only a board that asks for it (`allow_unsigned`) reads it.
A missing file leaves the kiosk in the "provisioning needed" state; a
damaged one is reported in `problems`, never guessed around.
"""

import json

from kiosk.policy import Policy, PolicyError

# trust states (kiosk.trust.bundle's, plus the two below)
TRUST_NONE = "none"
TRUST_OK = "ok"


class Config:
    def __init__(self):
        self.device = {}
        self.policy = Policy()
        self.trust = None
        self.bundle = None
        self.revoked = None
        self.secret = None
        self.problems = []

    @property
    def provisioned(self):
        return self.trust is not None and self.secret is not None

    @property
    def lang(self):
        return self.device.get("lang") or self.policy.lang

    def trust_state(self, now):
        """"ok", "grace", "expired", "clock_unset" (signed bundle) or "none"."""
        if self.trust is None:
            return TRUST_NONE
        if self.bundle is None:
            return TRUST_OK  # simulator factory store: no lifetime
        return self.bundle.state(now)

    def close(self):
        if self.revoked is not None and hasattr(self.revoked, "close"):
            self.revoked.close()


def _read(path, mode="rb"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def _load_trust(cfg, root, now, allow_unsigned):
    from kiosk.provision.atomic import exists

    base = root + "/config/"
    if allow_unsigned and exists(base + "trust.kts") and not exists(base + "trust.ktb"):
        try:
            from kiosk.trust import store

            cfg.trust = store.open_file(base + "trust.kts")
        except Exception as exc:
            cfg.problems.append("trust store: %s" % exc)
        return
    from kiosk.provision import runtime

    t = runtime.open_trust(root, now)
    cfg.trust, cfg.bundle, cfg.revoked = t.store, t.bundle, t.revoked
    cfg.problems += t.problems


def load(root, now=None, allow_unsigned=False):
    cfg = Config()
    base = root + "/config/"
    raw = _read(base + "device.json", "r")
    if raw is not None:
        try:
            cfg.device = json.loads(raw)
        except ValueError:
            cfg.problems.append("device.json damaged")
    raw = _read(base + "policy.json", "r")
    if raw is not None:
        try:
            conf = json.loads(raw)
            venue = cfg.device.get("venue") or {}
            if "type" in venue and "venue_type" not in conf:
                conf["venue_type"] = venue["type"]
            cfg.policy = Policy(conf)
        except (ValueError, TypeError, PolicyError) as exc:
            cfg.problems.append("policy.json: %s" % exc)
    _load_trust(cfg, root, now, allow_unsigned)
    secret = _read(base + "secret.bin")
    if secret is not None and len(secret) >= 16:
        cfg.secret = secret
    elif secret is not None:
        cfg.problems.append("venue secret too short")
    return cfg
