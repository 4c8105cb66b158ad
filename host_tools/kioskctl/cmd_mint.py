"""kioskctl mint: make a signed native health-code token (HC1 string + QR PNG)."""

from kioskctl.errors import UsageError


def register(sub):
    p = sub.add_parser("mint", help="mint a signed native health-code token (test issuer)")
    p.add_argument("--key", required=True, help="issuer private key PEM (kioskctl keys gen)")
    p.add_argument("--colour", "--color", required=True, choices=["green", "yellow", "red"])
    p.add_argument("--name", required=True, help='masked name shown on the kiosk, e.g. "张*玲"')
    p.add_argument("--holder", required=True, help="opaque holder id (the kiosk stores only an HMAC pseudonym)")
    p.add_argument("--iss", default="CN-TEST", help="issuer name (claim 1)")
    p.add_argument("--from", dest="start", default="now", help="issued at / valid from (ISO 8601, default now)")
    p.add_argument("--valid", default="7d", help="validity after --from (e.g. 24h, 7d, 14d)")
    p.add_argument("--nbf", help="not valid before (ISO 8601), optional")
    p.add_argument("--travel", metavar="START/HOURS", help="yellow-code travel window: START (ISO 8601) / length in hours (1-24)")
    p.add_argument("--dependant", action="store_true", help="issued for a dependant (registered by a relative)")
    p.add_argument("--cti", help="token id as hex (default random 16 bytes)")
    p.add_argument("--qr", metavar="PNG", help="also write the QR code as a PNG")
    p.add_argument("-o", "--out", metavar="FILE", help="also write the HC1 string to FILE")
    p.set_defaults(func=cmd_mint)


def parse_travel(text):
    from kioskctl.timeutil import parse_instant

    try:
        start_text, hours_text = text.rsplit("/", 1)
        hours = float(hours_text)
    except ValueError:
        raise UsageError("--travel takes START/HOURS, e.g. 2026-11-22T08:00Z/12")
    if not 1 <= hours <= 24:
        raise UsageError("a travel window lasts 1 to 24 hours")
    start = parse_instant(start_text)
    return start, start + int(hours * 3600)


def cmd_mint(args):
    from kioskctl import mint
    from kioskctl.keys import load_signing_key
    from kioskctl.timeutil import parse_duration, parse_instant

    if not args.name.strip():
        raise UsageError("--name must not be empty (the masked name the kiosk shows)")
    if not args.holder.strip():
        raise UsageError("--holder must not be empty (the kiosk stores its pseudonym)")
    try:
        cti = bytes.fromhex(args.cti) if args.cti else None
    except ValueError:
        raise UsageError("--cti takes the token id as hex, e.g. 0123456789abcdef, not %r" % args.cti)
    sk = load_signing_key(args.key)
    iat = parse_instant(args.start)
    exp = iat + parse_duration(args.valid)
    travel = parse_travel(args.travel) if args.travel else None
    if travel and args.colour != "yellow":
        raise UsageError("a travel window is for yellow codes only")
    claims = mint.health_code_claims(
        args.iss, args.colour, args.holder, args.name, iat, exp,
        nbf=parse_instant(args.nbf) if args.nbf else None,
        travel=travel, dependant=args.dependant, cti=cti,
    )
    text = mint.hc1(mint.cose_sign1(claims, sk, mint.kid_for(sk)))
    print(text)
    if args.out:
        try:
            with open(args.out, "w") as f:
                f.write(text + "\n")
        except OSError as exc:
            raise UsageError("cannot write %s: %s" % (args.out, exc.strerror or exc))
    if args.qr:
        mint.write_qr_png(text, args.qr)
    return 0
