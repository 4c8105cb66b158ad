# HMAC-SHA256 against RFC 4231 test vectors.
import binascii

import mpassert
from kiosk.crypto import hmac_sha256


def test_rfc4231_case1():
    mac = hmac_sha256(b"\x0b" * 20, b"Hi There")
    mpassert.eq(binascii.hexlify(mac), b"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")


def test_rfc4231_case6_long_key():
    mac = hmac_sha256(b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First")
    mpassert.eq(binascii.hexlify(mac), b"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
