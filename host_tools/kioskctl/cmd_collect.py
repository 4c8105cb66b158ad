"""kioskctl collect: the fleet collector (kiosks -> MQTT -> SQLite or PostgreSQL; see kioskctl.collect)."""

import signal
import sys
import threading


def register(sub):
    p = sub.add_parser("collect", help="store scan records that kiosks publish over MQTT, then acknowledge them")
    p.add_argument("--broker", required=True, help="mqtt://HOST:PORT or mqtts://HOST:PORT")
    p.add_argument("--user", help="broker user (the fleet's `collector`)")
    p.add_argument("--password", help="broker password")
    p.add_argument("--cafile", help="CA certificate of an mqtts:// broker")
    p.add_argument("--db", required=True, help="sqlite:///scans.db (or a path) or postgresql://...")
    p.add_argument("--ack-key", help="collector private key (PEM) that signs the ACKs; without it records are "
                   "stored and nothing is acknowledged")
    p.add_argument("--workers", type=int, default=2, help="worker processes, one MQTT client each in the shared subscription (default 2)")
    p.add_argument("--client-id", default="kioskctl-collect", help="client id prefix (one per collector machine)")
    p.set_defaults(func=cmd_collect)


def cmd_collect(args):
    from kioskctl.collect import Collector

    key = None
    if args.ack_key:
        from kioskctl.ackauth import load_key

        key = load_key(args.ack_key)
    else:
        print("collect: no --ack-key: records are stored, nothing is acknowledged (the kiosks keep them)",
              file=sys.stderr)
    c = Collector(args.broker, args.db, ack_key=key, workers=args.workers, user=args.user,
                  password=args.password, cafile=args.cafile, client_id=args.client_id)
    stop = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: stop.set())
    print("collect: %d workers on %s into %s" % (len(c.workers), args.broker, args.db), file=sys.stderr, flush=True)
    return c.run(stop)
