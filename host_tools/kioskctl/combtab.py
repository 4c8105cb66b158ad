"""Host-side builder of P-256 signed comb tables for the kiosk trust store.

`kioskctl trust build` calls build_table(sec1_point) for every ES256 key and
stores the bytes as the key's `tab`.  The device checks a table fully before
it first uses it (kiosk.crypto.comb.check), so this builder is a speed-up, not
a trust anchor.  Format (docs/crypto.md):

    b"PCMB" | 2 | 9 | s | 0 | s*256 affine points x(32 BE) || y(32 BE)

where block j < s (s = 1 or 4), index I = 0..255 holds

    E_j[I] = 2^(8 j) * (2^232 + sum_{t < 8} (2 I_t - 1) 2^(29 t)) * P.

This is an independent implementation (python-ecdsa's curve arithmetic, each
entry from its coefficient), so host and device builders cross-check.
"""

from ecdsa import NIST256p
from ecdsa.ellipticcurve import INFINITY, Point

MAGIC = b"PCMB"
VERSION = 2
TEETH = 9
SIZES = (1, 4)
SHAPES = ((9, 1), (9, 4), (11, 3))  # (teeth, blocks); 11 teeth: G's table only
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


def rows(w):
    """Bits per row for w teeth (w * rows >= 257): 29 for 9 teeth, 24 for 11."""
    return (256 + w) // w


def table_size(s=4, w=TEETH):
    return 8 + s * (1 << (w - 1)) * 64


def coefficient(j, i, w=TEETH):
    """The multiple of P stored at block j, index i."""
    r = rows(w)
    c = 1 << (r * (w - 1))
    for t in range(w - 1):
        c += (1 if (i >> t) & 1 else -1) << (r * t)
    return c << (8 * j)


def build_table(sec1_point, s=4, w=TEETH):
    """Comb table bytes for a SEC1 point (65 bytes); s blocks (1 or 4).

    s = 4: 1024 points, 65,544 bytes, 7 doublings per verify;
    s = 1: 256 points, 16,392 bytes, 28 doublings per verify.
    w = 11, s = 3 is G's table (3072 points, 196,616 bytes), frozen into
    device builds by host_tools/scripts/gen_gtable.py.
    """
    if (w, s) not in SHAPES:
        raise CombError("no table of %d teeth and %d blocks" % (w, s))
    base = decode(sec1_point)
    r = rows(w)
    half = 1 << (w - 1)
    out = bytearray(MAGIC + bytes((VERSION, w, s, 0)))
    for j in range(s):
        # E[0] by scalar multiplication, then E[I] = E[I - 2^t] + 2^(r t+8j+1) P
        step = [base * (1 << (r * t + 8 * j + 1)) for t in range(w - 1)]
        entries = [base * (coefficient(j, 0, w) % _N)]
        for i in range(1, half):
            low = i & -i
            entries.append(entries[i ^ low] + step[low.bit_length() - 1])
        for pt in entries:
            assert pt is not INFINITY
            out += pt.x().to_bytes(32, "big") + pt.y().to_bytes(32, "big")
    assert len(out) == table_size(s, w)
    return bytes(out)
