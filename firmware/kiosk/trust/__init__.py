"""Issuer keys the kiosk trusts (see docs/trust-store.md)."""


class TrustError(Exception):
    """A trust file that is refused; `code` is the provisioning error code
    ("bad_file", "bad_signature", "tampered", "rollback", "wrong_base",
    "expired")."""

    def __init__(self, msg, code="bad_file"):
        super().__init__(msg)
        self.code = code
