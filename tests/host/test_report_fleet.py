"""kioskctl report and trace on the fleet database (SQLite and a real PostgreSQL): per venue, day
and hour, no personal data, reuse of one code across the kiosks of a venue, --plot, and trace across
the kiosks of one venue only with its secret."""

import datetime

import pytest
from PIL import Image

from kioskctl import cli
from kioskctl import store as st
from kioskctl.fw import records
from kioskctl.link import decode_record
from support.postgres import Postgres

SECRET_V1 = bytes([1]) * 32
SECRET_V2 = bytes([2]) * 32
T0 = int(datetime.datetime(2026, 9, 22, 10, 0, tzinfo=datetime.timezone.utc).timestamp())


def raw(seq, t, holder, secret, verdict="GREEN", reason="ok"):
    colour = {"GREEN": "green", "YELLOW": "yellow", "RED": "red"}[verdict]
    return records.encode(records.Record(seq=seq, time=t, verdict=verdict, colour=colour, reason=reason, key_index=0,
                                         pseudonym=records.pseudonym(secret, holder), admit=verdict != "RED",
                                         kind="native"))


# (device, venue secret, seq, time, holder, verdict, reason)
SCANS = [
    ("K-1", SECRET_V1, 1, T0 + 60, "alice", "GREEN", "ok"),
    ("K-1", SECRET_V1, 2, T0 + 120, "bob", "GREEN", "ok"),
    ("K-1", SECRET_V1, 3, T0 + 3700, "carol", "RED", "expired"),
    ("K-2", SECRET_V1, 1, T0 + 300, "alice", "GREEN", "ok"),     # alice's code again at the other door
    ("K-2", SECRET_V1, 2, T0 + 400, "dave", "YELLOW", "ok"),
    ("K-2", SECRET_V1, 3, T0 + 7300, "erin", "GREEN", "ok"),     # outside alice's window
    ("K-3", SECRET_V2, 1, T0 + 90, "frank", "GREEN", "ok"),      # another venue, same time
    ("K-3", SECRET_V2, 2, T0 + 100, "alice", "GREEN", "ok"),
]
VENUES = {"K-1": "V-1", "K-2": "V-1", "K-3": "V-2"}


def fill(url):
    with st.Store(url) as s:
        rows = []
        for dev, secret, seq, t, holder, verdict, reason in SCANS:
            r = raw(seq, t, holder, secret, verdict, reason)
            rows.append(st.row(dev, 7, decode_record(r), r, T0))
        assert st.insert(s.db, rows) == len(rows)
        assert st.insert(s.db, rows) == 0  # idempotent
        for dev, venue in VENUES.items():
            st.set_venue(s.db, dev, venue, T0)
        s.commit()


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    with Postgres(tmp_path_factory.mktemp("pg")) as p:
        yield p


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        u = "sqlite:///" + str(tmp_path / "fleet.sqlite")
    else:
        u = request.getfixturevalue("pg").new_database("r")
    fill(u)
    return u


def lines(capsys):
    return capsys.readouterr().out.splitlines()


def test_report_per_venue_hour_reuse_and_no_personal_data(url, capsys, tmp_path):
    assert cli.main(["report", "--db", url, "--tz", "+00:00", "--by", "hour"]) == 0
    out = lines(capsys)
    table = {tuple(l.split()[:3]): l.split()[3:] for l in out[1:] if l.startswith("V-")}
    assert table[("V-1", "2026-09-22", "10h")][:5] == ["4", "4", "3", "1", "0"]
    assert table[("V-1", "2026-09-22", "11h")] == ["1", "0", "0", "0", "1", "expired", "1"]
    assert table[("V-1", "2026-09-22", "12h")][:5] == ["1", "1", "1", "0", "0"]
    assert table[("V-2", "2026-09-22", "10h")][:5] == ["2", "2", "2", "0", "0"]
    assert [l for l in out if l.startswith("reuse:")] == [
        "reuse: V-1 2026-09-22: 1 code admitted at two kiosks within 10 min"]
    text = "\n".join(out)
    for dev, secret, _s, _t, holder, _v, _r in SCANS:
        assert holder not in text and records.pseudonym(secret, holder).hex() not in text

    assert cli.main(["report", "--db", url, "--tz", "+00:00", "--reuse-window", "3"]) == 0
    out = lines(capsys)
    assert not [l for l in out if l.startswith("reuse:")]  # 4 min apart: not within 3
    assert [l.split()[2:4] for l in out if l.startswith("V-1")] == [["6", "5"]]


def test_report_plot_writes_png(url, capsys, tmp_path):
    png = tmp_path / "report.png"
    assert cli.main(["report", "--db", url, "--tz", "+00:00", "--by", "hour", "--plot", str(png)]) == 0
    assert "chart written to" in capsys.readouterr().out
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] > 300 and im.size[1] > 300
        assert len(im.convert("RGB").getcolors(1 << 20)) > 3  # something drawn, not a blank canvas


def test_trace_venue_contacts_only_with_its_secret(url, capsys, tmp_path):
    assert cli.main(["trace", "--db", url, "--holder", "alice", "--secret", SECRET_V1.hex(), "--window", "30",
                     "--json"]) == 0
    import json

    visits = [json.loads(l) for l in lines(capsys)]
    ps = lambda h, s=SECRET_V1: records.pseudonym(s, h).hex()  # noqa: E731
    v1 = [v for v in visits if v["venue"] == "V-1"]
    assert [(v["device"], v["time"]) for v in v1] == [("K-1", T0 + 60), ("K-2", T0 + 300)]
    # contacts: both kiosks of V-1 within 30 min, never erin (2 h later) nor V-2's frank
    assert v1[0]["contacts"] == sorted([ps("bob"), ps("dave")])
    # with one secret for all, V-2's pseudonyms do not match alice's under V-1's secret
    assert [v for v in visits if v["venue"] == "V-2"] == []
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"V-1": SECRET_V1.hex(), "V-2": SECRET_V2.hex()}))
    assert cli.main(["trace", "--db", url, "--holder", "alice", "--secrets", str(secrets), "--json"]) == 0
    visits = [json.loads(l) for l in lines(capsys)]
    v2 = [v for v in visits if v["venue"] == "V-2"]
    assert len(v2) == 1 and v2[0]["contacts"] == [ps("frank", SECRET_V2)]
    assert cli.main(["trace", "--db", url, "--holder", "alice", "--secret", "33" * 32, "--json"]) == 0
    assert capsys.readouterr().out == ""  # a wrong secret finds nobody
