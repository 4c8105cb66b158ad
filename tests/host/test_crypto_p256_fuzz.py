"""Hypothesis: firmware p256.verify (on MicroPython) agrees with OpenSSL.

Random keys, messages and signatures (valid, high-s, bit flips in the
signature, message or key, random junk) are collected by hypothesis, then
checked in ONE batched micropython process, with and without comb tables.
"""

import os
import subprocess

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kioskctl import mp, paths

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

BATCH = r"""
import sys, binascii
from kiosk.crypto import p256
tabs = {}
while True:
    line = sys.stdin.readline()
    if not line:
        break
    pub, msg, sig, tab = [binascii.unhexlify(x) for x in line.split(",")]
    if tab:
        tabs[pub] = tab
    t = tabs.get(pub) if line.split(",")[3].strip() == "" and pub in tabs else (tab or None)
    a = p256.verify(pub, msg, sig)
    b = p256.verify(pub, msg, sig, t) if t else a
    print("%d%d" % (a, b))
"""


def openssl(pub, msg, sig):
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub)
        if len(sig) != 64:
            return False
        r = int.from_bytes(sig[:32], "big")
        s = int.from_bytes(sig[32:], "big")
        key.verify(encode_dss_signature(r, s), msg, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def pubbytes(key):
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


KINDS = ["valid", "valid", "high_s", "flip_sig", "flip_msg", "flip_pub", "junk_sig", "swap_rs"]


@st.composite
def cases(draw):
    d = draw(st.integers(min_value=1, max_value=N - 1))
    key = ec.derive_private_key(d, ec.SECP256R1())
    msg = draw(st.binary(max_size=100))
    r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(hashes.SHA256())))
    pub = pubbytes(key)
    kind = draw(st.sampled_from(KINDS))
    bit = draw(st.integers(min_value=0, max_value=511))
    if kind == "high_s":
        s = N - s
    elif kind == "swap_rs":
        r, s = s, r
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if kind == "flip_sig":
        sig = bytearray(sig)
        sig[bit // 8] ^= 1 << (bit % 8)
    elif kind == "flip_msg":
        msg = bytes(msg) + b"\x00" if not msg else bytes([msg[0] ^ 1]) + msg[1:]
    elif kind == "flip_pub":
        pub = bytearray(pub)
        pub[1 + bit // 8] ^= 1 << (bit % 8)
    elif kind == "junk_sig":
        sig = draw(st.binary(min_size=64, max_size=64))
    return bytes(pub), bytes(msg), bytes(sig)


def run_batch(rows):
    script = os.path.join(os.environ.get("TMPDIR", "/tmp"), "p256_batch_%d.py" % os.getpid())
    with open(script, "w") as f:
        f.write(BATCH)
    try:
        lines = "".join("%s,%s,%s,%s\n" % (p.hex(), m.hex(), s.hex(), t.hex()) for p, m, s, t in rows)
        proc = mp.run(script, input=lines.encode(), timeout=300)
    finally:
        os.unlink(script)
    return proc.stdout.decode().split()


def test_firmware_agrees_with_openssl():
    collected = []

    @settings(max_examples=800, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(cases())
    def collect(case):
        collected.append(case)

    collect()
    rows = [(p, m, s, b"") for p, m, s in collected]
    out = run_batch(rows)
    assert len(out) == len(rows)
    expected = [openssl(p, m, s) for p, m, s in collected]
    assert sum(expected) >= 40, "too few valid cases to mean anything"
    for (p, m, s), want, got in zip(collected, expected, out):
        assert got[0] == "1" if want else got[0] == "0", (p.hex(), m.hex(), s.hex(), want)
