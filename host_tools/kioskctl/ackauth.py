"""Signed acknowledgements: how a puller or collector proves it may let a
kiosk delete records (firmware: kiosk.records.ackauth, whose message format
this uses through kioskctl.fw).

    key = load_key("admin.key.pem")            # admin or collector private key
    sig = sign_ack(key, "K-1", log_id, seq)    # 64 bytes r||s
"""

from kioskctl import bundle
from kioskctl.fw import ack_message


def load_key(path):
    """P-256 private key from a PEM file (KioskError with the reason if not)."""
    return bundle.load_private_key(path)


def sign_ack(private_key, dev, log_id, seq):
    """ES256 signature over b"KACK1" | u8 len(dev) | dev | u32BE log_id | u32BE seq."""
    return bundle.sign(private_key, ack_message.message(dev, log_id, seq))
