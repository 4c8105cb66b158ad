"""Signed trust bundles: a trust store with an operator signature and a lifetime.

File (docs/provisioning.md):
    b"KTB1" | u32 BE length H | CBOR header (H bytes) | sig (64) | store
    header = {"v": 1, "seq": uint, "iat": Unix s, "exp": Unix s,
              "grace": seconds, "len": store length, "sha": SHA-256(store)}
    sig    = ES256 by the operator key over b"KTB1" + u32 H + header
    store  = a KTS1 trust store (docs/trust-store.md), tables included

One signature covers the header; the header pins the store by its hash, so a
single ES256 verify plus one streamed SHA-256 authenticates every key and
every precomputed table. Lifetime: up to `exp` the status is "ok"; then
"grace" until `exp + grace` (the kiosk keeps admitting and shows it); after
that "expired". A bundle whose `seq` is not above the last installed one is
refused (rollback).

    store, info = open_bundle("/flash/config/trust.ktb", operator_pub, now)
    info.status            # "ok" | "grace" | "expired" | "clock_unset"
    info.state(now)        # recompute as time passes
"""

import hashlib
import struct

from micropython import const

from kiosk.trust import TrustError

MAGIC = b"KTB1"
_MAX_HEADER = const(2048)
_MAX_BODY = const(4194304)
_MAX_GRACE = const(31536000)
_CHUNK = const(2048)

# The trust states, spelled here only (kiosk.config.device, the app, provisioning info).
OK = "ok"
GRACE = "grace"
EXPIRED = "expired"
CLOCK_UNSET = "clock_unset"
NONE = "none"  # no trust material installed
DAMAGED = "damaged"  # installed, but refused (signature, hash, format)
STATES = (OK, GRACE, EXPIRED, CLOCK_UNSET, NONE, DAMAGED)


def read_signed_header(f, magic, operator_pub, max_header=_MAX_HEADER):
    """(header dict, body offset) of a signed file open at offset 0.

    Checks magic, bounds and the operator signature; not the body hash."""
    from kiosk.crypto import p256
    from kiosk import cbor

    pre = f.read(8)
    if len(pre) != 8 or pre[:4] != magic:
        raise TrustError("not a %s file" % magic.decode())
    n = struct.unpack(">I", pre[4:8])[0]
    if n > max_header:
        raise TrustError("header of %d bytes > %d" % (n, max_header))
    raw = f.read(n)
    sig = f.read(64)
    if len(raw) != n or len(sig) != 64:
        raise TrustError("truncated file")
    if not operator_pub or not p256.verify(operator_pub, pre + raw, sig):
        raise TrustError("bad operator signature", "bad_signature")
    try:
        h = cbor.loads(raw, max_depth=4, max_items=64, max_len=max_header)
    except Exception as exc:
        raise TrustError("bad header: %s" % exc)
    if not isinstance(h, dict) or h.get("v") != 1:
        raise TrustError("unsupported %s version" % magic.decode())
    for k in ("seq", "iat", "len"):
        if not isinstance(h.get(k), int) or h[k] < 0:
            raise TrustError("header field %s missing or bad" % k)
    if h["len"] > _MAX_BODY:
        raise TrustError("body too large")
    sha = h.get("sha")
    if not isinstance(sha, bytes) or len(sha) != 32:
        raise TrustError("header without body hash")
    return h, 8 + n + 64


def check_body(f, h, body_off, check=None):
    """Stream the body through SHA-256 (and `check(chunk, pos)`); compare to header."""
    f.seek(body_off)
    d = hashlib.sha256()
    buf = bytearray(_CHUNK)
    mv = memoryview(buf)
    left = h["len"]
    pos = 0
    while left:
        k = f.readinto(mv[: min(left, _CHUNK)])
        if not k:
            raise TrustError("truncated body")
        d.update(mv[:k])
        if check:
            check(mv[:k], pos)
        left -= k
        pos += k
    if f.read(1):
        raise TrustError("trailing bytes after body")
    if d.digest() != h["sha"]:
        raise TrustError("body does not match the signed hash (tampered or damaged)", "tampered")


class BundleInfo:
    def __init__(self, h, now):
        self.seq = h["seq"]
        self.iat = h["iat"]
        self.exp = h["exp"]
        self.grace = h["grace"]
        self.status = self.state(now)

    def state(self, now):
        if now is None:
            return CLOCK_UNSET
        if now <= self.exp:
            return OK
        if now <= self.exp + self.grace:
            return GRACE
        return EXPIRED

    def usable(self, now):
        """True while the kiosk may admit on this bundle (ok or grace)."""
        return self.state(now) in (OK, GRACE)


def _check_lifetime(h):
    exp, grace = h.get("exp"), h.get("grace", 0)
    if not isinstance(exp, int) or exp < h["iat"]:
        raise TrustError("bad expiry")
    if not isinstance(grace, int) or not 0 <= grace <= _MAX_GRACE:
        raise TrustError("bad grace period")
    h["grace"] = grace


def verify_file(path, operator_pub, min_seq=None):
    """Header of a fully checked bundle (signature, hash, store header)."""
    try:
        with open(path, "rb") as f:
            h, off = read_signed_header(f, MAGIC, operator_pub)
            _check_lifetime(h)
            if min_seq is not None and h["seq"] <= min_seq:
                raise TrustError("rollback: bundle seq %d not above installed %d" % (h["seq"], min_seq), "rollback")
            check_body(f, h, off)
    except OSError as exc:
        raise TrustError("cannot read bundle: %s" % exc)
    h["_off"] = off
    return h


def _store_at(path, base, length):
    from kiosk.trust import store

    with open(path, "rb") as f:
        f.seek(base)
        n = store._parse_header(f.read(8))
        if 8 + n > length:
            raise TrustError("trust store header outside the bundle")
        raw = f.read(n)
    header = store._decode(raw)
    tbase = base + 8 + n
    tlen = length - 8 - n

    def read(off, ln):
        if off < 0 or ln < 0 or off + ln > tlen:
            raise ValueError("table outside the store")
        buf = bytearray(ln)
        with open(path, "rb") as f:
            f.seek(tbase + off)
            if f.readinto(buf) != ln:
                raise ValueError("table outside the store")
        return buf

    return store.TrustStore(header, read)


def open_bundle(path, operator_pub, now, min_seq=None):
    """(TrustStore, BundleInfo) of a verified bundle; raises TrustError."""
    h = verify_file(path, operator_pub, min_seq)
    return _store_at(path, h["_off"], h["len"]), BundleInfo(h, now)


def check_new(src, operator_pub, installed_seq, now=None):
    """Verify the bundle at `src` (seq above `installed_seq`, not past its
    grace period at `now` when the clock is set) and return its header; the
    caller moves the file into place in its transaction. A refused bundle
    changes nothing, so the sequence mark stays where it was."""
    h = verify_file(src, operator_pub, installed_seq)
    if now is not None and BundleInfo(h, now).status == EXPIRED:
        raise TrustError("bundle seq %d expired: its grace period ended at %d, the kiosk clock is %d"
                         " (sign a new bundle with a later expiry)" % (h["seq"], h["exp"] + h["grace"], now), EXPIRED)
    _store_at(src, h["_off"], h["len"])  # the store inside must parse too
    return h
