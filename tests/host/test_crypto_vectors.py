"""ES256 test vectors for the firmware: generator and their host-side check.

    .venv/bin/python tests/host/test_crypto_vectors.py   # rewrites the vectors

writes tests/firmware/test_p256_vectors.py (a data module the MicroPython tests
import).  The vectors are deterministic (seeded keys, RFC 6979 nonces), made
with python-ecdsa's curve arithmetic; the expected verdict of every vector is
taken from `cryptography` (OpenSSL), and the tests below check that the
committed file is exactly what this generator makes and that OpenSSL agrees.
"""

import hashlib
import os
import random
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from ecdsa import NIST256p, SigningKey
from ecdsa.ellipticcurve import Point

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "firmware", "test_p256_vectors.py")

CURVE = NIST256p.curve
G = NIST256p.generator
N = NIST256p.order
P = CURVE.p()
B = CURVE.b()


def sec1(point):
    return b"\x04" + point.x().to_bytes(32, "big") + point.y().to_bytes(32, "big")


def raw_pub(x, y):
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def sig_bytes(r, s):
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def openssl_verdict(pub, msg, sig):
    """What OpenSSL says (False for anything it refuses to load or parse)."""
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub)
        r = int.from_bytes(sig[:32], "big")
        s = int.from_bytes(sig[32:], "big")
        if len(sig) != 64:
            return False
        key.verify(encode_dss_signature(r, s), msg, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def sqrt_p(a):
    y = pow(a, (P + 1) // 4, P)
    return y if y * y % P == a % P else None


def point_with_x(x):
    y = sqrt_p((x * x * x - 3 * x + B) % P)
    return None if y is None else Point(CURVE, x, y, N)


def sign(d, msg):
    sk = SigningKey.from_secret_exponent(d, curve=NIST256p, hashfunc=hashlib.sha256)
    sig = sk.sign_deterministic(msg, hashfunc=hashlib.sha256)
    return sig


def forge_for_point(R, msg, rnd):
    """A key Q and a signature (r, s) on msg whose verify lands on point R."""
    e = int.from_bytes(hashlib.sha256(msg).digest(), "big") % N
    r = R.x() % N
    s = rnd.randrange(1, N)
    w = pow(s, -1, N)
    u1 = e * w % N
    u2 = r * w % N
    Q = pow(u2, -1, N) * (R + (-(u1 * G)))
    return sec1(Q), r, s


def vectors():
    rnd = random.Random(2026)
    out = []

    def add(label, pub, msg, sig):
        out.append((label, pub, msg, sig, openssl_verdict(pub, msg, sig)))

    for i in range(6):
        d = rnd.randrange(1, N)
        pub = sec1(d * G)
        msg = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 80)))
        sig = sign(d, msg)
        r = int.from_bytes(sig[:32], "big")
        s = int.from_bytes(sig[32:], "big")
        add("valid %d" % i, pub, msg, sig)
        add("high-s %d" % i, pub, msg, sig_bytes(r, N - s))
        add("wrong message %d" % i, pub, msg + b"x", sig)
        bit = rnd.randrange(256)
        add("flip r bit %d" % bit, pub, msg, sig_bytes(r ^ (1 << bit), s))
        bit = rnd.randrange(256)
        add("flip s bit %d" % bit, pub, msg, sig_bytes(r, s ^ (1 << bit)))
        bit = rnd.randrange(8, 520)
        bad = bytearray(pub)
        bad[bit // 8] ^= 1 << (bit % 8)
        add("flip pub bit %d" % bit, bytes(bad), msg, sig)
        if i == 0:
            for name, rr, ss in (
                ("r=0", 0, s), ("s=0", r, 0), ("r=n", N, s), ("s=n", r, N),
                ("r=n+r", N + r if N + r < 2**256 else 2**256 - 1, s),
                ("s=n+s", r, N + s if N + s < 2**256 else 2**256 - 1),
                ("r=2^256-1", 2**256 - 1, s), ("s=2^256-1", r, 2**256 - 1),
                ("r=1", 1, s), ("s=1", r, 1), ("r=n-1", N - 1, s),
            ):
                add(name, pub, msg, sig_bytes(rr, ss))
            q = d * G
            add("pub y -> p-y", raw_pub(q.x(), P - q.y()), msg, sig)
            add("pub prefix 0x03", b"\x03" + pub[1:], msg, sig)
            add("pub 64 bytes", pub[1:], msg, sig)
            add("pub 66 bytes", pub + b"\x00", msg, sig)
            add("sig 63 bytes", pub, msg, sig[:63])
            add("sig 65 bytes", pub, msg, sig + b"\x00")
            add("sig empty", pub, msg, b"")
            add("pub empty", b"", msg, sig)
    # Keys at the edges: d = 1 (Q = G, so G + Q needs a doubling), d = n - 1
    # (Q = -G, G + Q is infinity), d = 2.
    for d in (1, 2, N - 1, N - 2):
        msg = b"edge key %d" % (d % 1000)
        add("key d=%s" % ("n-%d" % (N - d) if d > 10 else d), sec1(d * G), msg, sign(d, msg))
    # u1*G + u2*Q = infinity: choose d = -e/r so that e + r*d = 0 (mod n).
    for i in range(3):
        msg = b"infinity %d" % i
        e = int.from_bytes(hashlib.sha256(msg).digest(), "big") % N
        r = rnd.randrange(1, N)
        d = (-e * pow(r, -1, N)) % N
        s = rnd.randrange(1, N)
        add("u1G+u2Q=infinity %d" % i, sec1(d * G), msg, sig_bytes(r, s))
    # R.x >= n: r = x - n, valid only when the verifier minds r + n < p.
    x = N
    found = 0
    while found < 3:
        R = point_with_x(x)
        x += 1
        if R is None:
            continue
        found += 1
        msg = b"x >= n %d" % found
        pub, r, s = forge_for_point(R, msg, rnd)
        add("R.x>=n valid %d" % found, pub, msg, sig_bytes(r, s))
        add("R.x>=n r=x %d" % found, pub, msg, sig_bytes(R.x(), s))
        add("R.x>=n wrong msg %d" % found, pub, msg + b"!", sig_bytes(r, s))
    # R.x < p - n with r = x: the r + n alias must NOT be accepted blindly.
    R = point_with_x(5) or point_with_x(7)
    msg = b"small x"
    pub, r, s = forge_for_point(R, msg, rnd)
    add("R.x small valid", pub, msg, sig_bytes(r, s))
    # Keys that are not points: off-curve, infinity, coordinates >= p.
    d = rnd.randrange(1, N)
    q = d * G
    msg = b"bad keys"
    sig = sign(d, msg)
    add("off-curve y+1", raw_pub(q.x(), (q.y() + 1) % P), msg, sig)
    add("infinity as zeros", raw_pub(0, 0), msg, sig)
    add("infinity SEC1 0x00", b"\x00", msg, sig)
    add("all zero 65 bytes", bytes(65), msg, sig)
    small = point_with_x(3) or point_with_x(4) or point_with_x(5)
    add("x >= p (x+p)", raw_pub(small.x() + P, small.y()), msg, sig)
    add("y >= p", raw_pub(q.x(), q.y() + P) if q.y() + P < 2**256 else raw_pub(q.x(), 2**256 - 1), msg, sig)
    add("x = p", raw_pub(P, q.y()), msg, sig)
    return out


def render(vecs):
    lines = [
        '"""ES256 vectors generated by tests/host/test_crypto_vectors.py (do not edit).',
        "",
        "Rows: (label, pub hex, msg hex, sig hex, expected verdict from OpenSSL).",
        '"""',
        "# fmt: off",
        "VECTORS = [",
    ]
    for label, pub, msg, sig, ok in vecs:
        lines.append("    (%r, %r, %r, %r, %r)," % (label, pub.hex(), msg.hex(), sig.hex(), ok))
    lines.append("]")
    return "\n".join(lines) + "\n"


def test_committed_vectors_are_current():
    with open(OUT, encoding="utf-8") as f:
        assert f.read() == render(vectors()), "run: python tests/host/test_crypto_vectors.py"


def test_vectors_cover_the_edges():
    vecs = vectors()
    labels = [v[0] for v in vecs]
    assert sum(v[4] for v in vecs) >= 15  # valid ones, incl. high-s, edge keys, x >= n
    assert all(v[4] for v in vecs if v[0].startswith("R.x>=n valid"))
    assert not any(v[4] for v in vecs if "infinity" in v[0])
    assert "x >= p (x+p)" in labels and "key d=1" in labels


if __name__ == "__main__":
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(render(vectors()))
    print("wrote", OUT, file=sys.stderr)
