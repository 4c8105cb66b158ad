"""kioskctl trust build|bundle|revoke|dcc-hashes|inspect|push: issuer keys, signed bundles,
revocation lists (docs/trust-store.md, docs/provisioning.md)."""

import os
import sys
import time

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
    b.add_argument("--small-tables", action="store_true",
                   help="16 KB tables instead of 65 KB (for long signer lists; a little slower verify)")
    b.add_argument("--partition", default="2M", metavar="SIZE",
                   help="the kiosk's data partition (default 2M): the tables are sized so that the bundle "
                        "installs and updates there with --records of room left")
    b.add_argument("--records", type=int, default=20000, help="scan records that must still fit (default 20000)")
    b.add_argument("--table-budget", type=int, metavar="BYTES",
                   help="bytes of precomputed tables (default: what fits); native --key issuers first, "
                        "then --cert signers in the order given")
    b.set_defaults(func=cmd_build)
    i = ts.add_parser("inspect", help="show a trust store, bundle, revocation list or delta")
    i.add_argument("store")
    i.add_argument("--operator-pub", metavar="PEM", help="check the operator signature")
    i.add_argument("--at", help="evaluate bundle validity at this ISO time (default now)")
    i.set_defaults(func=cmd_inspect)
    g = ts.add_parser("bundle", help="sign a trust store into a bundle with a lifetime (operator key)")
    g.add_argument("--store", required=True, metavar="KTS", help="trust store from `trust build`")
    g.add_argument("--key", required=True, metavar="PEM", help="operator private key")
    g.add_argument("--seq", required=True, type=int, help="sequence number, above every earlier bundle")
    g.add_argument("--valid-hours", type=float, default=48.0, help="lifetime before expiry (default 48)")
    g.add_argument("--grace-hours", type=float, default=72.0, help="grace period after expiry (default 72)")
    g.add_argument("-o", "--out", required=True, metavar="FILE")
    g.set_defaults(func=cmd_bundle)
    r = ts.add_parser("revoke", help="build a signed revocation list (and a delta from --base)")
    r.add_argument("--key", required=True, metavar="PEM", help="operator private key")
    r.add_argument("--seq", required=True, type=int)
    r.add_argument("--base", metavar="KRV", help="previous list: its entries are kept, and --delta is made from it")
    r.add_argument("--add", nargs="+", default=[], metavar="FILE", help="files of 'KID_HEX CTI_HEX' or 'KID_HEX sha256:HASH_HEX' lines to revoke")
    r.add_argument("--remove", nargs="+", default=[], metavar="FILE", help="files of lines as for --add, to un-revoke")
    r.add_argument("--width", type=int, default=5, help="hash bytes per entry, 4..8 (default 5)")
    r.add_argument("-o", "--out", required=True, metavar="FILE", help="the full list")
    r.add_argument("--delta", metavar="FILE", help="also write the incremental update from --base")
    r.set_defaults(func=cmd_revoke)
    d = ts.add_parser("dcc-hashes", help="EU revocation hashes (UCI, country+UCI, signature) of DCC payloads")
    d.add_argument("payloads", nargs="+", metavar="HC1")
    d.set_defaults(func=cmd_dcc_hashes)
    u = ts.add_parser("push", help="send a bundle or revocation list/delta to a kiosk (admin-signed)")
    u.add_argument("file", help="a .ktb bundle, .krv list or .krd delta")
    u.add_argument("--admin-key", required=True, metavar="PEM")
    u.add_argument("--port")
    u.add_argument("--baud", type=int, default=115200)
    u.add_argument("--timeout", type=float, default=5.0)
    u.set_defaults(func=cmd_push)
    from kioskctl import publish

    publish.register(ts)  # trust publish: the same files to the fleet over MQTT


def cmd_build(args):
    from kioskctl import trust
    from kioskctl.sim_run import flash_blocks
    from kioskctl.timeutil import iso

    if not args.cert and not args.key:
        raise KioskError("give at least one --cert or --key")
    entries, seen, native, expired = [], {}, set(), 0
    for path, is_cert in [(p, True) for p in args.cert] + [(p, False) for p in args.key]:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise KioskError("cannot read %s: %s" % (path, exc))
        label = os.path.basename(path)
        if is_cert:
            entry = trust.entries_from_cert(data, tables=False)
        else:
            entry = trust.entries_from_key_pem(data, label, tables=False)
        if entry is None:
            print("warning: %s: unsupported key type (ES256 P-256 and RSA 2048-4096 only), skipped" % path, file=sys.stderr)
            continue
        ident = (entry["kid"], repr(entry["pub"]))
        if ident in seen:
            print("warning: %s: the same key as %s (kid %s), skipped" % (path, seen[ident], entry["kid"].hex()), file=sys.stderr)
            continue
        if entry.get("exp") is not None and entry["exp"] < time.time():
            expired += 1
            print("warning: %s: certificate expired %s; kept, but the kiosk answers 'expired' for the codes it signed" % (
                path, iso(entry["exp"])), file=sys.stderr)
        seen[ident] = path
        if not is_cert:
            native.add(len(entries))
        entries.append(entry)
    partition = flash_blocks(args.partition) * trust.BLOCK
    room = trust.bundle_room(partition, args.records)
    bare = len(trust.build(entries)) + 16 * len(entries)  # the header with table references
    if args.no_tables:
        budget = 0
    elif args.table_budget is not None:
        budget = args.table_budget
    else:
        budget = max(0, room - bare)
    big, small, without = trust.plan_tables(entries, budget, native, args.small_tables)
    data = trust.build(entries)
    _write(args.out, data)
    print("trust store %s: %d keys, %d bytes; tables: %d x 65 KB, %d x 16 KB, %d ES256 keys without "
          "(each verifies ~5x slower: 45 M instead of 9 M instructions on the 32-bit board; docs/trust-store.md)" % (args.out, len(entries), len(data), big, small, without),
          file=sys.stderr)
    verdict = "fits" if len(data) <= room else "DOES NOT FIT"
    print("%s: a bundle of up to %d bytes installs and updates (old and new side by side) on a %d KB data partition "
          "with room for %d scan records" % (verdict, room, partition // 1024, args.records), file=sys.stderr)
    if len(data) > room:
        print("warning: %s is %d bytes over: use fewer keys, --table-budget or --no-tables" % (
            args.out, len(data) - room), file=sys.stderr)
    if expired:
        print("warning: %d expired certificate(s) kept" % expired, file=sys.stderr)
    return 0


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise KioskError("cannot read %s: %s" % (path, exc.strerror or exc))


def _write(path, data):
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise KioskError("cannot write %s: %s" % (path, exc.strerror or exc))


def cmd_bundle(args):
    from kioskctl import bundle

    key = bundle.load_private_key(args.key)
    data = bundle.build(_read(args.store), key, args.seq, int(args.valid_hours * 3600), int(args.grace_hours * 3600))
    _write(args.out, data)
    print("bundle %s: seq %d, %d bytes" % (args.out, args.seq, len(data)), file=sys.stderr)
    return 0


def _items(paths):
    """(kid, cti, digest) from lines 'KID_HEX CTI_HEX' or 'KID_HEX sha256:HASH_HEX'
    (an EU revocation hash, e.g. from `trust dcc-hashes` or the EU gateway)."""
    out = []
    for path in paths:
        for n, line in enumerate(_read(path).decode("utf-8", "replace").splitlines(), 1):
            line = line.split("#")[0].strip()
            if not line:
                continue
            try:
                kid, ident = line.split()
                if ident.startswith("sha256:"):
                    out.append((bytes.fromhex(kid), None, bytes.fromhex(ident[7:])))
                else:
                    out.append((bytes.fromhex(kid), bytes.fromhex(ident), None))
            except ValueError:
                raise KioskError("%s:%d: expected 'KID_HEX CTI_HEX' or 'KID_HEX sha256:HASH_HEX'" % (path, n))
    return out


def cmd_revoke(args):
    from kioskctl import bundle, revocation

    key = bundle.load_private_key(args.key)
    w = args.width
    base = _read(args.base) if args.base else None
    parts = {}
    if base is not None:
        h, parts, _ = revocation.parse(base)
        w = h["w"]
    elif args.delta:
        raise KioskError("--delta needs --base")
    if not 4 <= w <= 8:
        raise KioskError("--width must be 4..8")
    parts = {k: set(v) for k, v in parts.items()}
    for kid, e in revocation.parts_from_ids(_items(args.add), w).items():
        parts.setdefault(kid, set()).update(e)
    for kid, e in revocation.parts_from_ids(_items(args.remove), w).items():
        parts.get(kid, set()).difference_update(e)
    if base is not None:
        dlt, full = revocation.delta(base, parts, key, args.seq)
        if args.delta:
            _write(args.delta, dlt)
    else:
        full = revocation.build(parts, key, args.seq, w)
    _write(args.out, full)
    n = sum(len(v) for v in parts.values())
    print("revocation list %s: seq %d, %d entries, %d bytes" % (args.out, args.seq, n, len(full)), file=sys.stderr)
    return 0


def cmd_dcc_hashes(args):
    """One 'KID_HEX sha256:HASH  # KIND' line per hash kind: input for `trust revoke --add`."""
    from kioskctl import revocation

    for payload in args.payloads:
        kid, hashes = revocation.dcc_hashes(payload)
        for kind in revocation.EU_HASH_KINDS:
            print("%s sha256:%s  # %s" % (kid.hex(), hashes[kind].hex(), kind))
    return 0


def _refuse_expired(path, data):
    """A bundle past its grace period would be refused by the kiosk: say so here."""
    from kioskctl import bundle
    from kioskctl.timeutil import iso

    h, _, _ = bundle.parse_signed(data, bundle.MAGIC)
    if bundle.status(h, time.time()) == "expired":
        raise KioskError("%s expired: its grace period ended %s; the kiosk refuses it (seq %d). "
                         "Sign a new bundle with `kioskctl trust bundle` (docs/trust-store.md)" % (
                             path, iso(h["exp"] + h.get("grace", 0)), h["seq"]))


def cmd_push(args):
    from kioskctl import bundle, provision

    data = _read(args.file)
    magic = data[:4]
    op = {b"KTB1": "trust", b"KRV1": "revoke", b"KRD1": "revoke"}.get(magic)
    if op is None:
        raise KioskError("%s is not a bundle, revocation list or delta" % args.file)
    if op == "trust":
        _refuse_expired(args.file, data)
    from kioskctl.progress import Upload, status

    key = bundle.load_private_key(args.admin_key)
    kiosk = provision.connect(args.port, args.baud, args.timeout, notify=status)
    with Upload(len(data), os.path.basename(args.file)) as bar:
        r = provision.push(kiosk, key, op, data, progress=bar)
    print("%s accepted (counter %d)" % (args.file, r["ctr"]), file=sys.stderr)
    return 0


def _inspect_signed(args, data):
    from kioskctl import bundle, revocation, trust
    from kioskctl.timeutil import iso

    point = bundle.load_public_point(args.operator_pub) if args.operator_pub else None
    sig = lambda ok: "" if ok is None else ("  signature OK" if ok else "  SIGNATURE OR HASH BAD")
    if data[:4] == revocation.DELTA_MAGIC:
        d, h = revocation.parse_delta(data)
        na = sum(len(x[1]) for x in d.get("add", [])) // h["w"]
        nd = sum(len(x[1]) for x in d.get("del", [])) // h["w"]
        print("revocation delta: seq %d -> %d, +%d -%d entries, result %d entries in %d kids" % (d["base"], h["seq"], na, nd, h["n"], h["k"]))
        return 0
    if data[:4] == revocation.MAGIC:
        h, parts, ok = revocation.parse(data, point)
        print("revocation list seq %d, issued %s, %d entries in %d kids, %d-byte hashes, %d bytes%s" % (
            h["seq"], iso(h["iat"]), h["n"], h["k"], h["w"], len(data), sig(ok)))
        for kid in sorted(parts):
            print("  kid %s  %d revoked" % (kid.hex(), len(parts[kid])))
        return 0
    h, body, ok = bundle.parse_signed(data, bundle.MAGIC, point)
    from kioskctl.timeutil import parse_instant

    now = parse_instant(args.at or "now")
    print("trust bundle seq %d, issued %s, expires %s, grace %.1f h: %s at %s%s" % (
        h["seq"], iso(h["iat"]), iso(h["exp"]), h.get("grace", 0) / 3600.0, bundle.status(h, now).upper(), iso(now), sig(ok)))
    return _inspect_store(trust.load(body))


def cmd_inspect(args):
    from kioskctl import trust

    data = _read(args.store)
    if data[:4] in (b"KTB1", b"KRV1", b"KRD1"):
        return _inspect_signed(args, data)
    return _inspect_store(trust.load(data))


def _inspect_store(store):
    from kioskctl import trust
    from kioskctl.timeutil import iso

    print("trust store v%d, built %s, %d keys" % (store["v"], iso(store.get("iat")), len(store["keys"])))
    for i, k in enumerate(store["keys"]):
        alg = {trust.ALG_ES256: "ES256", trust.ALG_PS256: "PS256"}.get(k["alg"], str(k["alg"]))
        print("%3d  kid %s  %s  %s .. %s  table %s  %s" % (
            i, k["kid"].hex(), alg, iso(k.get("nbf")) or "-", iso(k.get("exp")) or "-",
            "%dB" % len(k["tab"]) if k.get("tab") else "-", k.get("label", "")))
    return 0
