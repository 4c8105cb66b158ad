# The app checks every issuer key's comb table right after start (a task), so
# the first scan after boot does not pay the one-off table check (about 140 M
# instructions on the 32-bit board, 15x a verify with the table).
import asyncio
import binascii

import mpassert
import kboard
from kiosk.app import main
from kiosk.crypto import comb
from kiosk.token import cbor
from test_p256_vectors import VECTORS

HEAPSIZE = "2M"


def _install(root, pub):
    import os

    try:
        os.mkdir(root + "/config")
    except OSError:
        pass
    tab = comb.build(pub, 4)
    header = cbor.dumps({"v": 1, "iat": 0, "keys": [
        {"kid": b"12345678", "alg": -7, "pub": pub, "tab": [0, len(tab)]},
        {"kid": b"87654321", "alg": -7, "pub": pub},  # no table: nothing to check
    ]})
    with open(root + "/config/trust.kts", "wb") as f:
        f.write(b"KTS1" + len(header).to_bytes(4, "big") + header + tab)
    with open(root + "/config/secret.bin", "wb") as f:
        f.write(b"s" * 32)


def test_tables_are_checked_before_the_first_scan():
    pub = None
    for label, p, msg, sig, ok in VECTORS:
        if ok:
            pub = binascii.unhexlify(p)
            break
    b = kboard.SimBoard(at=1790000000)
    _install(b.mount_storage(), pub)
    a = main.App(b, allow_unsigned=True)
    keys = a.cfg.trust.keys
    mpassert.eq([k._table_state for k in keys], [0, 0])  # nothing checked at load

    async def run():
        t = asyncio.create_task(a.check_tables())
        for _ in range(50):
            await asyncio.sleep_ms(20)
            if all(k._table_state for k in keys):
                break
        t.cancel()

    asyncio.run(run())
    mpassert.eq([k._table_state for k in keys], [1, -1])  # checked good; absent
    mpassert.eq(keys[0].table() is not None, True)
