"""Serial protocol server: framed request/response over the kiosk's USB serial.

    srv = Server(stream, log)       # stream: poll(ms) -> bool, read(n), write(b)
    srv.poll()                      # non-blocking: handle what has arrived
    await srv.run()                 # or as an asyncio task beside the scan loop

Payload (inside a COBS/CRC32 frame, see kiosk.link.frame):
    request   ver u8 | cmd u8 | seq u16 LE | body
    response  ver u8 | cmd|0x80 u8 | seq u16 LE (echoed) | status u8 | data
Commands (docs/serial-protocol.md): HELLO 0x01, STATS 0x02, READ 0x03,
ACK 0x04 (signed: kiosk.records.ackauth; `ack_keys()` gives the keys that
may acknowledge, none by default). Every command is idempotent, so the host simply repeats a request
whose response was lost; READ is addressed by sequence number and ACK is
cumulative, which makes a pull resumable after any disconnect.

More commands (provisioning) plug into the handler table: a handler is
`fn(server, body) -> bytes-like response data` and may raise
LinkError(status, message). Garbage between frames (REPL text, line noise),
partial frames and oversized frames are skipped; nothing on the line can
raise out of poll().
"""

import struct

from micropython import const

from kiosk.link import LinkError
from kiosk.link.frame import Deframer, encode_into, max_wire

VERSION = const(1)
CMD_HELLO = const(1)
CMD_STATS = const(2)
CMD_READ = const(3)
CMD_ACK = const(4)
ST_OK = const(0)
ST_UNKNOWN = const(1)
ST_BAD_REQUEST = const(2)
ST_VERSION = const(3)
ST_FAILED = const(4)
ST_DENIED = const(5)  # not authorised (an ACK without a valid admin/collector signature)
_RESP = const(0x80)
_HDR = const(4)
_READ_HDR = const(6)
_MAX_REQUEST = const(1024)
_CHUNK = const(256)
_MAX_READS = const(8)


class Server:
    def __init__(self, stream, log, handlers=None, device_id=b"sim", firmware="0.1.0",
                 max_records=64):
        from kiosk.records import SIZE

        self.stream = stream
        self.log = log
        self.device_id = device_id
        self.firmware = firmware
        self.max_records = max_records
        self._rsize = SIZE
        self.handlers = {
            CMD_HELLO: Server._hello,
            CMD_STATS: Server._stats,
            CMD_READ: Server._read,
            CMD_ACK: Server._ack,
        }
        if handlers:
            self.handlers.update(handlers)
        self._deframer = Deframer(_MAX_REQUEST)
        self._records = bytearray(_READ_HDR + max_records * SIZE)
        self._tx = bytearray(_HDR + 1 + len(self._records) + 512 + 4)
        self._wire = bytearray(max_wire(len(self._tx)))
        self._pending = b""
        self._pos = 0
        self.requests = 0
        self.errors = 0
        self.ack_keys = _no_keys  # () -> [65-byte points] that may sign an ACK
        self.tickers = []  # fn(now_ms) called on every poll (e.g. upload timeouts)

    @property
    def bad_frames(self):
        return self._deframer.bad

    # -- transport --------------------------------------------------------

    def poll(self, max_frames=4):
        """Handle up to max_frames requests from what is waiting; never blocks
        on input. Returns the number of requests handled."""
        done = 0
        reads = 0
        for t in self.tickers:
            t(None)
        while done < max_frames:
            if self._pos >= len(self._pending):
                if reads >= _MAX_READS or not self.stream.poll(0):
                    break  # bounded work per call, even under a flood of garbage
                reads += 1
                try:
                    self._pending = self.stream.read(_CHUNK)
                except OSError:
                    self._pending = b""
                self._pos = 0
                if not self._pending:
                    break
            n, self._pos = self._deframer.feed(self._pending, self._pos)
            if n >= 0:
                self._dispatch(memoryview(self._deframer.payload)[:n])
                done += 1
        return done

    async def run(self, idle_ms=10):
        import asyncio

        while True:
            if not self.poll():
                await asyncio.sleep_ms(idle_ms)
            else:
                await asyncio.sleep_ms(0)

    def _dispatch(self, req):
        if len(req) < _HDR:
            self.errors += 1
            return
        cmd = req[1]
        seq = req[2] | (req[3] << 8)
        if cmd & _RESP:
            return  # our own echo or another device's response: ignore
        self.requests += 1
        if req[0] != VERSION:
            self._reply(cmd, seq, ST_VERSION, bytes((VERSION,)))
            return
        fn = self.handlers.get(cmd)
        if fn is None:
            self._reply(cmd, seq, ST_UNKNOWN, b"unknown command")
            return
        try:
            data = fn(self, req[_HDR:])
            status = ST_OK
        except LinkError as e:
            status, data = e.status, e.msg.encode()
        except (ValueError, IndexError, TypeError) as e:
            status, data = ST_BAD_REQUEST, str(e).encode()
        except Exception as e:  # noqa: BLE001 - a handler bug must not kill the kiosk
            status, data = ST_FAILED, repr(e).encode()
        if status:
            self.errors += 1
        self._reply(cmd, seq, status, data)

    def _reply(self, cmd, seq, status, data):
        tx = self._tx
        n = len(data)
        if _HDR + 1 + n + 4 > len(tx):
            status, data, n = ST_FAILED, b"response too large", 18
        tx[0] = VERSION
        tx[1] = cmd | _RESP
        tx[2] = seq & 0xFF
        tx[3] = seq >> 8
        tx[4] = status
        tx[5 : 5 + n] = data
        m = encode_into(tx, 5 + n, self._wire)
        try:
            self.stream.write(memoryview(self._wire)[:m])
        except OSError:
            pass  # host gone; it will ask again

    # -- commands ---------------------------------------------------------

    def _hello(self, body):
        """-> proto ver, max records per READ, record size, log id, device id, firmware."""
        log = self.log
        if log.pending:
            log.commit()
        dev = self.device_id
        fw = self.firmware.encode()
        return struct.pack("<BHBIB", VERSION, self.max_records, self._rsize, log.log_id, len(dev)) + dev + bytes((len(fw),)) + fw

    def _stats(self, body):
        s = self.log.stats()
        return struct.pack("<IIIIIIIB", s["count"], s["unacked"], s["dropped"], s["capacity"],
                           s["oldest_seq"], s["durable_seq"], s["ack_seq"], 1 if s["full"] else 0)

    def _read(self, body):
        """body: from_seq u32, max_n u16 -> next_seq u32, n u16, n records."""
        if len(body) < 6:
            raise LinkError(ST_BAD_REQUEST, "READ needs from_seq u32, max_n u16")
        from_seq, max_n = struct.unpack_from("<IH", body)
        max_n = min(max_n, self.max_records)
        buf = self._records
        n, nxt = self.log.read_into(from_seq, memoryview(buf)[_READ_HDR:], max_n)
        struct.pack_into("<IH", buf, 0, nxt, n)
        return memoryview(buf)[: _READ_HDR + n * self._rsize]

    def _ack(self, body):
        """body: seq u32 LE | sig 64 (kiosk.records.ackauth over device id, log id,
        seq) -> ack cursor u32. Every record <= seq is safe on the host."""
        from kiosk.records import ackauth

        if len(body) != 4 + ackauth.SIG_LEN:
            raise LinkError(ST_BAD_REQUEST, "ACK needs seq u32 and a 64-byte signature")
        seq = struct.unpack_from("<I", body)[0]
        log = self.log
        try:
            cur = ackauth.apply(log, self.ack_keys(), self.device_id, log.log_id, seq, body[4:])
        except ackauth.AckRefused as e:
            raise LinkError(ST_DENIED, str(e))
        return struct.pack("<I", cur)


def _no_keys():
    return ()
