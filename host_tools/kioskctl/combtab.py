"""Host-side builder of P-256 comb tables for the kiosk trust store.

`kioskctl trust build` calls build_table(sec1_point) for every ES256 key and
stores the bytes as the key's `tab`.  The device checks a table fully before
it first uses it (kiosk.crypto.comb.check), so this builder is a speed-up, not
a trust anchor.  Format (docs/crypto.md):

    b"PCMB" | 1 | 8 | s | 0 | s*255 affine points x(32 BE) || y(32 BE)

where block j, index I (1..255) holds (sum over bits t of I of 2^(32 t)) *
2^((32/s) j) * P.  This is an independent implementation (python-ecdsa's
curve arithmetic), so host and device builders cross-check each other.
"""

from ecdsa import NIST256p
from ecdsa.ellipticcurve import Point

MAGIC = b"PCMB"
TEETH = 8
SIZES = (1, 2, 4)
_CURVE = NIST256p.curve
_N = NIST256p.order


class CombError(ValueError):
    """The point cannot have a comb table (not a valid P-256 SEC1 point)."""


def decode(sec1_point):
    pt = bytes(sec1_point)
    if len(pt) != 65 or pt[0] != 4:
        raise CombError("need a 65-byte uncompressed SEC1 P-256 point")
    x = int.from_bytes(pt[1:33], "big")
    y = int.from_bytes(pt[33:], "big")
    p = _CURVE.p()
    if x >= p or y >= p or not _CURVE.contains_point(x, y):
        raise CombError("point is not on P-256")
    return Point(_CURVE, x, y, _N)


def table_size(s=4):
    return 8 + s * 255 * 64


def build_table(sec1_point, s=4):
    """Comb table bytes for a SEC1 point (65 bytes); s sub-combs (1, 2 or 4).

    s = 4: 1020 points, 65,288 bytes, 7 doublings per verify;
    s = 1: 255 points, 16,328 bytes, 31 doublings per verify.
    """
    if s not in SIZES:
        raise CombError("s must be 1, 2 or 4")
    base = decode(sec1_point)
    e = 32 // s
    out = bytearray(MAGIC + bytes((1, TEETH, s, 0)))
    for j in range(s):
        rows = [base * (1 << (32 * t + e * j)) for t in range(TEETH)]
        entries = [None] * 256
        for i in range(1, 256):
            low = i & -i
            t = low.bit_length() - 1
            entries[i] = rows[t] if i == low else entries[i ^ low] + rows[t]
        for i in range(1, 256):
            pt = entries[i]
            out += pt.x().to_bytes(32, "big") + pt.y().to_bytes(32, "big")
    assert len(out) == table_size(s)
    return bytes(out)
