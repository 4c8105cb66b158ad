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

from kioskctl import combtab, mp

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

BATCH = r"""
import sys, binascii
from kiosk.crypto import p256
tabs = {}
while True:
    line = sys.stdin.readline()
    if not line:
        break
    f = [binascii.unhexlify(x) for x in line.strip().split(",")[1:]]
    if line[0] == "T":
        tabs[f[0]] = f[1]
        continue
    pub, msg, sig = f
    a = p256.verify(pub, msg, sig)
    t = tabs.get(pub)
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


def run_batch(rows, tables=()):
    script = os.path.join(os.environ.get("TMPDIR", "/tmp"), "p256_batch_%d.py" % os.getpid())
    with open(script, "w") as f:
        f.write(BATCH)
    try:
        lines = "".join("T,%s,%s\n" % (p.hex(), t.hex()) for p, t in tables)
        lines += "".join("V,%s,%s,%s\n" % (p.hex(), m.hex(), s.hex()) for p, m, s in rows)
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
    out = run_batch(collected)
    assert len(out) == len(collected)
    expected = [openssl(p, m, s) for p, m, s in collected]
    assert sum(expected) >= 100, "too few valid cases to mean anything"
    for (p, m, s), want, got in zip(collected, expected, out):
        assert got == ("11" if want else "00"), (p.hex(), m.hex(), s.hex(), want)


def test_with_host_built_tables_agrees_with_openssl():
    """Tables from kioskctl.combtab (the trust-store builder) used on the device."""
    keys = [ec.derive_private_key(d, ec.SECP256R1()) for d in (3, 0xC0FFEE, N - 5, 2**200 + 1)]
    tables = [(pubbytes(k), combtab.build_table(pubbytes(k), s)) for k, s in zip(keys, (4, 4, 1, 1))]
    collected = []

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(keys), st.binary(max_size=40), st.sampled_from(KINDS), st.integers(0, 511))
    def collect(key, msg, kind, bit):
        r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(hashes.SHA256())))
        if kind == "high_s":
            s = N - s
        sig = bytearray(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        if kind in ("flip_sig", "junk_sig", "flip_pub"):
            sig[bit // 8] ^= 1 << (bit % 8)
        if kind == "flip_msg":
            msg = msg + b"."
        collected.append((pubbytes(key), msg, bytes(sig)))

    collect()
    out = run_batch(collected, tables)
    expected = [openssl(p, m, s) for p, m, s in collected]
    assert sum(expected) >= 30
    for (p, m, s), want, got in zip(collected, expected, out):
        assert got == ("11" if want else "00"), (p.hex(), m.hex(), s.hex(), want)
