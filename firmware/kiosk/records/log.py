"""Append-only, power-safe scan log on littlefs with group commit and an ack cursor.

Layout under `root` (a directory on a mounted vfs.VfsLfs2):
    meta            b"KLOG" + log id (u32) + CRC32: written once, names this log
    state           ack cursor (u32) + dropped count (u32) + CRC32
    XXXXXXXX.seg    segment: consecutive 32-byte records, XXXXXXXX = hex seq of the first
    j/0 .. j/3      journal: the newest <= 16 records, 4 per file (inline in metadata)
Every file update is a littlefs sync or an atomic rename, so a power cut leaves
either the old or the new version. Records are appended to the journal (a
metadata commit, no block erase) and moved 16+ at a time to the newest
segment (one block copy), then the journal is cleared; recovery ignores
journal records already in a segment. Whole segments are removed only after
the host's acknowledgement is durable in `state`.

Group commit: `append()` only fills a preallocated RAM buffer; `tick(now_ms)`
(call at least every 100 ms, or run `committer()` as an asyncio task) commits
once the oldest pending record is `commit_ms` old (default 500 ms), so a
record is durable within 1 s of its verdict; `durable_seq` is the newest
record that survives a power cut.

Full flash: a new segment is started only while `reserve` blocks stay free.
When full, stored records are kept, new ones are refused and counted in
`dropped` (persisted, shown by `stats()` and the serial protocol).
"""

import os
import struct
import time
from binascii import crc32

from micropython import const

from kiosk.records import SIZE, RecordError, check, encode_into, seal_into, seq_of

_ENOSPC = const(28)
_JFILES = const(4)  # journal files ...
_JRECS = const(4)  # ... of 4 records (128 bytes: littlefs keeps them inline)
_JMAX = const(16)
_ENOENT = const(2)
_EEXIST = const(17)
_MAGIC = b"KLOG"


def _crc_ok(raw, n):
    return len(raw) == n + 4 and crc32(raw[:n]) == struct.unpack_from("<I", raw, n)[0]


def _with_crc(body):
    return body + struct.pack("<I", crc32(body))


class Log:
    def __init__(self, root, seg_records=None, commit_ms=500, group_max=16, reserve=4):
        self.root = root
        self.delete_max = None  # segments ack() deletes at once (None: all it covers); trim() does the rest
        self.commit_ms = commit_ms
        self.group_max = group_max
        self.reserve = reserve
        self._buf = bytearray(group_max * SIZE)
        self._mv = memoryview(self._buf)
        self._rbuf = bytearray(SIZE)
        self._jbuf = bytearray((_JMAX + group_max) * SIZE)
        self._jmv = memoryview(self._jbuf)
        self._jn = 0
        self._jstale = False
        self.next_seq = 0
        self.pending = 0
        self._t0 = 0
        self._f = None  # the active segment, open for append
        self._fcount = 0
        self.full = False
        self._state_dirty = False
        for d in (root, root + "/j"):
            try:
                os.mkdir(d)
            except OSError as e:
                if e.errno != _EEXIST:
                    raise RecordError("cannot create log dir: %s" % e)
        st = os.statvfs(root)
        self.block_size = st[0]
        self.seg_records = seg_records or max(8, st[0] // SIZE)
        self.log_id = self._load_meta()
        self.ack_seq, self.dropped = self._load_state()
        self._recover()

    # -- files ------------------------------------------------------------

    def _path(self, name):
        return self.root + "/" + name

    def _read(self, name):
        try:
            with open(self._path(name), "rb") as f:
                return f.read(64)
        except OSError:
            return None

    def _replace(self, name, data):
        tmp = self._path(name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, self._path(name))

    def _load_meta(self):
        raw = self._read("meta")
        if raw and _crc_ok(raw, 8) and raw[:4] == _MAGIC:
            return struct.unpack_from("<I", raw, 4)[0]
        log_id = struct.unpack("<I", os.urandom(4))[0]
        self._replace("meta", _with_crc(_MAGIC + struct.pack("<I", log_id)))
        return log_id

    def _load_state(self):
        raw = self._read("state")
        if raw and _crc_ok(raw, 8):
            return struct.unpack_from("<II", raw)
        return 0, 0

    def _save_state(self):
        self._replace("state", _with_crc(struct.pack("<II", self.ack_seq, self.dropped)))
        self._state_dirty = False

    def _recover(self):
        segs = []
        for ent in os.ilistdir(self.root):
            name = ent[0]
            if name.endswith(".tmp"):
                os.remove(self._path(name))
            elif name.endswith(".seg") and len(name) == 12:
                try:
                    segs.append(int(name[:8], 16))
                except ValueError:
                    pass
        segs.sort()
        self.segs = segs
        last = 0
        while segs:
            first = segs[-1]
            n = self._valid_prefix(first)
            if n:
                last = first + n - 1
                if n < self.seg_records and self._size(first) == n * SIZE:
                    self._f = open(self._path(self._name(first)), "ab")
                    self._fcount = n
                break
            os.remove(self._path(self._name(first)))  # nothing durable in it
            segs.pop()
        if not segs and self.ack_seq:
            last = max(last, self.ack_seq)
        self.seg_seq = last
        self._load_journal()
        self.durable_seq = last + self._jn
        self.next_seq = max(self.next_seq, self.durable_seq + 1, self.ack_seq + 1)
        self._delete_acked()

    def _jpath(self, i):
        return "%s/j/%d" % (self.root, i)

    def _load_journal(self):
        """Records after the segments, from the small journal files; marks the
        journal stale when the files hold anything else (a cut while clearing)."""
        jn = 0
        stale = False
        raw = bytearray(_JRECS * SIZE + 1)
        for i in range(_JFILES):
            try:
                with open(self._jpath(i), "rb") as f:
                    got = f.readinto(raw)
            except OSError:
                continue
            k = got // SIZE
            if got != k * SIZE or got > _JRECS * SIZE or jn != i * _JRECS:
                stale = True
            for j in range(min(k, _JRECS)):
                off = j * SIZE
                if check(raw, off) and seq_of(raw, off) == self.seg_seq + jn + 1:
                    self._jbuf[jn * SIZE : (jn + 1) * SIZE] = memoryview(raw)[off : off + SIZE]
                    jn += 1
                else:
                    stale = True
        self._jn = jn
        self._jstale = stale

    def _clear_journal(self):
        for i in range(_JFILES):
            try:
                os.remove(self._jpath(i))
            except OSError as e:
                if e.errno != _ENOENT:
                    raise
        self._jn = 0
        self._jstale = False

    @staticmethod
    def _name(first):
        return "%08x.seg" % first

    def _size(self, first):
        try:
            return os.stat(self._path(self._name(first)))[6]
        except OSError:
            return 0

    def _valid_prefix(self, first):
        """Number of leading intact records (right CRC and seq) in a segment."""
        n = 0
        buf = self._rbuf
        try:
            with open(self._path(self._name(first)), "rb") as f:
                while f.readinto(buf) == SIZE and check(buf) and seq_of(buf) == first + n:
                    n += 1
        except OSError:
            pass
        return n

    def trim(self):
        """Delete acknowledged segments, at most `delete_max` of them; True when some are left.
        With delete_max set (the uplink: one file removal per step of its loop), ack() only
        persists the cursor and starts the deletes; the caller finishes them by calling trim()."""
        return self._delete_acked()

    def _delete_acked(self):
        segs = self.segs
        active = segs[-1] if (segs and self._f) else None
        left = self.delete_max
        while segs and segs[0] != active:
            end = segs[1] - 1 if len(segs) > 1 else self.seg_seq
            if end > self.ack_seq:
                break
            if left is not None:
                if left <= 0:
                    return True
                left -= 1
            os.remove(self._path(self._name(segs[0])))
            segs.pop(0)
            self.full = False
        return False

    # -- writing ----------------------------------------------------------

    def append(self, rec):
        """Queue a record; returns its seq, or 0 when the log is full (counted
        in `dropped`). Durable after the next commit (`tick`/`commit`)."""
        if self.full:
            self.dropped += 1
            self._state_dirty = True
            return 0
        if self.pending >= self.group_max:
            self.commit()
            if self.full:
                return self.append(rec)
        seq = self.next_seq
        rec.seq = seq
        encode_into(rec, self._buf, self.pending * SIZE, False)  # no allocation
        if not self.pending:
            self._t0 = time.ticks_ms()
        self.pending += 1
        self.next_seq = seq + 1
        if self.pending >= self.group_max:
            self.commit()
        return seq

    def tick(self, now_ms=None):
        """Commit when the oldest pending record is commit_ms old; call often."""
        if now_ms is None:
            now_ms = time.ticks_ms()
        if self.pending and time.ticks_diff(now_ms, self._t0) >= self.commit_ms:
            self.commit()
        elif self._state_dirty and not self.pending:
            self._try_save_state()

    async def committer(self, period_ms=100):
        import asyncio

        while True:
            self.tick()
            await asyncio.sleep_ms(period_ms)

    def _has_room(self):
        st = os.statvfs(self.root)
        need = (self.seg_records * SIZE + st[0] - 1) // st[0] + self.reserve
        return st[3] >= need

    def _try_save_state(self):
        try:
            self._save_state()
        except OSError as e:
            if e.errno != _ENOSPC:
                raise RecordError("log state write failed: %s" % e)

    def commit(self):
        """Make every pending record durable. A few records go to the journal
        (small inline files: a littlefs metadata commit, no block erase); once
        it holds 16, journal and pending records are appended to the segment
        in one sync (one block copy for 16+ records)."""
        n = self.pending
        if n:
            for i in range(n):
                seal_into(self._buf, i * SIZE)
            last = seq_of(self._buf, (n - 1) * SIZE)
            try:
                if not self._jstale and self._jn + n <= _JMAX:
                    self._journal_write(n)
                else:
                    self._flush_segments(n)
            except OSError as e:
                self.pending = 0
                self._close_active()
                if e.errno != _ENOSPC:
                    raise RecordError("log write failed: %s" % e)
                self._recover()  # resync with what the flash holds
                self.full = True
            self.pending = 0
            if last > self.durable_seq:
                self.dropped += min(n, last - self.durable_seq)
                self._state_dirty = True
        if self._state_dirty:
            self._try_save_state()

    def _journal_write(self, n):
        done = 0
        while done < n:
            used = self._jn % _JRECS
            k = min(_JRECS - used, n - done)
            with open(self._jpath(self._jn // _JRECS), "ab" if used else "wb") as f:
                f.write(self._mv[done * SIZE : (done + k) * SIZE])
            self._jmv[self._jn * SIZE : (self._jn + k) * SIZE] = self._mv[done * SIZE : (done + k) * SIZE]
            self._jn += k
            done += k
            self.durable_seq = seq_of(self._jbuf, (self._jn - 1) * SIZE)

    def _flush_segments(self, n):
        jn = self._jn
        total = jn + n
        self._jmv[jn * SIZE : total * SIZE] = self._mv[: n * SIZE]
        done = 0
        while done < total:
            if self._f is None:
                if not self._has_room():
                    self.full = True
                    break
                first = seq_of(self._jbuf, done * SIZE)
                self._f = open(self._path(self._name(first)), "wb")
                self._fcount = 0
                self.segs.append(first)
            k = min(total - done, self.seg_records - self._fcount)
            self._f.write(self._jmv[done * SIZE : (done + k) * SIZE])
            self._f.flush()
            done += k
            self._fcount += k
            self.seg_seq = seq_of(self._jbuf, (done - 1) * SIZE)
            if self._fcount >= self.seg_records:
                self._f.close()
                self._f = None
        if done >= jn:
            self.durable_seq = max(self.durable_seq, self.seg_seq)
            self._clear_journal()
        elif done:
            self._close_active()
            self._recover()  # part of the journal moved: reload it from flash

    def _close_active(self):
        f, self._f = self._f, None
        if f:
            try:
                f.close()
            except OSError:
                pass

    def close(self):
        self.commit()
        self._close_active()

    # -- acknowledgement and reading ------------------------------------

    def ack(self, seq):
        """The host holds every record <= seq durably: persist the cursor, then
        delete whole segments it covers. Returns the ack cursor."""
        seq = min(seq, self.durable_seq)
        if seq > self.ack_seq:
            self.ack_seq = seq
            self._save_state()
            self._delete_acked()
        return self.ack_seq

    def oldest_seq(self):
        return self.segs[0] if self.segs else self.seg_seq + 1

    def read_into(self, from_seq, buf, max_n):
        """Copy up to max_n intact committed records with seq >= from_seq into
        buf, skipping acknowledged ones. Returns (n, next_seq): ask again from
        next_seq for more."""
        segs = self.segs
        seq = max(from_seq, self.oldest_seq(), self.ack_seq + 1)
        n = 0
        i = len(segs) - 1
        while i > 0 and segs[i] > seq:
            i -= 1
        mv = memoryview(buf)
        while n < max_n and seq <= self.seg_seq and i < len(segs):
            first = segs[i]
            end = segs[i + 1] - 1 if i + 1 < len(segs) else self.seg_seq
            if seq > end:
                i += 1
                if i < len(segs):
                    seq = max(seq, segs[i])
                continue
            k = min(max_n - n, end - seq + 1)
            try:
                with open(self._path(self._name(first)), "rb") as f:
                    f.seek((seq - first) * SIZE)
                    got = f.readinto(mv[n * SIZE : (n + k) * SIZE]) // SIZE
            except OSError:
                got = 0
            kept = 0
            for j in range(got):
                off = (n + j) * SIZE
                if check(buf, off) and seq_of(buf, off) == seq + j:
                    if kept != j:
                        buf[(n + kept) * SIZE : (n + kept + 1) * SIZE] = mv[off : off + SIZE]
                    kept += 1
            n += kept
            seq += k  # records missing or corrupt in this range are skipped
        seq = max(seq, self.seg_seq + 1) if n < max_n else seq
        while n < max_n and seq <= self.durable_seq:  # the journal, from RAM
            j = (seq - self.seg_seq - 1) * SIZE
            mv[n * SIZE : (n + 1) * SIZE] = self._jmv[j : j + SIZE]
            n += 1
            seq += 1
        return n, seq

    def records(self, from_seq=0):
        """Iterate the committed, unacknowledged records as Record objects."""
        from kiosk.records import decode
        buf = bytearray(16 * SIZE)
        seq = from_seq
        while True:
            n, nxt = self.read_into(seq, buf, 16)
            for i in range(n):
                yield decode(buf, i * SIZE)
            if nxt > self.durable_seq or nxt == seq:
                return
            seq = nxt

    def unacked(self):
        """Durable records not yet acknowledged (cheap: no file system walk, unlike stats())."""
        return max(0, self.durable_seq - max(self.ack_seq, self.oldest_seq() - 1))

    def unpulled(self):
        """Records a reset would lose: unacknowledged durable ones and those
        still waiting for their group commit."""
        return self.unacked() + self.pending

    def stats(self):
        oldest = self.oldest_seq()
        count = self.durable_seq - oldest + 1 if self.durable_seq >= oldest else 0
        st = os.statvfs(self.root)
        # free blocks minus the reserve and the next segment's slack, less
        # ~1/16 for littlefs metadata (measured: within 1% of a fill test)
        spare = max(0, st[3] - self.reserve - 1) * (st[0] // SIZE) * 15 // 16
        return {
            "count": count,
            "unacked": self.unacked(),
            "pending": self.pending,
            "dropped": self.dropped,
            "capacity": count + spare,
            "full": self.full,
            "oldest_seq": oldest,
            "durable_seq": self.durable_seq,
            "ack_seq": self.ack_seq,
            "log_id": self.log_id,
        }
