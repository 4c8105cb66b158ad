"""The database behind the record store: SQLite (embedded default) or PostgreSQL.

    db = connect("scans.sqlite")                  # a path, or sqlite:///scans.sqlite
    db = connect("postgresql://user@host/dbname") # psycopg 3
    db.execute("SELECT ... WHERE seq=?", (1,))    # '?' placeholders on both
    db.commit(); db.close()

One small surface (execute, executemany, copy, commit, close, kind) so the schema
and the queries in kioskctl.store, report and trace are written once. Errors
of either driver come out as UsageError with the URL, never a traceback.
"""

import os
import sqlite3

from kioskctl.errors import UsageError

SQLITE_PREFIX = "sqlite:///"
PG_PREFIXES = ("postgresql://", "postgres://")


def is_postgres(url):
    return str(url).startswith(PG_PREFIXES)


def sqlite_path(url):
    url = str(url)
    return url[len(SQLITE_PREFIX):] if url.startswith(SQLITE_PREFIX) else url


class DB:
    """A connection; `kind` is "sqlite" or "postgresql"; SQL uses '?' placeholders."""

    def __init__(self, url, conn, kind):
        self.url = url
        self.conn = conn
        self.kind = kind
        self.errors = (sqlite3.Error,) if kind == "sqlite" else (_pg().Error,)

    def _sql(self, sql):
        return sql if self.kind == "sqlite" else sql.replace("?", "%s")

    def execute(self, sql, args=()):
        return self.conn.execute(self._sql(sql), args)

    def executemany(self, sql, rows):
        if self.kind == "sqlite":
            return self.conn.executemany(sql, rows)
        with self.conn.cursor() as cur:
            cur.executemany(self._sql(sql), rows)

    def copy(self, table, rows):
        """COPY rows (tuples in the table's column order) into table: PostgreSQL only."""
        with self.conn.cursor() as cur, cur.copy("COPY %s FROM STDIN" % table) as cp:
            for r in rows:
                cp.write_row(r)

    def commit(self):
        self.conn.commit()

    def rollback(self):
        self.conn.rollback()

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _pg():
    try:
        import psycopg
    except ImportError:
        raise UsageError("PostgreSQL needs psycopg (pip install 'psycopg[binary]')")
    return psycopg


def connect(url, readonly=False):
    """A DB for a path / sqlite:/// URL / postgresql:// URL; UsageError when it cannot be opened."""
    url = str(url)
    if is_postgres(url):
        psycopg = _pg()
        try:
            conn = psycopg.connect(url, connect_timeout=10)
            if readonly:
                conn.read_only = True
        except psycopg.Error as exc:
            raise UsageError("cannot open database %s: %s" % (url, str(exc).strip().splitlines()[0]))
        return DB(url, conn, "postgresql")
    path = sqlite_path(url)
    if readonly and not os.path.exists(path):
        raise UsageError("no record store at %s (run kioskctl pull or collect first)" % path)
    try:
        conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True) if readonly else sqlite3.connect(
            path, timeout=30, check_same_thread=False)  # one thread at a time; closed by whoever stops it
        if not readonly:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
    except sqlite3.Error as exc:
        raise UsageError("%s is not a kioskctl record store (SQLite): %s" % (path, exc))
    return DB(path, conn, "sqlite")
