"""The outcome of one scan: what the kiosk shows and what it logs."""

GREEN = "GREEN"
YELLOW = "YELLOW"
RED = "RED"
FAULT = "FAULT"  # no judgement: the kiosk cannot judge codes (not set up); nothing is recorded

class Verdict:
    __slots__ = ("verdict", "admit", "reason", "colour", "kid", "key_index",
                 "holder", "name", "exp", "cti", "kind", "dependant", "detail", "used_at")

    def __init__(self, verdict, reason, admit=False, colour=None):
        self.verdict = verdict
        self.reason = reason
        self.admit = admit
        self.colour = colour
        self.kid = None
        self.key_index = -1
        self.holder = None
        self.name = None
        self.exp = None
        self.cti = None
        self.kind = None
        self.dependant = False
        self.detail = None
        self.used_at = None  # already_used: when this code admitted someone here (kiosk.app.reuse)

    def as_dict(self):
        """JSON-safe view for tools (no holder id: only its pseudonym is ever stored)."""
        return {
            "verdict": self.verdict, "reason": self.reason, "admit": self.admit,
            "colour": self.colour, "kid": self.kid, "key_index": self.key_index,
            "kind": self.kind, "name": self.name, "exp": self.exp,
            "dependant": self.dependant, "detail": self.detail, "used_at": self.used_at,
        }


def reject(reason, detail=None):
    v = Verdict(RED, reason)
    v.detail = detail
    return v
