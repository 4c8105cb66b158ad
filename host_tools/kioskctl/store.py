"""The host record store: SQLite (WAL, synchronous=FULL) or PostgreSQL, keyed by (device, log id, seq).

    store = Store(path)        # or a sqlite:/// or postgresql:// URL (kioskctl.db)
    store.device, store.log_id = ...   # Store creates the tables; UsageError if it is not a record store
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

from kioskctl import db as dbm
from kioskctl.errors import UsageError

FIELDS = ("device", "log_id", "seq", "time", "verdict", "colour", "reason", "key_index", "pseudonym", "admit", "kind")

# The one schema, rendered for either backend. log_id is a u32: BIGINT on PostgreSQL.
COLUMNS = (("device", "text"), ("log_id", "int"), ("seq", "int"), ("time", "int"), ("verdict", "text"),
           ("colour", "text"), ("reason", "text"), ("key_index", "int"), ("pseudonym", "text"), ("admit", "int"),
           ("kind", "text"), ("raw", "blob"), ("pulled_at", "int"))
_TYPES = {"sqlite": {"text": "TEXT", "int": "INTEGER", "blob": "BLOB"},
          "postgresql": {"text": "TEXT", "int": "BIGINT", "blob": "BYTEA"}}
INSERT = "INSERT INTO records VALUES %s ON CONFLICT DO NOTHING"
ROW = "(" + ",".join("?" * len(COLUMNS)) + ")"


def schema(kind):
    """CREATE statements: records keyed by (device, log_id, seq); devices (kiosk -> venue, from its status)."""
    t = _TYPES[kind]
    cols = ", ".join("%s %s" % (name, t[typ]) for name, typ in COLUMNS)
    return ["CREATE TABLE IF NOT EXISTS records (%s, PRIMARY KEY (device, log_id, seq))" % cols,
            "CREATE INDEX IF NOT EXISTS records_time ON records (time)",
            "CREATE INDEX IF NOT EXISTS records_pseudonym ON records (pseudonym)",
            "CREATE TABLE IF NOT EXISTS devices (device TEXT PRIMARY KEY, venue TEXT, updated_at %s)" % t["int"]]


def create(db):
    for stmt in schema(db.kind):
        db.execute(stmt)
    db.commit()


def row(device, log_id, r, raw, now):
    """The stored tuple for a decoded record (kioskctl.link.decode_record)."""
    return (device, log_id, r["seq"], r["time"], r["verdict"], r["colour"], r["reason"], r["key_index"],
            r["pseudonym"], int(r["admit"]), r["kind"], bytes(raw), now)


# PostgreSQL takes a large insert by COPY into a staging table of the session, then one
# INSERT ... SELECT ... ON CONFLICT DO NOTHING (which also empties the stage): no SQL text
# with thousands of parameters to build and parse.
COPY_MIN = 50
STAGE = "CREATE TEMP TABLE IF NOT EXISTS records_stage (LIKE records) ON COMMIT DELETE ROWS"
FROM_STAGE = ("WITH s AS (DELETE FROM records_stage RETURNING *) "
              "INSERT INTO records SELECT * FROM s ON CONFLICT DO NOTHING")


def insert(db, rows, chunk=500):
    """Insert rows (idempotent by device, log_id, seq); the number actually new. SQLite: one
    prepared statement run for every row; PostgreSQL: COPY for COPY_MIN rows or more, else
    multi-row INSERTs of `chunk` rows (within the limit on parameters)."""
    if db.kind == "sqlite":
        return db.executemany(INSERT % ROW, rows).rowcount if rows else 0
    if len(rows) >= COPY_MIN:
        if not getattr(db, "stage", False):
            db.execute(STAGE)
            db.stage = True  # a session's temp table; a new connection (new DB) makes it again
        db.copy("records_stage", rows)
        return db.execute(FROM_STAGE).rowcount
    new = 0
    for i in range(0, len(rows), chunk):
        part = rows[i:i + chunk]
        new += db.execute(INSERT % ",".join([ROW] * len(part)), [v for r in part for v in r]).rowcount
    return new


def set_venue(db, device, venue, now):
    db.execute("INSERT INTO devices VALUES (?,?,?) ON CONFLICT (device) DO UPDATE SET venue=excluded.venue,"
               " updated_at=excluded.updated_at", (device, venue, now))


class Store:
    """Record store on SQLite (a path) or PostgreSQL (a URL); add() is idempotent, commit() is durable."""

    def __init__(self, path):
        self.path = path
        self.db = dbm.connect(path)
        try:
            create(self.db)
            check(self.db, path)
        except self.db.errors as exc:
            raise UsageError("%s is not a kioskctl record store: %s" % (path, exc))
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
            if insert(self.db, [row(self.device, self.log_id, r, raw, now)]):
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
        for r in cur.fetchall():
            if want is None or r[2] in want:
                d = dict(zip(FIELDS, r))
                d["admit"] = bool(d["admit"])
                yield d

    def gaps(self):
        """[(first_missing, last_missing)] between the lowest and highest stored seq."""
        out = []
        prev = None
        for (seq,) in self.db.execute("SELECT seq FROM records WHERE log_id=? ORDER BY seq", (self.log_id,)).fetchall():
            if prev is not None and seq > prev + 1:
                out.append((prev + 1, seq - 1))
            prev = seq
        return out

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def columns(db):
    if db.kind == "sqlite":
        return {r[1] for r in db.execute("PRAGMA table_info(records)").fetchall()}
    return {r[0] for r in db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name='records'").fetchall()}


def check(db, path):
    """UsageError unless db has the records table with the store's columns."""
    missing = [c for c in FIELDS if c not in columns(db)]
    if missing:
        raise UsageError("%s is not a kioskctl record store (no records table with %s)" % (path, ", ".join(missing)))


def open_readonly(path):
    """A kioskctl.db.DB on an existing record store (path or URL), checked; UsageError otherwise."""
    db = dbm.connect(path, readonly=True)
    try:
        check(db, path)
    except db.errors as exc:
        db.close()
        raise UsageError("%s is not a kioskctl record store: %s" % (path, exc))
    return db


def has_devices(db):
    """True when the store has the devices table (stores from before collect have none)."""
    if db.kind == "sqlite":
        return bool(db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='devices'").fetchall())
    return bool(db.execute("SELECT 1 FROM information_schema.tables WHERE table_name='devices'").fetchall())


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
