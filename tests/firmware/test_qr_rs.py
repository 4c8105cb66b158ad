# Reed-Solomon over GF(256) as QR uses it: errors and erasures up to capacity,
# clean failure beyond it. Runs on MicroPython.
import random

from mpassert import eq, raises
from kiosk.qr import rs
from kiosk.qr.errors import QRError


def _block(n_data, nsym, seed):
    random.seed(seed)
    data = bytes(random.getrandbits(8) for _ in range(n_data))
    return bytearray(data + rs.encode(data, nsym))


def _damage(blk, positions, seed):
    random.seed(seed)
    for p in positions:
        blk[p] ^= 1 + random.getrandbits(8) % 255


def _positions(n, k, seed):
    random.seed(seed)
    out = []
    while len(out) < k:
        p = random.getrandbits(16) % n
        if p not in out:
            out.append(p)
    return out


def test_field_tables():
    eq(rs.EXP[0], 1)
    eq(rs.EXP[8], 0x1D)  # alpha^8 = x^4+x^3+x^2+1
    for a in (1, 2, 3, 0x53, 0xCA, 0xFF):
        eq(rs.mul(a, rs.inv(a)), 1)


def test_known_qr_block():
    # Version 1-M "01234567" (ISO/IEC 18004 Annex I example): data and EC codewords
    data = bytes([0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11])
    ecc = bytes([0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
    eq(rs.encode(data, 10), ecc)


def test_clean_block_untouched():
    blk = _block(30, 16, 1)
    ref = bytes(blk)
    eq(rs.correct(blk, 16), 0)
    eq(bytes(blk), ref)


def test_errors_up_to_capacity():
    for seed, (nd, ns) in enumerate(((19, 7), (16, 10), (13, 13), (9, 17), (24, 30), (118, 30), (15, 28))):
        for k in range(ns // 2 + 1):
            blk = _block(nd, ns, seed * 100 + k)
            ref = bytes(blk)
            _damage(blk, _positions(len(blk), k, seed + k), k)
            eq(rs.correct(blk, ns), k, "nd=%d ns=%d k=%d" % (nd, ns, k))
            eq(bytes(blk), ref)


def test_erasures_and_errors_mixed():
    nd, ns = 40, 20
    for ne in (0, 2, 5, 10, 14, 20):
        nerr = (ns - ne) // 2
        blk = _block(nd, ns, ne)
        ref = bytes(blk)
        pos = _positions(len(blk), ne + nerr, ne + 7)
        er = pos[:ne]
        _damage(blk, pos, ne)
        fixed = rs.correct(blk, ns, er)
        eq(bytes(blk), ref, "ne=%d" % ne)
        eq(fixed, ne + nerr)


def test_erased_but_correct_symbols():
    blk = _block(20, 10, 5)
    ref = bytes(blk)
    blk[3] ^= 0x55
    # position 4 is declared erased but holds the right value
    eq(rs.correct(blk, 10, [3, 4]) >= 1, True)
    eq(bytes(blk), ref)


def test_beyond_capacity_fails_cleanly():
    failures = 0
    miscorrect = 0
    for seed in range(40):
        blk = _block(26, 18, seed)
        ref = bytes(blk)
        _damage(blk, _positions(len(blk), 10 + seed % 6, seed), seed)
        try:
            rs.correct(blk, 18)
            # a miscorrection is possible in principle but must give a valid codeword
            if bytes(blk) != ref:
                miscorrect += 1
                eq(rs.syndromes(blk, 18)[1], False)
        except QRError:
            failures += 1
    eq(failures + miscorrect, 40)
    eq(failures >= 36, True, "failures=%d" % failures)


def test_too_many_erasures_and_bad_geometry():
    blk = _block(10, 6, 3)
    blk[0] ^= 1
    raises(QRError, rs.correct, blk, 6, [0, 1, 2, 3, 4, 5, 6])
    raises(QRError, rs.correct, bytearray(300), 10)
    raises(QRError, rs.correct, bytearray(10), 0)
    raises(QRError, rs.correct, _block(10, 6, 4), 6, [99])
