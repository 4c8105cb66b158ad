"""Issuer keys the kiosk trusts (see docs/trust-store.md)."""


class TrustError(Exception):
    pass
