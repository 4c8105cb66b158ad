# COBS + CRC32 framing: vectors, resync after garbage, corruption, bounds.
import random

import mpassert
from kiosk.link.frame import Deframer, cobs_decode_into, cobs_encode_into, encode


def cobs(data):
    out = bytearray(len(data) + len(data) // 254 + 2)
    return bytes(out[: cobs_encode_into(bytearray(data), len(data), out, 0)])


def uncobs(data):
    out = bytearray(len(data))
    n = cobs_decode_into(data, len(data), out)
    return None if n < 0 else bytes(out[:n])


def frames_of(stream, df=None, chunk=7):
    df = df or Deframer(600)
    got = []
    for i in range(0, len(stream), chunk):
        piece = stream[i : i + chunk]
        pos = 0
        while pos < len(piece):
            n, pos = df.feed(piece, pos)
            if n >= 0:
                got.append(bytes(df.payload[:n]))
    return got, df


def test_cobs_known_vectors():
    # vectors from the COBS paper / Wikipedia examples
    mpassert.eq(cobs(b"\x00"), b"\x01\x01")
    mpassert.eq(cobs(b"\x00\x00"), b"\x01\x01\x01")
    mpassert.eq(cobs(b"\x11\x22\x00\x33"), b"\x03\x11\x22\x02\x33")
    mpassert.eq(cobs(b"\x11\x00\x00\x00"), b"\x02\x11\x01\x01\x01")
    run = bytes(range(1, 255))
    enc = cobs(run)
    mpassert.eq(enc[0], 0xFF)
    mpassert.eq(uncobs(enc), run)
    mpassert.eq(uncobs(b"\x03\x11"), None)  # code runs past the end


def test_cobs_roundtrip_random():
    random.seed(1)
    for _ in range(200):
        n = random.getrandbits(10)
        data = bytes(random.getrandbits(8) if random.getrandbits(2) else 0 for _ in range(n))
        enc = cobs(data)
        mpassert.eq(enc.find(b"\x00"), -1)
        mpassert.eq(uncobs(enc), data)


def test_frames_survive_garbage_and_split_reads():
    payloads = [b"hello", bytes(300), bytes(range(256)) * 2, b"\x00\x01\x00"]
    stream = b"REPL text >>> \r\n" + b"".join(encode(p) + b"noise\x03\x04" for p in payloads)
    for chunk in (1, 3, 64, 4096):
        got, df = frames_of(stream, chunk=chunk)
        mpassert.eq(got, payloads, "chunk %d" % chunk)
        mpassert.eq(df.bad >= 1, True)


def test_every_bit_flip_and_drop_is_rejected():
    p = b"\x01\x03\x07\x00" + bytes(range(40))
    wire = encode(p)
    for bit in range(8, (len(wire) - 1) * 8):
        bad = bytearray(wire)
        bad[bit // 8] ^= 1 << (bit % 8)
        got, _ = frames_of(bytes(bad) + encode(b"next"))
        mpassert.eq(got[-1], b"next")
        mpassert.eq(p in got, False, "flip %d accepted" % bit)
    for i in range(1, len(wire) - 1):
        got, _ = frames_of(wire[:i] + wire[i + 1 :])
        mpassert.eq(got, [])


def test_oversized_and_fuzzed_input_is_bounded():
    df = Deframer(64)
    got, df = frames_of(b"\x05" * 5000 + encode(b"ok"), df)
    mpassert.eq(got, [b"ok"])
    mpassert.eq(len(df._raw) < 100, True)
    random.seed(9)
    junk = bytes(random.getrandbits(8) for _ in range(20000))
    frames_of(junk, Deframer(64), chunk=97)  # must not raise
