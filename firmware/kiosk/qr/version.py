"""QR Model 2 symbol geometry: versions, EC blocks, format and version info.

Tables follow ISO/IEC 18004:2015. Per version and EC level we keep only the
number of check codewords per block and the number of blocks; the data
codewords per block follow from the total codeword count, which is computed
from the module layout (`total_codewords`).

Format information (15 bits, BCH(15,5), XOR mask 0x5412) and version
information (18 bits, BCH(18,6), versions 7 to 40) are decoded by nearest
valid code word, accepting at most 3 bit errors.
"""

import micropython
from micropython import const

from kiosk.qr.errors import QRError

_FMT_MASK = const(0x5412)
_MAX_FMT_ERR = const(3)
_MAX_FMT_SUM = const(6)

# EC level order in the tables: L, M, Q, H. Format bits: L=01 M=00 Q=11 H=10.
LEVELS = "LMQH"
_FMT_LEVEL = "MLHQ"

# Check codewords per block, versions 1..40, for L, M, Q, H in turn.
_ECB = (
    b"\x07\n\x0f\x14\x1a\x12\x14\x18\x1e\x12\x14\x18\x1a\x1e\x16\x18\x1c\x1e\x1c\x1c"
    b"\x1c\x1c\x1e\x1e\x1a\x1c\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e"
    b"\n\x10\x1a\x12\x18\x10\x12\x16\x16\x1a\x1e\x16\x16\x18\x18\x1c\x1c\x1a\x1a\x1a"
    b"\x1a\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c\x1c"
    b"\r\x16\x12\x1a\x12\x18\x12\x16\x14\x18\x1c\x1a\x18\x14\x1e\x18\x1c\x1c\x1a\x1e"
    b"\x1c\x1e\x1e\x1e\x1e\x1c\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e"
    b"\x11\x1c\x16\x10\x16\x1c\x1a\x1a\x18\x1c\x18\x1c\x16\x18\x18\x1e\x1c\x1c\x1a\x1c"
    b"\x1e\x18\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e\x1e"
)
# Number of blocks, same layout.
_NB = (
    b"\x01\x01\x01\x01\x01\x02\x02\x02\x02\x04\x04\x04\x04\x04\x06\x06\x06\x06\x07\x08"
    b"\x08\t\t\n\x0c\x0c\x0c\r\x0e\x0f\x10\x11\x12\x13\x13\x14\x15\x16\x18\x19"
    b"\x01\x01\x01\x02\x02\x04\x04\x04\x05\x05\x05\x08\t\t\n\n\x0b\r\x0e\x10"
    b"\x11\x11\x12\x14\x15\x17\x19\x1a\x1c\x1d\x1f!#%&(+-/1"
    b"\x01\x01\x02\x02\x04\x04\x06\x06\x08\x08\x08\n\x0c\x10\x0c\x11\x10\x12\x15\x14"
    b'\x17\x17\x19\x1b\x1d""#&(+-0358;>AD'
    b"\x01\x01\x02\x04\x04\x04\x05\x06\x08\x08\x0b\x0b\x10\x10\x12\x10\x13\x15\x19\x19"
    b'\x19"\x1e #%(*-0369<?BFJMQ'
)


def dimension(version):
    return 17 + 4 * version


def total_codewords(version):
    r = (16 * version + 128) * version + 64
    if version >= 2:
        n = version // 7 + 2
        r -= (25 * n - 10) * n - 55
        if version >= 7:
            r -= 36
    return r >> 3


def blocks(version, level):
    """(check codewords per block, number of blocks) for level in 'LMQH'."""
    i = LEVELS.index(level) * 40 + version - 1
    return _ECB[i], _NB[i]


def alignment_positions(version):
    if version < 2:
        return ()
    n = version // 7 + 2
    size = dimension(version)
    step = 26 if version == 32 else (version * 8 + n * 3 + 5) // (n * 4 - 4) * 2
    out = [6] + [size - 7 - i * step for i in range(n - 2, -1, -1)]
    return tuple(out)


def _bch_rem(value, poly, plen):
    v = value << (plen - 1)
    for bit in range(31, plen - 2, -1):
        if v & (1 << bit):
            v ^= poly << (bit - plen + 1)
    return (value << (plen - 1)) | v


FORMAT_CODES = tuple(_bch_rem(d, 0x537, 11) ^ _FMT_MASK for d in range(32))
VERSION_CODES = tuple(_bch_rem(v, 0x1F25, 13) for v in range(7, 41))


_BITS = bytes(bin(i).count("1") for i in range(256))  # set bits of a byte


def _popcount(x):
    """Set bits of 0 <= x < 2^24 (format and version readings: 15, 18 bits)."""
    b = _BITS
    return b[x & 0xFF] + b[(x >> 8) & 0xFF] + b[x >> 16]


def _nearest(codes, bits_a, bits_b, width):
    """(index, errors) of the code word nearest to both readings (-1 if none
    is close enough): within _MAX_FMT_SUM bit errors over both copies, or one
    copy within 1, ranked by the total so a single lucky copy must not
    outvote both. A reading < 0 (unread) counts as all bits wrong."""
    best = -1
    score = 99
    for i in range(len(codes)):
        c = codes[i]
        ea = _popcount(bits_a ^ c) if bits_a >= 0 else width
        eb = _popcount(bits_b ^ c) if bits_b >= 0 else width
        e = ea + eb
        if (e <= _MAX_FMT_SUM or min(ea, eb) <= 1) and e < score:
            score = e
            best = i
    return best, score


def decode_format(bits_a, bits_b):
    """Best (level, mask, errors) for the two 15-bit readings; QRError if none.

    Accepted: both copies within 6 bit errors in total of one code word, or
    one copy within 1. (Accepting 3 errors in either copy, as the standard
    allows, lets most random grids through: ~80 % of noise would pass.)"""
    best, score = _nearest(FORMAT_CODES, bits_a, bits_b, 15)
    if best < 0:
        raise QRError("format information unreadable")
    return _FMT_LEVEL[best >> 3], best & 7, score


def decode_version(bits_a, bits_b):
    """Version (7..40) from the two 18-bit readings, by the format rule:
    within 6 bit errors over both copies or 1 in either; QRError if none."""
    best, _ = _nearest(VERSION_CODES, bits_a, bits_b, 18)
    if best < 0:
        raise QRError("version information unreadable")
    return best + 7


@micropython.viper
def fill(buf: ptr8, n: int, v: int):
    """Set the first n bytes of buf to v."""
    i = 0
    while i < n:
        buf[i] = v
        i += 1


@micropython.viper
def count_not(buf: ptr8, n: int, v: int) -> int:
    """How many of the first n bytes of buf are not v."""
    c = 0
    i = 0
    while i < n:
        if int(buf[i]) != v:
            c += 1
        i += 1
    return c


def function_mask(version, m=None):
    """dim*dim bytes, 1 where a module is a function pattern: a new
    bytearray, or written over the first dim*dim bytes of `m`."""
    dim = dimension(version)
    if m is None:
        m = bytearray(dim * dim)
    else:
        fill(m, dim * dim, 0)

    def rect(x0, y0, w, h):
        for y in range(y0, y0 + h):
            o = y * dim
            for x in range(x0, x0 + w):
                m[o + x] = 1

    rect(0, 0, 9, 9)
    rect(dim - 8, 0, 8, 9)
    rect(0, dim - 8, 9, 8)
    rect(6, 0, 1, dim)
    rect(0, 6, dim, 1)
    pos = alignment_positions(version)
    last = len(pos) - 1
    for i in range(len(pos)):
        for j in range(len(pos)):
            if (i == 0 and j == 0) or (i == 0 and j == last) or (i == last and j == 0):
                continue
            rect(pos[i] - 2, pos[j] - 2, 5, 5)
    if version >= 7:
        rect(dim - 11, 0, 3, 6)
        rect(0, dim - 11, 6, 3)
    return m


def format_positions(dim):
    """Module (x, y) of the two format copies, most significant bit first
    (the order read_format_bits uses)."""
    a = [(x, 8) for x in range(6)] + [(7, 8), (8, 8), (8, 7)] + [(8, y) for y in range(5, -1, -1)]
    b = [(8, y) for y in range(dim - 1, dim - 8, -1)] + [(x, 8) for x in range(dim - 8, dim)]
    return a, b


def read_format_bits(grid, dim):
    """The two 15-bit format readings from a sampled grid (1 = dark)."""
    a = 0
    for x in range(6):
        a = (a << 1) | grid[8 * dim + x]
    a = (a << 1) | grid[8 * dim + 7]
    a = (a << 1) | grid[8 * dim + 8]
    a = (a << 1) | grid[7 * dim + 8]
    for y in range(5, -1, -1):
        a = (a << 1) | grid[y * dim + 8]
    b = 0
    for y in range(dim - 1, dim - 8, -1):
        b = (b << 1) | grid[y * dim + 8]
    for x in range(dim - 8, dim):
        b = (b << 1) | grid[8 * dim + x]
    return a, b


def read_version_bits(grid, dim):
    a = 0
    for y in range(5, -1, -1):
        for x in range(dim - 9, dim - 12, -1):
            a = (a << 1) | grid[y * dim + x]
    b = 0
    for x in range(5, -1, -1):
        for y in range(dim - 9, dim - 12, -1):
            b = (b << 1) | grid[y * dim + x]
    return a, b


def function_template(version, t=None):
    """dim*dim bytes: the known value (0 light, 1 dark) of every finder,
    separator, timing, alignment and dark module; 2 where the module carries
    data, format or version information. A new bytearray, or written over
    the first dim*dim bytes of `t`."""
    dim = dimension(version)
    if t is None:
        t = bytearray(dim * dim)
    fill(t, dim * dim, 2)

    def finder(x0, y0):
        for y in range(-1, 8):
            for x in range(-1, 8):
                xx = x0 + x
                yy = y0 + y
                if 0 <= xx < dim and 0 <= yy < dim:
                    m = max(abs(x - 3), abs(y - 3))
                    t[yy * dim + xx] = 1 if (m <= 1 or m == 3) else 0

    finder(0, 0)
    finder(dim - 7, 0)
    finder(0, dim - 7)
    for i in range(8, dim - 8):
        t[6 * dim + i] = 1 - (i & 1)
        t[i * dim + 6] = 1 - (i & 1)
    pos = alignment_positions(version)
    last = len(pos) - 1
    for i in range(len(pos)):
        for j in range(len(pos)):
            if (i == 0 and j == 0) or (i == 0 and j == last) or (i == last and j == 0):
                continue
            for y in range(-2, 3):
                for x in range(-2, 3):
                    m = max(abs(x), abs(y))
                    t[(pos[j] + y) * dim + pos[i] + x] = 0 if m == 1 else 1
    t[(dim - 8) * dim + 8] = 1
    return t
