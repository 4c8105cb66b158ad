# Test-only helpers shared by the provisioning, bundle and revocation tests:
# an ES256 signer in MicroPython (deterministic nonce, test keys only), and
# builders for signed bundles, revocation lists and admin commands, so the
# firmware tests need no host. The tests here check the signer itself.
import hashlib
import struct

import mpassert
from kiosk.crypto import p256
from kiosk.token import cbor

_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
_GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5

# TEST KEYS ONLY (private scalars in clear): never use outside tests.
ADMIN = 0x1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF
OPERATOR = 0x0FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA98765432
INTRUDER = 0x5555555555555555555555555555555555555555555555555555555555555555
ISSUER = 0x77777777777777777777777777777777777777777777777777777777777777


def _mul_g(k):
    X, Y, Z = p256._shamir(k, 0, _GX, _GY)
    zi = p256.inverse(Z, _P)
    zi2 = zi * zi % _P
    return X * zi2 % _P, Y * zi2 % _P * zi % _P


_pubs = {}


def pub(d):
    if d not in _pubs:
        x, y = _mul_g(d)
        _pubs[d] = b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
    return _pubs[d]


def sign(d, msg):
    e = int.from_bytes(hashlib.sha256(msg).digest(), "big")
    k = int.from_bytes(hashlib.sha256(d.to_bytes(32, "big") + msg).digest(), "big") % _N or 1
    r = _mul_g(k)[0] % _N
    s = p256.inverse(k, _N) * (e + r * d) % _N
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def signed_file(magic, d, header, body):
    h = dict(header)
    h["v"] = 1
    h["len"] = len(body)
    h["sha"] = hashlib.sha256(body).digest()
    raw = cbor.dumps(h)
    pre = magic + struct.pack(">I", len(raw)) + raw
    return pre + sign(d, pre) + body


def kid_of(point):
    return hashlib.sha256(point).digest()[:8]


def store(points, iat=1700000000, tables=None):
    keys = []
    blob = b""
    for i, p in enumerate(points):
        e = {"kid": kid_of(p), "alg": -7, "pub": p, "label": "k%d" % i}
        if tables and tables[i] is not None:
            e["tab"] = [len(blob), len(tables[i])]
            blob += tables[i]
        keys.append(e)
    hdr = cbor.dumps({"v": 1, "iat": iat, "keys": keys})
    return b"KTS1" + struct.pack(">I", len(hdr)) + hdr + blob


def bundle(seq, iat=1800000000, exp=1800172800, grace=259200, d=OPERATOR, points=None, tables=None):
    body = store(points or [pub(ISSUER)], iat, tables)
    return signed_file(b"KTB1", d, {"seq": seq, "iat": iat, "exp": exp, "grace": grace}, body)


def _part(entries):
    ents = sorted(entries)
    if len(ents) < 1024:
        return b"".join(ents)
    counts = [0] * 256
    for e in ents:
        counts[e[0]] += 1
    ends = []
    run = 0
    for c in counts:
        run += c
        ends.append(run)
    return struct.pack(">256I", *ends) + b"".join(e[1:] for e in ents)


def rev_body(parts, w=5):
    kids = sorted(k for k in parts if parts[k])
    d = b"".join(k + struct.pack(">I", len(parts[k])) for k in kids)
    e = b"".join(_part(parts[k]) for k in kids)
    n = sum(len(parts[k]) for k in kids)
    return d + e, n, len(kids)


def entry(cti, w=5):
    return hashlib.sha256(cti).digest()[:w]


def revlist(parts, seq, w=5, d=OPERATOR, iat=1800000000):
    body, n, k = rev_body(parts, w)
    return signed_file(b"KRV1", d, {"seq": seq, "iat": iat, "w": w, "n": n, "k": k}, body)


def delta(old_parts, new_parts, base_seq, base_sha, seq, w=5, d=OPERATOR):
    full = revlist(new_parts, seq, w, d)
    n = struct.unpack(">I", full[4:8])[0]
    add, dele = [], []
    for kid in sorted(set(old_parts) | set(new_parts)):
        o = set(old_parts.get(kid, ()))
        nw = set(new_parts.get(kid, ()))
        a = sorted(nw - o)
        r = sorted(o - nw)
        if a:
            add.append([kid, b"".join(a)])
        if r:
            dele.append([kid, b"".join(r)])
    payload = cbor.dumps({"v": 1, "base": base_seq, "base_sha": base_sha, "add": add, "del": dele,
                          "hdr": full[8 : 8 + n], "sig": full[8 + n : 8 + n + 64]})
    return b"KRD1" + struct.pack(">I", len(payload)) + payload, full


def command(dev, ctr, op, args, d=ADMIN):
    from kiosk.provision import command as c

    body = c.encode_body(dev, ctr, op, args)
    return c.wrap(body, sign(d, c.DOMAIN + body))


_mounts = [0]


def ramfs(blocks=128):
    """A fresh littlefs on a RAM FlashDev (the sim flash); returns (mountpoint, dev, mem)."""
    import vfs
    from flashdev import FlashDev

    mem = FlashDev.blank(4096, blocks)
    dev = FlashDev(mem, 4096)
    vfs.VfsLfs2.mkfs(dev)
    _mounts[0] += 1
    mp = "/t%d" % _mounts[0]
    vfs.mount(vfs.VfsLfs2(dev), mp)
    return mp, dev, mem


def remount(mp, mem):
    """Unmount and mount the same bytes with a new device (a reboot)."""
    import vfs
    from flashdev import FlashDev

    try:
        vfs.umount(mp)
    except OSError:
        pass
    dev = FlashDev(mem, 4096)
    vfs.mount(vfs.VfsLfs2(dev), mp)
    return dev


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def test_signer_verifies():
    msg = b"provisioning test message"
    sig = sign(ADMIN, msg)
    mpassert.eq(p256.verify(pub(ADMIN), msg, sig), True)
    mpassert.eq(p256.verify(pub(ADMIN), msg + b"!", sig), False)
    mpassert.eq(p256.verify(pub(INTRUDER), msg, sig), False)
