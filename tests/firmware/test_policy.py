# Venue policy, DCC colour rules and ISO dates on MicroPython.
import mpassert
from kiosk.policy import Policy, PolicyError, dcc
from kiosk.policy.dates import days_from_civil, parse_iso

DAY = 86400
NOW = 1790000000  # 2026-09-21T14:13:20Z
RULES = Policy().dcc


def test_iso_dates():
    mpassert.eq(days_from_civil(1970, 1, 1), 0)
    mpassert.eq(parse_iso("2026-09-21"), 1790000000 - (14 * 3600 + 13 * 60 + 20))
    mpassert.eq(parse_iso("2026-09-21T14:13:20Z"), NOW)
    mpassert.eq(parse_iso("2026-09-21T16:13:20+02:00"), NOW)
    mpassert.eq(parse_iso("2026-09-21T14:13:20.123Z"), NOW)
    mpassert.eq(parse_iso("2000-02-29"), 951782400)
    for bad in ("", "2026-13-01", "2026-09-21X", "20260921", None, 12, "2026-09-21T14", "x" * 50):
        mpassert.eq(parse_iso(bad), None, repr(bad))


def vacc(dn, sd, days_ago):
    return {"v": [{"dn": dn, "sd": sd, "dt": _date(NOW - days_ago * DAY)}]}


def _date(t):
    """ISO date of Unix time t (arithmetic: the 32-bit board has no time.gmtime)."""
    z = t // DAY + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return "%04d-%02d-%02d" % (yoe + era * 400 + (m <= 2), m, d)


def test_dcc_vaccination():
    mpassert.eq(dcc.colour(vacc(2, 2, 30), NOW, RULES), "green")
    mpassert.eq(dcc.colour(vacc(2, 2, 3), NOW, RULES), "yellow")  # series too recent
    mpassert.eq(dcc.colour(vacc(1, 2, 90), NOW, RULES), "yellow")  # incomplete
    rules = dict(RULES)
    rules["vacc_max_days"] = 60
    mpassert.eq(dcc.colour(vacc(2, 2, 90), NOW, rules), "yellow")  # too old for this venue


def test_dcc_tests_and_recovery():
    def test(result, hours_ago, kind="LP6464-4"):
        sc = "%sT%02d:00:00Z" % (_date(NOW - hours_ago * 3600), 0)
        return {"t": [{"tr": result, "tt": kind, "sc": sc}]}

    mpassert.eq(dcc.colour(test("260415000", 24), NOW, RULES), "green")
    mpassert.eq(dcc.colour(test("260415000", 24 * 5), NOW, RULES), "yellow")
    mpassert.eq(dcc.colour(test("260373001", 24), NOW, RULES), "red")
    mpassert.eq(dcc.colour(test("260415000", 24, "unknown-type"), NOW, RULES), "yellow")
    rec = {"r": [{"df": _date(NOW - 30 * DAY), "du": _date(NOW + 30 * DAY)}]}
    mpassert.eq(dcc.colour(rec, NOW, RULES), "green")
    old = {"r": [{"df": _date(NOW - 300 * DAY), "du": _date(NOW - 100 * DAY)}]}
    mpassert.eq(dcc.colour(old, NOW, RULES), "yellow")
    both = {"t": test("260373001", 24)["t"], "v": vacc(2, 2, 30)["v"]}
    mpassert.eq(dcc.colour(both, NOW, RULES), "green")  # the best entry wins
    mpassert.eq(dcc.colour({"nam": {}}, NOW, RULES), None)
    mpassert.eq(dcc.colour({"v": "junk", "t": [1, None]}, NOW, RULES), None)


def test_dcc_name_and_holder():
    h = {"nam": {"fn": "Musterfrau", "gn": "Erika", "fnt": "MUSTERFRAU", "gnt": "ERIKA"}, "dob": "1964-08-12"}
    mpassert.eq(dcc.masked_name(h), "E* M*")
    mpassert.eq(dcc.holder_id(h), b"MUSTERFRAU|ERIKA|1964-08-12")
    mpassert.eq(dcc.masked_name({}), None)


class Hc:
    def __init__(self, travel=None):
        self.travel = travel


def test_venue_rules():
    general, medical, transit = Policy(), Policy({"venue_type": "medical"}), Policy({"venue_type": "transit"})
    mpassert.eq(general.admits("green", Hc(), NOW), (True, "ok"))
    mpassert.eq(general.admits("yellow", Hc(), NOW), (False, "policy"))
    mpassert.eq(general.admits("red", Hc(), NOW), (False, "policy"))
    mpassert.eq(medical.admits("red", Hc(), NOW), (True, "ok"))
    mpassert.eq(medical.admits("yellow", Hc(), NOW), (True, "ok"))
    window = Hc((NOW - 3600, NOW + 3600))
    mpassert.eq(transit.admits("yellow", window, NOW), (True, "ok"))
    mpassert.eq(transit.admits("yellow", window, NOW + 7200), (False, "policy"))
    mpassert.eq(transit.admits("yellow", Hc(), NOW), (False, "policy"))
    mpassert.eq(general.admits("yellow", window, NOW), (False, "policy"))
    mpassert.eq(transit.admits("red", window, NOW), (False, "policy"))
    mpassert.raises(PolicyError, Policy, {"venue_type": "casino"})
    mpassert.raises(PolicyError, Policy, ["not", "a", "map"])
