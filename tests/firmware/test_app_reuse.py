# kiosk.app.reuse.Memory on a real littlefs image (FlashDev in RAM): the
# window, bounded size, the journal across a remount (a reboot), a torn tail
# entry, the uplink hooks (on_note, merge_remote) and no personal data.
import os

import vfs
import mpassert
from flashdev import FlashDev
from kiosk.app import reuse

T0 = 1790000000


def _fs(mem=None):
    if mem is None:
        mem = bytearray(b"\xff" * (64 * 4096))
        dev = FlashDev(mem, 4096)
        vfs.VfsLfs2.mkfs(dev)
    else:
        dev = FlashDev(mem, 4096)
    try:
        vfs.umount("/r")
    except OSError:
        pass
    vfs.mount(vfs.VfsLfs2(dev), "/r")
    return mem, dev


def h(i):
    return bytes([i & 255, i >> 8]) + b"\x00" * 14


def test_window_reboot_and_torn_tail():
    mem, dev = _fs()
    m = reuse.Memory("/r/reuse", 8, 600)
    mpassert.eq(m.seen(h(1), T0), None)
    m.note(h(1), T0)
    mpassert.eq(m.seen(h(1), T0 + 599), T0)
    mpassert.eq(m.seen(h(1), T0 + 600), None, "window over")
    mpassert.eq(m.seen(h(2), T0), None)
    mpassert.eq(m.flush(T0 + 1), False, "batched: not yet")
    mpassert.eq(m.flush(T0 + 5), True)
    m.note(h(2), T0 + 10)
    m.flush(force=True)
    with open("/r/reuse", "ab") as f:
        f.write(h(3)[:7])  # a power cut half way through an entry
    mem, dev = _fs(mem)  # reboot
    m = reuse.Memory("/r/reuse", 8, 600)
    mpassert.eq((m.seen(h(1), T0 + 60), m.seen(h(2), T0 + 60), m.seen(h(3), T0 + 60)), (T0, T0 + 10, None))
    m.note(h(1), T0 + 700)  # after the window: a new admission
    mpassert.eq(m.seen(h(1), T0 + 701), T0 + 700)
    mpassert.eq(m.seen(b"short", T0), None)
    mpassert.eq(m.seen(None, T0), None)


def test_bounded_and_rewritten():
    _fs()
    m = reuse.Memory("/r/reuse", 16, 600)
    for i in range(200):
        m.note(h(i), T0 + i)
        m.flush(force=True)
    mpassert.eq(sum(1 for i in range(200) if m.seen(h(i), T0 + 200)), 16, "at most size codes")
    mpassert.eq(m.seen(h(199), T0 + 200), T0 + 199, "the newest kept")
    mpassert.eq(os.stat("/r/reuse")[6] <= 2 * 16 * 20 + 20 * 8, True, "journal rewritten, bounded")
    raw = open("/r/reuse", "rb").read()
    mpassert.eq(len(raw) % 20, 0)


def test_hooks_for_the_uplink():
    _fs()
    m = reuse.Memory("/r/reuse", 8, 600)
    told = []
    m.on_note = lambda hh, t: told.append((hh, t))
    m.note(h(5), T0)
    mpassert.eq(told, [(h(5), T0)])
    # a screenshot of the same code shown at another kiosk of the venue
    mpassert.eq(m.merge_remote(h(6), T0 - 30, T0), True)
    mpassert.eq(m.seen(h(6), T0 + 1), T0 - 30)
    mpassert.eq(len(told), 1, "what others saw is not sent back")
    mpassert.eq(m.merge_remote(h(7), T0 - 601, T0), False, "outside the window")
    mpassert.eq(m.merge_remote(h(7), T0 + 3600, T0), False, "from the future")
    mpassert.eq(m.merge_remote(b"x" * 15, T0, T0), False)
    mpassert.eq(m.merge_remote(h(7), "t", T0), False)
    m.on_note = lambda hh, t: 1 / 0  # a failing uplink never stops the door
    m.note(h(8), T0)
    mpassert.eq(m.seen(h(8), T0), T0)


class V:
    holder = b"440300-000123"
    name = "\u5f20*\u73b2"
    dependant = False
    cti = None


def test_key_has_no_personal_data_and_tells_dependants_apart():
    v = V()
    k = reuse.key(b"s" * 32, v)
    mpassert.eq(len(k), 16)
    mpassert.eq(reuse.key(b"s" * 32, v), k)
    mpassert.eq(reuse.key(b"t" * 32, v) != k, True, "keyed by the venue secret")
    d = V()
    d.dependant = True
    d.name = "\u5f20*"
    mpassert.eq(reuse.key(b"s" * 32, d) != k, True, "a dependant's proxy code is its own person")
    n = V()
    n.holder = None
    n.cti = b"\x01" * 16
    mpassert.eq(reuse.key(b"s" * 32, n, b"HC1:x") != reuse.key(b"s" * 32, n, b"HC1:y"), False, "cti first")
