"""ISO 8601 dates to Unix seconds without the port's time module (epochs differ)."""


def days_from_civil(y, m, d):
    """Days since 1970-01-01 (proleptic Gregorian)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _num(s, a, b):
    part = s[a:b]
    if len(part) != b - a or not part.isdigit():
        raise ValueError
    return int(part)


def parse_iso(s):
    """'2021-05-29' or '2021-05-29T10:27:15Z' / '+02:00' -> Unix seconds, or None if malformed."""
    if not isinstance(s, str) or len(s) < 10 or len(s) > 40:
        return None
    try:
        y, mo, d = _num(s, 0, 4), _num(s, 5, 7), _num(s, 8, 10)
        if s[4] != "-" or s[7] != "-" or not (1 <= mo <= 12 and 1 <= d <= 31):
            return None
        t = days_from_civil(y, mo, d) * 86400
        if len(s) == 10:
            return t
        if s[10] not in "Tt ":
            return None
        h, mi = _num(s, 11, 13), _num(s, 14, 16)
        sec = _num(s, 17, 19) if len(s) >= 19 and s[16] == ":" else 0
        t += h * 3600 + mi * 60 + sec
        rest = s[19:] if len(s) >= 19 and s[16] == ":" else s[16:]
        if rest[:1] == ".":
            i = 1
            while i < len(rest) and rest[i].isdigit():
                i += 1
            rest = rest[i:]
        if rest in ("", "Z", "z"):
            return t
        if rest[0] in "+-" and len(rest) in (5, 6):
            oh = _num(rest, 1, 3)
            om = _num(rest, len(rest) - 2, len(rest))
            off = oh * 3600 + om * 60
            return t - off if rest[0] == "+" else t + off
    except (ValueError, IndexError):
        return None
    return None
