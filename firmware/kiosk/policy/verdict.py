"""The outcome of one scan: what the kiosk shows and what it logs."""

GREEN = "GREEN"
YELLOW = "YELLOW"
RED = "RED"

class Verdict:
    __slots__ = ("verdict", "admit", "reason", "colour", "kid", "key_index",
                 "holder", "name", "exp", "cti", "kind", "dependant", "detail")

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

    def as_dict(self):
        """JSON-safe view for tools (no holder id: only its pseudonym is ever stored)."""
        return {
            "verdict": self.verdict, "reason": self.reason, "admit": self.admit,
            "colour": self.colour, "kid": self.kid, "key_index": self.key_index,
            "kind": self.kind, "name": self.name, "exp": self.exp,
            "dependant": self.dependant, "detail": self.detail,
        }


def reject(reason, detail=None):
    v = Verdict(RED, reason)
    v.detail = detail
    return v
