"""Test keys for the provisioning roles (operator, admin, an attacker, an
issuer), written as PEM files the way `kioskctl keys gen` writes them.
TEST KEYS ONLY: generated fresh for each test."""

from cryptography.hazmat.primitives.asymmetric import ec

from kioskctl.cmd_keys import write_pem


def role_keys(folder):
    """{"op_key", "op_pub", "admin_key", "admin_pub", "evil_key", "evil_pub", "issuer"} -> PEM paths."""
    k = {n: ec.generate_private_key(ec.SECP256R1()) for n in ("op", "admin", "evil", "issuer")}
    return {
        "op_key": write_pem(k["op"], folder / "op.key.pem", True),
        "op_pub": write_pem(k["op"], folder / "op.pub.pem"),
        "admin_key": write_pem(k["admin"], folder / "admin.key.pem", True),
        "admin_pub": write_pem(k["admin"], folder / "admin.pub.pem"),
        "evil_key": write_pem(k["evil"], folder / "evil.key.pem", True),
        "evil_pub": write_pem(k["evil"], folder / "evil.pub.pem"),
        "issuer": write_pem(k["issuer"], folder / "issuer.pub.pem"),
    }
