"""The PostgreSQL fixture: a real server as an unprivileged user, reachable, stopped afterwards."""

import os

import psycopg

from support.postgres import Postgres


def test_postgres_starts_answers_and_stops(tmp_path):
    with Postgres(tmp_path) as pg:
        with psycopg.connect(pg.url) as db:
            assert db.execute("SELECT 1 + 1").fetchone() == (2,)
            owner = db.execute("SELECT current_setting('data_directory')").fetchone()[0]
        assert os.stat(owner).st_uid != 0 or os.geteuid() != 0
        pid_file = os.path.join(pg.dir, "postmaster.pid")
        assert os.path.exists(pid_file)
    assert not os.path.exists(pid_file)
