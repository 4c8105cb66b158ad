"""The provisioning state: who may change this kiosk and what it has accepted.

<root>/config/prov.json (written only through kiosk.config.atomic):
    {"v": 1, "device_id": tstr, "admin": hex SEC1, "operator": hex SEC1,
     "ctr": last accepted command counter, "bundle_seq": trust bundle
     sequence high-water mark, "rev_seq": revocation list sequence,
     "collectors": [hex SEC1] keys that may acknowledge records (0..8)}

A kiosk without this file is unprovisioned and accepts only first setup.
The high-water marks live here, not in the bundle files, so deleting or
replacing a bundle file cannot reopen the door to an older bundle.
"""

import json
from binascii import hexlify, unhexlify

from micropython import const

from kiosk.config import ConfigError, atomic

NAME = "prov.json"
_MAX = const(4096)


class State:
    def __init__(self, d=None):
        d = d or {}
        self.device_id = d.get("device_id")
        self.admin = _unhex(d.get("admin"))
        self.operator = _unhex(d.get("operator"))
        self.ctr = d.get("ctr", 0)
        self.bundle_seq = d.get("bundle_seq", 0)
        self.rev_seq = d.get("rev_seq", 0)
        c = d.get("collectors") or []
        if not isinstance(c, list) or len(c) > 8:
            raise ConfigError("damaged", "prov.json: bad collectors")
        self.collectors = [_unhex(x) for x in c]

    @property
    def provisioned(self):
        return self.device_id is not None and self.admin is not None

    def ack_keys(self):
        """The admin key and the collector keys: who may acknowledge records."""
        return [self.admin] + self.collectors if self.admin else []

    def to_bytes(self):
        return json.dumps({
            "v": 1,
            "device_id": self.device_id,
            "admin": _hex(self.admin),
            "operator": _hex(self.operator),
            "ctr": self.ctr,
            "bundle_seq": self.bundle_seq,
            "rev_seq": self.rev_seq,
            "collectors": [_hex(c) for c in self.collectors],
        }).encode()

    def copy(self):
        return State(json.loads(self.to_bytes()))


def _hex(b):
    return hexlify(b).decode() if b else None


def _unhex(s):
    if s is None:
        return None
    try:
        b = unhexlify(s)
    except (ValueError, TypeError):
        raise ConfigError("damaged", "prov.json: bad key")
    if len(b) != 65:
        raise ConfigError("damaged", "prov.json: bad key length")
    return b


def load(config_dir):
    """State of the kiosk (an empty State when unprovisioned)."""
    raw = atomic.read(config_dir + "/" + NAME, _MAX)
    if raw is None:
        return State()
    try:
        d = json.loads(raw)
    except ValueError:
        raise ConfigError("damaged", "prov.json is not JSON")
    if not isinstance(d, dict) or d.get("v") != 1:
        raise ConfigError("damaged", "prov.json: unknown version")
    for k in ("ctr", "bundle_seq", "rev_seq"):
        if not isinstance(d.get(k, 0), int):
            raise ConfigError("damaged", "prov.json: bad %s" % k)
    return State(d)
