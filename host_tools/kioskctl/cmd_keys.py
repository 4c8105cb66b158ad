"""kioskctl keys gen: make an issuer (or operator/admin) P-256 key pair."""

import os

from kioskctl.errors import KioskError
from kioskctl.keys import (kid_of_point, load_signing_key, load_verifying_key, sec1,  # noqa: F401
                           write_pem)


def register(sub):
    p = sub.add_parser("keys", help="generate and inspect P-256 key pairs")
    ks = p.add_subparsers(dest="keys_cmd", metavar="ACTION")
    ks.required = True
    g = ks.add_parser("gen", help="generate a key pair (PEM files) and print its kid")
    g.add_argument("-o", "--out", required=True, help="output prefix: writes PREFIX.key.pem and PREFIX.pub.pem")
    g.add_argument("--force", action="store_true", help="overwrite existing files")
    g.set_defaults(func=cmd_gen)
    s = ks.add_parser("show", help="print the kid and SEC1 point of a public or private key PEM")
    s.add_argument("pem")
    s.set_defaults(func=cmd_show)


def cmd_gen(args):
    """Key pair in standard PEM (PKCS#8 private, SubjectPublicKeyInfo public),
    readable by OpenSSL, `cryptography` and python-ecdsa alike."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    priv, pub = args.out + ".key.pem", args.out + ".pub.pem"
    for path in (priv, pub):
        if os.path.exists(path) and not args.force:
            raise KioskError("%s exists (use --force to overwrite)" % path)
    key = ec.generate_private_key(ec.SECP256R1())
    try:
        os.makedirs(os.path.dirname(os.path.abspath(priv)), exist_ok=True)
        write_pem(key, priv, private=True)
        write_pem(key, pub)
    except OSError as exc:
        raise KioskError("cannot write %s: %s" % (exc.filename or priv, exc.strerror or exc))
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    print("kid %s  %s  %s" % (kid_of_point(point).hex(), priv, pub))
    return 0


def cmd_show(args):
    vk = load_verifying_key(args.pem)
    point = sec1(vk)
    print("kid %s" % kid_of_point(point).hex())
    print("sec1 %s" % point.hex())
    return 0
