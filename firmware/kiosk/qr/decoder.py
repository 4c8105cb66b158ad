"""The QR decoding pipeline: frame -> binarize -> finders -> grid -> symbols.

`Decoder(width, height)` owns every frame-sized buffer (binarized image,
block points, finder hits, sampled grid) so a camera loop decodes frame
after frame without reallocating them. `decode(frame)` returns a list of
Symbol. Both polarities are tried (dark-on-light first, then light-on-dark
when nothing was found), each finder triple in both handednesses (mirrored
symbols), with a few module counts and with/without the alignment pattern.
A time budget bounds the work on hostile frames.
"""

import gc
import time

from micropython import const

from kiosk.qr import codewords, grid, sample, segments, version as V
from kiosk.qr.binarize import Binarizer
from kiosk.qr.errors import QRError
from kiosk.qr.finder import FinderScanner
from kiosk.qr.sample import Sampler

_MIN_SIDE = const(21)
_MAX_SYMBOLS = const(8)
_MAX_CLIMB = const(96)
_CLIMB_PCT = const(36)
_MAX_TEMPLATES = const(4)
_BOX_DIM = const(45)
# Buffers for symbols up to this module count (version 10) are allocated
# with the decoder, before a decode scatters its small objects over the heap
# (a larger symbol grows them): in a small heap a few KB allocated mid-decode
# may find no free run long enough although the heap has tens of KB free.
_PREALLOC_DIM = const(57)


class Symbol:
    __slots__ = ("data", "raw", "version", "ec", "mask", "corners", "mirrored", "inverted", "fixed")

    def __init__(self, data, raw, version, ec, mask, corners, mirrored, inverted, fixed):
        self.data = data
        self.raw = raw
        self.version = version
        self.ec = ec
        self.mask = mask
        self.corners = corners
        self.mirrored = mirrored
        self.inverted = inverted
        self.fixed = fixed

    def __repr__(self):
        return "Symbol(%r, v%d-%s)" % (self.data, self.version, self.ec)


# Wall-clock time one decode may take before giving up (hostile frames stay
# bounded). Tests of what *can* be read raise it, so their result does not
# depend on the machine's load.
BUDGET_MS = 2000


def _copy(b):
    return bytes(memoryview(b)) if isinstance(b, (bytes, bytearray)) else b


def _compact(syms):
    """The symbols again, copied after a collection: the copies go to the
    lowest free holes, and the originals (made wherever the decode's
    garbage left room) no longer split the free heap into pieces too small
    for the verdict's buffers. Always done: a collection costs less than
    asking how much is free (gc.mem_free() walks every heap block; 6.5 M
    instructions on a 2.5 MB heap of the 32-bit board)."""
    gc.collect()
    out = []
    for s in syms:
        corners = [(x * 1.0, y * 1.0) for x, y in s.corners]
        out.append(Symbol(_copy(s.data), _copy(s.raw), s.version, s.ec, s.mask, corners, s.mirrored, s.inverted, s.fixed))
    return out


class Decoder:
    def __init__(self, width, height, budget_ms=None):
        self.w = width
        self.h = height
        self.budget = budget_ms
        self.bin = Binarizer(width, height)
        self.finder = FinderScanner(width, height)
        self.sampler = Sampler(width, height, _PREALLOC_DIM)
        self._tmpl = {}
        # the templates' memory, one slot per cached version
        self._slots = [bytearray(_PREALLOC_DIM * _PREALLOC_DIM) for _ in range(_MAX_TEMPLATES)]
        self._work = bytearray(2 * _PREALLOC_DIM * _PREALLOC_DIM)  # codewords' function and mask tables
        self._fmt = None

    def decode(self, frame):
        budget = self.budget if self.budget is not None else BUDGET_MS
        self.deadline = time.ticks_add(time.ticks_ms(), budget)
        try:
            out = self._decode(frame)
            self._refined = None
            self._fmt = None
            return _compact(out) if out else out
        finally:
            self.sampler.gray = None  # drop the reference to the frame
            # and this decode's small objects, which would split the free
            # heap the verdict needs in one piece (e.g. the inflate buffer)
            self._refined = None
            self._fmt = None

    def _decode(self, frame):
        out = []
        most = 0
        # dark-on-light, then light-on-dark (from the negative)
        for inv in (False, True):
            img = self.bin.run(frame, False, inv)
            self.sampler.gray = (frame, self.bin.blocks, self.bin.bw, self.bin.nb, 255 if inv else 0)
            centers = self.finder.find(img, 1)
            most = max(most, len(centers))
            if len(centers) >= 3:
                self._decode_centers(img, 1, centers, out, inv)
            if out:
                return out
        # too few finder candidates: maybe a faint (low-contrast) code
        if most < 3:
            for inv in (False, True):
                img = self.bin.run(frame, True, inv)
                self.sampler.gray = (frame, self.bin.blocks, self.bin.bw, self.bin.nb, 255 if inv else 0)
                centers = self.finder.find(img, 1)
                if len(centers) >= 3:
                    self._decode_centers(img, 1, centers, out, inv)
                if out:
                    break
        return out

    def _late(self):
        return time.ticks_diff(self.deadline, time.ticks_ms()) < 0

    def _decode_centers(self, img, dark, centers, out, inverted):
        used = []
        for a, b, c in grid.triples(centers):
            if self._late() or len(out) >= _MAX_SYMBOLS:
                return
            if a in used or b in used or c in used:
                continue
            # finder-like blobs inside a symbol already read are its data
            # (unless their modules are of another size: a nested symbol)
            if out and (_inside(out, a) or _inside(out, b) or _inside(out, c)):
                continue
            sym = self._try_triple(img, dark, a, b, c)
            if sym is None:
                continue
            sym.inverted = inverted
            dup = False
            for s in out:
                if s.data == sym.data and _near(s.corners[0], sym.corners[0], 8):
                    dup = True
            if not dup:
                out.append(sym)
            used += [a, b, c]

    def _try_triple(self, img, dark, a, b, c):
        tried = []
        self._refined = {}
        td = grid.timing_dimension(self.sampler, img, dark, a, b, c)
        for dim in grid.dimensions(a, b, c, td):
            for mirrored in (False, True):
                if self._late():
                    return None
                if mirrored:
                    sym = self._try_dim(img, dark, a, c, b, dim, True, tried)
                else:
                    sym = self._try_dim(img, dark, a, b, c, dim, False, tried)
                if sym is not None:
                    return sym
        return None

    def _edge_h(self, img, dark, dst, a, b, c, dim, mirrored):
        """Finder-edge homography for this module count; the edge walks do
        not depend on it and are measured once per triple and handedness."""
        key = ("e", mirrored)
        m = self._refined.get(key, 0)
        if m == 0:
            m = grid.finder_edges(self.sampler, img, dark, dst, (a.ms, b.ms, c.ms))
            self._refined[key] = m
        return grid.edges_homography(m, dst, dim)

    def _template(self, ver):
        t = self._tmpl.get(ver)
        if t is None:
            if len(self._tmpl) >= _MAX_TEMPLATES:
                self._tmpl.clear()
            n = V.dimension(ver) ** 2
            slot = len(self._tmpl)
            if len(self._slots[slot]) < n:  # a symbol above _PREALLOC_DIM
                self._slots[slot] = b""
                self._slots[slot] = bytearray(n)
            tm = memoryview(V.function_template(ver, self._slots[slot]))[:n]
            t = (tm, V.count_not(tm, n, 2))
            self._tmpl[ver] = t
        return t

    def _fit(self, img, dark, H, dim, tmpl):
        """Function-pattern modules the grid sampled with H gets wrong."""
        if H is None:
            return dim * dim
        g, miss = self.sampler.grid(img, H, dim, dark)
        if miss * 4 > dim * dim:
            return dim * dim
        return sample.mismatch(g, tmpl)

    def _read(self, img, dark, H, dim, ver, mirrored):
        sym = self._read_grid(self._sample_format(img, dark, H, dim), H, dim, ver, mirrored)
        if sym is None and ver >= 7 and not self._late():
            cells = grid.local_cells(self.sampler, img, dark, H, ver)
            if cells:
                g, miss = self.sampler.grid_cells(img, cells, dim, dark)
                if miss * 4 <= dim * dim:
                    sym = self._read_grid(self._format(g, dim), H, dim, ver, mirrored)
        return sym

    def _read_grid(self, r, H, dim, ver, mirrored):
        if r is None or not _timing_ok(r[0], dim):
            return None
        g, level, mask, score = r
        # the format read best so far for this module count may be a better
        # guess than this grid's own (grids differ where format bits lie)
        best = self._fmt
        if best is None or score < best[2]:
            self._fmt = best = (level, mask, score)
        fmts = [(level, mask)]
        if (best[0], best[1]) != (level, mask):
            fmts.append((best[0], best[1]))
        for level, mask in fmts:
            try:
                if len(self._work) < 2 * dim * dim:
                    self._work = b""  # freed first (no None left behind if the next allocation fails)
                    self._work = bytearray(2 * dim * dim)
                data, fixed = codewords.extract(g, ver, level, mask, self._work)
                text, raw = segments.parse(data, ver)
                break
            except QRError:
                pass
        else:
            return None
        corners = [grid.apply(H, 0, 0), grid.apply(H, dim, 0), grid.apply(H, dim, dim), grid.apply(H, 0, dim)]
        return Symbol(text, raw, ver, level, mask, corners, mirrored, False, fixed)

    def _format(self, g, dim):
        try:
            fa, fb = V.read_format_bits(g, dim)
            level, mask, score = V.decode_format(fa, fb)
        except QRError:
            return None
        return g, level, mask, score

    def _format_only(self, img, dark, H, dim):
        """Do the 30 format modules alone (read from the binary image) give a
        format? Much cheaper than sampling a whole grid of a large symbol."""
        if H is None:
            return False
        w = self.w
        h = self.h
        bits = []
        for pos in V.format_positions(dim):
            v = 0
            for mx, my in pos:
                x, y = grid.apply(H, mx + 0.5, my + 0.5)
                xi = int(x)
                yi = int(y)
                bit = 0
                if 0 <= xi < w and 0 <= yi < h:
                    o = yi * w + xi  # the bit image's pixel, inline (a hot loop)
                    if (img[o >> 3] >> (o & 7)) & 1 == dark:
                        bit = 1
                v = (v << 1) | bit
            bits.append(v)
        try:
            V.decode_format(bits[0], bits[1])
        except QRError:
            return False
        return True

    def _sample_format(self, img, dark, H, dim):
        """Sample with H; return (grid, level, mask, format errors) or None."""
        if H is None:
            return None
        g, miss = self.sampler.grid(img, H, dim, dark)
        if miss * 4 > dim * dim:
            return None
        return self._format(g, dim)

    def _try_dim(self, img, dark, a, b, c, dim, mirrored, tried):
        key = dim * 2 + (1 if mirrored else 0)
        if key in tried:
            return None
        tried.append(key)
        self._fmt = None
        src = [(3.5, 3.5), (dim - 3.5, 3.5), (3.5, dim - 3.5)]
        # refine the finder centres once per triple (keyed by handedness)
        dst = self._refined.get(mirrored)
        if dst is None:
            dst = grid.refine_finders(self.sampler, img, dark, a, b, c, dim)
            self._refined[mirrored] = dst
        (ax, ay), (bx, by), (cx, cy) = dst
        # cheap gate: the format information must read with the affine grid
        # (its 30 modules alone first, then the whole grid)
        H0 = grid.homography(src + [(dim - 3.5, dim - 3.5)], dst + [(bx + cx - ax, by + cy - ay)])
        r0 = self._sample_format(img, dark, H0, dim) if self._format_only(img, dark, H0, dim) else None
        He = None
        if r0 is None:
            # strong perspective bends the affine grid: retry the gate with
            # the perspective read off the finder edges
            He = self._edge_h(img, dark, dst, a, b, c, dim, mirrored)
            if He is None or not self._format_only(img, dark, He, dim):
                return None
            r0 = self._sample_format(img, dark, He, dim)
            if r0 is None:
                return None
        self._fmt = (r0[1], r0[2], r0[3])
        ver = (dim - 17) >> 2
        if ver >= 7:
            try:
                va, vb = V.read_version_bits(r0[0], dim)
                v2 = V.decode_version(va, vb)
            except QRError:
                v2 = ver
            if v2 != ver:
                sym = self._try_dim(img, dark, a, b, c, V.dimension(v2), mirrored, tried)
                if sym is not None or self._late():
                    return sym
                self._fmt = (r0[1], r0[2], r0[3])  # the version bits were wrong: go on
        # the fourth point: the bottom-right alignment pattern when found,
        # else the parallelogram corner; keep the one whose grid best fits
        # the known function patterns, decode, and if that fails hill-climb
        # the point on the same fit and decode again
        tmpl, nfunc = self._template(ver)
        w_ = self.w
        h_ = self.h
        pts = []
        if dim >= 25:
            al = grid.find_alignment(self.sampler, img, dark, a, b, c, dim)
            if al is not None:
                pts.append(((dim - 6.5, dim - 6.5), al))
        pts.append(((dim - 3.5, dim - 3.5), (bx + cx - ax, by + cy - ay)))
        # perspective from the finder edges: its own bottom-right corner
        if He is None:
            He = self._edge_h(img, dark, dst, a, b, c, dim, mirrored)
        if He is not None:
            ex, ey = grid.apply(He, dim - 3.5, dim - 3.5)
            if -w_ <= ex <= 2 * w_ and -h_ <= ey <= 2 * h_:
                pts.append(((dim - 3.5, dim - 3.5), (ex, ey)))
        best = None
        for sp, dp in pts:
            H = grid.homography(src + [sp], dst + [dp])
            e = self._fit(img, dark, H, dim, tmpl)
            if best is None or e < best[0]:
                best = (e, src + [sp], dst + [dp], H)
        e, pts_src, pts_img, H = best
        sym = self._read(img, dark, H, dim, ver, mirrored)
        if sym is not None or self._late():
            return sym
        starts = [(e, H, pts_src, pts_img)]
        # small symbols under strong perspective or on cloth: re-fit on all
        # the finder edges (walked along the best grid's axes), read if it
        # fits as well (the function patterns do not see a bent data area)
        if dim <= _BOX_DIM:
            for diag in (False, True):
                Hb = grid.box_homography(self.sampler, img, dark, H, dst, dim, diag)
                eb = self._fit(img, dark, Hb, dim, tmpl)
                if eb <= e:
                    sym = self._read(img, dark, Hb, dim, ver, mirrored)
                    if sym is not None or self._late():
                        return sym
                    e, H = eb, Hb
            if H is not best[3]:
                sb = src + [(dim - 3.5, dim - 3.5)]
                starts.append((e, H, sb, [grid.apply(H, u, v) for u, v in sb]))
        n = dim - 7.0
        axes = ((bx - ax) / n, (by - ay) / n, (cx - ax) / n, (cy - ay) / n)
        for st in starts:
            # climb only from a grid that is roughly right (random ones miss ~half)
            if st[0] * 100 > nfunc * _CLIMB_PCT or self._late():
                continue
            sym = self._climb(img, dark, st, axes, dim, ver, mirrored, tmpl)
            if sym is not None:
                return sym
        return None

    def _climb(self, img, dark, start, axes, dim, ver, mirrored, tmpl):
        """Climb the fourth point (1, 0.5, 0.25 modules), then all four
        points by a quarter module (finder centres of small blurred modules
        are off by that much), on the function-pattern fit; read at every
        improving step."""
        e, H, pts_src, pts_img = start
        ux, uy, vx, vy = axes
        evals = 0
        moved = False
        for movable, step in ((3, 1.0), (3, 0.5), (3, 0.25), (-1, 0.25)):
            better = True
            while better and evals < _MAX_CLIMB:
                better = False
                for k in range(4) if movable < 0 else (movable,):
                    px, py = pts_img[k]
                    for di, dj in _DIRS:
                        q = (px + (di * ux + dj * vx) * step, py + (di * uy + dj * vy) * step)
                        trial = pts_img[:k] + [q] + pts_img[k + 1 :]
                        H2 = grid.homography(pts_src, trial)
                        e2 = self._fit(img, dark, H2, dim, tmpl)
                        evals += 1
                        if e2 < e:
                            e, H, pts_img = e2, H2, trial
                            better = moved = True
                            # the best fit is not always the best read
                            sym = self._read_grid(self._sample_format(img, dark, H, dim), H, dim, ver, mirrored)
                            if sym is not None:
                                return sym
                            break
                    if better:
                        break
        if moved:
            return self._read(img, dark, H, dim, ver, mirrored)
        return None

_DIRS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1))


def _timing_ok(g, dim):
    """The two timing patterns (row 6 and column 6 between the finders)
    alternate dark/light; a random grid gets half of them wrong."""
    bad = 0
    o = 6 * dim
    for i in range(8, dim - 8):
        want = 1 - (i & 1)
        if g[o + i] != want:
            bad += 1
        if g[i * dim + 6] != want:
            bad += 1
    return bad * 4 <= (dim - 16) * 2


def _inside(syms, p):
    """Is centre p inside the quadrilateral of one of the symbols, with a
    module size like the symbol's?"""
    for s in syms:
        q = s.corners
        dx = q[1][0] - q[0][0]
        dy = q[1][1] - q[0][1]
        ms = (dx * dx + dy * dy) ** 0.5 / (17 + 4 * s.version)
        if not 0.6 * ms < p.ms < 1.6 * ms:
            continue
        sign = 0
        for i in range(4):
            x0, y0 = q[i]
            x1, y1 = q[(i + 1) & 3]
            cr = (x1 - x0) * (p.y - y0) - (y1 - y0) * (p.x - x0)
            sd = 1 if cr > 0 else -1
            if sign == 0:
                sign = sd
            elif sd != sign:
                break
        else:
            return True
    return False


def _near(p, q, tol):
    return abs(p[0] - q[0]) <= tol and abs(p[1] - q[1]) <= tol


_cache = [None]

# Why the last decode() gave up without looking at the whole frame: None,
# FAULT_MEMORY (the heap could not hold the decoder's buffers or its work)
# or FAULT_ERROR (a bug); such a [] is not "no code in the frame". Counted
# in `stats` since boot.
FAULT_MEMORY = "out_of_memory"
FAULT_ERROR = "error"
stats = {"decodes": 0, FAULT_MEMORY: 0, FAULT_ERROR: 0}
last_fault = None


def decode(buf, width, height):
    """Decode every QR symbol in an 8-bit grayscale frame; never raises.
    The frame is only read. When it returns [] because it ran out of memory (or failed), `last_fault` says
    so and `stats` counts it."""
    global last_fault
    stats["decodes"] += 1
    last_fault = None
    try:
        return _decode(buf, width, height)
    except MemoryError:
        last_fault = FAULT_MEMORY
    except Exception:
        last_fault = FAULT_ERROR
    stats[last_fault] += 1
    return []


def _decode(buf, width, height):
    if not isinstance(width, int) or not isinstance(height, int):
        return []
    if width < _MIN_SIDE or height < _MIN_SIDE or width > 8192 or height > 8192:
        return []
    try:
        if len(buf) < width * height:
            return []
    except TypeError:  # not a buffer: nothing to read, not a fault
        return []
    d = _cache[0]
    if d is None or d.w != width or d.h != height:
        _cache[0] = None
        d = None
        d = Decoder(width, height)
        _cache[0] = d
    return d.decode(buf)
