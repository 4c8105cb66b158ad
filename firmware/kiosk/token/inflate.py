"""zlib inflation with bounded output and a bounded window.

HCERT (the EU DCC container) compresses the COSE message with zlib
(RFC 1950). MicroPython has no `zlib` module; `deflate.DeflateIO` does
the work and checks the header and the Adler-32 trailer itself.

inflate(data, max_out) returns the decompressed bytes or raises
TokenError("malformed") when:
  * the zlib header is invalid (CM must be 8, CINFO <= 7, FCHECK must make
    the first two bytes a multiple of 31, no preset dictionary),
  * the stream is truncated, corrupt, or fails its Adler-32 check,
  * the output would exceed `max_out` bytes (default 16 KB): a zlib bomb
    is read into a fixed buffer of max_out + 1 bytes and stopped there, so
    it costs neither memory nor time beyond the bound,
  * bytes follow the end of the zlib stream.

Window: the decoder allocates 2**wbits bytes for its sliding window. The
header may ask for up to 32 KB (CINFO 7); we cap it at `max_wbits`
(default 11, 2 KB, about 3-4 KB of heap instead of ~35 KB). Every payload
of the EU DCC test corpus inflates with a 512-byte window (measured with
tests/firmware/test_token_corpus.py); a stream that refers further back
than the capped window cannot be decoded correctly and is rejected by the
Adler-32 check (or the decoder's own distance check), never accepted.

zlib_stored(data) is the inverse without compression (stored blocks,
RFC 1951 section 3.2.4): the tests and the fuzz harness use it to wrap
COSE messages they build or mutate on MicroPython, which has no deflater.

is_zlib(data) tells whether data starts with a valid zlib header. HCERT
payloads that do not (e.g. a COSE message starting 0xD2, 0xD8 or 0x84) are
taken as uncompressed COSE by kiosk.token.parse.
"""

import io

import deflate
from micropython import const

_MAX_OUT = const(16384)
_MAX_WBITS = const(11)
_MIN_WBITS = const(9)


def _error(msg):
    from kiosk.token import TokenError

    return TokenError("malformed", "zlib: " + msg)


def is_zlib(data):
    """True if the first two bytes are a valid zlib (RFC 1950) header."""
    if len(data) < 2:
        return False
    cmf = data[0]
    flg = data[1]
    return (cmf & 0x0F) == 8 and (cmf >> 4) <= 7 and ((cmf << 8) | flg) % 31 == 0 and not flg & 0x20


def inflate(data, max_out=_MAX_OUT, max_wbits=_MAX_WBITS):
    """Decompress a zlib stream into at most max_out bytes; raise TokenError."""
    if not is_zlib(data):
        raise _error("bad header")
    wbits = (data[0] >> 4) + 8
    if wbits > max_wbits:
        wbits = max_wbits
    if wbits < _MIN_WBITS:
        wbits = _MIN_WBITS
    src = io.BytesIO(data)
    buf = bytearray(max_out + 1)
    mv = memoryview(buf)
    n = 0
    try:
        stream = deflate.DeflateIO(src, deflate.ZLIB, wbits)
        while n <= max_out:
            k = stream.readinto(mv[n:])
            if not k:
                break
            n += k
    except EOFError:
        raise _error("truncated stream")
    except OSError:
        raise _error("corrupt stream or checksum mismatch")
    except ValueError:
        raise _error("corrupt stream")
    if n > max_out:
        raise _error("output exceeds %d bytes" % max_out)
    if src.tell() != len(data):
        raise _error("%d trailing bytes" % (len(data) - src.tell()))
    return bytes(mv[:n])


def _adler32(data):
    a = 1
    b = 0
    for i in range(0, len(data), 3800):
        for c in data[i : i + 3800]:
            a += c
            b += a
        a %= 65521
        b %= 65521
    return (b << 16) | a


def zlib_stored(data):
    """Wrap data in a valid zlib stream of stored (uncompressed) blocks."""
    out = bytearray(b"\x78\x01")
    n = len(data)
    i = 0
    while True:
        k = min(n - i, 65535)
        out.append(1 if i + k >= n else 0)
        out.extend(bytes((k & 0xFF, k >> 8, ~k & 0xFF, (~k >> 8) & 0xFF)))
        out.extend(data[i : i + k])
        i += k
        if i >= n:
            break
    out.extend(_adler32(data).to_bytes(4, "big"))
    return bytes(out)
