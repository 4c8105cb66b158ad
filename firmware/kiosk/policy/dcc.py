"""Map an EU DCC (claim -260/1) to a health-code colour with venue rules.

Defaults (docs/policy.md), all configurable in the policy's "dcc" map:
- vaccination: complete series (dn >= sd) at least vacc_min_days ago (and
  at most vacc_max_days, 0 = no limit) -> green, else yellow;
- test: "not detected" sampled within test_hours[type] -> green; "detected"
  -> red; older or unknown type -> yellow;
- recovery: inside [df, du] -> green, else yellow.
The best entry wins (green over yellow over red).
"""

from kiosk.policy.dates import parse_iso

_DAY = const(86400)
_NOT_DETECTED = "260415000"
_DETECTED = "260373001"
_RANK = {"green": 2, "yellow": 1, "red": 0}


def _vaccination(v, now, rules):
    dn, sd = v.get("dn"), v.get("sd")
    t = parse_iso(v.get("dt"))
    if not isinstance(dn, int) or not isinstance(sd, int) or t is None or dn < sd:
        return "yellow"
    age = now - t
    if age < rules["vacc_min_days"] * _DAY:
        return "yellow"
    if rules["vacc_max_days"] and age > rules["vacc_max_days"] * _DAY:
        return "yellow"
    return "green"


def _test(t, now, rules):
    result = t.get("tr")
    if result == _DETECTED:
        return "red"
    sampled = parse_iso(t.get("sc"))
    hours = rules["test_hours"].get(t.get("tt"))
    if result != _NOT_DETECTED or sampled is None or not hours:
        return "yellow"
    if sampled - 3600 <= now <= sampled + hours * 3600:
        return "green"
    return "yellow"


def _recovery(r, now, rules):
    if not rules["recovery"]:
        return "yellow"
    df, du = parse_iso(r.get("df")), parse_iso(r.get("du"))
    if df is None or du is None:
        return "yellow"
    return "green" if df <= now <= du + _DAY else "yellow"


_KINDS = (("v", _vaccination), ("t", _test), ("r", _recovery))


def colour(hcert, now, rules):
    """Colour for a DCC at `now` (Unix s), or None when it holds no entry."""
    best = None
    for key, fn in _KINDS:
        if key not in rules["accept"]:
            continue
        entries = hcert.get(key)
        if not isinstance(entries, list):
            continue
        for e in entries[:8]:
            if not isinstance(e, dict):
                continue
            c = fn(e, now, rules)
            if best is None or _RANK[c] > _RANK[best]:
                best = c
    return best


def masked_name(hcert):
    """'J* M*' from the standardised names: the screen never shows a full name."""
    nam = hcert.get("nam")
    if not isinstance(nam, dict):
        return None
    parts = []
    for k in ("gn", "fn"):
        s = nam.get(k) or nam.get(k + "t")
        if isinstance(s, str) and s:
            parts.append(s[0] + "*")
    return " ".join(parts) or None


def holder_id(hcert):
    """Stable holder id for the pseudonym: standardised names and birth date."""
    nam = hcert.get("nam")
    nam = nam if isinstance(nam, dict) else {}
    parts = (nam.get("fnt"), nam.get("gnt"), hcert.get("dob"))
    return "|".join(p if isinstance(p, str) else "" for p in parts).encode()


_ES256 = const(-7)


def _uci(hcert):
    """The UCI ("ci") of the certificate's first entry, or None."""
    for key in ("v", "t", "r"):
        entries = hcert.get(key)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            ci = entries[0].get("ci")
            return ci.encode() if isinstance(ci, str) and ci else None
    return None


def revocation_ids(token):
    """What a revocation entry may be computed from (SHA-256 of each): the
    cti, and for a DCC the three EU hash inputs: the UCI, the issuing country
    (CWT iss) + UCI, and the signature (r alone for ES256, as the EU scheme
    has it; all of it for PS256)."""
    ids = [token.cti]
    if token.dcc is None:
        return ids
    uci = _uci(token.dcc)
    if uci is not None:
        ids.append(uci)
        if isinstance(token.iss, str):
            ids.append(token.iss.encode() + uci)
    sig = token.signature
    if isinstance(sig, (bytes, bytearray)) and sig:
        ids.append(bytes(sig[: len(sig) // 2]) if token.alg == _ES256 else bytes(sig))
    return ids
