"""The host record store: SQLite (WAL, synchronous=FULL) keyed by (log id, seq).

    store = Store(path)        # creates the table; UsageError if path is not a record store
    store.device, store.log_id = ...
    store.add([(seq, raw32)])  # idempotent; counts duplicates and corrupt records
    store.commit()             # durable (fsync)
    export(store, store.rows(), "csv", "out.csv")

Library layer under `kioskctl pull` and `kioskctl report`.
"""

import csv
import json
import os
import sqlite3
import sys
import time

from kioskctl.errors import UsageError

FIELDS = ("device", "log_id", "seq", "time", "verdict", "colour", "reason", "key_index", "pseudonym", "admit", "kind")


class Store:
    """SQLite record store; add() is idempotent, commit() is durable (fsync)."""

    def __init__(self, path):
        self.path = path
        try:
            self.db = sqlite3.connect(path)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS records (device TEXT, log_id INTEGER, seq INTEGER, time INTEGER,"
                " verdict TEXT, colour TEXT, reason TEXT, key_index INTEGER, pseudonym TEXT, admit INTEGER,"
                " kind TEXT, raw BLOB, pulled_at INTEGER, PRIMARY KEY (log_id, seq))")
            self.db.commit()
            check(self.db, path)
        except sqlite3.Error as exc:
            raise UsageError("%s is not a kioskctl record store (SQLite): %s" % (path, exc))
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


def check(db, path):
    """UsageError unless db has the records table with the store's columns."""
    cols = {row[1] for row in db.execute("PRAGMA table_info(records)")}
    missing = [c for c in FIELDS if c not in cols]
    if missing:
        raise UsageError("%s is not a kioskctl record store (no records table with %s)" % (path, ", ".join(missing)))


def open_readonly(path):
    """A sqlite3 connection to an existing record store, checked; UsageError otherwise."""
    if not os.path.exists(path):
        raise UsageError("no record store at %s (run kioskctl pull first)" % path)
    try:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        check(db, path)
    except sqlite3.Error as exc:
        raise UsageError("%s is not a kioskctl record store (SQLite): %s" % (path, exc))
    return db


CSV_FIELDS = FIELDS[:4] + ("unix_time",) + FIELDS[4:]


def export_row(r, fmt):
    """A stored row as exported: log_id in hex (as every kioskctl output shows it);
    in CSV, time as ISO 8601 UTC ("" when the kiosk's clock was unset) beside unix_time."""
    r = dict(r, log_id="%08x" % r["log_id"])
    if fmt == "csv":
        from kioskctl.timeutil import iso

        r["unix_time"] = r["time"]
        r["time"] = iso(r["time"]) if r["time"] else ""
    return r


def export(store, rows, fmt, path):
    rows = [export_row(r, fmt) for r in rows]
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
            w = csv.DictWriter(out, fieldnames=CSV_FIELDS)
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
