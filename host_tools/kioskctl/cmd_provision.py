"""kioskctl provision setup|info|set|reset: provision a kiosk over USB serial.

First setup (an unprovisioned kiosk only) sends device id, venue, policy,
admin and operator public keys, trust bundle, venue secret, clock and Wi-Fi.
Every later change is a command signed with the admin private key and
numbered (the kiosk refuses a counter it has seen). Secrets are write-only.
"""

import json
import sys

from kioskctl.errors import KioskError, UsageError
from kioskctl.timeutil import parse_instant as parse_time

from kioskctl.fw import LANGS, VENUE_TYPES  # the firmware's own choices (kiosk.config.schema, kiosk.policy)


def register(sub):
    p = sub.add_parser("provision", help="first setup and admin-signed changes over USB serial")
    ps = p.add_subparsers(dest="prov_cmd", metavar="ACTION")
    ps.required = True

    s = ps.add_parser("setup", help="first setup of an unprovisioned kiosk")
    _port(s)
    s.add_argument("--device-id", required=True)
    s.add_argument("--venue-id", required=True)
    s.add_argument("--venue-name", required=True)
    s.add_argument("--venue-type", default="general", choices=VENUE_TYPES,
                   help="venue type: %s (default general)" % ", ".join(VENUE_TYPES))
    s.add_argument("--lang", choices=LANGS, help="screen language: %s (default: the policy's, zh+en)" % ", ".join(LANGS))
    s.add_argument("--policy", metavar="JSON_FILE", help="venue policy (default: the venue type's defaults)")
    s.add_argument("--admin-pub", required=True, metavar="PEM", help="admin public key: signs every later change")
    s.add_argument("--operator-pub", required=True, metavar="PEM", help="operator public key: signs trust bundles and revocation lists")
    s.add_argument("--collector-pub", action="append", default=[], metavar="PEM",
                   help="collector public key that may acknowledge (delete) pulled records; repeatable, up to 8")
    s.add_argument("--bundle", metavar="KTB", help="signed trust bundle (kioskctl trust bundle)")
    s.add_argument("--secret-file", required=True, metavar="FILE", help="venue secret, 16..64 bytes")
    s.add_argument("--clock", default="now", help="ISO 8601 time or 'now' (default)")
    s.add_argument("--wifi-ssid")
    s.add_argument("--wifi-pass-file", metavar="FILE")
    _broker_args(s)
    s.set_defaults(func=cmd_setup)

    i = ps.add_parser("info", help="show what the kiosk reports (never secrets)")
    _port(i)
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)

    c = ps.add_parser("set", help="change a provisioned kiosk with an admin-signed command")
    _port(c)
    c.add_argument("--admin-key", required=True, metavar="PEM", help="admin private key")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--venue", nargs=3, metavar=("ID", "NAME", "TYPE"), help="TYPE: %s" % ", ".join(VENUE_TYPES))
    g.add_argument("--policy", metavar="JSON_FILE")
    g.add_argument("--secret-file", metavar="FILE")
    g.add_argument("--wifi", nargs=2, metavar=("SSID", "PASS_FILE"))
    g.add_argument("--broker", metavar="mqtt[s]://HOST:PORT", help="the uplink's broker (with --broker-user/--broker-pass/--broker-ca)")
    c.add_argument("--broker-user")
    c.add_argument("--broker-pass", metavar="FILE", help="file holding the kiosk's MQTT password (never read back)")
    c.add_argument("--broker-ca", metavar="PEM", help="CA certificate the kiosk checks an mqtts broker by")
    g.add_argument("--clock", metavar="ISO|now")
    g.add_argument("--new-admin-pub", metavar="PEM")
    g.add_argument("--new-operator-pub", metavar="PEM")
    g.add_argument("--collectors", nargs="*", metavar="PEM", help="replace the collector keys (none: remove them all)")
    g.add_argument("--resume", action="store_true", help="leave safe mode: clear the crash streak and restart the kiosk")
    c.add_argument("--back", action="store_true", help="with --clock: allow setting the clock before the last scan")
    c.set_defaults(func=cmd_set)

    r = ps.add_parser("reset", help="full reset (hold the kiosk's reset button while this runs)")
    _port(r)
    r.add_argument("--abandon-logs", action="store_true", help="wipe scan records that were not pulled")
    r.set_defaults(func=cmd_reset)


def _port(p):
    p.add_argument("--port", help="serial port (default: find the kiosk by USB id)")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per request (default 5)")


def client(args):
    from kioskctl.progress import status
    from kioskctl.provision import connect

    return connect(args.port, args.baud, args.timeout, notify=status)


def read_file(path, limit=1 << 24):
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise KioskError("cannot read %s: %s" % (path, exc))
    if len(data) > limit:
        raise KioskError("%s is too large" % path)
    return data


def _policy(path, venue_type):
    if not path:
        return {"venue_type": venue_type}
    try:
        return json.loads(read_file(path, 16384))
    except ValueError as exc:
        raise KioskError("%s: not JSON: %s" % (path, exc))


def _secret(path):
    s = read_file(path, 4096).strip()
    if not 16 <= len(s) <= 64:
        raise KioskError("venue secret must be 16..64 bytes, %s has %d" % (path, len(s)))
    return s


def _broker_args(s):
    s.add_argument("--broker", metavar="mqtt[s]://HOST:PORT", help="the Wi-Fi uplink's MQTT broker")
    s.add_argument("--broker-user", help="the kiosk's MQTT user (default: the device id)")
    s.add_argument("--broker-pass", metavar="FILE", help="file holding the kiosk's MQTT password (never read back)")
    s.add_argument("--broker-ca", metavar="PEM", help="CA certificate the kiosk checks an mqtts broker by")


def _broker(args, device_id=None):
    """broker.json settings from --broker*, checked here before the port opens."""
    if not args.broker:
        if args.broker_user or args.broker_pass or args.broker_ca:
            raise UsageError("--broker-user, --broker-pass and --broker-ca need --broker URL")
        return None
    from kioskctl.fw import schema

    b = {"url": args.broker, "user": args.broker_user or device_id,
         "password": _wifi_pass(args.broker_pass) if args.broker_pass else None, "ca": None}
    if args.broker_ca:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        try:
            cert = x509.load_pem_x509_certificate(read_file(args.broker_ca, 65536))
        except ValueError as exc:
            raise KioskError("%s is not a PEM certificate: %s" % (args.broker_ca, exc))
        b["ca"] = cert.public_bytes(serialization.Encoding.DER)
    elif args.broker.startswith("mqtts://"):
        raise UsageError("mqtts:// needs --broker-ca (the CA the kiosk checks the broker's certificate by)")
    try:
        schema.check_broker(b)
    except Exception as exc:  # the firmware's ConfigError: the same verdict the kiosk would give
        raise UsageError(getattr(exc, "msg", str(exc)))
    return b
def _collectors(paths):
    from kioskctl import bundle

    if len(paths) > 8:
        raise KioskError("at most 8 collector keys, %d given" % len(paths))
    return [bundle.load_public_point(p) for p in paths]


def _wifi_pass(path):
    return read_file(path, 256).decode("utf-8").strip()


def cmd_setup(args):
    from kioskctl import bundle

    wifi = None
    if args.wifi_ssid:
        wifi = {"ssid": args.wifi_ssid, "password": _wifi_pass(args.wifi_pass_file) if args.wifi_pass_file else ""}
    data = read_file(args.bundle) if args.bundle else None
    if data is not None:
        h, _, ok = bundle.parse_signed(data, bundle.MAGIC, bundle.load_public_point(args.operator_pub))
        if not ok:
            raise KioskError("%s is not signed by the operator key %s" % (args.bundle, args.operator_pub))
    from kioskctl.progress import Upload

    setup = dict(  # every input checked before the port is opened
        device_id=args.device_id,
        venue={"id": args.venue_id, "name": args.venue_name, "type": args.venue_type},
        policy=_policy(args.policy, args.venue_type),
        admin=bundle.load_public_point(args.admin_pub),
        operator=bundle.load_public_point(args.operator_pub),
        collectors=_collectors(args.collector_pub),
        secret=_secret(args.secret_file),
        clock=parse_time(args.clock),
        bundle_data=data,
        wifi=wifi,
        lang=args.lang,
        broker=_broker(args, args.device_id),
    )
    kiosk = client(args)
    with Upload(len(data or b""), "bundle") as bar:
        r = kiosk.setup(progress=bar, **setup)
    print("provisioned %s" % r["device_id"], file=sys.stderr)
    return 0


def cmd_info(args):
    from kioskctl.timeutil import iso

    info = client(args).info()
    info.pop("ok", None)
    if args.json:
        print(json.dumps(info, sort_keys=True, default=str))
        return 0
    b = info.get("bundle") or {}
    v = info.get("venue") or {}

    def show(x):
        return "-" if x is None or x == "" else x

    def when(t):
        return iso(t) if t else "-"  # 0: never

    print("device     %s (%s), command counter %d" % (show(info.get("device_id")), "provisioned" if info.get("provisioned") else "NOT provisioned", info.get("ctr") or 0))
    if info.get("damaged"):
        print("DAMAGED    %s" % info["damaged"])
    if info.get("safe_mode"):
        print("SAFE MODE  last crash: %s (fix, then `kioskctl provision set --resume`)" % info["safe_mode"])
    print("venue      %s %s (%s)" % (show(v.get("id")), show(v.get("name")), show(v.get("type"))))
    print("admin key  %s   operator key %s" % (show(info.get("admin_kid")), show(info.get("operator_kid"))))
    print("collectors %s" % (", ".join(info.get("collector_kids") or []) or "none (only the admin key acknowledges records)"))
    if b.get("exp") is not None:
        print("trust      bundle seq %s, %s, expires %s, grace %.1f h" % (
            b.get("seq"), b.get("status"), when(b.get("exp")), (b.get("grace") or 0) / 3600.0))
    else:
        print("trust      %s" % ("bundle %s: %s" % (b.get("status"), b.get("msg", "")) if b else "no bundle installed"))
    print("revocation %s" % ("list seq %d" % info["rev_seq"] if info.get("rev_seq") else "no list installed"))
    print("clock      %s (%s), last scan %s" % (when(info.get("clock")) if info.get("clock") else "unset", show(info.get("clock_status")), when(info.get("clock_floor"))))
    sealed = {"device_key": "sealed with the device key", "none": "NOT protected: this board has no device key"}
    print("secret     %s   wifi %s (password %s)%s" % (
        "set" if info.get("secret_set") else "NOT set", info.get("wifi_ssid") or "-",
        "set" if info.get("wifi_password_set") else "not set",
        "   secrets %s" % sealed.get(info.get("secret_protection"), "?") if info.get("secret_set") else ""))
    if info.get("broker_url"):
        print("uplink     %s as %s (password %s): %s" % (info["broker_url"], show(info.get("broker_user")), "set" if info.get("broker_password_set") else "not set", show(info.get("uplink"))))
    return 0


def cmd_set(args):
    from kioskctl import bundle

    key = bundle.load_private_key(args.admin_key)
    if args.venue:
        op, a = "venue", {"venue": {"id": args.venue[0], "name": args.venue[1], "type": args.venue[2]}}
    elif args.policy:
        op, a = "policy", {"policy": _policy(args.policy, None)}
    elif args.secret_file:
        op, a = "secret", {"secret": _secret(args.secret_file)}
    elif args.wifi:
        op, a = "wifi", {"ssid": args.wifi[0], "password": _wifi_pass(args.wifi[1])}
    elif args.broker:
        op, a = "broker", _broker(args, None)
    elif args.clock:
        op, a = "clock", {"time": parse_time(args.clock), "back": bool(args.back)}
    elif args.collectors is not None:
        op, a = "collectors", {"collectors": _collectors(args.collectors)}
    elif args.resume:
        op, a = "resume", {}
    elif args.new_admin_pub:
        op, a = "admin", {"admin": bundle.load_public_point(args.new_admin_pub)}
    else:
        op, a = "operator", {"operator": bundle.load_public_point(args.new_operator_pub)}
    r = client(args).command(key, op, a)
    print("%s accepted (counter %d)" % (op, r["ctr"]), file=sys.stderr)
    return 0


def cmd_reset(args):
    r = client(args).reset(args.abandon_logs)
    print("kiosk reset%s" % (" (%d unpulled records abandoned)" % r["abandoned"] if r.get("abandoned") else ""), file=sys.stderr)
    return 0
