"""kioskctl broker config: a Mosquitto configuration for a kiosk fleet.

    kioskctl broker config --kiosk K-0001:V-12 --kiosk K-0002:V-12 --port 8883 \
        --cafile ca.pem --certfile server.pem --keyfile server.key -o /etc/mosquitto/conf.d/kiosk

Prints (or writes) mosquitto.conf lines and the ACL of docs/uplink.md: one
user per kiosk (user name = device id), `collector` and `operator`; a kiosk
publishes only kiosk/<its id>/records|status and venue/<its venue>/used and
reads its own ack and fleet/trust/#; only collector and operator publish
acks; only operator publishes fleet/trust/#. Passwords are set with
`mosquitto_passwd` (never written by this command).
"""

import os

from kioskctl.errors import UsageError


def acl_text(kiosks):
    """Mosquitto ACL for [(device id, venue id)]."""
    lines = ["# kioskctl broker config: kiosk fleet ACL", "",
             "user collector", "topic read kiosk/+/records", "topic read kiosk/+/status",
             "topic write kiosk/+/ack", "topic read venue/+/used", "",
             "user operator", "topic readwrite fleet/trust/#", "topic write kiosk/+/ack",
             "topic read kiosk/+/status", ""]
    for dev, venue in kiosks:
        lines += ["user " + dev, "topic write kiosk/%s/records" % dev, "topic write kiosk/%s/status" % dev,
                  "topic read kiosk/%s/ack" % dev, "topic read fleet/trust/#",
                  "topic readwrite venue/%s/used" % venue, ""]
    return "\n".join(lines)


def _kiosk(spec):
    dev, sep, venue = spec.partition(":")
    bad = set("+#/ \t\n")
    if not sep or not dev or not venue or bad & set(spec):
        raise UsageError("--kiosk takes DEVICE_ID:VENUE_ID without '/', '+', '#' or spaces, not %r" % spec)
    return dev, venue


def register(sub):
    p = sub.add_parser("broker", help="broker side of the Wi-Fi uplink")
    bs = p.add_subparsers(dest="broker_cmd", required=True)
    c = bs.add_parser("config", help="print a Mosquitto config with per-kiosk users and the fleet ACL")
    c.add_argument("--kiosk", action="append", default=[], metavar="DEV:VENUE", help="a kiosk and its venue (repeat)")
    c.add_argument("--port", type=int, default=1883)
    c.add_argument("--bind", default="0.0.0.0")
    c.add_argument("--cafile")
    c.add_argument("--certfile")
    c.add_argument("--keyfile")
    c.add_argument("--dir", default="/etc/mosquitto/kiosk", help="where the passwd and acl files live")
    c.add_argument("-o", "--out", help="write <out>.conf and <out>.acl instead of printing")
    c.set_defaults(func=run)


def run(args):
    kiosks = [_kiosk(k) for k in args.kiosk]
    tls = [args.cafile, args.certfile, args.keyfile]
    if any(tls) and not all(tls):
        raise UsageError("TLS needs --cafile, --certfile and --keyfile together")
    acl_path = os.path.join(args.dir, "acl")
    conf = ["listener %d %s" % (args.port, args.bind), "allow_anonymous false",
            "password_file " + os.path.join(args.dir, "passwd"), "acl_file " + acl_path,
            "persistence true", "max_queued_messages 100000"]
    if all(tls):
        conf += ["cafile " + args.cafile, "certfile " + args.certfile, "keyfile " + args.keyfile,
                 "tls_version tlsv1.2"]
    conf_text = "\n".join(conf) + "\n"
    acl = acl_text(kiosks) + "\n"
    if args.out:
        for ext, text in ((".conf", conf_text), (".acl", acl)):
            with open(args.out + ext, "w") as f:
                f.write(text)
        print("wrote %s.conf and %s.acl (%d kiosks); set passwords with mosquitto_passwd" % (args.out, args.out, len(kiosks)))
    else:
        print("# mosquitto.conf\n" + conf_text + "\n# " + acl_path + "\n" + acl, end="")
    return 0
