"""What the stored scan records say, without personal data (kioskctl report).

    rows = scans(db)                            # [(venue, device, time, verdict, colour, reason, admit)]
    counts = tally(rows, tz, by="hour")         # {(venue, day, hour): Counter}
    flags = reuse(db, window_s)                 # [(venue, day, n)] codes admitted at two kiosks of a venue
    plot(counts, "report.png")                  # matplotlib (Agg)

Works on any record store (kioskctl.db: SQLite or PostgreSQL). The venue of
a kiosk comes from the devices table that `collect` fills from the kiosks'
retained status; a kiosk without one (a pulled store) is shown as its own venue.
Reasons are the firmware's (kioskctl.fw.records.REASONS), in its order.
"""

import collections
import datetime

from kioskctl.store import has_devices


def _venue_sql(db):
    if has_devices(db):
        return ("SELECT COALESCE(d.venue, r.device), r.device, r.time, r.verdict, r.colour, r.reason,"
                " r.admit, r.pseudonym FROM records r LEFT JOIN devices d ON d.device = r.device")
    return "SELECT device, device, time, verdict, colour, reason, admit, pseudonym FROM records r"


def scans(db):
    """(venue, device, time, verdict, colour, reason, admit, pseudonym) for every stored record."""
    return db.execute(_venue_sql(db)).fetchall()


def reason_order():
    from kioskctl.fw import records

    return {r: i for i, r in enumerate(records.REASONS)}


def tally(rows, tz, by="day", day=None):
    """{(venue, day, hour or None): Counter(scans, admitted, refused, colour:<c>, verdict:<v>, reason:<r>)}."""
    out = {}
    for venue, _dev, t, verdict, colour, reason, admit, _ps in rows:
        when = datetime.datetime.fromtimestamp(t, tz) if t else None
        d = when.date().isoformat() if when else "clock-unset"
        if day and d != day:
            continue
        key = (venue, d, (when.hour if when else None) if by == "hour" else None)
        c = out.setdefault(key, collections.Counter())
        c["scans"] += 1
        c["admitted" if admit else "refused"] += 1
        c["colour:%s" % (colour or "-")] += 1
        c["verdict:%s" % verdict] += 1
        if not admit or reason != "ok":
            c["reason:%s" % reason] += 1
    return out


def reuse(rows, window_s, tz):
    """[(venue, day, codes)]: codes (pseudonyms) admitted at two kiosks of one venue within window_s."""
    seen = collections.defaultdict(list)
    for venue, dev, t, _v, _c, _r, admit, ps in rows:
        if admit and ps and ps.strip("0"):
            seen[(venue, ps)].append((t, dev))
    flagged = collections.Counter()
    for (venue, _ps), visits in seen.items():
        visits.sort()
        for (t0, d0), (t1, d1) in zip(visits, visits[1:]):
            if d0 != d1 and t1 - t0 <= window_s:
                day = datetime.datetime.fromtimestamp(t1, tz).date().isoformat() if t1 else "clock-unset"
                flagged[(venue, day)] += 1
                break
    return sorted((v, d, n) for (v, d), n in flagged.items())


def refusals(c):
    order = reason_order()
    items = [(k[7:], v) for k, v in c.items() if k.startswith("reason:")]
    return sorted(items, key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


def plot(counts, path, title="scans"):
    """Two charts in one PNG: scans per period stacked by colour; refusals by reason."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted(counts, key=lambda k: (k[1], -1 if k[2] is None else k[2], k[0]))
    labels = ["%s %s%s" % (k[0], k[1], "" if k[2] is None else " %02dh" % k[2]) for k in keys]
    fig, (a, b) = plt.subplots(2, 1, figsize=(max(6, 0.5 * len(keys) + 3), 8))
    bottom = [0] * len(keys)
    for colour, shade in (("green", "#2e9e44"), ("yellow", "#e0b000"), ("red", "#c83232"), ("-", "#888888")):
        vals = [counts[k]["colour:%s" % colour] for k in keys]
        a.bar(range(len(keys)), vals, bottom=bottom, color=shade, label="no code" if colour == "-" else colour)
        bottom = [x + y for x, y in zip(bottom, vals)]
    a.set_xticks(range(len(keys)))
    a.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    a.set_ylabel("scans")
    a.set_title(title)
    a.legend(fontsize=8)
    total = collections.Counter()
    for c in counts.values():
        total.update({k: v for k, v in c.items() if k.startswith("reason:")})
    reasons = refusals(total)
    b.barh([r for r, _ in reasons], [n for _, n in reasons], color="#c83232")
    b.set_xlabel("refused or flagged scans")
    b.set_title("by reason")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
