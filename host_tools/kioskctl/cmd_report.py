"""kioskctl report / trace: what the pulled scan records say.

report: counts per kiosk and day (scans, admitted, by code colour, by reason)
for venue staff. Never a pseudonym, never a name.

trace: for the health authority, who knows the venue secrets. From a
positive case's holder id it computes the pseudonym each venue stored
(truncated HMAC-SHA256(venue secret, holder id)), lists that person's visits,
and the pseudonyms of everyone scanned at the same kiosk within the window
around each visit (the contacts to notify).
"""

import datetime
import json
import sys

from kioskctl.errors import KioskError, UsageError



def register(sub):
    r = sub.add_parser("report", help="counts per kiosk and day from pulled records (no personal data)")
    r.add_argument("--store", default="kiosk-records.sqlite", help="host record store written by kioskctl pull")
    r.add_argument("--port", help="first read the kiosk on this port (without letting it delete anything)")
    r.add_argument("--day", help="only this day, YYYY-MM-DD (in --tz)")
    r.add_argument("--tz", default="+08:00", help="time zone for days, e.g. +08:00 (default)")
    r.set_defaults(func=cmd_report)
    t = sub.add_parser("trace", help="contact tracing: a holder's visits and the people scanned near them")
    t.add_argument("--store", nargs="+", default=["kiosk-records.sqlite"], help="record stores (several venues)")
    t.add_argument("--holder", required=True, help="holder id of the positive case (as in the health code)")
    g = t.add_mutually_exclusive_group(required=True)
    g.add_argument("--secret", help="venue secret used by every kiosk in the stores: hex, or the file given to "
                   "provision setup --secret-file")
    g.add_argument("--secrets", help='JSON file {"device id": "secret hex", ...}')
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


def day_counts(db, tz, day=None):
    """{(device, day): {"scans", "admitted", "colour:<c>", "reason:<r>"}} from the store."""
    out = {}
    for device, t, colour, reason, admit in db.execute("SELECT device, time, colour, reason, admit FROM records"):
        d = datetime.datetime.fromtimestamp(t, tz).date().isoformat() if t else "clock-unset"
        if day and d != day:
            continue
        c = out.setdefault((device, d), {"scans": 0, "admitted": 0})
        c["scans"] += 1
        c["admitted"] += bool(admit)
        for key in ("colour:%s" % (colour or "-"), "reason:%s" % reason):
            c[key] = c.get(key, 0) + 1
    return out


def cmd_report(args):
    tz = _tz(args.tz)
    if args.day:
        try:
            datetime.date.fromisoformat(args.day)
        except ValueError:
            raise UsageError("--day takes a date as YYYY-MM-DD, not %r" % args.day)
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
        counts = day_counts(db, tz, args.day)
    if not counts:
        print("no scans%s" % (" on %s" % args.day if args.day else ""))
        return 0
    print("%-16s %-10s %6s %8s %6s %7s %5s  %s" % ("kiosk", "day", "scans", "admitted", "green", "yellow", "red", "refusals by reason"))
    for (device, day), c in sorted(counts.items()):
        reasons = ", ".join("%s %d" % (k[7:], v) for k, v in sorted(c.items()) if k.startswith("reason:") and k != "reason:ok")
        print("%-16s %-10s %6d %8d %6d %7d %5d  %s" % (
            device, day, c["scans"], c["admitted"], c.get("colour:green", 0), c.get("colour:yellow", 0),
            c.get("colour:red", 0), reasons or "-"))
    return 0


def _secrets(args):
    if args.secret:
        from kioskctl.inputs import secret

        s = secret(args.secret)
        return lambda device: s
    try:
        with open(args.secrets) as f:
            table = {k: bytes.fromhex(v) for k, v in json.load(f).items()}
    except (OSError, ValueError) as exc:
        raise KioskError("cannot read %s: %s" % (args.secrets, exc))
    return table.get


def trace(stores, holder, secret_for, window_s):
    """[{device, time, verdict, contacts: [pseudonym...]}] for every visit of the holder."""
    visits = []
    for path in stores:
        with _open(path) as db:
            devices = [d for (d,) in db.execute("SELECT DISTINCT device FROM records")]
            for device in devices:
                secret = secret_for(device)
                if secret is None:
                    print("warning: no venue secret for kiosk %s; its records are skipped" % device, file=sys.stderr)
                    continue
                p = pseudonym(secret, holder)
                for t, verdict in db.execute(
                        "SELECT time, verdict FROM records WHERE device=? AND pseudonym=? ORDER BY time", (device, p)):
                    contacts = sorted({c for (c,) in db.execute(
                        "SELECT pseudonym FROM records WHERE device=? AND time BETWEEN ? AND ? AND pseudonym<>?"
                        " AND pseudonym<>?", (device, t - window_s, t + window_s, p, "0" * len(p)))})
                    visits.append({"device": device, "time": t, "verdict": verdict, "pseudonym": p, "contacts": contacts})
    return sorted(visits, key=lambda v: v["time"])


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
        print("%s  kiosk %-12s  %-6s  %d contacts within %d min" % (iso(v["time"]), v["device"], v["verdict"], len(v["contacts"]), args.window))
        for c in v["contacts"]:
            print("    %s" % c)
    return 0
