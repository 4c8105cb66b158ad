"""kioskctl sim verify: the firmware verifier on the MicroPython unix port."""

import json
import os
import sys

from kioskctl.errors import KioskError, UsageError


def register(sim):
    p = sim.add_parser("verify", help="verify payloads with the firmware verifier (one JSON line each)")
    p.add_argument("--trust", required=True, help="trust store (kioskctl trust build)")
    p.add_argument("--policy", help="venue policy JSON (default: general venue)")
    p.add_argument("--at", help="verification time, ISO 8601 (default now)")
    p.add_argument("--revoked", metavar="KRV", help="revocation list (kioskctl trust revoke); needs --operator-pub")
    p.add_argument("--operator-pub", metavar="PEM", help="the operator key that signed --revoked")
    p.add_argument("--jsonl", action="store_true", help='read {"payload": ..., "at": ...} lines from stdin')
    p.add_argument("payloads", nargs="*", metavar="PAYLOAD")
    p.set_defaults(func=cmd_verify)


def verify_batch(trust, requests, policy=None, revoked=None, operator_point=None):
    """Run the firmware verifier over [(payload, at_unix_or_None)] in one process
    (with the revocation list `revoked`, signed by `operator_point` SEC1 bytes)."""
    from kioskctl import mp, paths

    from kioskctl import inputs
    from kioskctl.trust import read_store

    read_store(trust)
    if policy:
        inputs.json_map(policy, "policy")
    script = os.path.join(paths.BOARD, "sim", "run_verify.py")
    lines = "".join(json.dumps({"payload": p, "at": at}) + "\n" for p, at in requests)
    argv = [trust, policy or "-"]
    if revoked:
        argv += [revoked, bytes(operator_point).hex()]
    proc = mp.run(script, argv, input=lines.encode())
    out = [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]
    if len(out) != len(requests):
        raise KioskError("verifier answered %d of %d payloads" % (len(out), len(requests)))
    return out


def cmd_verify(args):
    from kioskctl.timeutil import parse_instant

    default_at = parse_instant(args.at) if args.at else parse_instant("now")
    requests = [(p, default_at) for p in args.payloads]
    if args.jsonl:
        for n, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                at = req.get("at")
                requests.append((req["payload"], parse_instant(str(at)) if at is not None else default_at))
            except (ValueError, KeyError, AttributeError):
                raise UsageError("stdin line %d: expected {\"payload\": ..., \"at\": ...}" % n)
    if not requests:
        raise UsageError("no payloads (give PAYLOAD arguments or --jsonl)")
    point = None
    if args.revoked:
        if not args.operator_pub:
            raise UsageError("--revoked needs --operator-pub")
        from kioskctl import bundle

        point = bundle.load_public_point(args.operator_pub)
    for res in verify_batch(args.trust, requests, args.policy, args.revoked, point):
        print(json.dumps(res, ensure_ascii=False))
    return 0
