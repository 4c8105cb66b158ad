"""The Shift_JIS -> Unicode table the firmware QR decoder reads (sjis.bin).

Run `python tests/host/test_qr_sjis.py --write` to regenerate the table from
CPython's shift_jis codec; the test checks the committed file is that table.
Layout: lead bytes 0x81-0x9F then 0xE0-0xEF (47 rows), trail bytes 0x40-0xFC
(189 columns), one big-endian UTF-16 code unit per cell, 0 where unmapped.
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE = os.path.join(REPO, "firmware", "kiosk", "qr", "sjis.bin")


def build():
    out = bytearray()
    for lead in list(range(0x81, 0xA0)) + list(range(0xE0, 0xF0)):
        for trail in range(0x40, 0xFD):
            try:
                ch = bytes([lead, trail]).decode("shift_jis")
                cp = ord(ch) if len(ch) == 1 and ord(ch) < 0x10000 else 0
            except UnicodeDecodeError:
                cp = 0
            out += bytes([cp >> 8, cp & 0xFF])
    return bytes(out)


def test_table_matches_codec():
    with open(TABLE, "rb") as f:
        assert f.read() == build()


def test_table_has_kanji():
    t = build()
    # 0x93FA is U+65E5 (the kanji for "day")
    i = ((0x93 - 0x81) * 189 + 0xFA - 0x40) * 2
    assert t[i : i + 2] == b"\x65\xe5"


if __name__ == "__main__" and "--write" in sys.argv:
    with open(TABLE, "wb") as f:
        f.write(build())
