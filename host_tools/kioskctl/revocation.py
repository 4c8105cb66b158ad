"""Revocation lists (KRV1) and incremental updates (KRD1) for the kiosk.

Full list: the signed header of kioskctl.bundle with magic b"KRV1" and
{"seq", "iat", "w", "n", "k"}, then a directory of k (kid 8 bytes, u32 BE
count) sorted by kid, then each kid's entries SHA-256(id)[:w], sorted (id = a cti, or an EU DCC
revocation hash input: UCI, country + UCI, signature; see dcc_hashes); a
partition of 1024 or more entries starts with a 256-word index by first
byte and stores the entries without that byte.
Delta: b"KRD1" | u32 BE H | CBOR {"v": 1, "base": seq, "base_sha": body
hash of the base list, "add"/"del": [[kid, concatenated sorted entries]],
"hdr": the result list's signed header bytes, "sig": its signature}.
The kiosk applies a delta only when the merged body hashes to the signed
value. Kiosk side: firmware/kiosk/trust/revocation.py.
"""

import hashlib
import struct
import time

import cbor2

from kioskctl import bundle
from kioskctl.errors import KioskError

MAGIC = b"KRV1"
DELTA_MAGIC = b"KRD1"
WIDTH = 5


def entry(cti, w=WIDTH):
    return hashlib.sha256(bytes(cti)).digest()[:w]


def _kid(kid):
    kid = bytes(kid)
    if len(kid) != 8:
        raise KioskError("kid must be 8 bytes, got %d" % len(kid))
    return kid


def parts_from_ctis(pairs, w=WIDTH):
    """{kid: set(entries)} from (kid, cti) pairs."""
    return parts_from_ids([(kid, cti, None) for kid, cti in pairs], w)


def parts_from_ids(items, w=WIDTH):
    """{kid: set(entries)} from (kid, id, digest) items: an id (a cti, or an
    EU DCC hash input) is hashed here; a digest (SHA-256 or its first bytes,
    e.g. a 16-byte EU gateway hash) is truncated to the width."""
    parts = {}
    for kid, ident, digest in items:
        if digest is not None:
            digest = bytes(digest)
            if len(digest) < w:
                raise KioskError("hash of %d bytes is shorter than the list's width %d" % (len(digest), w))
            e = digest[:w]
        else:
            e = entry(ident, w)
        parts.setdefault(_kid(kid), set()).add(e)
    return parts


EU_HASH_KINDS = ("UCI", "COUNTRYCODEUCI", "SIGNATURE")


def _unwrap(obj):
    while isinstance(obj, cbor2.CBORTag):
        obj = obj.value
    return obj


def dcc_hashes(payload):
    """(kid, {kind: 16-byte EU revocation hash}) of an HC1: DCC, the way the
    EU gateway lists them: SHA-256 over the UCI, over the issuing country
    (CWT iss) + UCI, and over the signature (r alone for ES256), first 16 bytes."""
    import zlib

    import base45

    text = payload.strip()
    if not text.startswith("HC1:"):
        raise KioskError("not an HC1: payload")
    try:
        raw = base45.b45decode(text[4:])
        if raw[:1] == b"x":
            raw = zlib.decompress(raw)
        msg = _unwrap(cbor2.loads(raw))
        protected, unprotected, body, sig = msg
        ph = cbor2.loads(protected) if protected else {}
        claims = cbor2.loads(body)
        hcert = claims[-260][1]
    except Exception as exc:  # noqa: BLE001 - base45, zlib and cbor2 raise several types
        raise KioskError("not a readable DCC: %s" % exc)
    kid = ph.get(4) or (unprotected or {}).get(4)
    alg = ph.get(1) or (unprotected or {}).get(1)
    entries = hcert.get("v") or hcert.get("t") or hcert.get("r") or [{}]
    uci = entries[0].get("ci")
    if not isinstance(uci, str) or not kid:
        raise KioskError("DCC without a UCI or kid")
    sig = bytes(sig)
    signed = sig[: len(sig) // 2] if alg == -7 else sig
    h = {"UCI": uci.encode(), "COUNTRYCODEUCI": str(claims.get(1, "")).encode() + uci.encode(), "SIGNATURE": signed}
    return bytes(kid), {k: hashlib.sha256(v).digest()[:16] for k, v in h.items()}


BUCKET_MIN = 1024


def part_bytes(entries, w):
    """A partition: sorted entries, or (1024 or more) a 256-word bucket index by
    first byte and the entries without their first byte."""
    ents = sorted(entries)
    for e in ents:
        if len(e) != w:
            raise KioskError("entry width %d != %d" % (len(e), w))
    if len(ents) < BUCKET_MIN:
        return b"".join(ents)
    ends, run = [], 0
    counts = [0] * 256
    for e in ents:
        counts[e[0]] += 1
    for c in counts:
        run += c
        ends.append(run)
    return struct.pack(">256I", *ends) + b"".join(e[1:] for e in ents)


def body_of(parts, w=WIDTH):
    kids = sorted(k for k, v in parts.items() if v)
    out = bytearray()
    for kid in kids:
        out += kid + struct.pack(">I", len(parts[kid]))
    for kid in kids:
        out += part_bytes(parts[kid], w)
    n = sum(len(parts[k]) for k in kids)
    return bytes(out), n, len(kids)


def build(parts, private_key, seq, w=WIDTH, iat=None):
    body, n, k = body_of(parts, w)
    iat = int(time.time() if iat is None else iat)
    return bundle.signed_file(MAGIC, {"seq": int(seq), "iat": iat, "w": w, "n": n, "k": k}, body, private_key)


def parse(data, point=None):
    """(header, {kid: set(entries)}, signature_ok) of a KRV1 file."""
    h, body, ok = bundle.parse_signed(data, MAGIC, point)
    w, k = h.get("w", WIDTH), h.get("k", 0)
    parts, pos = {}, 12 * k
    for i in range(k):
        kid = body[12 * i : 12 * i + 8]
        c = struct.unpack(">I", body[12 * i + 8 : 12 * i + 12])[0]
        if c < BUCKET_MIN:
            parts[kid] = {body[pos + j * w : pos + (j + 1) * w] for j in range(c)}
            pos += c * w
            continue
        ends = struct.unpack(">256I", body[pos : pos + 1024])
        pos += 1024
        ents, b = set(), 0
        for j in range(c):
            while ends[b] <= j:
                b += 1
            ents.add(bytes((b,)) + body[pos + j * (w - 1) : pos + (j + 1) * (w - 1)])
        parts[kid] = ents
        pos += c * (w - 1)
    return h, parts, ok


def delta(old_data, new_parts, private_key, seq, iat=None):
    """(delta bytes, full list bytes) taking the list `old_data` to `new_parts`."""
    old_h, old_parts, _ = parse(old_data)
    w = old_h["w"]
    if seq <= old_h["seq"]:
        raise KioskError("new seq %d must be above the base list's %d" % (seq, old_h["seq"]))
    full = build(new_parts, private_key, seq, w, iat)
    n = struct.unpack(">I", full[4:8])[0]
    add, dele = [], []
    for kid in sorted(set(old_parts) | set(new_parts)):
        a = sorted(new_parts.get(kid, set()) - old_parts.get(kid, set()))
        d = sorted(old_parts.get(kid, set()) - new_parts.get(kid, set()))
        if a:
            add.append([kid, b"".join(a)])
        if d:
            dele.append([kid, b"".join(d)])
    payload = cbor2.dumps({"v": 1, "base": old_h["seq"], "base_sha": old_h["sha"], "add": add, "del": dele,
                           "hdr": full[8 : 8 + n], "sig": full[8 + n : 8 + n + 64]})
    return DELTA_MAGIC + struct.pack(">I", len(payload)) + payload, full


def parse_delta(data):
    if len(data) < 8 or data[:4] != DELTA_MAGIC:
        raise KioskError("not a revocation delta")
    try:
        d = dict(cbor2.loads(data[8:]))
        h = dict(cbor2.loads(d["hdr"]))
    except Exception as exc:  # noqa: BLE001 - cbor2 raises several types
        raise KioskError("revocation delta is truncated or damaged (%s)" % exc)
    return d, h
