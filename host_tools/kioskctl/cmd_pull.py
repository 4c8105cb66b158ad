"""kioskctl pull: fetch every scan record from a kiosk over USB serial, exactly once.

Records go into a host store (SQLite, WAL, synchronous=FULL: each commit is
fsync'ed) keyed by (log id, seq) before the kiosk is told it may delete them,
so a pulled cable, a crash or a second pull never loses or duplicates a
record. The kiosk deletes records only on an ACK signed with the admin or a
collector key (`--ack-key`); without it records are pulled and stored, and
the kiosk keeps them. `--format csv|jsonl|sqlite -o FILE` exports what this pull brought
(or `--all`: everything stored for that kiosk). Gaps in sequence numbers and
the kiosk's count of records it could not write (flash full) are reported.
"""

import sys

from kioskctl.errors import DeviceError, KioskError, UsageError  # noqa: F401 (DeviceError: tests)
from kioskctl.pull import pull
from kioskctl.store import FIELDS, Store, export  # noqa: F401 (kept importable from here)
from kioskctl.transport import KNOWN_USB, find_port, open_port  # noqa: F401


def register(sub):
    p = sub.add_parser("pull", help="pull scan records from a kiosk over USB serial (exactly once)")
    p.add_argument("--port", help="serial port (default: find the kiosk by USB id)")
    p.add_argument("--baud", type=int, default=115200, help="baud rate for a UART port (default 115200)")
    p.add_argument("--store", default="kiosk-records.sqlite", help="host record store (default ./kiosk-records.sqlite)")
    p.add_argument("--format", choices=("csv", "jsonl", "sqlite"), help="export format (needs -o)")
    p.add_argument("-o", "--output", help="export file ('-' for stdout with csv/jsonl)")
    p.add_argument("--all", action="store_true", help="export every stored record of this kiosk, not just new ones")
    p.add_argument("--ack-key", metavar="PEM", help="admin or collector private key: lets the kiosk delete what was stored")
    p.add_argument("--no-ack", action="store_true", help="with --ack-key: still do not let the kiosk delete what was pulled")
    p.add_argument("--reconnect", type=float, default=20.0, help="seconds to wait for a lost port to return (default 20)")
    p.add_argument("--batch", type=int, default=64, help="records per READ (default 64)")
    p.add_argument("--window", type=int, default=3, help="READs in flight (default 3)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_pull)


def cmd_pull(args):
    if (args.format is None) != (args.output is None):
        raise UsageError("--format and -o go together")
    ack_key = None
    if args.ack_key and not args.no_ack:
        from kioskctl.ackauth import load_key

        ack_key = load_key(args.ack_key)
    path = args.port or find_port()
    store = Store(args.store)
    port = open_port(path, args.baud)

    def reopen():
        try:
            return open_port(path, args.baud, wait=args.reconnect)
        except KioskError:
            return None

    def log(msg):
        print(msg, file=sys.stderr)

    s = None
    try:
        s = pull(port, store, ack_key=ack_key, batch=args.batch, window=args.window,
                 progress=not args.quiet, reopen=reopen, log=log)
        gaps = store.gaps()
        span = "seq %d..%d" % (s["first"], s["last"]) if s["last"] >= s["first"] else "nothing unacknowledged"
        log("pulled %d new records from %s (log %08x, %s) in %.1f s; %d duplicates ignored%s" % (
            s["new"], s["device"], s["log_id"], span, s["seconds"],
            s["duplicates"], "" if ack_key is None else "; kiosk may now delete up to seq %d" % s["acked"]))
        if ack_key is None:
            log("nothing acknowledged: the kiosk keeps these records (pull with --ack-key ADMIN_OR_COLLECTOR_KEY to let it delete them)")
        if gaps:
            shown = ", ".join("%d-%d" % g if g[0] != g[1] else str(g[0]) for g in gaps[:10])
            log("gaps in sequence numbers (records the kiosk never stored or lost): %s%s" % (
                shown, " ..." if len(gaps) > 10 else ""))
        if s["resends"] or s["reconnects"]:
            log("line trouble: %d requests resent, %d reconnects" % (s["resends"], s["reconnects"]))
        if s["dropped_on_kiosk"]:
            log("WARNING: the kiosk could not store %d records (flash full)" % s["dropped_on_kiosk"])
        if s["corrupt"]:
            log("WARNING: %d records failed their CRC and were not stored" % s["corrupt"])
        if args.format:
            rows = store.rows(None if args.all else store.new)
            n = export(store, rows, args.format, args.output)
            log("exported %d records to %s (%s)%s" % (n, args.output, args.format, "" if n or args.all else
                "; nothing new in this pull: --all exports everything stored from this kiosk"))
    finally:
        store.close()
        for p in (port, s["port"] if s else None):
            try:
                p.close()
            except Exception:  # noqa: BLE001
                pass
    return 0
