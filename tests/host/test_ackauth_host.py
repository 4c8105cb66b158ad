"""kioskctl.ackauth signs exactly the message the firmware checks
(kiosk.records.ackauth through kioskctl.fw): the host's signature verifies
with the firmware's own message bytes, and not for another seq, log or device."""

import struct

from cryptography.hazmat.primitives.asymmetric import ec

from kioskctl import ackauth, bundle
from kioskctl.fw import ack_message


def test_sign_ack_matches_the_firmware_message():
    key = ec.generate_private_key(ec.SECP256R1())
    sig = ackauth.sign_ack(key, "K-1", 0xDEADBEEF, 41)
    assert len(sig) == 64
    msg = ack_message.message("K-1", 0xDEADBEEF, 41)
    assert msg == b"KACK1" + bytes((3,)) + b"K-1" + struct.pack(">II", 0xDEADBEEF, 41)
    point = bundle.point_of(key)
    assert bundle.verify(point, msg, sig)
    for other in (("K-1", 0xDEADBEEF, 42), ("K-1", 0xDEADBEEE, 41), ("K-2", 0xDEADBEEF, 41)):
        assert not bundle.verify(point, ack_message.message(*other), sig)
