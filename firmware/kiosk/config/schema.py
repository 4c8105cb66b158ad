"""The one schema of the kiosk's stored configuration.

Every value is checked here twice: on the way in (kiosk.provision, before
anything is committed: a bad value is refused with ConfigError("bad_request"))
and on the way out (kiosk.config.device at boot: a stored value that fails
is reported as damaged and the kiosk shows a fault screen instead of
raising). Each check returns the normalised value.

    device.json   {"device_id", "venue": {"id", "name", "type"}, "lang"}
    policy.json   kiosk.policy map (venue_type, lang, skew_s, fever_c, dcc)
    secret.bin    16..64 bytes, sealed (kiosk.config.secrets)
    wifi.json     {"ssid", "password_set", "sealed": hex of the sealed password}
                  (checked as {"ssid", "password"} on the way in)
    broker.json   {"url": mqtt[s]://host:port, "user", "password_set", "sealed": hex of the
                  sealed password, "ca": hex DER} (checked with "password" on the way in)
"""

from micropython import const

from kiosk.config import ConfigError

LANGS = ("zh", "en", "zh+en")  # what the screens can show (kiosk.ui)
MAX_STR = const(64)
MIN_SECRET = const(16)
MAX_SECRET = const(64)
MAX_POLICY = const(16384)


def _bad(msg):
    return ConfigError("bad_request", msg)


def short_str(v):
    return isinstance(v, str) and 0 < len(v) <= MAX_STR


def check_lang(lang):
    """None (the policy's default) or one of LANGS."""
    if lang is not None and lang not in LANGS:
        raise _bad("lang must be one of %s, not %r" % (", ".join(LANGS), lang))
    return lang


def check_venue_type(vtype):
    from kiosk.policy import VENUE_TYPES

    if vtype not in VENUE_TYPES:
        raise _bad("venue type must be one of %s, not %r" % (", ".join(VENUE_TYPES), vtype))
    return vtype


def check_venue(venue):
    if not isinstance(venue, dict) or not short_str(venue.get("id")) or not short_str(venue.get("name")):
        raise _bad("venue needs id and name (1..%d characters)" % MAX_STR)
    return {"id": venue["id"], "name": venue["name"], "type": check_venue_type(venue.get("type", "general"))}


def check_device(dev):
    """device.json: venue and lang checked; other keys (device_id) kept as they are."""
    if not isinstance(dev, dict):
        raise _bad("device settings must be a map")
    out = dict(dev)
    if "device_id" in out and not short_str(out["device_id"]):
        raise _bad("device_id must be a short string")
    if "venue" in out:
        out["venue"] = check_venue(out["venue"])
    if out.get("lang") is not None:
        out["lang"] = check_lang(out["lang"])
    return out


def check_policy(conf, venue_type=None):
    """(stored map, kiosk.policy.Policy) for a policy map; the venue's type
    fills in venue_type when the map has none."""
    from kiosk.policy import Policy, PolicyError

    if conf is None:
        conf = {}
    if not isinstance(conf, dict):
        raise _bad("policy must be a map")
    full = dict(conf)
    if venue_type is not None and "venue_type" not in full:
        full["venue_type"] = venue_type
    try:
        p = Policy(full)
    except (PolicyError, TypeError, ValueError) as exc:
        raise _bad("policy refused: %s" % exc)
    check_lang(p.lang)
    return conf, p


def check_secret(secret):
    if not isinstance(secret, bytes) or not MIN_SECRET <= len(secret) <= MAX_SECRET:
        raise _bad("venue secret must be %d..%d bytes" % (MIN_SECRET, MAX_SECRET))
    return secret


def check_wifi(w):
    if not isinstance(w, dict) or not short_str(w.get("ssid")):
        raise _bad("wifi needs an ssid")
    pw = w.get("password", "")
    if not isinstance(pw, str) or len(pw) > MAX_STR:
        raise _bad("bad wifi password")
    return {"ssid": w["ssid"], "password": pw}


def parse_url(url):
    """(host, port, tls) of mqtt://host:port or mqtts://host:port."""
    for scheme, port, tls in (("mqtt://", 1883, False), ("mqtts://", 8883, True)):
        if url.startswith(scheme):
            rest = url[len(scheme):].rstrip("/")
            host, _, p = rest.partition(":")
            if not host or (p and not p.isdigit()):
                break
            return host, int(p) if p else port, tls
    raise ValueError("broker must be mqtt://HOST:PORT or mqtts://HOST:PORT, not %r" % url)


def check_broker(b):
    """broker.json: the uplink's broker URL, its MQTT login (write-only
    password) and, for mqtts, the CA certificate (DER, hex) to check it by."""
    if not isinstance(b, dict) or not isinstance(b.get("url"), str) or len(b["url"]) > 128:
        raise _bad("broker needs a url")
    try:
        parse_url(b["url"])
    except ValueError as exc:
        raise _bad(str(exc))
    out = {"url": b["url"]}
    for k in ("user", "password"):
        v = b.get(k)
        if v is not None and not short_str(v):
            raise _bad("broker %s must be a short string" % k)
        out[k] = v
    ca = b.get("ca")
    if ca is not None:
        from binascii import unhexlify

        try:
            ca = unhexlify(ca) if isinstance(ca, str) else ca
        except ValueError:
            raise _bad("broker ca must be hex DER")
        if not isinstance(ca, bytes) or not 0 < len(ca) <= 4096:
            raise _bad("broker ca must be 1..4096 bytes of DER")
    out["ca"] = ca
    return out
