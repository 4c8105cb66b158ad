"""Signed, compact revocation list, partitioned by issuer kid, searched in flash.

File (docs/provisioning.md):
    b"KRV1" | u32 BE H | CBOR header | sig (64) | body
    header = {"v": 1, "seq", "iat", "w": hash width 4..8, "n": entries,
              "k": partitions, "len": body length, "sha": SHA-256(body)}
    body   = directory: k x (kid 8 bytes | u32 BE count), kids ascending,
             then each partition in directory order.
    entry  = SHA-256(id)[:w], a partition's entries ascending; id is a
             token's cti, or for an EU DCC one of the EU revocation hash
             inputs (UCI, country code + UCI, signature: kiosk.policy.dcc),
             so the first w bytes of an EU gateway hash are an entry.
    small partition (count < 1024): count x w bytes, the entries.
    large partition: 256 x u32 BE index (end[b] = entries whose first byte
             is <= b), then count x (w - 1) bytes: the entries without their
             first byte (implied by the index).

At w = 5, 200,000 revoked ids under one kid take 801 KB (1,024 + 4 bytes
each); spread over 64 kids, 866 KB. A token that is not revoked is reported
revoked only when the first 40 bits of SHA-256 of its cti equal one of the n
entries of its issuer's partition: probability n / 2^40 per scan (1.8e-7
for n = 200,000, one false refusal in 5.5 million scans), never the other
way round.

`contains(kid, cti)` finds the partition in the RAM directory, reads two
index words and binary searches that bucket (about 10 reads for 200,000
entries) with seek + readinto into preallocated buffers.

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
BUCKET_MIN = const(1024)
_INDEX = const(1024)
_DIRENT = const(12)
_MAX_PARTS = const(4096)
_MAX_DELTA = const(262144)
_COPY = const(4096)


def part_size(count, w):
    """Bytes of a partition of `count` entries of width w."""
    if count >= BUCKET_MIN:
        return _INDEX + count * (w - 1)
    return count * w


def _check_header(h):
    w, n, k = h.get("w"), h.get("n"), h.get("k")
    if not isinstance(w, int) or not 4 <= w <= 8:
        raise TrustError("bad hash width")
    if not isinstance(n, int) or not isinstance(k, int) or n < 0 or not 0 <= k <= _MAX_PARTS:
        raise TrustError("bad entry or partition count")


class RevocationList:
    """An opened, verified list; `contains(kid, cti)` -> bool."""

    def __init__(self, path, h, body_off, f):
        self.path = path
        self.seq = h["seq"]
        self.iat = h["iat"]
        self.n = h["n"]
        self.w = w = h["w"]
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
            pos += part_size(c, w)
            total += c
        if total != self.n or pos - body_off != h["len"]:
            raise TrustError("directory counts do not match the list")
        self._buf = bytearray(w)
        self._rbuf = bytearray(w - 1)
        self._ix = bytearray(8)

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

    def _layout(self, p):
        """(bucketed, stored width, offset of the stored entries) of partition p."""
        if self._count[p] >= BUCKET_MIN:
            return True, self.w - 1, self._start[p] + _INDEX
        return False, self.w, self._start[p]

    def _bucket(self, p, b):
        """(first, end) entry numbers of bucket b of a large partition."""
        f, ix = self._f, self._ix
        if b:
            f.seek(self._start[p] + 4 * (b - 1))
            f.readinto(ix)
            lo, hi = struct.unpack(">II", ix)
        else:
            f.seek(self._start[p])
            f.readinto(ix)
            lo, hi = 0, struct.unpack_from(">I", ix)[0]
        if not lo <= hi <= self._count[p]:
            raise TrustError("bad bucket index")
        return lo, hi

    def _find(self, p, e):
        """(found, number) of full entry e in partition p; number = insertion point."""
        f = self._f
        bucketed, sw, base = self._layout(p)
        if bucketed:
            lo, hi = self._bucket(p, e[0])
            buf, target = self._rbuf, e[1:]
        else:
            lo, hi = 0, self._count[p]
            buf, target = self._buf, e
        while lo < hi:
            mid = (lo + hi) >> 1
            f.seek(base + mid * sw)
            f.readinto(buf)
            if buf < target:
                lo = mid + 1
            elif buf == target:
                return True, mid
            else:
                hi = mid
        return False, lo

    def contains(self, kid, cti):
        return self.contains_any(kid, (cti,))

    def contains_any(self, kid, ids):
        """True when SHA-256 of any of `ids` (bytes; None skipped) is listed
        under kid: a cti, or the EU DCC hash inputs (kiosk.policy.dcc)."""
        if kid is None:
            return False
        p = self.part(bytes(kid))
        if p < 0:
            return False
        for x in ids:
            if x is not None and self._find(p, hashlib.sha256(x).digest()[: self.w])[0]:
                return True
        return False

    def count_for(self, kid):
        p = self.part(bytes(kid))
        return self._count[p] if p >= 0 else 0

    def index(self, p):
        """The 256 bucket ends of a large partition."""
        self._f.seek(self._start[p])
        raw = self._f.read(_INDEX)
        if len(raw) != _INDEX:
            raise TrustError("truncated index")
        return list(struct.unpack(">256I", raw))

    def entries(self, p):
        """Full entries of partition p in order (a generator; chunked reads)."""
        f = self._f
        bucketed, sw, base = self._layout(p)
        ends = self.index(p) if bucketed else None
        b = 0
        i = 0
        n = self._count[p]
        while i < n:
            m = min(n - i, _COPY // sw)
            f.seek(base + i * sw)
            chunk = f.read(m * sw)
            if len(chunk) != m * sw:
                raise TrustError("truncated partition")
            for j in range(0, m * sw, sw):
                if bucketed:
                    while b < 256 and ends[b] <= i:
                        b += 1
                    if b > 255:
                        raise TrustError("bad bucket index")
                    yield bytes((b,)) + chunk[j : j + sw]
                else:
                    yield chunk[j : j + sw]
                i += 1

    def check_sorted(self):
        """Every partition strictly ascending, every index consistent (at install)."""
        for p in range(len(self._kids)):
            if self._count[p] >= BUCKET_MIN:
                ends = self.index(p)
                for b in range(256):
                    if ends[b] < (ends[b - 1] if b else 0):
                        raise TrustError("partition %d: bad index" % p)
                if ends[255] != self._count[p]:
                    raise TrustError("partition %d: index does not cover the entries" % p)
            prev = None
            for e in self.entries(p):
                if prev is not None and e <= prev:
                    raise TrustError("partition %d not sorted" % p)
                prev = e


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
            raise TrustError("rollback: list seq %d not above installed %d" % (h["seq"], min_seq), "rollback")
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
    from kiosk import cbor

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
        raise TrustError("bad operator signature on the delta's result", "bad_signature")
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
        raise TrustError("delta is for list seq %r, installed is %d" % (d.get("base"), cur.seq), "wrong_base")
    if h["seq"] <= cur.seq:
        raise TrustError("rollback: delta result seq %d not above %d" % (h["seq"], cur.seq), "rollback")
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
            if not c:
                continue
            p = cur.part(kid)
            changes = [(e, 1) for e in add.get(kid, [])] + [(e, 0) for e in dele.get(kid, [])]
            changes.sort()
            old_big = p >= 0 and cur._count[p] >= BUCKET_MIN
            if p >= 0 and old_big == (c >= BUCKET_MIN):
                _merge_same(cur, p, changes, emit, buf)
            else:
                _merge_reencode(cur, p, changes, c, emit)
        out.flush()
    if sha.digest() != h["sha"]:
        raise TrustError("merged list does not match the signed hash (wrong base or bad delta)", "tampered")
    return h


def _copy(cur, p, i, j, emit, buf):
    """Emit stored entries [i, j) of partition p."""
    if i >= j:
        return
    f = cur._f
    _, sw, base = cur._layout(p)
    f.seek(base + i * sw)
    left = (j - i) * sw
    mv = memoryview(buf)
    while left:
        k = f.readinto(mv[: min(left, _COPY)])
        if not k:
            raise TrustError("truncated list")
        emit(bytes(mv[:k]))
        left -= k


def _merge_same(cur, p, changes, emit, buf):
    """Same layout before and after: bulk copies between the changed entries."""
    bucketed, sw, _ = cur._layout(p)
    if bucketed:
        ends = cur.index(p)
        diff = [0] * 256
        for e, is_add in changes:
            diff[e[0]] += 1 if is_add else -1
        run = 0
        for b in range(256):
            run += diff[b]
            ends[b] += run
        emit(struct.pack(">256I", *ends))
    pos = 0
    for e, is_add in changes:
        found, idx = cur._find(p, e)
        if is_add and found:
            raise TrustError("delta adds an entry already listed")
        if not is_add and not found:
            raise TrustError("delta deletes an entry not listed")
        if idx < pos:
            raise TrustError("delta adds and deletes the same entry")
        _copy(cur, p, pos, idx, emit, buf)
        if is_add:
            emit(e[1:] if bucketed else e)
            pos = idx
        else:
            pos = idx + 1
    _copy(cur, p, pos, cur._count[p], emit, buf)


def _merged(cur, p, changes):
    """Full entries of partition p (or none when p < 0) with the changes applied."""
    ci = 0
    nc = len(changes)
    if p >= 0:
        for old in cur.entries(p):
            while ci < nc and changes[ci][0] < old:
                if not changes[ci][1]:
                    raise TrustError("delta deletes an entry not listed")
                yield changes[ci][0]
                ci += 1
            if ci < nc and changes[ci][0] == old:
                if changes[ci][1]:
                    raise TrustError("delta adds an entry already listed")
                ci += 1
                continue
            yield old
    while ci < nc:
        if not changes[ci][1]:
            raise TrustError("delta deletes an entry not listed")
        yield changes[ci][0]
        ci += 1


def _merge_reencode(cur, p, changes, count, emit):
    """The partition changes layout (or is new): entry by entry, two passes."""
    if count >= BUCKET_MIN:
        ends = [0] * 256
        for e in _merged(cur, p, changes):
            ends[e[0]] += 1
        run = 0
        for b in range(256):
            run += ends[b]
            ends[b] = run
        emit(struct.pack(">256I", *ends))
        for e in _merged(cur, p, changes):
            emit(e[1:])
    else:
        for e in _merged(cur, p, changes):
            emit(e)
