# Comb tables on MicroPython: same verdicts as without, corrupted tables never help.
import binascii
import gc
import random

import mpassert
from kiosk.crypto import comb, curve, p256
from test_p256_vectors import VECTORS


def _rows():
    for label, pub, msg, sig, ok in VECTORS:
        yield label, binascii.unhexlify(pub), binascii.unhexlify(msg), binascii.unhexlify(sig), ok


def _valid(n):
    out = []
    for row in _rows():
        if row[4] and row[0].startswith("valid"):
            out.append(row)
    return out[:n]


def test_vectors_with_table_match_without():
    tab = None
    last = None
    n = 0
    for label, pub, msg, sig, ok in _rows():
        if p256.decode_point(pub) is None:
            # no table can exist for a non-point; any junk table changes nothing
            mpassert.eq(p256.verify(pub, msg, sig, comb.gtable()), False, label)
            continue
        if pub != last:
            comb.forget()
            tab = None
            gc.collect()
            tab = comb.build(pub, 4 if n % 3 else 1)
            mpassert.eq(p256.check_table(pub, tab), True, label)
            last = pub
        mpassert.eq(p256.verify(pub, msg, sig, tab), ok, label)
        n += 1
    mpassert.eq(n > 60, True)


def test_gtable_is_the_table_of_g():
    g = comb.gtable()
    mpassert.eq(len(g), comb.table_size(3, 11))
    mpassert.eq(comb.shape(g), (11, 3))
    mpassert.eq(comb.check(p256.G_SEC1, bytes(g)), True)
    mpassert.eq(comb.check(p256.G_SEC1, comb.build(p256.G_SEC1, 1)), True)
    mpassert.eq(comb.check(p256.G_SEC1, comb.build(p256.G_SEC1, 4)), True)
    mpassert.eq(comb.check(p256.G_SEC1, comb.build(p256.G_SEC1, 1)[:-64] + bytes(64)), False)


def test_another_keys_table_cannot_forge():
    (la, pa, ma, sa, _), (lb, pb, mb, sb, _) = _valid(2)
    tab_a = comb.build(pa)
    # Used blindly, A's table makes A's signature pass for key B: the forgery
    # the check exists to stop.
    qx, qy, r, s = p256._parse(pb, sa)
    u1, u2 = p256._scalars(ma, r, s)
    X, zz = comb.mul2(u1, u2, tab_a)
    mpassert.eq(p256._x_matches(X, zz, r), True, "blind use would forge")
    mpassert.eq(p256.check_table(pb, tab_a), False)
    mpassert.eq(p256.verify(pb, ma, sa, tab_a), False)
    mpassert.eq(p256.verify(pb, ma, sa, tab_a), False)  # cached verdict
    mpassert.eq(p256.verify(pa, ma, sa, tab_a), True)


def test_flipped_bits_anywhere_fail_the_check():
    label, pub, msg, sig, ok = _valid(1)[0]
    good = comb.build(pub, 1)
    mpassert.eq(comb.check(pub, good), True)
    random.seed(7)
    size = len(good)
    spots = [0, 3, 4, 5, 6, 7, 8, 8 + 63, 8 + 64, 8 + 64 * 254, size - 1, size - 33, size // 2]
    for _ in range(28):
        spots.append(random.getrandbits(16) % size)
    for k, off in enumerate(spots):
        bad = bytearray(good)
        bad[off] ^= 1 << (k % 8)
        bad = bytes(bad)
        mpassert.eq(comb.check(pub, bad), False, "byte %d" % off)
        mpassert.eq(p256.verify(pub, msg, sig, bad), True, "falls back, byte %d" % off)
        mpassert.eq(p256.verify(pub, msg + b"?", sig, bad), False, "byte %d" % off)
        comb.forget()
    for junk in (b"", good[:-64], good + bytes(64), b"PCMB" + bytes(100)):
        mpassert.eq(comb.check(pub, junk), False)


def test_mutable_table_cannot_be_swapped_after_check():
    (la, pa, ma, sa, _), (lb, pb, mb, sb, _) = _valid(2)
    buf = bytearray(comb.build(pb))
    mpassert.eq(p256.check_table(pb, buf), True)
    mpassert.eq(p256.verify(pb, mb, sb, buf), True)
    buf[:] = comb.build(pa)  # now A's table in B's (already checked) buffer
    mpassert.eq(p256.verify(pb, ma, sa, buf), False)
    mpassert.eq(p256.verify(pb, mb, sb, buf), True)
    ro = memoryview(comb.build(pa))
    mpassert.eq(comb.usable(pa, ro) is ro, True)  # read-only views are used as they are
    mpassert.eq(p256.verify(pa, ma, sa, ro), True)


def _same_x(comb_xz, jac):
    P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
    X1, ZZ = comb_xz
    X2, _, Z2 = jac
    if ZZ % P == 0 or Z2 % P == 0:
        return ZZ % P == 0 and Z2 % P == 0
    return X1 * Z2 * Z2 % P == X2 * ZZ % P


def test_comb_edge_cases_equal_and_opposite_points():
    # Q = G and u1 = u2: the Q-part adds a point equal to the accumulator
    # (doubling branch); Q = -G: opposite points (infinity branch).
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    gx, gy = p256.decode_point(p256.G_SEC1)
    p = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
    neg_g = b"\x04" + gx.to_bytes(32, "big") + (p - gy).to_bytes(32, "big")
    scalars = [1, 2, 3, 0xFF, (1 << 255) + 12345, n - 1, n - 2, 0x0123456789ABCDEF << 128]
    for pub in (p256.G_SEC1, neg_g):
        for s in (4, 1):
            tab = comb.build(pub, s)
            qx, qy = p256.decode_point(pub)
            for k in scalars:
                for u1, u2 in ((k, k), (k, 2 * k % n), (k, n - k)):
                    got = comb.mul2(u1, u2, tab)
                    want = p256._shamir(u1, u2, qx, qy)
                    mpassert.eq(_same_x(got, want), True, "u1=%x u2=%x s=%d" % (u1, u2, s))
    # u1*G + u2*(-G) with u1 = u2 is infinity
    X, zz = comb.mul2(5, 5, comb.build(neg_g))
    mpassert.eq(zz % p, 0)


def test_window_fallback_matches_the_reference_ladder():
    from kiosk.crypto import window

    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    p = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
    gx, gy = p256.decode_point(p256.G_SEC1)
    keys = [(gx, gy), (gx, p - gy), p256.decode_point(_valid(1)[0][1])]
    random.seed(3)
    for qx, qy in keys:
        for t in range(8):
            u1 = int.from_bytes(bytes(random.getrandbits(8) for _ in range(32)), "big") % n
            u2 = int.from_bytes(bytes(random.getrandbits(8) for _ in range(32)), "big") % n
            if t == 1:
                u2 = u1
            elif t == 2:
                u2 = n - u1
            elif t == 3:
                u1, u2 = 1, (1 << 255) - 1
            elif t == 4:
                u1, u2 = (1 << 32) - 1, 0x1F << 200
            X, Z = window.mul2(u1, u2, qx, qy)
            mpassert.eq(_same_x((X, Z * Z), p256._shamir(u1, u2, qx, qy)), True, "t=%d" % t)


def _set_entry(tab, j, i, x, y):
    off = 8 + (j * 256 + i) * 64
    tab[off : off + 32] = x.to_bytes(32, "big")
    tab[off + 32 : off + 64] = y.to_bytes(32, "big")


def test_valid_points_in_wrong_places_fail_the_check():
    # Every replacement below is a point on the curve, so only the structural
    # checks (collinearity, E[0] from the doubling chain) can catch it.
    p = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
    label, pub, msg, sig, ok = _valid(1)[0]
    good = comb.build(pub, 1)
    for i, k in ((1, 2), (77, 200), (255, 0), (128, 129)):
        bad = bytearray(good)
        x, y = comb._entry(good, 0, k)
        _set_entry(bad, 0, i, x, y)  # another entry of the same table
        mpassert.eq(comb.check(pub, bytes(bad)), False, "entry %d <- %d" % (i, k))
        bad = bytearray(good)
        x, y = comb._entry(good, 0, i)
        _set_entry(bad, 0, i, x, p - y)  # its negation
        mpassert.eq(comb.check(pub, bytes(bad)), False, "entry %d negated" % i)
    # Shift every entry by the same point W: all the sums E[I] = E[I - 2^t] + D
    # still hold, only E[0] against the doubling chain tells.
    gx, gy = p256.decode_point(p256.G_SEC1)
    pts = [comb._entry(good, 0, i) for i in range(256)]
    moved = curve.normalize([p256.jadd_affine(x, y, 1, gx, gy) for x, y in pts])
    shifted = bytearray(good)
    for i, (x, y) in enumerate(moved):
        _set_entry(shifted, 0, i, x, y)
    mpassert.eq(comb.check(pub, bytes(shifted)), False, "shifted table")
    # and such a table would change verify's arithmetic if it were used blindly
    qx, qy, r, s = p256._parse(pub, sig)
    u1, u2 = p256._scalars(msg, r, s)
    X, zz = comb.mul2(u1, u2, bytes(shifted))
    mpassert.eq(p256._x_matches(X, zz, r), False)
    mpassert.eq(p256.verify(pub, msg, sig, bytes(shifted)), True)  # ignored, falls back


def test_builder_refuses_non_points():
    from kiosk.crypto import CryptoError

    for bad in (b"\x04" + bytes(64), p256.G_SEC1[:-1], p256.G_SEC1[:1] + bytes(32) + p256.G_SEC1[33:]):
        mpassert.raises(CryptoError, comb.build, bad)
    mpassert.raises(CryptoError, comb.build, p256.G_SEC1, 2)


def test_zero_scalars():
    # u1 = 0 happens when SHA-256(msg) = 0 mod n; recoding turns 0 into n.
    from kiosk.crypto import window

    label, pub, msg, sig, ok = _valid(1)[0]
    tab = comb.build(pub)
    qx, qy = p256.decode_point(pub)
    for u1, u2 in ((0, 5), (5, 0), (0, 0), (0, (1 << 255) + 7)):
        mpassert.eq(_same_x(comb.mul2(u1, u2, tab), p256._shamir(u1, u2, qx, qy)), True, "%x %x" % (u1, u2))
        X, Z = window.mul2(u1, u2, qx, qy)
        mpassert.eq(_same_x((X, Z * Z), p256._shamir(u1, u2, qx, qy)), True, "window %x %x" % (u1, u2))
