"""From a sampled module grid to corrected data codewords.

`extract(grid, version, level, mask)` unmasks the data modules, reads them in
the zig-zag order of ISO/IEC 18004 (two-column strips from the bottom right,
skipping the vertical timing column), de-interleaves the blocks, and repairs
each block with Reed-Solomon. It returns (data bytes, corrected symbol count)
or raises QRError.
"""

from kiosk.qr import rs, version as V
from kiosk.qr.errors import QRError


def _mask_bit(mask, i, j):
    # i = row, j = column
    if mask == 0:
        return (i + j) & 1 == 0
    if mask == 1:
        return i & 1 == 0
    if mask == 2:
        return j % 3 == 0
    if mask == 3:
        return (i + j) % 3 == 0
    if mask == 4:
        return ((i >> 1) + j // 3) & 1 == 0
    p = i * j
    if mask == 5:
        return (p & 1) + p % 3 == 0
    if mask == 6:
        return ((p & 1) + p % 3) & 1 == 0
    return (((i + j) & 1) + p % 3) & 1 == 0


def _mask_table(mask, dim, t):
    """Fill t (dim*dim) with 1 where the mask flips a module, else 0."""
    k = 0
    for i in range(dim):
        for j in range(dim):
            t[k] = 1 if _mask_bit(mask, i, j) else 0
            k += 1
    return t


def read_raw(grid, version, mask, work=None):
    """Raw (interleaved) codewords as a bytearray. `work` (a bytearray of at
    least 2*dim*dim, e.g. the decoder's, reused from read to read) receives
    the function and mask tables; without it they are allocated."""
    dim = V.dimension(version)
    n = dim * dim
    if work is None or len(work) < 2 * n:
        work = bytearray(2 * n)
    fmask = V.function_mask(version, work)
    mt = _mask_table(mask, dim, memoryview(work)[n:])
    total = V.total_codewords(version)
    out = bytearray(total)
    n = 0
    cur = 0
    bits = 0
    up = True
    j = dim - 1
    while j > 0:
        if j == 6:
            j -= 1
        for count in range(dim):
            i = dim - 1 - count if up else count
            row = i * dim
            for col in (j, j - 1):
                k = row + col
                if fmask[k]:
                    continue
                cur = (cur << 1) | (grid[k] ^ mt[k])
                bits += 1
                if bits == 8:
                    if n < total:
                        out[n] = cur
                    n += 1
                    cur = 0
                    bits = 0
        up = not up
        j -= 2
    if n < total:
        raise QRError("codeword count mismatch")
    return out


def deinterleave(raw, version, level):
    """List of (block bytearray, nsym) in block order."""
    ecb, nb = V.blocks(version, level)
    total = V.total_codewords(version)
    short_len = total // nb
    nlong = total % nb
    nshort = nb - nlong
    short_data = short_len - ecb
    if short_data <= 0:
        raise QRError("bad block table")
    blks = []
    for b in range(nb):
        blks.append(bytearray(short_len + (1 if b >= nshort else 0)))
    k = 0
    for i in range(short_data + 1):
        for b in range(nb):
            if i < short_data or b >= nshort:
                blks[b][i] = raw[k]
                k += 1
    for i in range(ecb):
        for b in range(nb):
            blk = blks[b]
            blk[len(blk) - ecb + i] = raw[k]
            k += 1
    return blks, ecb


def extract(grid, version, level, mask, work=None):
    raw = read_raw(grid, version, mask, work)
    blks, ecb = deinterleave(raw, version, level)
    fixed = 0
    out = bytearray()
    for blk in blks:
        fixed += rs.correct(blk, ecb)
        out.extend(memoryview(blk)[: len(blk) - ecb])
    return out, fixed
