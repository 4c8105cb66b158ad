# Board-only checks on the 32-bit target: G's frozen table, frames from ROMFS,
# the RAM flash. /rom holds what tests/m32/conftest.py staged.
import gc
import hashlib
import json
import sys

import mpassert
from kiosk.crypto import comb, curve

HEAPSIZE = "2M"


def _hex(b):
    return "".join("%02x" % c for c in b)


def test_32bit_target():
    mpassert.eq(sys.maxsize, 2**31 - 1)  # 32-bit small ints and pointers
    mpassert.eq(sys.platform, "qemu")


def test_gtable_is_frozen_and_exactly_gs_table():
    gc.collect()
    free = gc.mem_free()
    t = comb.gtable()
    from kiosk.crypto import gtab

    mpassert.eq(t is gtab.TABLE, True)  # the frozen bytes, not a run-time build
    gc.collect()
    mpassert.eq(free - gc.mem_free() < 1024, True, "gtable() took heap")
    with open("/rom/gtable.sha256") as f:
        mpassert.eq(_hex(hashlib.sha256(t).digest()), f.read().strip())  # the host's fresh computation
    mpassert.eq(comb.check(curve.G_SEC1, t), True)  # and the device's own proof


def test_frames_from_romfs_decode():
    import romframes
    import asyncio
    from kiosk.qr import decoder

    decoder.BUDGET_MS = 600000  # what can be read, not how fast (bench/m32.py counts that)
    with open("/rom/frames/expected.json") as f:
        want = json.load(f)
    src = romframes.RomFrames("/rom/frames")
    got = {}
    while True:
        item = asyncio.run(src.read())
        if item is None:
            break
        kind, (buf, w, h) = item
        mpassert.eq(kind, "frame")
        got[src.current + ".pgm"] = [_hex(s.data) for s in decoder.decode(buf, w, h)]
        mpassert.eq(decoder.last_fault, None)
    mpassert.eq(got, want)


def test_board_mounts_a_blank_littlefs_ram_flash():
    import os
    import kboard

    b = kboard.create(frames=None)
    root = b.mount_storage()
    mpassert.eq(root, "/flash")
    mpassert.eq(os.listdir(root), [])
    with open(root + "/x", "wb") as f:
        f.write(b"kiosk")
    with open(root + "/x", "rb") as f:
        mpassert.eq(f.read(), b"kiosk")
    mpassert.eq(b.get_clock().now(), None)  # no RTC: unset until provisioned
    b.get_clock().set(1790000000)
    mpassert.eq(b.get_clock().now() >= 1790000000, True)
