"""Symbol geometry: finder triples, dimension, alignment, homography.

- `triples(centers)` ranks every three finder centres by how well they form
  the corner of a square symbol (equal legs, right angle, equal module
  sizes) and orients each as (top-left, top-right, bottom-left) so the cross
  product of the legs is positive in image coordinates (y down).
- `dimensions(a, b, c)` proposes module counts (4v+17) from leg lengths and
  module sizes, the best guess first.
- `homography(src, dst)` solves the 8-parameter projective map from four
  module-space points to four image points (Gaussian elimination).
- `find_alignment(...)` searches the bottom-right alignment pattern around
  its predicted place with a 5x5 template scored in viper;
  `refine_finders(...)` re-centres the finders on a 7x7 template.
- `timing_dimension(...)` reads the module count off the timing patterns.
- `finder_edges(...)` / `edges_homography(...)`: perspective from where the
  lines through the finder centres cross the finders' edges (least squares).
- `local_cells(...)`: a piecewise grid through every alignment pattern.
"""

from micropython import const

from kiosk.qr import version as V

_MAX_TRIPLES = const(40)
_MAX_CANDIDATES = const(16)
_MIN_ALIGN = const(17)  # of 25; the caller verifies candidates on the fit


def _dist(p, q):
    dx = p.x - q.x
    dy = p.y - q.y
    return (dx * dx + dy * dy) ** 0.5


def triples(centers):
    """The best _MAX_TRIPLES triples (a, b, c) of the _MAX_CANDIDATES most
    confirmed centres, best first (ties in the order met)."""
    cs = sorted(centers, key=lambda c: -c.count)[:_MAX_CANDIDATES]
    n = len(cs)
    # the pairwise distances once (not five square roots a triple), the
    # pair i < j at row(i) + j with row(i) = i * (2n - i - 3) / 2 - 1
    dist = [0.0] * (n * (n - 1) // 2)
    k = 0
    for i in range(n):
        for j in range(i + 1, n):
            dist[k] = _dist(cs[i], cs[j])
            k += 1
    # Only the best are kept while ranking, as parallel lists of scores and
    # small-int keys (corner << 8 | b << 4 | c): the ranking allocates no
    # tuples, whose multi-block allocations are slow on a fragmented heap
    # (each scans the free holes from the first one), and no list of every
    # candidate (up to 560) stays live between its float garbage.
    scores = []
    keys = []
    for i in range(n):
        p = cs[i]
        ri = i * (2 * n - i - 3) // 2 - 1
        for j in range(i + 1, n):
            q = cs[j]
            dpq = dist[ri + j]
            rj = j * (2 * n - j - 3) // 2 - 1
            for k in range(j + 1, n):
                r = cs[k]
                # equal module sizes (the same whichever is the corner)
                lo = hi = p.ms
                m = q.ms
                if m < lo:
                    lo = m
                elif m > hi:
                    hi = m
                m = r.ms
                if m < lo:
                    lo = m
                elif m > hi:
                    hi = m
                msr = hi / lo
                if msr > 2.5:
                    continue
                dpr = dist[ri + k]
                dqr = dist[rj + k]
                # the corner is opposite the longest side (one name at a
                # time: a 5-name unpacking would allocate a tuple)
                if dqr >= dpq and dqr >= dpr:
                    ia = i
                    ib = j
                    ic = k
                    d1 = dpq
                    d2 = dpr
                elif dpr >= dpq:
                    ia = j
                    ib = i
                    ic = k
                    d1 = dpq
                    d2 = dqr
                else:
                    ia = k
                    ib = i
                    ic = j
                    d1 = dpr
                    d2 = dqr
                if d1 < 1 or d2 < 1:
                    continue
                lr = d1 / d2 if d1 >= d2 else d2 / d1
                if lr > 2.0:
                    continue
                a = cs[ia]
                b = cs[ib]
                c = cs[ic]
                ux = b.x - a.x
                uy = b.y - a.y
                vx = c.x - a.x
                vy = c.y - a.y
                cos = abs((ux * vx + uy * vy) / (d1 * d2))
                if cos > 0.85:
                    continue
                est = (d1 + d2) / 2 / ((a.ms + b.ms + c.ms) / 3) + 7
                if est < 15 or est > 190:
                    continue
                if ux * vy - uy * vx < 0:
                    ib, ic = ic, ib
                score = cos + (lr - 1) + (msr - 1) * 0.5 - min(a.count, b.count, c.count) * 0.01
                m = len(scores)
                if m >= _MAX_TRIPLES and score >= scores[m - 1]:
                    continue
                while m > 0 and scores[m - 1] > score:
                    m -= 1
                scores.insert(m, score)
                keys.insert(m, ia << 8 | ib << 4 | ic)
                if len(scores) > _MAX_TRIPLES:
                    scores.pop()
                    keys.pop()
    return [(cs[t >> 8], cs[(t >> 4) & 15], cs[t & 15]) for t in keys]


def timing_dimension(sampler, img, dark, a, b, c):
    """Module count read off the two timing patterns (None if unreadable).
    Row 6 runs 3 modules from the finder centres towards the third finder:
    from centre to centre it crosses the finder bottom rows, the separators
    and (dim - 15) / 2 timing dark modules."""
    out = []
    for p, q, r in ((a, b, c), (a, c, b)):
        d = _dist(p, r)
        if d < 1:
            return None
        ex = (r.x - p.x) / d
        ey = (r.y - p.y) / d
        n = sampler.runs(img, dark, p.x + ex * 3 * p.ms, p.y + ey * 3 * p.ms, q.x + ex * 3 * q.ms, q.y + ey * 3 * q.ms)
        dim = 2 * (n - 2) + 15
        out.append(dim if 21 <= dim <= 177 and dim & 3 == 1 else None)
    if out[0] is not None and (out[0] == out[1] or out[1] is None):
        return out[0]
    return out[1]


def dimensions(a, b, c, extra=None):
    d1 = _dist(a, b)
    d2 = _dist(a, c)
    # per-leg module sizes from the two finders at its ends
    m1 = (a.ms + b.ms) / 2
    m2 = (a.ms + c.ms) / 2
    est = (d1 / m1 + d2 / m2) / 2 + 7
    dim = int(est + 0.5)
    r = dim & 3
    if r == 0:
        dim += 1
    elif r == 2:
        dim -= 1
    elif r == 3:
        dim = dim + 2 if est > dim else dim - 2
    out = []
    for d in (dim, dim - 4, dim + 4, extra, dim + 8, dim - 8):
        if d is not None and 21 <= d <= 177 and d not in out:
            out.append(d)
    return out


def homography(src, dst):
    """Coefficients (a..h) of x=(au+bv+c)/(gu+hv+1), y=(du+ev+f)/(gu+hv+1)."""
    m = []
    for (u, v), (x, y) in zip(src, dst):
        m.append([u, v, 1.0, 0.0, 0.0, 0.0, -u * x, -v * x, x])
        m.append([0.0, 0.0, 0.0, u, v, 1.0, -u * y, -v * y, y])
    return _solve8(m)


def finder_edges(sampler, img, dark, pts, ms):
    """Where the lines through the finder centres (module row 3.5 and column
    3.5) cross the finders' outer edges: [(axis, sign, point, fwd, back)] for
    the top-left finder along both lines, the top-right one along the row
    and the bottom-left one along the column; None if an edge is missing.
    Their spacing carries the perspective foreshortening."""
    (ax, ay), (bx, by), (cx, cy) = pts
    out = []
    for (px, py), (qx, qy), pm, axis, sign in (
        ((ax, ay), (bx, by), ms[0], 0, 1),
        ((bx, by), (ax, ay), ms[1], 0, -1),
        ((ax, ay), (cx, cy), ms[0], 1, 1),
        ((cx, cy), (ax, ay), ms[2], 1, -1),
    ):
        dx = qx - px
        dy = qy - py
        d = (dx * dx + dy * dy) ** 0.5
        if d < 1:
            return None
        ex = dx / d
        ey = dy / d
        lim = pm * 6 + 4
        fwd = sampler.edge(img, dark, px, py, ex, ey, lim)
        back = sampler.edge(img, dark, px, py, -ex, -ey, lim)
        if fwd <= 0 or back <= 0:
            return None
        out.append((axis, sign, px, py, ex, ey, fwd, back))
    return out


def edges_homography(edges, pts, dim):
    """Least-squares homography on the 3 centres and 8 edge points."""
    if not edges:
        return None
    src = [(3.5, 3.5), (dim - 3.5, 3.5), (3.5, dim - 3.5)]
    dst = list(pts)
    for axis, sign, px, py, ex, ey, fwd, back in edges:
        cu = 3.5 if sign > 0 else dim - 3.5
        for dist, off in ((fwd, 3.5 * sign), (-back, -3.5 * sign)):
            dst.append((px + ex * dist, py + ey * dist))
            src.append((cu + off, 3.5) if axis == 0 else (3.5, cu + off))
    return _least_squares(src, dst)


def box_homography(sampler, img, dark, H, pts, dim, diag=False):
    """Re-fit H on the outer edges of all three finders: from each centre,
    walk along H's local module axes (and diagonals if asked) to where the
    finder ends; 12 edge points (+12 corners) and the centres, least
    squares. Unlike `finder_edges` the points do not all lie on two lines,
    so strong perspective on small symbols is pinned down."""
    if H is None:
        return None
    src = [(3.5, 3.5), (dim - 3.5, 3.5), (3.5, dim - 3.5)]
    dst = list(pts)
    dirs = _AXES + _DIAGS if diag else _AXES
    for k in range(3):
        cu, cv = src[k]
        px, py = dst[k]
        hx, hy = apply(H, cu, cv)
        for du, dv in dirs:
            qx, qy = apply(H, cu + du, cv + dv)
            dx = qx - hx
            dy = qy - hy
            d = (dx * dx + dy * dy) ** 0.5
            if d < 0.5 or d > 64:
                return None
            ex = dx / d
            ey = dy / d
            e = sampler.edge(img, dark, px, py, ex, ey, d * 6 + 4)
            if e <= 0:
                return None
            dst.append((px + ex * e, py + ey * e))
            src.append((cu + du * 3.5, cv + dv * 3.5))
    return _least_squares(src, dst)


_AXES = ((1, 0), (-1, 0), (0, 1), (0, -1))
_DIAGS = ((1, 1), (-1, -1), (1, -1), (-1, 1))


def _least_squares(src, dst):
    """8-parameter homography from n >= 4 points by the normal equations."""
    ata = [[0.0] * 9 for _ in range(8)]
    for (u, v), (x, y) in zip(src, dst):
        for row in ((u, v, 1.0, 0.0, 0.0, 0.0, -u * x, -v * x, x), (0.0, 0.0, 0.0, u, v, 1.0, -u * y, -v * y, y)):
            for i in range(8):
                ri = row[i]
                if ri:
                    ai = ata[i]
                    for k in range(9):
                        ai[k] += ri * row[k]
    return _solve8(ata)


def _solve8(m):
    for col in range(8):
        piv = col
        best = abs(m[col][col])
        for r in range(col + 1, 8):
            if abs(m[r][col]) > best:
                best = abs(m[r][col])
                piv = r
        if best < 1e-12:
            return None
        m[col], m[piv] = m[piv], m[col]
        rowc = m[col]
        inv = 1.0 / rowc[col]
        for k in range(col, 9):
            rowc[k] *= inv
        for r in range(8):
            if r != col:
                row = m[r]
                f = row[col]
                if f:
                    for k in range(col, 9):
                        row[k] -= f * rowc[k]
    return tuple(m[i][8] for i in range(8))


def apply(H, u, v):
    a, b, c, d, e, f, g, h = H
    w = g * u + h * v + 1.0
    if abs(w) < 1e-12:
        w = 1e-12
    return (a * u + b * v + c) / w, (d * u + e * v + f) / w


def find_alignment(sampler, img, dark, a, b, c, dim):
    """Image position of the bottom-right alignment centre, or None."""
    n = dim - 7.0
    ux = (b.x - a.x) / n
    uy = (b.y - a.y) / n
    vx = (c.x - a.x) / n
    vy = (c.y - a.y) / n
    k = dim - 10.0
    px = a.x + (ux + vx) * k
    py = a.y + (uy + vy) * k
    best, x, y = sampler.search(img, dark, px, py, ux, uy, vx, vy, 2, 6, 0.5)
    if best < 22:
        b2, x2, y2 = sampler.search(img, dark, px, py, ux, uy, vx, vy, 2, 8, 1.0)
        if b2 > best:
            best, x, y = b2, x2, y2
    if best < _MIN_ALIGN:
        return None
    # refine: centroid of the best positions within half a module
    b3, x3, y3 = sampler.search(img, dark, x, y, ux, uy, vx, vy, 2, 2, 0.25)
    if b3 >= best:
        return x3, y3
    return x, y


def refine_finders(sampler, img, dark, a, b, c, dim):
    """Re-centre the three finders on a 7x7 template in the local module
    frame; returns three (x, y) points (the old ones where no better fit)."""
    n = dim - 7.0
    ux = (b.x - a.x) / n
    uy = (b.y - a.y) / n
    vx = (c.x - a.x) / n
    vy = (c.y - a.y) / n
    out = []
    for f in (a, b, c):
        s0, _, _ = sampler.search(img, dark, f.x, f.y, ux, uy, vx, vy, 3, 0, 0.5)
        best, x, y = sampler.search(img, dark, f.x, f.y, ux, uy, vx, vy, 3, 2, 0.5)
        b2, x2, y2 = sampler.search(img, dark, x, y, ux, uy, vx, vy, 3, 2, 0.25)
        # move only to a clearly better fit
        if b2 >= 40 and b2 > s0 + 1:
            out.append((x2, y2))
        elif best >= 40 and best > s0 + 1:
            out.append((x, y))
        else:
            out.append((f.x, f.y))
    return out


def local_cells(sampler, img, dark, H, ver):
    """Piecewise grid for versions with several alignment patterns: find
    each pattern near where H puts it (shifted by what its already found
    neighbours moved), then one homography per cell of the pattern grid.
    Copes with curved paper, fabric and lens distortion."""
    pos = V.alignment_positions(ver)
    n = len(pos)
    last = n - 1
    pts = {}
    for j in range(n):
        for i in range(n):
            u = pos[i] + 0.5
            v = pos[j] + 0.5
            x, y = apply(H, u, v)
            if (i == 0 and j == 0) or (i == last and j == 0) or (i == 0 and j == last):
                pts[(i, j)] = (x, y, 0.0, 0.0)
                continue
            sx = 0.0
            sy = 0.0
            k = 0
            for q in ((i - 1, j), (i, j - 1), (i - 1, j - 1)):
                if q in pts:
                    sx += pts[q][2]
                    sy += pts[q][3]
                    k += 1
            if k:
                x += sx / k
                y += sy / k
            x1, y1 = apply(H, u + 1, v)
            x2, y2 = apply(H, u, v + 1)
            ux, uy, vx, vy = x1 - x, y1 - y, x2 - x, y2 - y
            best, bx, by = sampler.search(img, dark, x, y, ux, uy, vx, vy, 2, 4, 0.5)
            if best >= 21:
                b2, bx2, by2 = sampler.search(img, dark, bx, by, ux, uy, vx, vy, 2, 2, 0.25)
                if b2 >= best:
                    bx, by = bx2, by2
                x0, y0 = apply(H, u, v)
                pts[(i, j)] = (bx, by, bx - x0, by - y0)
            else:
                pts[(i, j)] = (x, y, sx / k if k else 0.0, sy / k if k else 0.0)
    dim = V.dimension(ver)
    cells = []
    for kr in range(last):
        r0 = 0 if kr == 0 else pos[kr]
        r1 = dim if kr == last - 1 else pos[kr + 1]
        for kc in range(last):
            c0 = 0 if kc == 0 else pos[kc]
            c1 = dim if kc == last - 1 else pos[kc + 1]
            src = []
            dst = []
            for di, dj in ((0, 0), (1, 0), (0, 1), (1, 1)):
                p = pts[(kc + di, kr + dj)]
                src.append((pos[kc + di] + 0.5, pos[kr + dj] + 0.5))
                dst.append((p[0], p[1]))
            Hc = homography(src, dst)
            if Hc is None:
                return None
            cells.append((Hc, r0, r1, c0, c1))
    return cells
