"""kioskctl trust build|inspect: the kiosk's store of issuer keys."""

import os
import sys

from kioskctl.errors import KioskError


def register(sub):
    p = sub.add_parser("trust", help="build and inspect trust stores (issuer keys)")
    ts = p.add_subparsers(dest="trust_cmd", metavar="ACTION")
    ts.required = True
    b = ts.add_parser("build", help="build a trust store from signer certificates and public keys")
    b.add_argument("--cert", nargs="+", default=[], metavar="FILE", help="X.509 signer certificates (DER, PEM or base64 DER)")
    b.add_argument("--key", nargs="+", default=[], metavar="FILE", help="issuer public (or private) keys, PEM")
    b.add_argument("-o", "--out", required=True, metavar="FILE")
    b.add_argument("--no-tables", action="store_true", help="omit precomputed ES256 tables (smaller, slower verify)")
    b.set_defaults(func=cmd_build)
    i = ts.add_parser("inspect", help="list the keys in a trust store")
    i.add_argument("store")
    i.set_defaults(func=cmd_inspect)


def cmd_build(args):
    from kioskctl import trust

    if not args.cert and not args.key:
        raise KioskError("give at least one --cert or --key")
    entries, seen = [], set()
    for path, is_cert in [(p, True) for p in args.cert] + [(p, False) for p in args.key]:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise KioskError("cannot read %s: %s" % (path, exc))
        label = os.path.basename(path)
        if is_cert:
            entry = trust.entries_from_cert(data, tables=not args.no_tables)
        else:
            entry = trust.entries_from_key_pem(data, label, tables=not args.no_tables)
        if entry is None:
            print("warning: %s: unsupported key type (ES256 P-256 and RSA 2048-4096 only), skipped" % path, file=sys.stderr)
            continue
        ident = (entry["kid"], repr(entry["pub"]))
        if ident in seen:
            continue
        seen.add(ident)
        entries.append(entry)
    data = trust.build(entries)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, args.out)
    print("trust store %s: %d keys, %d bytes" % (args.out, len(entries), len(data)), file=sys.stderr)
    return 0


def cmd_inspect(args):
    from kioskctl import trust
    from kioskctl.timeutil import iso

    with open(args.store, "rb") as f:
        store = trust.load(f.read())
    print("trust store v%d, built %s, %d keys" % (store["v"], iso(store.get("iat")), len(store["keys"])))
    for i, k in enumerate(store["keys"]):
        alg = {trust.ALG_ES256: "ES256", trust.ALG_PS256: "PS256"}.get(k["alg"], str(k["alg"]))
        print("%3d  kid %s  %s  %s .. %s  table %s  %s" % (
            i, k["kid"].hex(), alg, iso(k.get("nbf")) or "-", iso(k.get("exp")) or "-",
            "%dB" % len(k["tab"]) if k.get("tab") else "-", k.get("label", "")))
    return 0
