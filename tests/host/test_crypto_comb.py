"""Comb tables: the host builder (kioskctl.combtab) and the device builder
(kiosk.crypto.comb.build on MicroPython) make the same bytes, and the device
check accepts host tables and refuses other keys' tables."""

import hashlib
import os

import pytest

from kioskctl import combtab, mp

G = bytes.fromhex(
    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
)

SCRIPT = r"""
import sys, binascii, hashlib
from kiosk.crypto import comb, p256
for line in sys.stdin:
    pub, s, tab = line.split(",")
    pub = binascii.unhexlify(pub); tab = binascii.unhexlify(tab.strip())
    mine = comb.build(pub, int(s))
    print(binascii.hexlify(hashlib.sha256(mine).digest()).decode(), int(p256.check_table(pub, tab)), int(p256.check_table(p256.G_SEC1, tab)))
"""


def _point(k):
    from ecdsa import NIST256p

    q = NIST256p.generator * k
    return b"\x04" + q.x().to_bytes(32, "big") + q.y().to_bytes(32, "big")


def test_host_and_device_tables_are_identical(tmp_path):
    cases = [(G, 4), (_point(2), 1), (_point(0xDEADBEEF), 1), (_point(2**255 + 99), 4)]
    script = tmp_path / "comb.py"
    script.write_text(SCRIPT)
    lines = []
    tabs = []
    for pub, s in cases:
        tab = combtab.build_table(pub, s)
        assert len(tab) == combtab.table_size(s)
        tabs.append(tab)
        lines.append("%s,%d,%s\n" % (pub.hex(), s, tab.hex()))
    out = mp.run(str(script), input="".join(lines).encode(), timeout=120).stdout.decode().splitlines()
    assert len(out) == len(cases)
    for (pub, s), tab, row in zip(cases, tabs, out):
        digest, ok, ok_as_g = row.split()
        assert digest == hashlib.sha256(tab).hexdigest()
        assert ok == "1"
        assert ok_as_g == ("1" if pub == G else "0")


@pytest.mark.parametrize("bad", [b"\x04" + bytes(64), G[:-1], b"\x03" + G[1:33]])
def test_host_builder_refuses_non_points(bad):
    with pytest.raises(combtab.CombError):
        combtab.build_table(bad)


def test_table_layout():
    from ecdsa import NIST256p

    tab = combtab.build_table(G, 1)
    assert tab[:8] == b"PCMB\x02\x09\x01\x00"
    # every entry is its coefficient times G
    for i in (0, 1, 2, 128, 255):
        q = NIST256p.generator * (combtab.coefficient(0, i) % NIST256p.order)
        off = 8 + i * 64
        assert tab[off : off + 64] == q.x().to_bytes(32, "big") + q.y().to_bytes(32, "big")
    tab4 = combtab.build_table(G, 4)
    assert tab4[8 : 8 + 256 * 64] == tab[8:]  # block 0 is the s = 1 table
    q = NIST256p.generator * (combtab.coefficient(3, 77) % NIST256p.order)
    off = 8 + (3 * 256 + 77) * 64
    assert tab4[off : off + 32] == q.x().to_bytes(32, "big")


def test_coefficients_cover_every_odd_column_value():
    # D(v) for a 9-bit column v: v >= 256 -> +E[v - 256], else -E[255 - v]
    for v in range(512):
        d = sum((1 if (v >> t) & 1 else -1) << (29 * t) for t in range(9))
        if v & 256:
            assert d == combtab.coefficient(0, v & 255)
        else:
            assert d == -combtab.coefficient(0, (v ^ 255) & 255)
