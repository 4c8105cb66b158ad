"""Venue policy: which codes open the door (docs/policy.md).

Colours follow the issuing authority; the venue decides entry. Defaults:
green enters; yellow and red do not, except at medical venues; a yellow code
with a valid travel window enters transit venues; body temperature at or
above `fever_c` (optional sensor) denies entry.
"""

VENUE_TYPES = ("general", "medical", "transit")
REUSE_MODES = ("refuse", "warn", "off")

DEFAULTS = {
    "venue_type": "general",
    "lang": "zh+en",
    "skew_s": 300,
    "fever_c": 37.3,
    "reuse": "refuse",  # a code that admitted someone here within reuse_s: refuse | warn | off
    "reuse_s": 600,
    "dcc": {
        "vacc_min_days": 14,
        "vacc_max_days": 0,
        "test_hours": {"LP6464-4": 72, "LP217198-3": 48},
        "recovery": True,
        "accept": ["v", "t", "r"],
    },
}


class PolicyError(Exception):
    pass


class Policy:
    def __init__(self, conf=None):
        conf = conf or {}
        if not isinstance(conf, dict):
            raise PolicyError("policy must be a map")
        self.venue_type = conf.get("venue_type", DEFAULTS["venue_type"])
        if self.venue_type not in VENUE_TYPES:
            raise PolicyError("unknown venue type %r" % (self.venue_type,))
        self.lang = conf.get("lang", DEFAULTS["lang"])
        self.skew_s = int(conf.get("skew_s", DEFAULTS["skew_s"]))
        self.fever_c = float(conf.get("fever_c", DEFAULTS["fever_c"]))
        self.reuse = conf.get("reuse", DEFAULTS["reuse"])
        if self.reuse not in REUSE_MODES:
            raise PolicyError("reuse must be one of %s" % (REUSE_MODES,))
        self.reuse_s = int(conf.get("reuse_s", DEFAULTS["reuse_s"]))
        if not 0 < self.reuse_s <= 86400:
            raise PolicyError("reuse_s must be 1..86400")
        dcc = dict(DEFAULTS["dcc"])
        dcc.update(conf.get("dcc") or {})
        self.dcc = dcc

    def admits(self, colour, hc, now):
        """(admit, reason) for a valid token of `colour` at this venue."""
        if colour == "green":
            return True, "ok"
        if self.venue_type == "medical":
            return True, "ok"
        if colour == "yellow" and self.venue_type == "transit" and hc is not None and hc.travel:
            start, end = hc.travel
            if now is not None and start <= now <= end:
                return True, "ok"
        return False, "policy"
