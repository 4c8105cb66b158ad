"""Times on the command line: ISO 8601 instants and short durations."""

import datetime
import re
import time

from kioskctl.errors import UsageError

_DUR = re.compile(r"^(\d+)([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_instant(text):
    """ISO 8601 (with offset or Z; naive means UTC), 'now', or Unix seconds -> int Unix seconds."""
    if text is None or text == "now":
        return int(time.time())
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    t = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        dt = datetime.datetime.fromisoformat(t)
    except ValueError:
        raise UsageError("not an ISO 8601 time: %r" % text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp())


def parse_duration(text):
    """'90s', '30m', '24h', '7d', '2w' -> seconds."""
    m = _DUR.match(text.strip())
    if not m:
        raise UsageError("not a duration (like 24h, 7d): %r" % text)
    return int(m.group(1)) * _UNIT[m.group(2)]


def iso(ts):
    if ts is None:
        return ""
    return datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
