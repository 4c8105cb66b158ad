"""kioskctl pull: fetch every scan record from a kiosk over USB serial, exactly once.

Records go into a host store (SQLite, WAL, synchronous=FULL: each commit is
fsync'ed) keyed by (log id, seq) before the kiosk is told it may delete them,
so a pulled cable, a crash or a second pull never loses or duplicates a
record. `--format csv|jsonl|sqlite -o FILE` exports what this pull brought
(or `--all`: everything stored for that kiosk). Gaps in sequence numbers and
the kiosk's count of records it could not write (flash full) are reported.
"""

import csv
import json
import os
import sqlite3
import sys
import time

from kioskctl.errors import DeviceError, KioskError, UsageError

# USB vendor/product ids of boards that run the kiosk firmware.
KNOWN_USB = {(0x303A, None), (0xF055, 0x9800)}  # Espressif (any), MicroPython
FIELDS = ("device", "log_id", "seq", "time", "verdict", "colour", "reason", "key_index", "pseudonym", "admit", "kind")


def register(sub):
    p = sub.add_parser("pull", help="pull scan records from a kiosk over USB serial (exactly once)")
    p.add_argument("--port", help="serial port (default: find the kiosk by USB id)")
    p.add_argument("--baud", type=int, default=115200, help="baud rate for a UART port (default 115200)")
    p.add_argument("--store", default="kiosk-records.sqlite", help="host record store (default ./kiosk-records.sqlite)")
    p.add_argument("--format", choices=("csv", "jsonl", "sqlite"), help="export format (needs -o)")
    p.add_argument("-o", "--output", help="export file ('-' for stdout with csv/jsonl)")
    p.add_argument("--all", action="store_true", help="export every stored record of this kiosk, not just new ones")
    p.add_argument("--no-ack", action="store_true", help="do not let the kiosk delete what was pulled")
    p.add_argument("--reconnect", type=float, default=20.0, help="seconds to wait for a lost port to return (default 20)")
    p.add_argument("--batch", type=int, default=64, help="records per READ (default 64)")
    p.add_argument("--window", type=int, default=3, help="READs in flight (default 3)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_pull)


def find_port():
    from serial.tools import list_ports

    found = []
    for p in list_ports.comports():
        desc = ("%s %s" % (p.description or "", p.product or "")).lower()
        if (p.vid, p.pid) in KNOWN_USB or (p.vid, None) in KNOWN_USB or "kiosk" in desc or "micropython" in desc:
            found.append(p.device)
    if not found:
        raise DeviceError("no kiosk found on USB; plug it in or pass --port (the simulator prints its pty)")
    if len(found) > 1:
        raise UsageError("several possible kiosks (%s): choose one with --port" % ", ".join(found))
    return found[0]


def open_port(path, baud=115200, wait=0.0):
    import serial

    deadline = time.monotonic() + wait
    while True:
        try:
            return serial.Serial(path, baud, timeout=0.05, write_timeout=10)
        except (serial.SerialException, OSError) as exc:
            if time.monotonic() >= deadline:
                raise DeviceError("cannot open %s: %s" % (path, exc))
            time.sleep(0.2)


class Store:
    """SQLite record store; add() is idempotent, commit() is durable (fsync)."""

    def __init__(self, path):
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS records (device TEXT, log_id INTEGER, seq INTEGER, time INTEGER,"
            " verdict TEXT, colour TEXT, reason TEXT, key_index INTEGER, pseudonym TEXT, admit INTEGER,"
            " kind TEXT, raw BLOB, pulled_at INTEGER, PRIMARY KEY (log_id, seq))")
        self.db.commit()
        self.device = ""
        self.log_id = 0
        self.new = []
        self.duplicates = 0
        self.corrupt = 0

    def add(self, records):
        from kioskctl.link import decode_record

        now = int(time.time())
        for seq, raw in records:
            r = decode_record(raw)
            if r is None:
                self.corrupt += 1
                continue
            cur = self.db.execute(
                "INSERT OR IGNORE INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (self.device, self.log_id, r["seq"], r["time"], r["verdict"], r["colour"], r["reason"],
                 r["key_index"], r["pseudonym"], int(r["admit"]), r["kind"], raw, now))
            if cur.rowcount:
                self.new.append(r["seq"])
            else:
                self.duplicates += 1

    def commit(self):
        self.db.commit()

    def rows(self, seqs=None):
        q = "SELECT %s FROM records WHERE log_id=?" % ",".join(FIELDS)
        args = [self.log_id]
        cur = self.db.execute(q + " ORDER BY seq", args)
        want = None if seqs is None else set(seqs)
        for row in cur:
            if want is None or row[2] in want:
                d = dict(zip(FIELDS, row))
                d["admit"] = bool(d["admit"])
                yield d

    def gaps(self):
        """[(first_missing, last_missing)] between the lowest and highest stored seq."""
        out = []
        prev = None
        for (seq,) in self.db.execute("SELECT seq FROM records WHERE log_id=? ORDER BY seq", (self.log_id,)):
            if prev is not None and seq > prev + 1:
                out.append((prev + 1, seq - 1))
            prev = seq
        return out

    def close(self):
        self.db.close()


def export(store, rows, fmt, path):
    rows = list(rows)
    if fmt == "sqlite":
        if path == "-":
            raise UsageError("sqlite export needs a file")
        if os.path.exists(path):
            os.remove(path)
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE records (%s)" % ",".join(FIELDS))
        db.executemany("INSERT INTO records VALUES (%s)" % ",".join("?" * len(FIELDS)),
                       [tuple(r[k] for k in FIELDS) for r in rows])
        db.commit()
        db.close()
        return len(rows)
    out = sys.stdout if path == "-" else open(path, "w", newline="", encoding="utf-8")
    try:
        if fmt == "csv":
            w = csv.DictWriter(out, fieldnames=FIELDS)
            w.writeheader()
            w.writerows(rows)
        else:
            for r in rows:
                out.write(json.dumps(r, sort_keys=True) + "\n")
        out.flush()
        if out is not sys.stdout:
            os.fsync(out.fileno())
    finally:
        if out is not sys.stdout:
            out.close()
    return len(rows)


def pull(port, store, *, ack=True, batch=64, window=3, progress=True, reopen=None, log=print):
    """Pull every unacknowledged record from an open port into `store`.
    `reopen()` returns a fresh port after a LinkDown (None: give up).
    Returns a summary dict."""
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
                    puller = Puller(link, store, start, upto, batch=min(batch, info["max_records"]),
                                    window=window, progress=bar.update if bar else None)
                    if not ack:
                        puller.checkpoint = store.commit
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
        "first": start, "last": upto, "acked": puller.acked if ack else st["ack_seq"],
        "seconds": time.monotonic() - t0, "reconnects": reconnects, "resends": puller.resends,
        "port": port,
    }


def cmd_pull(args):
    if (args.format is None) != (args.output is None):
        raise UsageError("--format and -o go together")
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
        s = pull(port, store, ack=not args.no_ack, batch=args.batch, window=args.window,
                 progress=not args.quiet, reopen=reopen, log=log)
        gaps = store.gaps()
        span = "seq %d..%d" % (s["first"], s["last"]) if s["last"] >= s["first"] else "nothing unacknowledged"
        log("pulled %d new records from %s (log %08x, %s) in %.1f s; %d duplicates ignored%s" % (
            s["new"], s["device"], s["log_id"], span, s["seconds"],
            s["duplicates"], "" if args.no_ack else "; kiosk may now delete up to seq %d" % s["acked"]))
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
            log("exported %d records to %s (%s)" % (n, args.output, args.format))
    finally:
        store.close()
        for p in (port, s["port"] if s else None):
            try:
                p.close()
            except Exception:  # noqa: BLE001
                pass
    return 0
