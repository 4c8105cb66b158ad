"""Authorised acknowledgements: who may let the kiosk delete scan records.

An ACK tells the kiosk that every record up to `seq` of log `log_id` is held
durably elsewhere, so the log may delete them. It must come from someone
entitled to: the admin key or one of the collector keys (0..8, set at first
setup and by the admin-signed `collectors` command). The signed message is

    b"KACK1" | u8 len(dev) | dev | u32BE log_id | u32BE seq

ES256 (P-256, SHA-256), signature r||s (64 bytes). The same check serves the
serial CMD_ACK and the MQTT `kiosk/<dev>/ack` topic; both then move the one
cursor, `Log.ack(seq)`, through `apply`.

Replay: ACKs are cumulative and bound to the device and the log id, so a
captured ACK can only repeat what it already did (seq <= cursor: nothing
changes). A log id other than the current log's, or a seq beyond the newest
durable record, is refused: a signature over a future seq cannot delete
records not yet pulled. High-s signatures verify (standard ECDSA); a second
valid signature over the same message grants nothing more.
"""

import struct

from micropython import const

DOMAIN = b"KACK1"
SIG_LEN = const(64)
MAX_KEYS = const(9)  # the admin key and up to 8 collector keys


class AckRefused(Exception):
    """An ACK the kiosk does not act on; `msg` says why (sent back to the host)."""


def message(dev, log_id, seq):
    """The signed bytes for (device id, log id, seq)."""
    if isinstance(dev, str):
        dev = dev.encode()
    return DOMAIN + bytes((len(dev),)) + dev + struct.pack(">II", log_id & 0xFFFFFFFF, seq & 0xFFFFFFFF)


def check(pubs, dev, log_id, seq, sig):
    """True when one of `pubs` signed this ACK; never raises on bad input."""
    from kiosk.crypto import p256

    if not isinstance(sig, (bytes, bytearray, memoryview)) or len(sig) != SIG_LEN or not pubs:
        return False
    try:
        msg = message(dev, log_id, seq)
    except (TypeError, ValueError, OverflowError):
        return False
    sig = bytes(sig)
    for pub in pubs[:MAX_KEYS]:
        if pub and p256.verify(pub, msg, sig):
            return True
    return False


def apply(log, pubs, dev, log_id, seq, sig):
    """Move `log`'s ack cursor after every check; returns the cursor.
    Raises AckRefused (nothing changed) when the ACK is not authorised."""
    if log_id != log.log_id:
        raise AckRefused("ACK for log %08x, this log is %08x" % (log_id & 0xFFFFFFFF, log.log_id))
    if seq > log.durable_seq:
        raise AckRefused("ACK for seq %d beyond the newest record %d" % (seq, log.durable_seq))
    if not check(pubs, dev, log_id, seq, sig):
        raise AckRefused("ACK not signed by the admin or a collector key")
    if seq <= log.ack_seq:
        return log.ack_seq  # a repeat: already done
    return log.ack(seq)
