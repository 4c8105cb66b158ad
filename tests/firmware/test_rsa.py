# PS256 (RSASSA-PSS, SHA-256, MGF1) on MicroPython against OpenSSL-checked vectors.
import binascii
import time

import mpassert
from kiosk.crypto import rsa
from test_rsa_vectors import VECTORS


def _rows():
    for label, n, e, msg, sig, ok in VECTORS:
        yield label, int(n, 16), e, binascii.unhexlify(msg), binascii.unhexlify(sig), ok


def test_vectors():
    count = 0
    for label, n, e, msg, sig, ok in _rows():
        mpassert.eq(rsa.verify_pss(n, e, msg, sig), ok, label)
        count += 1
    mpassert.eq(count >= 40, True)


def test_modulus_as_bytes_and_buffers():
    label, n, e, msg, sig, ok = next(_rows())
    mpassert.eq(ok, True)
    nb = n.to_bytes(256, "big")
    mpassert.eq(rsa.verify_pss(nb, e, msg, sig), True)
    mpassert.eq(rsa.verify_pss(n, e, bytearray(msg), memoryview(sig)), True)
    mpassert.eq(rsa.verify_pss(n, e + 2, msg, sig), False)


def test_never_raises_on_junk():
    label, n, e, msg, sig, ok = next(_rows())
    for bad_n in (None, 0, -n, n + 1, 1 << 5000, b"", "x", 3.0, n << 8):
        mpassert.eq(rsa.verify_pss(bad_n, e, msg, sig), False, repr(bad_n)[:20])
    for bad_e in (None, 1, 2, 65536, 1 << 40, -65537, "65537", n):
        mpassert.eq(rsa.verify_pss(n, bad_e, msg, sig), False, repr(bad_e)[:20])
    for bad_sig in (None, b"", 5, sig[:-1], sig + b"\x00", "x" * 256):
        mpassert.eq(rsa.verify_pss(n, e, msg, bad_sig), False, repr(bad_sig)[:20])
    mpassert.eq(rsa.verify_pss(n, e, None, sig), False)


def test_mgf1_and_bits():
    # RFC 8017 MGF1-SHA256 of an empty seed starts with SHA-256(0x00000000)
    import hashlib

    mpassert.eq(rsa.mgf1(b"", 40)[:32], hashlib.sha256(b"\x00\x00\x00\x00").digest())
    mpassert.eq(len(rsa.mgf1(b"abc", 223)), 223)
    for b in (1, 2, 8, 9, 2047, 2048, 3072):
        mpassert.eq(rsa._bits((1 << (b - 1)) | 1), b)


def test_speed_is_bounded():
    # not a benchmark: a 3072-bit verify must stay well under a second here
    for label, n, e, msg, sig, ok in _rows():
        if label == "3072 valid salt32":
            t = time.ticks_ms()
            mpassert.eq(rsa.verify_pss(n, e, msg, sig), True)
            mpassert.eq(time.ticks_diff(time.ticks_ms(), t) < 1000, True)
