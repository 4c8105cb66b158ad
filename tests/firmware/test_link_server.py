# The serial protocol server against a real log on littlefs, through an
# in-memory byte pipe (the pty path is covered by tests/e2e/test_pull_e2e.py).
import struct

import mpassert
from mppipe import Pipe
import vfs
from flashdev import FlashDev
from kiosk.link import LinkError
from kiosk.link.frame import Deframer, encode
from kiosk.link.server import Server
from kiosk.records import SIZE, Record, decode
from kiosk.records.log import Log

HEAPSIZE = "1M"


def setup(n=100):
    dev = FlashDev(FlashDev.blank(4096, 32))
    vfs.VfsLfs2.mkfs(dev)
    try:
        vfs.umount("/s")
    except OSError:
        pass
    vfs.mount(vfs.VfsLfs2(dev), "/s")
    log = Log("/s/log", seg_records=16)
    for i in range(n):
        log.append(Record(time=1000 + i, reason="ok", pseudonym=b"q" * 12))
    log.commit()
    pipe = Pipe()
    return Server(pipe, log, device_id=b"kiosk-7"), pipe, log


def request(srv, pipe, cmd, body=b"", seq=1, ver=1):
    pipe.rx += encode(bytes((ver, cmd, seq & 255, seq >> 8)) + body)
    while srv.poll():
        pass
    return responses(pipe)


def responses(pipe):
    df = Deframer(4096)
    out = []
    pos = 0
    data = bytes(pipe.tx)
    pipe.tx = bytearray()
    while pos < len(data):
        n, pos = df.feed(data, pos)
        if n >= 0:
            p = bytes(df.payload[:n])
            out.append((p[1], p[2] | p[3] << 8, p[4], p[5:]))
    return out


def test_hello_stats_read_ack():
    srv, pipe, log = setup(100)
    [(cmd, seq, st, data)] = request(srv, pipe, 1, seq=513)
    mpassert.eq((cmd, seq, st), (0x81, 513, 0))
    ver, maxn, rsize, log_id, dlen = struct.unpack_from("<BHBIB", data)
    mpassert.eq((ver, maxn, rsize, log_id, data[9 : 9 + dlen]), (1, 64, 32, log.log_id, b"kiosk-7"))
    [(_, _, st, data)] = request(srv, pipe, 2)
    mpassert.eq(struct.unpack("<IIIIIIIB", data)[:3], (100, 100, 0))
    got = []
    nxt = 1
    while True:
        [(_, _, st, data)] = request(srv, pipe, 3, struct.pack("<IH", nxt, 40))
        nxt, n = struct.unpack_from("<IH", data)
        mpassert.eq(len(data), 6 + n * SIZE)
        got += [decode(data, 6 + i * SIZE).seq for i in range(n)]
        if n == 0:
            break
    mpassert.eq(got, list(range(1, 101)))
    import test_provision_keys as K
    from kiosk.records import ackauth

    srv.ack_keys = lambda: [K.pub(K.ADMIN)]
    sig = K.sign(K.ADMIN, ackauth.message(b"kiosk-7", log.log_id, 60))
    [(_, _, st, data)] = request(srv, pipe, 4, struct.pack("<I", 60) + sig)
    mpassert.eq((st, struct.unpack("<I", data)[0]), (0, 60))
    [(_, _, st, data)] = request(srv, pipe, 3, struct.pack("<IH", 1, 5))
    mpassert.eq(decode(data, 6).seq, 61)  # acknowledged records are not served again


def test_errors_are_answered_not_raised():
    srv, pipe, log = setup(3)
    mpassert.eq(request(srv, pipe, 0x55)[0][2], 1)  # unknown command
    mpassert.eq(request(srv, pipe, 3, b"\x01")[0][2], 2)  # short READ
    mpassert.eq(request(srv, pipe, 1, ver=9)[0][2:], (3, b"\x01"))  # version
    mpassert.eq(request(srv, pipe, 0x81), [])  # a response is never answered
    pipe.rx += b"\x00garbage\x00\x01\x02\x03" + bytes(range(256)) * 10
    srv.poll(100)
    mpassert.eq(responses(pipe), [])
    mpassert.eq(request(srv, pipe, 2)[0][2], 0)  # still serving


def test_handler_table_extension():
    def echo(server, body):
        if not body:
            raise LinkError(7, "empty")
        return bytes(reversed(bytes(body)))

    srv, pipe, log = setup(1)
    srv.handlers[0x20] = echo
    mpassert.eq(request(srv, pipe, 0x20, b"abc")[0][2:], (0, b"cba"))
    mpassert.eq(request(srv, pipe, 0x20)[0][2:], (7, b"empty"))


def test_requests_split_across_polls():
    srv, pipe, log = setup(5)
    wire = encode(bytes((1, 2, 9, 0)))
    for b in wire:
        pipe.rx.append(b)
        srv.poll()
    [(cmd, seq, st, _)] = responses(pipe)
    mpassert.eq((cmd, seq, st), (0x82, 9, 0))


def test_a_flood_of_garbage_never_holds_the_caller():
    class Flood(Pipe):
        def poll(self, ms=0):
            return True

        def read(self, n):
            return b"\x55" * n  # endless bytes, never a frame delimiter

    srv, pipe, log = setup(1)
    srv.stream = Flood()
    for _ in range(50):
        mpassert.eq(srv.poll(), 0)  # returns: bounded work per call
    mpassert.eq(srv.bad_frames >= 1, True)
