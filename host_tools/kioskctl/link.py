"""Host side of the kiosk serial protocol (docs/serial-protocol.md).

    link = Link(port)               # an open pyserial-like port (read/write/timeout)
    info = link.hello()             # dict: proto, max_records, record_size, log_id, device, firmware
    st = link.stats()               # dict: count, unacked, dropped, capacity, ...
    nxt, recs = link.read(seq, 64)  # recs: list of (seq, 32-byte raw record)
    link.ack(seq, sig)              # the host holds every record <= seq durably
                                    # (sig: kioskctl.ackauth.sign_ack)

`Puller` runs a pipelined pull (several READs in flight keep a slow line
busy), resends requests whose answer is lost or corrupt, tracks which
sequence ranges are covered and hands records to a store; it acknowledges
only what the store reports durable, and only when given a signer (an ACK
must be signed by the admin or a collector key; without one nothing is
acknowledged and the kiosk keeps every record). Frames are COBS (the PyPI `cobs`
package) + CRC32 as in the firmware (kiosk.link.frame); records are decoded by
the firmware's own kiosk.records (through kioskctl.fw).
"""

import struct
import time
import zlib

from cobs import cobs

from kioskctl.errors import DeviceError
from kioskctl.fw import proto, records

# The protocol's numbers and the record layout come from the firmware (kioskctl.fw).
VERSION = proto.VERSION
HELLO, STATS, READ, ACK = proto.CMD_HELLO, proto.CMD_STATS, proto.CMD_READ, proto.CMD_ACK
RECORD_SIZE = records.SIZE
REASONS = records.REASONS
STATUS = {proto.ST_OK: "ok", proto.ST_UNKNOWN: "unknown command", proto.ST_BAD_REQUEST: "bad request",
          proto.ST_VERSION: "protocol version mismatch", proto.ST_FAILED: "failed"}
for _name in dir(proto):  # statuses added to the firmware later still get a name
    if _name.startswith("ST_") and getattr(proto, _name) not in STATUS:
        STATUS[getattr(proto, _name)] = _name[3:].lower().replace("_", " ")


class LinkError(DeviceError):
    """The kiosk answered with an error status, or not at all."""


class LinkDown(LinkError):
    """The port failed (cable pulled, device gone)."""


def cobs_encode(data):
    return cobs.encode(bytes(data))


def cobs_decode(data):
    """Decoded bytes, or None when `data` is not valid COBS."""
    try:
        return cobs.decode(bytes(data))
    except cobs.DecodeError:
        return None


def frame(payload):
    """Wire frame: 0x00 COBS(payload || CRC32-LE(payload)) 0x00 (as kiosk.link.frame)."""
    body = bytes(payload) + struct.pack("<I", zlib.crc32(payload) & 0xFFFFFFFF)
    return b"\x00" + cobs_encode(body) + b"\x00"


class Deframer:
    """Bytes in, intact payloads out; bounded, skips garbage, counts bad frames."""

    def __init__(self, max_payload=16384):
        self.buf = bytearray()
        self.limit = max_payload + max_payload // 254 + 16
        self.bad = 0

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            z = self.buf.find(0)
            if z < 0:
                if len(self.buf) > self.limit:
                    self.buf.clear()
                    self.bad += 1
                return out
            raw = bytes(self.buf[:z])
            del self.buf[: z + 1]
            if not raw:
                continue
            body = cobs_decode(raw) if len(raw) <= self.limit else None
            if body is None or len(body) < 5 or zlib.crc32(body[:-4]) & 0xFFFFFFFF != struct.unpack("<I", body[-4:])[0]:
                self.bad += 1
                continue
            out.append(body[:-4])


def decode_record(raw):
    """dict for a 32-byte record (kiosk.records.decode), or None when its version, CRC or a field is bad."""
    if len(raw) != RECORD_SIZE:
        return None
    try:
        r = records.decode(bytes(raw))
    except records.RecordError:
        return None
    return {
        "seq": r.seq, "time": r.time, "verdict": r.verdict, "colour": r.colour, "reason": r.reason,
        "key_index": r.key_index, "pseudonym": r.pseudonym.hex(), "admit": r.admit, "kind": r.kind,
    }


class Link:
    def __init__(self, port, timeout=2.0, retries=6):
        self.port = port
        self.timeout = timeout
        self.retries = retries
        self.deframer = Deframer()
        self._seq = 0
        self._stash = []  # responses that arrived while request() waited for another
        self.notify = None  # notify(text): a status line while a request waits (a silent port)
        self.rx_bytes = 0
        self.tx_bytes = 0

    # -- transport --------------------------------------------------------

    def send(self, cmd, body=b""):
        """Send one request; returns its sequence number."""
        self._seq = (self._seq + 1) & 0xFFFF
        wire = frame(struct.pack("<BBH", VERSION, cmd, self._seq) + bytes(body))
        try:
            self.port.write(wire)
        except Exception as exc:  # pyserial raises SerialException (an OSError subclass or not)
            raise LinkDown("serial write failed: %s" % exc) from exc
        self.tx_bytes += len(wire)
        return self._seq

    def receive(self, wait):
        """Read for up to `wait` seconds; returns [(cmd, rseq, status, data)]."""
        if self._stash:
            out, self._stash = self._stash, []
            return out
        return self._receive(wait)

    def _receive(self, wait):
        deadline = time.monotonic() + wait
        out = []
        while True:
            try:
                n = self.port.in_waiting
                data = self.port.read(n if n else 1)
            except Exception as exc:
                raise LinkDown("serial read failed: %s" % exc) from exc
            if data:
                self.rx_bytes += len(data)
                for p in self.deframer.feed(data):
                    if len(p) >= 5 and p[0] == VERSION and p[1] & 0x80:
                        out.append((p[1] & 0x7F, p[2] | p[3] << 8, p[4], p[5:]))
            if out or time.monotonic() >= deadline:
                return out

    def request(self, cmd, body=b""):
        """Send, wait for the matching answer, resend on loss; returns data.

        An answer to any copy of this request counts: a kiosk slower than
        the timeout (a verify on a busy board) answers the first copy late,
        and waiting only for the newest copy would never succeed."""
        sent = set()
        for attempt in range(self.retries):
            if attempt and self.notify:
                self.notify("no answer from the kiosk after %.0f s; asking again (%d of %d)" % (
                    attempt * self.timeout, attempt + 1, self.retries))
            sent.add(self.send(cmd, body))
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                for resp in self._receive(deadline - time.monotonic()):
                    c, s, status, data = resp
                    if s not in sent or c != cmd:
                        self._stash.append(resp)  # a pipelined answer: keep it
                        continue
                    if status:
                        raise LinkError(refusal(cmd, status, data))
                    return data
        raise LinkError("no answer from the kiosk after %d tries (command %d)" % (self.retries, cmd))

    # -- commands ---------------------------------------------------------

    def hello(self):
        d = self.request(HELLO)
        proto, maxn, rsize, log_id, dlen = struct.unpack_from("<BHBIB", d)
        dev = d[9 : 9 + dlen]
        flen = d[9 + dlen]
        fw = d[10 + dlen : 10 + dlen + flen].decode("utf-8", "replace")
        return {"proto": proto, "max_records": maxn, "record_size": rsize, "log_id": log_id,
                "device": dev.decode("utf-8", "replace"), "firmware": fw}

    def stats(self):
        vals = struct.unpack_from("<IIIIIIIB", self.request(STATS))
        keys = ("count", "unacked", "dropped", "capacity", "oldest_seq", "durable_seq", "ack_seq", "full")
        return dict(zip(keys, vals))

    def read(self, from_seq, max_n=64):
        return parse_read(self.request(READ, struct.pack("<IH", from_seq, max_n)))

    def ack(self, seq, sig):
        """Ask the kiosk to move its ack cursor to seq; returns the cursor."""
        return struct.unpack_from("<I", self.request(ACK, struct.pack("<I", seq) + bytes(sig)))[0]


def refusal(cmd, status, data):
    """The kiosk's reason first, then what was refused: one readable line."""
    why = bytes(data).decode("utf-8", "replace").strip()
    what = "command %d, status %s" % (cmd, STATUS.get(status, status))
    return "kiosk refused: %s (%s)" % (why, what) if why else "kiosk refused %s" % what


def parse_read(data):
    nxt, n = struct.unpack_from("<IH", data)
    recs = []
    for i in range(n):
        raw = bytes(data[6 + i * RECORD_SIZE : 6 + (i + 1) * RECORD_SIZE])
        recs.append((struct.unpack_from("<I", raw, 2)[0], raw))
    return nxt, recs


class Puller:
    """Pipelined, resumable pull of records [start, upto] into `store`.

    store.add(records) takes [(seq, raw)] (duplicates allowed), store.commit()
    makes them durable. Acknowledgements go out only after a commit and only
    for the contiguous covered prefix. On a lossy line the READ size shrinks
    (halved on each lost answer) and grows back with every good one."""

    def __init__(self, link, store, start, upto, batch=64, window=3, commit_every=1024, progress=None,
                 signer=None):
        """`signer(seq)` -> 64-byte ACK signature for seq, or None: acknowledge nothing."""
        self.link = link
        self.signer = signer
        self.store = store
        self.covered = start  # every device record < covered has been received
        self.upto = upto
        self.max_batch = batch
        self.batch = batch
        self.window = window
        self.commit_every = commit_every
        self.progress = progress
        self.received = 0
        self.resends = 0
        self.acked = start - 1
        self._done = {}  # from_seq -> next_seq for ranges answered beyond `covered`
        self._srtt = None
        self._since_commit = 0

    def _rto(self):
        return 2.0 if self._srtt is None else min(5.0, max(0.3, 3.0 * self._srtt))

    def _is_covered(self, pos, inflight):
        if pos in self._done:
            return True
        return any(f <= pos < f + n for f, n, _, _ in inflight.values())

    def run(self):
        """Pull until `upto` is covered; raises LinkDown if the port fails
        (set `link` to a new Link and call run() again to resume)."""
        inflight = {}  # rseq -> (from_seq, max_n, sent_at, order)
        cursor = self.covered
        order = 0
        while self.covered <= self.upto:
            now = time.monotonic()
            for rseq, (f, n, t, _) in list(inflight.items()):
                if now - t > self._rto():
                    self._lost(inflight, rseq)
            while len(inflight) < self.window:
                if not self._is_covered(self.covered, inflight):
                    pos = self.covered  # a hole at the front: fill it first
                elif cursor <= self.upto:
                    pos = cursor = max(cursor, self.covered)
                else:
                    break
                if self._is_covered(pos, inflight):
                    cursor = pos + 1
                    continue
                n = self.batch
                later = [f for f in self._done if f > pos] + [v[0] for v in inflight.values() if v[0] > pos]
                if later:
                    n = max(1, min(n, min(later) - pos))
                order += 1
                rseq = self.link.send(READ, struct.pack("<IH", pos, n))
                inflight[rseq] = (pos, n, time.monotonic(), order)
                if pos >= cursor:
                    cursor = pos + n
            for cmd, rseq, status, data in self.link.receive(0.05):
                req = inflight.pop(rseq, None)
                if cmd != READ or req is None:
                    continue
                if status:
                    raise LinkError("kiosk refused READ: %s" % STATUS.get(status, status))
                # the kiosk answers in order: anything sent before this is lost
                for k in [k for k, v in inflight.items() if v[3] < req[3]]:
                    self._lost(inflight, k)
                self._answer(req, data)
            inflight = {k: v for k, v in inflight.items() if v[0] + v[1] > self.covered}
            cursor = max(cursor, self.covered)
            if self._since_commit >= self.commit_every:
                self.checkpoint()
        self.checkpoint()

    def _lost(self, inflight, rseq):
        del inflight[rseq]  # asked again (smaller) by the send loop
        self.resends += 1
        self.batch = max(4, self.batch // 2)

    def _answer(self, req, data):
        f, n, t, _ = req
        rtt = time.monotonic() - t
        self._srtt = rtt if self._srtt is None else 0.8 * self._srtt + 0.2 * rtt
        self.batch = min(self.max_batch, self.batch + 8)
        nxt, recs = parse_read(data)
        if recs:
            self.store.add(recs)
            self.received += len(recs)
            self._since_commit += len(recs)
            if self.progress:
                self.progress(len(recs))
        self._done[f] = max(nxt, f + 1, self._done.get(f, 0))
        self._advance()

    def _advance(self):
        while True:
            step = [n for f, n in self._done.items() if f <= self.covered and n > self.covered]
            for f in [f for f, n in self._done.items() if n <= self.covered]:
                del self._done[f]
            if not step:
                return
            self.covered = max(step)

    def checkpoint(self):
        """Commit the store, then acknowledge the covered prefix."""
        self.store.commit()
        self._since_commit = 0
        top = self.covered - 1
        if self.signer is not None and top > self.acked:
            self.acked = self.link.ack(top, self.signer(top))
