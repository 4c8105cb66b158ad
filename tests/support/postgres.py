"""A real Debian PostgreSQL for tests and benchmarks, in a temporary data directory (/tmp/kioskpg-*).

    with Postgres() as pg:
        pg.url        # "postgresql://kiosk@127.0.0.1:PORT/kiosk"

initdb refuses to run as root, and CI runs as root: then the cluster belongs
to an unprivileged system user (`kioskpg`, created with useradd when missing)
and initdb/pg_ctl run as that user through runuser. The server listens on
127.0.0.1 at a free port only (no Unix socket outside the data directory),
trusts local TCP clients (a throwaway cluster) and is stopped (fast shutdown)
on exit. When PostgreSQL cannot run, `require()` raises so a test fails, never
skips.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile

from support.broker import free_port

USER = "kioskpg"


def bindir():
    """The newest Debian PostgreSQL bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


class PostgresError(Exception):
    pass


class Postgres:
    def __init__(self, tmpdir=None, db="kiosk", user="kiosk"):
        # its own directory in /tmp, not under tmpdir: the owner must reach it through every parent,
        # and pytest keeps its base directory 0700
        self.root = tempfile.mkdtemp(prefix="kioskpg-")
        self.dir = os.path.join(self.root, "pgdata")
        self.sock = os.path.join(self.root, "pgsock")
        self.db = db
        self.user = user
        self.port = free_port()
        self.bin = bindir()
        self.log_path = os.path.join(self.root, "postgres.log")
        self._made = 0

    @property
    def url(self):
        return "postgresql://%s@127.0.0.1:%d/%s" % (self.user, self.port, self.db)

    def new_database(self, prefix="t"):
        """The URL of a new, empty database on this server (one per test)."""
        from kioskctl import db as dbm

        self._made += 1
        name = "%s%d" % (prefix, self._made)
        with dbm.connect(self.url) as d:
            d.conn.autocommit = True
            d.execute("CREATE DATABASE %s" % name)
        return self.url.rsplit("/", 1)[0] + "/" + name

    @staticmethod
    def require():
        if bindir() is None:
            raise PostgresError("PostgreSQL is not installed (host_tools/scripts/sysdeps.sh installs it as root)")

    def _as_owner(self, argv):
        if os.geteuid() != 0:
            return argv
        return ["runuser", "-u", USER, "--"] + argv

    def _owner(self):
        if os.geteuid() != 0:
            return
        try:
            pwd.getpwnam(USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ent = pwd.getpwnam(USER)
        for d in (self.root, self.dir, self.sock):
            os.chown(d, ent.pw_uid, ent.pw_gid)
        open(self.log_path, "a").close()
        os.chown(self.log_path, ent.pw_uid, ent.pw_gid)

    def _run(self, argv):
        r = subprocess.run(self._as_owner(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode:
            raise PostgresError("%s failed (%d): %s" % (os.path.basename(argv[0]), r.returncode, r.stdout[-2000:]))
        return r.stdout

    def start(self):
        self.require()
        os.makedirs(self.dir, exist_ok=True)
        os.makedirs(self.sock, exist_ok=True)
        self._owner()
        self._run([os.path.join(self.bin, "initdb"), "-D", self.dir, "-U", self.user, "--auth=trust",
                   "-E", "UTF8", "--locale=C", "--no-sync"])
        opts = "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=on -c max_connections=60" % (self.port, self.sock)
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.dir, "-l", self.log_path, "-o", opts, "-w",
                   "-t", "30", "start"])
        self._run([os.path.join(self.bin, "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                   self.db])
        return self

    def stop(self):
        if self.bin and os.path.exists(os.path.join(self.dir, "postmaster.pid")):
            subprocess.run(self._as_owner([os.path.join(self.bin, "pg_ctl"), "-D", self.dir, "-m", "fast", "-w",
                                           "stop"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
