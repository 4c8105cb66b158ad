# The operations bench/m32.py measures, in MicroPython: run on the 32-bit
# board (imported from /rom, data in /rom/bench) and on the unix port
# (`micropython bench/m32_ops.py DATA OP`), so both run the same code.
# Every op prints one JSON line; times are time.ticks_us() differences
# (on the board under `-icount shift=0`: thousands of guest instructions).
import gc
import json
import sys
import time

import pgm
from kiosk import qr, verify
from kiosk.crypto import comb, p256
from kiosk.policy import Policy
from kiosk.qr import decoder
from kiosk.trust import store

decoder.BUDGET_MS = 3600000  # count the work, never cut it short


def _us(t0):
    return time.ticks_diff(time.ticks_us(), t0)


def _load(data):
    with open(data + "/cases.json") as f:
        return json.load(f)


def _unhex(s):
    return bytes(int(s[i : i + 2], 16) for i in range(0, len(s), 2))


def op_verify(data):
    """ES256: the first verify after boot and later ones, without and with
    the issuer's comb table (the first with a table includes its check)."""
    cfg = _load(data)
    pub = _unhex(cfg["pub"])
    cases = [(_unhex(m), _unhex(s)) for m, s in cfg["cases"]]
    with open(data + "/issuer.tab", "rb") as f:
        tab = f.read()
    out = {}
    t0 = time.ticks_us()
    comb.gtable()
    out["gtable"] = _us(t0)
    for label, table in (("plain", None), ("table", tab)):
        times = []
        for msg, sig in cases:
            t0 = time.ticks_us()
            ok = p256.verify(pub, msg, sig, table)
            times.append(_us(t0))
            if not ok:
                raise AssertionError("verify failed")
        out[label] = times
    t0 = time.ticks_us()
    comb.check(pub, tab)
    out["check"] = _us(t0)
    print(json.dumps(out))


def op_hc1(data):
    """HC1 string -> verdict (kiosk.verify.check with a trust store file
    holding the issuer's table), the first one after the store is opened
    and its tables checked (the app does that at start, App.check_tables)
    and later ones."""
    cfg = _load(data)
    trust = store.open_file(data + "/trust.kts")
    for key in trust.keys:
        key.table()
    pol = Policy()
    times = []
    for payload in cfg["payloads"]:
        t0 = time.ticks_us()
        v = verify.check(payload, trust, pol, cfg["now"])
        times.append(_us(t0))
        if v.reason != "ok":
            raise AssertionError(v.reason)
    print(json.dumps({"hc1": times}))


def op_frames(data, size):
    """Each frame of frames/SIZE: read into one buffer, decode, verdict."""
    import os

    cfg = _load(data)
    trust = store.open_file(data + "/trust.kts")
    for key in trust.keys:
        key.table()  # checked at start, as the app does
    pol = Policy()
    folder = data + "/frames/" + size
    buf = None
    rows = []
    for name in sorted(os.listdir(folder)):
        buf, w, h = pgm.read(folder + "/" + name, buf)
        gc.collect()
        t0 = time.ticks_us()
        syms = qr.decode(buf, w, h)
        dec = _us(t0)
        t0 = time.ticks_us()
        reasons = [verify.check(s.data, trust, pol, cfg["now"]).reason for s in syms]
        rows.append([name, dec, _us(t0), reasons, qr.fault()])
    print(json.dumps({"frames": rows}))


def main():
    data, op = sys.argv[1], sys.argv[2]
    if op == "frames":
        op_frames(data, sys.argv[3])
    else:
        globals()["op_" + op](data)


if __name__ == "__main__":
    main()
