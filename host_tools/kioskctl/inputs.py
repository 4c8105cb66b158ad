"""Checks of the files and values a command is given, before any work starts.

Library layer: each check raises UsageError (exit 2) with one clear line, so
the simulator or the kiosk never sees a file it would refuse later.
"""

import json
import os

from kioskctl.errors import UsageError


def read(path, what="file", limit=1 << 26):
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise UsageError("cannot read %s %s: %s" % (what, path, exc.strerror or exc))
    if len(data) > limit:
        raise UsageError("%s %s is larger than %d bytes" % (what, path, limit))
    return data


def json_map(path, what):
    data = read(path, what, 1 << 20)
    try:
        d = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UsageError("%s %s is not JSON: %s" % (what, path, str(exc).splitlines()[0]))
    if not isinstance(d, dict):
        raise UsageError("%s %s must be a JSON object" % (what, path))
    return d


def hex_bytes(text, option, min_len=0, max_len=1 << 16):
    try:
        b = bytes.fromhex(text)
    except ValueError:
        raise UsageError("%s takes hex digits, not %r" % (option, text[:40]))
    if not min_len <= len(b) <= max_len:
        raise UsageError("%s takes %d..%d bytes, got %d" % (option, min_len, max_len, len(b)))
    return b


def secret(text, option="--secret"):
    """A venue secret given as hex or as a file of raw bytes (as `provision setup --secret-file`)."""
    if os.path.isfile(text):
        s = read(text, "secret file", 4096).strip()
        if not 16 <= len(s) <= 64:
            raise UsageError("venue secret must be 16..64 bytes, %s has %d" % (text, len(s)))
        return s
    try:
        return hex_bytes(text, option, 16, 64)
    except UsageError:
        raise UsageError("%s takes the venue secret as hex or as a file (as provision setup --secret-file); "
                         "%r is neither" % (option, text[:40]))
