"""Pull every unacknowledged record from an open port into a Store, exactly once.

Library layer under `kioskctl pull` and `kioskctl report --port`: the link
protocol (kioskctl.link) feeding a record store (kioskctl.store).
"""

import sys
import time

from kioskctl.errors import DeviceError


def pull(port, store, *, ack_key=None, batch=64, window=3, progress=True, reopen=None, log=print):
    """Pull every unacknowledged record from an open port into `store`.
    With `ack_key` (admin or collector private key) the kiosk is told, by a
    signed ACK, that it may delete what the store holds durably; without it
    nothing is acknowledged. `reopen()` returns a fresh port after a LinkDown
    (None: give up). Returns a summary dict."""
    from kioskctl.link import Link, LinkDown, Puller

    info = st = puller = bar = link = None
    start = upto = 0
    t0 = time.monotonic()
    reconnects = 0
    while True:
        try:
            if link is None:
                link = Link(port, timeout=1.0, retries=8)
                hello = link.hello()
                if info is None:
                    info, st = hello, link.stats()
                    store.device, store.log_id = info["device"], info["log_id"]
                    start = max(st["ack_seq"] + 1, st["oldest_seq"])
                    upto = st["durable_seq"]
                    if progress and upto >= start:
                        from tqdm import tqdm

                        bar = tqdm(total=upto - start + 1, unit="rec", file=sys.stderr, desc="pull %s" % info["device"])
                    signer = None
                    if ack_key is not None:
                        from kioskctl.ackauth import sign_ack

                        dev, log_id = info["device"], info["log_id"]
                        signer = lambda seq: sign_ack(ack_key, dev, log_id, seq)  # noqa: E731
                    puller = Puller(link, store, start, upto, batch=min(batch, info["max_records"]),
                                    window=window, progress=bar.update if bar else None, signer=signer)
                elif hello["log_id"] != info["log_id"]:
                    raise DeviceError("a different kiosk answered after reconnecting")
                puller.link = link
            if upto >= start:
                puller.run()
            break
        except LinkDown as exc:
            store.commit()
            port = reopen() if reopen and reconnects < 50 else None
            if port is None:
                raise DeviceError("%s (%d records saved; run pull again to resume)" % (exc, len(store.new)))
            reconnects += 1
            log("kioskctl: link lost (%s); reconnected, resuming at seq %d" % (
                exc, puller.covered if puller else 0))
            link = None
    if bar:
        bar.close()
    store.commit()
    return {
        "device": info["device"], "log_id": info["log_id"], "new": len(store.new),
        "duplicates": store.duplicates, "corrupt": store.corrupt, "dropped_on_kiosk": st["dropped"],
        "first": start, "last": upto, "acked": puller.acked if ack_key is not None else st["ack_seq"],
        "seconds": time.monotonic() - t0, "reconnects": reconnects, "resends": puller.resends,
        "port": port,
    }
