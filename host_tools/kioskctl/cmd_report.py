"""kioskctl report / trace: what the pulled scan records say.

report: counts per venue and day or hour (scans, admitted, by code colour, by
refusal reason; kioskctl.report), codes admitted at two kiosks of one venue
flagged, optionally drawn (--plot). For venue staff: never a pseudonym, never a name.

trace: for the health authority, who knows the venue secrets. From a
positive case's holder id it computes the pseudonym each venue stored
(truncated HMAC-SHA256(venue secret, holder id)), lists that person's visits,
and the pseudonyms of everyone scanned at the same venue within the window
around each visit at the same venue (the contacts to notify).

Both read any record store: the SQLite file `pull --store` writes, or the
SQLite / PostgreSQL database `collect --db` writes (--db URL).
"""

import datetime
import json
import sys

from kioskctl.errors import KioskError, UsageError



def register(sub):
    r = sub.add_parser("report", help="counts per kiosk and day from pulled records (no personal data)")
    r.add_argument("--store", "--db", dest="store", default="kiosk-records.sqlite",
                   help="record store: the file kioskctl pull writes, or collect's sqlite:///... / postgresql://...")
    r.add_argument("--port", help="first read the kiosk on this port (without letting it delete anything)")
    r.add_argument("--day", help="only this day, YYYY-MM-DD (in --tz)")
    r.add_argument("--tz", default="+08:00", help="time zone for days, e.g. +08:00 (default)")
    r.add_argument("--by", choices=("day", "hour"), default="day", help="one line per venue and day (default) or hour")
    r.add_argument("--plot", metavar="FILE.png", help="also draw the counts as a PNG chart")
    r.add_argument("--reuse-window", type=int, default=10, metavar="MIN",
                   help="flag a code admitted at two kiosks of one venue within MIN minutes (default 10)")
    r.set_defaults(func=cmd_report)
    t = sub.add_parser("trace", help="contact tracing: a holder's visits and the people scanned near them")
    t.add_argument("--store", "--db", dest="store", nargs="+", default=["kiosk-records.sqlite"],
                   help="record stores or database URLs (several venues)")
    t.add_argument("--holder", required=True, help="holder id of the positive case (as in the health code)")
    g = t.add_mutually_exclusive_group(required=True)
    g.add_argument("--secret", help="venue secret used by every kiosk in the stores: hex, or the file given to "
                   "provision setup --secret-file")
    g.add_argument("--secrets", help='JSON file {"venue or device id": "secret hex", ...}')
    t.add_argument("--window", type=int, default=30, help="minutes before and after a visit (default 30)")
    t.add_argument("--json", action="store_true", help="one JSON object per visit")
    t.set_defaults(func=cmd_trace)


def pseudonym(secret, holder):
    """The firmware's own pseudonym (kiosk.records.pseudonym), as hex."""
    from kioskctl.fw import records

    return records.pseudonym(secret, holder.encode()).hex()


def _tz(text):
    try:
        sign = -1 if text.startswith("-") else 1
        h, m = text.lstrip("+-").split(":")
        return datetime.timezone(sign * datetime.timedelta(hours=int(h), minutes=int(m)))
    except ValueError:
        raise UsageError("--tz takes +HH:MM")


def _open(path):
    from kioskctl.store import open_readonly

    return open_readonly(path)


def cmd_report(args):
    from kioskctl import report

    tz = _tz(args.tz)
    if args.day:
        try:
            datetime.date.fromisoformat(args.day)
        except ValueError:
            raise UsageError("--day takes a date as YYYY-MM-DD, not %r" % args.day)
    if args.reuse_window < 0:
        raise UsageError("--reuse-window takes minutes >= 0")
    if args.port:
        from kioskctl.pull import pull
        from kioskctl.store import Store
        from kioskctl.transport import open_port

        store = Store(args.store)
        port = open_port(args.port)
        try:
            pull(port, store, progress=False)  # no key: read-only, nothing acknowledged
        finally:
            store.close()
            port.close()
    with _open(args.store) as db:
        rows = report.scans(db)
    counts = report.tally(rows, tz, args.by, args.day)
    if not counts:
        print("no scans%s" % (" on %s" % args.day if args.day else ""))
        return 0
    hour = args.by == "hour"
    print("%-16s %-10s %s%6s %8s %6s %7s %5s  %s" % ("venue", "day", "hour " if hour else "", "scans", "admitted",
                                                  "green", "yellow", "red", "refusals by reason"))
    for (venue, day, h), c in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0)):
        reasons = ", ".join("%s %d" % kv for kv in report.refusals(c) if kv[0] != "ok")
        print("%-16s %-10s %s%6d %8d %6d %7d %5d  %s" % (
            venue, day, ("%02dh  " % h if h is not None else "--   ") if hour else "", c["scans"], c["admitted"],
            c["colour:green"], c["colour:yellow"], c["colour:red"], reasons or "-"))
    flags = [f for f in report.reuse(rows, args.reuse_window * 60, tz) if not args.day or f[1] == args.day]
    for venue, day, n in flags:
        print("reuse: %s %s: %d code%s admitted at two kiosks within %d min" % (
            venue, day, n, "" if n == 1 else "s", args.reuse_window))
    if args.plot:
        report.plot(counts, args.plot, title="scans per %s (%s)" % (args.by, args.tz))
        print("chart written to %s" % args.plot)
    return 0


def _secrets(args):
    if args.secret:
        from kioskctl.inputs import secret

        s = secret(args.secret)
        return lambda device, venue: s
    try:
        with open(args.secrets) as f:
            table = {k: bytes.fromhex(v) for k, v in json.load(f).items()}
    except (OSError, ValueError, AttributeError) as exc:
        raise KioskError("cannot read %s: %s" % (args.secrets, exc))
    return lambda device, venue: table.get(venue, table.get(device))


def _venues(db):
    """{device: venue} (a kiosk with no known venue is its own)."""
    from kioskctl.store import has_devices

    out = {d: d for (d,) in db.execute("SELECT DISTINCT device FROM records").fetchall()}
    if has_devices(db):
        out.update({d: v for d, v in db.execute("SELECT device, venue FROM devices").fetchall() if d in out and v})
    return out


def trace(stores, holder, secret_for, window_s):
    """[{venue, device, time, verdict, pseudonym, contacts: [pseudonym...]}] for every visit of the holder;
    contacts are the pseudonyms scanned at any kiosk of the same venue within window_s of the visit."""
    visits = []
    for path in stores:
        with _open(path) as db:
            venues = _venues(db)
            for device, venue in sorted(venues.items()):
                secret = secret_for(device, venue)
                if secret is None:
                    print("warning: no venue secret for kiosk %s (venue %s); its records are skipped" % (device, venue),
                          file=sys.stderr)
                    continue
                p = pseudonym(secret, holder)
                peers = sorted(d for d, v in venues.items() if v == venue)
                marks = ",".join("?" * len(peers))
                for t, verdict in db.execute(
                        "SELECT time, verdict FROM records WHERE device=? AND pseudonym=? ORDER BY time",
                        (device, p)).fetchall():
                    contacts = sorted({c for (c,) in db.execute(
                        "SELECT pseudonym FROM records WHERE device IN (%s) AND time BETWEEN ? AND ? AND pseudonym<>?"
                        " AND pseudonym<>?" % marks, peers + [t - window_s, t + window_s, p, "0" * len(p)]).fetchall()})
                    visits.append({"venue": venue, "device": device, "time": t, "verdict": verdict, "pseudonym": p,
                                   "contacts": contacts})
    return sorted(visits, key=lambda v: (v["time"], v["device"]))


def cmd_trace(args):
    from kioskctl.timeutil import iso

    visits = trace(args.store, args.holder, _secrets(args), args.window * 60)
    if args.json:
        for v in visits:
            print(json.dumps(v))
        return 0
    if not visits:
        print("no visits of this holder in the given stores")
        return 0
    for v in visits:
        print("%s  venue %-12s kiosk %-12s  %-6s  %d contacts within %d min" % (
            iso(v["time"]), v["venue"], v["device"], v["verdict"], len(v["contacts"]), args.window))
        for c in v["contacts"]:
            print("    %s" % c)
    return 0
