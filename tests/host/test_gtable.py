"""G's frozen comb table (host_tools/scripts/gen_gtable.py) is exactly the
table the firmware's own builder computes on the MicroPython unix port, and
the generated module's text holds those bytes. (On the 32-bit board,
tests/m32 checks the frozen copy with comb.check.)"""

import hashlib
import importlib.util
import os

from kioskctl import combtab, mp

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

FRESH = r"""
import binascii, hashlib
from kiosk.crypto import comb, curve
t = comb._built_gtable()
print(binascii.hexlify(hashlib.sha256(t).digest()).decode(), t[5], t[6], len(t))
"""


def _gen():
    spec = importlib.util.spec_from_file_location("gen_gtable", os.path.join(REPO, "host_tools", "scripts", "gen_gtable.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_frozen_table_equals_a_fresh_device_computation(tmp_path):
    gen = _gen()
    table = combtab.build_table(gen.G_SEC1, s=gen.BLOCKS, w=gen.TEETH)
    ns = {}
    exec(gen.source(table), ns)  # the module text a board freezes
    assert ns["TABLE"] == table
    script = tmp_path / "fresh.py"
    script.write_text(FRESH)
    out = mp.run(str(script)).stdout.decode().split()
    assert out == [hashlib.sha256(table).hexdigest(), "11", "3", str(len(table))]


def test_generator_writes_the_module(tmp_path):
    gen = _gen()
    out = tmp_path / "kiosk" / "crypto" / "gtab.py"
    assert gen.main(["gen_gtable.py", str(out)]) == 0
    ns = {}
    exec(out.read_text(), ns)
    assert hashlib.sha256(ns["TABLE"]).digest() == hashlib.sha256(
        combtab.build_table(gen.G_SEC1, s=3, w=11)).digest()
    assert ns["TABLE"][:8] == b"PCMB\x02\x0b\x03\x00"
