# ES256 verify on MicroPython against host-made vectors (see test_p256_vectors.py).
import binascii

import mpassert
from kiosk.crypto import p256
from test_p256_vectors import VECTORS


def _rows():
    for label, pub, msg, sig, ok in VECTORS:
        yield label, binascii.unhexlify(pub), binascii.unhexlify(msg), binascii.unhexlify(sig), ok


def test_vectors_without_table():
    n = 0
    for label, pub, msg, sig, ok in _rows():
        mpassert.eq(p256.verify(pub, msg, sig), ok, label)
        n += 1
    mpassert.eq(n > 70, True)


def test_valid_signature_rejected_after_any_single_byte_change():
    label, pub, msg, sig, ok = next(_rows())
    mpassert.eq(ok, True)
    for i in range(64):
        bad = bytearray(sig)
        bad[i] ^= 0x80 >> (i % 8)
        mpassert.eq(p256.verify(pub, msg, bytes(bad)), False, "sig byte %d" % i)


def test_never_raises_on_junk():
    label, pub, msg, sig, ok = next(_rows())
    junk = (None, 0, -1, "x" * 65, [4] * 65, b"", b"\x04", bytearray(65), 3.5, object())
    for j in junk:
        mpassert.eq(p256.verify(j, msg, sig), False, repr(j))
        mpassert.eq(p256.verify(pub, msg, j), False, repr(j))
        # a junk table is ignored: the answer is the one without a table
        mpassert.eq(p256.verify(pub, msg, sig, table=j if j is not None else b"x"), True, repr(j))
        mpassert.eq(p256.verify(pub, msg + b"!", sig, table=j if j is not None else b"x"), False, repr(j))
    # memoryview and bytearray inputs are fine
    mpassert.eq(p256.verify(memoryview(pub), bytearray(msg), bytearray(sig)), True)


def test_inverse_and_curve_helpers():
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    for a in (1, 2, 3, n - 1, 0x1234567890ABCDEF << 100):
        mpassert.eq(a * p256.inverse(a, n) % n, 1, a)
    q = p256.decode_point(p256.G_SEC1)
    mpassert.eq(q is not None, True)
    mpassert.eq(p256.on_curve(q[0], q[1] + 1), False)
