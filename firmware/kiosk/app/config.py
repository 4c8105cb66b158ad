"""Kiosk configuration on the flash filesystem (written by provisioning).

    <root>/config/device.json   {"device_id", "venue": {"id", "name", "type"}, "lang"}
    <root>/config/policy.json   venue policy (kiosk.policy)
    <root>/config/trust.kts     trust store (kiosk.trust.store)
    <root>/config/secret.bin    venue secret for holder pseudonyms (never read back)

A missing file leaves the kiosk in the "provisioning needed" state; a damaged
one is reported, never guessed around.
"""

import json

from kiosk.policy import Policy, PolicyError


class ConfigError(Exception):
    pass


class Config:
    def __init__(self):
        self.device = {}
        self.policy = Policy()
        self.trust = None
        self.secret = None
        self.problems = []

    @property
    def provisioned(self):
        return self.trust is not None and self.secret is not None

    @property
    def lang(self):
        return self.device.get("lang") or self.policy.lang


def _read(path, mode="rb"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def load(root):
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
        except (ValueError, PolicyError) as exc:
            cfg.problems.append("policy.json: %s" % exc)
    try:
        from kiosk.trust import store

        cfg.trust = store.open_file(base + "trust.kts")
    except OSError:
        pass
    except Exception as exc:
        cfg.problems.append("trust store: %s" % exc)
    secret = _read(base + "secret.bin")
    if secret is not None and len(secret) >= 16:
        cfg.secret = secret
    elif secret is not None:
        cfg.problems.append("venue secret too short")
    return cfg
