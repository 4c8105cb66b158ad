"""Signed, compact revocation list, partitioned by issuer kid, searched in flash.

File (docs/provisioning.md):
    b"KRV1" | u32 BE H | CBOR header | sig (64) | body
    header = {"v": 1, "seq", "iat", "w": hash width 4..8, "n": entries,
              "k": partitions, "len": body length, "sha": SHA-256(body)}
    body   = directory: k x (kid 8 bytes | u32 BE count), kids ascending,
             then each partition's entries: count x w bytes, ascending,
             entry = SHA-256(cti)[:w]

At w = 5, 200,000 revoked ids take 1,000,000 bytes of entries plus 12 bytes
per kid. A token that is not revoked is reported revoked only when the first
40 bits of SHA-256 of its cti equal one of the n entries of its issuer's
partition: probability n / 2^40 per scan (1.8e-7 at n = 200,000, about one
false refusal in 5.5 million scans), never the other way round.

`contains(kid, cti)` finds the partition in the RAM directory and binary
searches the partition in flash with seek + readinto into a preallocated
buffer (about 18 reads for 200,000 entries).

Incremental update (b"KRD1"): entries to add and delete per kid, the base
list's seq and body hash, and the signed header of the resulting list. The
kiosk merges into a new file and accepts it only when the body hash equals
the one the operator signed, so the result is exactly a signed full list.
"""

import hashlib
import struct

from micropython import const

from kiosk.trust import TrustError
from kiosk.trust.bundle import check_body, read_signed_header

MAGIC = b"KRV1"
DELTA_MAGIC = b"KRD1"
_DIRENT = const(12)
_MAX_PARTS = const(4096)
_MAX_DELTA = const(262144)
_COPY = const(4096)


def _check_header(h):
    w, n, k = h.get("w"), h.get("n"), h.get("k")
    if not isinstance(w, int) or not 4 <= w <= 8:
        raise TrustError("bad hash width")
    if not isinstance(n, int) or not isinstance(k, int) or n < 0 or not 0 <= k <= _MAX_PARTS:
        raise TrustError("bad entry or partition count")
    if h["len"] != k * _DIRENT + n * w:
        raise TrustError("body length does not match the counts")


class RevocationList:
    """An opened, verified list; `contains(kid, cti)` -> bool."""

    def __init__(self, path, h, body_off, f):
        self.path = path
        self.seq = h["seq"]
        self.iat = h["iat"]
        self.n = h["n"]
        self.w = h["w"]
        self.sha = h["sha"]
        self.header = h
        self._f = f
        k = h["k"]
        f.seek(body_off)
        d = f.read(k * _DIRENT)
        if len(d) != k * _DIRENT:
            raise TrustError("truncated directory")
        self._kids = [d[i * _DIRENT : i * _DIRENT + 8] for i in range(k)]
        self._start = []
        self._count = []
        pos = body_off + k * _DIRENT
        total = 0
        for i in range(k):
            c = struct.unpack_from(">I", d, i * _DIRENT + 8)[0]
            if i and self._kids[i] <= self._kids[i - 1]:
                raise TrustError("directory not sorted")
            self._start.append(pos)
            self._count.append(c)
            pos += c * self.w
            total += c
        if total != self.n:
            raise TrustError("directory counts do not add up")
        self._buf = bytearray(self.w)

    def close(self):
        if self._f:
            self._f.close()
            self._f = None

    def part(self, kid):
        """Index of kid's partition or -1."""
        kids = self._kids
        lo, hi = 0, len(kids)
        while lo < hi:
            mid = (lo + hi) >> 1
            if kids[mid] < kid:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(kids) and kids[lo] == kid:
            return lo
        return -1

    def _find(self, p, target):
        """(found, index) of target in partition p (index = insertion point)."""
        f, buf, w = self._f, self._buf, self.w
        start = self._start[p]
        lo, hi = 0, self._count[p]
        while lo < hi:
            mid = (lo + hi) >> 1
            f.seek(start + mid * w)
            f.readinto(buf)
            if buf < target:
                lo = mid + 1
            elif buf == target:
                return True, mid
            else:
                hi = mid
        return False, lo

    def contains(self, kid, cti):
        if kid is None or cti is None:
            return False
        p = self.part(bytes(kid))
        if p < 0:
            return False
        return self._find(p, hashlib.sha256(cti).digest()[: self.w])[0]

    def count_for(self, kid):
        p = self.part(bytes(kid))
        return self._count[p] if p >= 0 else 0

    def check_sorted(self):
        """Every partition strictly ascending (run once, at install)."""
        w = self.w
        f = self._f
        for p in range(len(self._kids)):
            f.seek(self._start[p])
            left = self._count[p]
            prev = None
            while left:
                m = min(left, _COPY // w)
                chunk = f.read(m * w)
                if len(chunk) != m * w:
                    raise TrustError("truncated partition")
                for i in range(0, m * w, w):
                    e = chunk[i : i + w]
                    if prev is not None and e <= prev:
                        raise TrustError("partition %d not sorted" % p)
                    prev = e
                left -= m


def open_file(path, operator_pub, min_seq=None, full_check=False):
    """Verified RevocationList (signature and body hash); raises TrustError."""
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise TrustError("cannot open revocation list: %s" % exc)
    try:
        h, off = read_signed_header(f, MAGIC, operator_pub)
        _check_header(h)
        if min_seq is not None and h["seq"] <= min_seq:
            raise TrustError("rollback: list seq %d not above installed %d" % (h["seq"], min_seq))
        check_body(f, h, off)
        rl = RevocationList(path, h, off, f)
        if full_check:
            rl.check_sorted()
        return rl
    except Exception:
        f.close()
        raise


def check_new(src, operator_pub, installed_seq):
    """Fully check a pushed full list; returns its header (file left in place)."""
    rl = open_file(src, operator_pub, installed_seq, full_check=True)
    rl.close()
    return rl.header


def _sorted_run(b, w, what):
    if not isinstance(b, bytes) or len(b) % w:
        raise TrustError("delta %s entries not a multiple of %d bytes" % (what, w))
    out = [b[i : i + w] for i in range(0, len(b), w)]
    for i in range(1, len(out)):
        if out[i] <= out[i - 1]:
            raise TrustError("delta %s entries not sorted" % what)
    return out


def _delta_map(items, w, what):
    if not isinstance(items, list) or len(items) > _MAX_PARTS:
        raise TrustError("bad delta %s list" % what)
    m = {}
    for it in items:
        if not isinstance(it, list) or len(it) != 2 or not isinstance(it[0], bytes) or len(it[0]) != 8:
            raise TrustError("bad delta %s item" % what)
        if it[0] in m:
            raise TrustError("kid twice in delta %s" % what)
        m[it[0]] = _sorted_run(it[1], w, what)
    return m


def read_delta(data, operator_pub):
    """(delta, adds, deletes, result header, signed prefix, sig) of a KRD1 blob."""
    from kiosk.crypto import p256
    from kiosk.token import cbor

    if len(data) < 8 or data[:4] != DELTA_MAGIC:
        raise TrustError("not a revocation delta")
    n = struct.unpack(">I", data[4:8])[0]
    if n > _MAX_DELTA or 8 + n != len(data):
        raise TrustError("bad delta length")
    try:
        d = cbor.loads(bytes(data[8:]), max_depth=5, max_items=4 * _MAX_PARTS + 32, max_len=_MAX_DELTA)
    except Exception as exc:
        raise TrustError("bad delta: %s" % exc)
    if not isinstance(d, dict) or d.get("v") != 1:
        raise TrustError("unsupported delta version")
    hdr, sig = d.get("hdr"), d.get("sig")
    if not isinstance(hdr, bytes) or not isinstance(sig, bytes) or len(hdr) > 2048:
        raise TrustError("delta without a signed result header")
    pre = MAGIC + struct.pack(">I", len(hdr))
    if not p256.verify(operator_pub, pre + hdr, sig):
        raise TrustError("bad operator signature on the delta's result")
    try:
        h = cbor.loads(hdr, max_depth=4, max_items=64, max_len=2048)
    except Exception as exc:
        raise TrustError("bad result header: %s" % exc)
    if not isinstance(h, dict) or h.get("v") != 1 or not isinstance(h.get("seq"), int):
        raise TrustError("bad result header")
    _check_header(h)
    if not isinstance(h.get("sha"), bytes) or len(h["sha"]) != 32:
        raise TrustError("bad result header")
    w = h["w"]
    return d, _delta_map(d.get("add", []), w, "add"), _delta_map(d.get("del", []), w, "del"), h, pre + hdr, sig


def apply_delta(cur, data, out_path, operator_pub):
    """Merge delta bytes into the open RevocationList `cur`, writing `out_path`.

    Returns the new header. The output is checked against the signed body
    hash before returning; on any error the caller deletes `out_path`."""
    d, add, dele, h, signed, sig = read_delta(data, operator_pub)
    if d.get("base") != cur.seq or d.get("base_sha") != cur.sha:
        raise TrustError("delta is for list seq %r, installed is %d" % (d.get("base"), cur.seq))
    if h["seq"] <= cur.seq:
        raise TrustError("rollback: delta result seq %d not above %d" % (h["seq"], cur.seq))
    if h["w"] != cur.w:
        raise TrustError("delta hash width differs from the list")
    kids = sorted(set(cur._kids) | set(add) | set(dele))
    counts = []
    for kid in kids:
        c = cur.count_for(kid) + len(add.get(kid, ())) - len(dele.get(kid, ()))
        if c < 0:
            raise TrustError("delta deletes more than the list holds")
        counts.append(c)
    sha = hashlib.sha256()
    with open(out_path, "wb") as out:
        out.write(signed)
        out.write(sig)

        def emit(b):
            sha.update(b)
            out.write(b)

        for kid, c in zip(kids, counts):
            if c:
                emit(kid + struct.pack(">I", c))
        buf = bytearray(_COPY)
        for kid, c in zip(kids, counts):
            if c:
                _merge(cur, cur.part(kid), add.get(kid, []), dele.get(kid, []), emit, buf)
        out.flush()
    if sha.digest() != h["sha"]:
        raise TrustError("merged list does not match the signed hash (wrong base or bad delta)")
    return h


def _copy(cur, p, i, j, emit, buf):
    """Emit entries [i, j) of partition p."""
    if i >= j:
        return
    f, w = cur._f, cur.w
    f.seek(cur._start[p] + i * w)
    left = (j - i) * w
    mv = memoryview(buf)
    while left:
        k = f.readinto(mv[: min(left, _COPY)])
        if not k:
            raise TrustError("truncated list")
        emit(bytes(mv[:k]))
        left -= k


def _merge(cur, p, adds, dels, emit, buf):
    pos = 0
    total = cur._count[p] if p >= 0 else 0
    changes = [(e, 1) for e in adds] + [(e, 0) for e in dels]
    changes.sort()
    for e, is_add in changes:
        if p >= 0:
            found, idx = cur._find(p, e)
        else:
            found, idx = False, 0
        if is_add and found:
            raise TrustError("delta adds an entry already listed")
        if not is_add and not found:
            raise TrustError("delta deletes an entry not listed")
        if idx < pos:
            raise TrustError("delta adds and deletes the same entry")
        _copy(cur, p, pos, idx, emit, buf)
        if is_add:
            emit(e)
            pos = idx
        else:
            pos = idx + 1
    if p >= 0:
        _copy(cur, p, pos, total, emit, buf)
