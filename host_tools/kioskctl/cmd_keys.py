"""kioskctl keys gen: make an issuer (or operator/admin) P-256 key pair."""

import os

from kioskctl.errors import KioskError


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


def kid_of_point(sec1):
    """kid of a raw issuer key: first 8 bytes of SHA-256 of the SEC1 point."""
    import hashlib

    return hashlib.sha256(sec1).digest()[:8]


def load_signing_key(path):
    import ecdsa

    try:
        with open(path, "rb") as f:
            return ecdsa.SigningKey.from_pem(f.read(), hashfunc=_sha256())
    except (OSError, ValueError) as exc:
        raise KioskError("cannot read private key %s: %s" % (path, exc))


def load_verifying_key(path):
    import ecdsa

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise KioskError("cannot read key %s: %s" % (path, exc))
    try:
        if b"PRIVATE KEY" in data:
            return ecdsa.SigningKey.from_pem(data).get_verifying_key()
        return ecdsa.VerifyingKey.from_pem(data)
    except ValueError as exc:
        raise KioskError("%s is not a P-256 PEM key: %s" % (path, exc))


def _sha256():
    import hashlib

    return hashlib.sha256


def sec1(vk):
    return vk.to_string("uncompressed")


def write_pem(key, path, private=False):
    """Write a `cryptography` EC key as PEM: PKCS#8 (private, mode 0600) or SubjectPublicKeyInfo."""
    from cryptography.hazmat.primitives import serialization

    if private:
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    else:
        with open(str(path), "wb") as f:
            f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return str(path)


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
    os.makedirs(os.path.dirname(os.path.abspath(priv)), exist_ok=True)
    write_pem(key, priv, private=True)
    write_pem(key, pub)
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    print("kid %s  %s  %s" % (kid_of_point(point).hex(), priv, pub))
    return 0


def cmd_show(args):
    vk = load_verifying_key(args.pem)
    point = sec1(vk)
    print("kid %s" % kid_of_point(point).hex())
    print("sec1 %s" % point.hex())
    return 0
