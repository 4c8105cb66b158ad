"""From a sampled module grid to corrected data codewords.

`extract(grid, version, level, mask)` unmasks the data modules, reads them in
the zig-zag order of ISO/IEC 18004 (two-column strips from the bottom right,
skipping the vertical timing column), de-interleaves the blocks, and repairs
each block with Reed-Solomon. It returns (data bytes, corrected symbol count)
or raises QRError.
"""

import micropython

from kiosk.qr import rs, version as V
from kiosk.qr.errors import QRError


@micropython.viper
def _mask_fill(t: ptr8, dim: int, mask: int):
    """t[i * dim + j] = 1 where data mask `mask` flips module (row i, column
    j), else 0. Remainders by 3 are kept as counters (i3 = i % 3, j3 = j % 3,
    jd = j // 3), so the loop needs no division."""
    k = 0
    i = 0
    i3 = 0
    while i < dim:
        j = 0
        j3 = 0
        jd = 0
        while j < dim:
            s3 = i3 + j3  # (i + j) % 3, once reduced
            if s3 >= 3:
                s3 -= 3
            p3 = i3 * j3  # (i * j) % 3, once reduced (4 -> 1)
            if p3 == 4:
                p3 = 1
            p2 = i & j & 1  # (i * j) % 2
            if mask == 0:
                f = (i + j) & 1
            elif mask == 1:
                f = i & 1
            elif mask == 2:
                f = j3
            elif mask == 3:
                f = s3
            elif mask == 4:
                f = ((i >> 1) + jd) & 1
            elif mask == 5:
                f = p2 + p3
            elif mask == 6:
                f = (p2 + p3) & 1
            else:
                f = (((i + j) & 1) + p3) & 1
            if f == 0:
                t[k] = 1
            else:
                t[k] = 0
            k += 1
            j += 1
            j3 += 1
            if j3 == 3:
                j3 = 0
                jd += 1
        i += 1
        i3 += 1
        if i3 == 3:
            i3 = 0


@micropython.viper
def _zigzag(grid: ptr8, fm: ptr8, mt: ptr8, out: ptr8, dim: int, total: int) -> int:
    """Read the unmasked data modules (grid ^ mt where fm is 0) in the
    zig-zag order into out[:total] as codewords; return how many codewords
    the symbol holds (total if its layout is right)."""
    n = 0
    cur = 0
    bits = 0
    up = 1
    j = dim - 1
    while j > 0:
        if j == 6:
            j -= 1
        c = 0
        while c < dim:
            i = c
            if up:
                i = dim - 1 - c
            k = i * dim + j
            e = k - 2
            while k > e:  # columns j, then j - 1
                if int(fm[k]) == 0:
                    cur = (cur << 1) | (int(grid[k]) ^ int(mt[k]))
                    bits += 1
                    if bits == 8:
                        if n < total:
                            out[n] = cur
                        n += 1
                        cur = 0
                        bits = 0
                k -= 1
            c += 1
        up = 1 - up
        j -= 2
    return n


def read_raw(grid, version, mask, work=None):
    """Raw (interleaved) codewords as a bytearray. `work` (a bytearray of at
    least 2*dim*dim, e.g. the decoder's, reused from read to read) receives
    the function and mask tables; without it they are allocated."""
    dim = V.dimension(version)
    n = dim * dim
    if work is None or len(work) < 2 * n:
        work = bytearray(2 * n)
    fmask = V.function_mask(version, work)
    mt = memoryview(work)[n:]
    _mask_fill(mt, dim, mask)
    total = V.total_codewords(version)
    out = bytearray(total)
    if _zigzag(grid, fmask, mt, out, dim, total) < total:
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
