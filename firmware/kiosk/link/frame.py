"""COBS framing with CRC32 for the serial protocol (docs/serial-protocol.md).

On the wire a frame is
    0x00  COBS(payload || CRC32-LE(payload))  0x00
COBS removes every 0x00 from the body, so 0x00 only ever delimits frames and a
receiver resynchronises at the next 0x00 after garbage, a dropped byte or REPL
text. CRC32 is binascii.crc32 (IEEE 802.3, as zlib).

`encode_into(payload, out)` writes a whole wire frame into a preallocated
buffer. `Deframer(max_payload)` is fed raw bytes and returns intact payloads;
it never holds more than its bounded buffer, counts what it discards in
`bad` (CRC, COBS or length errors) and never raises on input.
"""

import struct
from binascii import crc32

from micropython import const

_ZERO = b"\x00"


def max_wire(n):
    """Wire size bound for a payload of n bytes."""
    n += 4
    return n + n // 254 + 3


def cobs_encode_into(src, n, dst, o):
    """COBS-encode src[:n] into dst at o; returns the new end offset."""
    ms = memoryview(src)
    md = memoryview(dst)
    pos = 0
    while True:
        z = src.find(_ZERO, pos)
        end = n if z < 0 or z >= n else z
        while end - pos >= 254:
            dst[o] = 255
            md[o + 1 : o + 255] = ms[pos : pos + 254]
            o += 255
            pos += 254
        k = end - pos
        dst[o] = k + 1
        md[o + 1 : o + 1 + k] = ms[pos:end]
        o += k + 1
        if end == n:
            return o
        pos = end + 1


def cobs_decode_into(src, n, dst):
    """Decode COBS src[:n] into dst; returns the length, or -1 if malformed."""
    i = 0
    o = 0
    cap = len(dst)
    ms = memoryview(src)
    md = memoryview(dst)
    while i < n:
        c = src[i]
        if c == 0 or i + c > n or o + c - 1 > cap:
            return -1
        md[o : o + c - 1] = ms[i + 1 : i + c]
        o += c - 1
        i += c
        if c < 255 and i < n:
            if o >= cap:
                return -1
            dst[o] = 0
            o += 1
    return o


def encode_into(payload, n, out):
    """Whole wire frame for payload[:n] into `out`; returns its length.
    `payload` must have 4 spare bytes after n (the CRC goes there)."""
    struct.pack_into("<I", payload, n, crc32(memoryview(payload)[:n]))
    out[0] = 0
    o = cobs_encode_into(payload, n + 4, out, 1)
    out[o] = 0
    return o + 1


def encode(payload):
    buf = bytearray(len(payload) + 4)
    buf[: len(payload)] = payload
    out = bytearray(max_wire(len(payload)))
    return bytes(out[: encode_into(buf, len(payload), out)])


class Deframer:
    def __init__(self, max_payload=1024):
        self._raw = bytearray(max_wire(max_payload))
        self._n = 0
        self._skip = False  # overflowed: drop bytes until the next 0x00
        self.payload = bytearray(max_payload + 4)
        self.bad = 0
        self.frames = 0

    def reset(self):
        self._n = 0
        self._skip = False

    def feed(self, data, start=0):
        """Consume data[start:] up to the end of the first intact frame.
        Returns (payload_len, next_start): payload_len -1 when data ran out
        before a frame completed; call again from next_start for more."""
        end = len(data)
        raw = self._raw
        cap = len(raw)
        i = start
        while i < end:
            z = data.find(_ZERO, i)
            stop = end if z < 0 else z
            k = stop - i
            if not self._skip:
                if self._n + k > cap:
                    self._skip = True
                    self.bad += 1
                    self._n = 0
                else:
                    raw[self._n : self._n + k] = memoryview(data)[i:stop]
                    self._n += k
            if z < 0:
                return -1, end
            i = z + 1
            n = self._n
            skipped = self._skip
            self.reset()
            if skipped or n == 0:
                continue
            m = cobs_decode_into(raw, n, self.payload)
            if m < 5 or crc32(memoryview(self.payload)[: m - 4]) != struct.unpack_from("<I", self.payload, m - 4)[0]:
                self.bad += 1
                continue
            self.frames += 1
            return m - 4, i
        return -1, end
