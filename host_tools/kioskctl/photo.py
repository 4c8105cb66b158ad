"""Render QR payloads as kiosk camera frames (phone-screen or paper photos).

`render(payload, size=(320, 240), seed=0, style="phone")` draws the QR code
with segno, puts it on a phone screen (bezel, status bar, backlight) or on a
sheet of paper, then photographs it: a random perspective, lens blur,
optional screen moire (a fine stripe pattern that aliases when downscaled),
a glare spot or a shadow, sensor noise, and a downscale to the camera size.
Everything is seeded, so a (payload, size, seed, style) gives the same
image. The result is a PIL image in mode "L"; `save_pgm(img, path)` writes
it as 8-bit binary PGM, the simulated camera's format.

Only pillow and segno are needed (no numpy), so the demo runs on a fresh venv.
"""

import io
import math
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

STYLES = ("phone", "paper")


def _qr_image(payload, error):
    import segno

    qr = segno.make(payload, error=error, micro=False, boost_error=False)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=1, border=0)
    buf.seek(0)
    img = Image.open(buf).convert("L")
    return img, qr.version


def _solve(a, b):
    n = len(b)
    m = [list(a[i]) + [b[i]] for i in range(n)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        pv = m[c][c]
        for k in range(c, n + 1):
            m[c][k] /= pv
        for r in range(n):
            if r != c and m[r][c]:
                f = m[r][c]
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    return [m[i][n] for i in range(n)]


def _perspective_coeffs(dst, src):
    """PIL PERSPECTIVE coefficients mapping output points dst to input src."""
    a = []
    b = []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        b.append(u)
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b.append(v)
    return _solve(a, b)


def _phone(qr, rng, mod_px):
    """The code on a phone screen: light UI around it, dark bezel."""
    qw = qr.width * mod_px
    quiet = 4 * mod_px
    sw = qw + 2 * quiet + rng.randint(0, 4) * mod_px
    sh = int(sw * rng.uniform(1.6, 2.0))
    back = rng.randint(205, 250)
    screen = Image.new("L", (sw, sh), back)
    d = ImageDraw.Draw(screen)
    d.rectangle((0, 0, sw, int(sh * 0.06)), fill=rng.randint(60, 150))
    top = int(sh * 0.12)
    for i in range(rng.randint(2, 4)):  # text-like lines above the code
        y = top + i * mod_px * 3
        d.rectangle((quiet, y, quiet + rng.randint(sw // 4, sw // 2), y + mod_px), fill=rng.randint(90, 160))
    qy = max(int(sh * 0.3), top + 14 * mod_px)
    qx = (sw - qw) // 2
    code = qr.resize((qw, qw), Image.NEAREST).point(lambda p: 25 if p < 128 else back)
    screen.paste(code, (qx, qy))
    bez = int(sw * 0.06) + 2
    phone = Image.new("L", (sw + 2 * bez, sh + 2 * bez), rng.randint(10, 40))
    phone.paste(screen, (bez, bez))
    cx = bez + qx + qw / 2
    cy = bez + qy + qw / 2
    return phone, (cx, cy), qw


def _paper(qr, rng, mod_px):
    qw = qr.width * mod_px
    margin = 6 * mod_px
    pw = qw + 2 * margin
    ph = int(pw * rng.uniform(1.1, 1.4))
    paper = Image.new("L", (pw, ph), rng.randint(215, 245))
    d = ImageDraw.Draw(paper)
    for i in range(3):
        y = qw + margin + mod_px * (2 + 2 * i)
        if y + mod_px < ph:
            d.rectangle((margin, y, margin + rng.randint(pw // 4, pw - 2 * margin), y + mod_px // 2), fill=90)
    code = qr.resize((qw, qw), Image.NEAREST).point(lambda p: rng.randint(20, 50) if p < 128 else 255)
    paper.paste(ImageChops.darker(code, Image.new("L", code.size, 240)), (margin, margin))
    return paper, (margin + qw / 2, margin + qw / 2), qw


def render(payload, size=(320, 240), seed=0, style="phone", error="m"):
    """A camera frame (PIL "L" image of `size`) showing `payload` as a QR code."""
    if style not in STYLES:
        raise ValueError("style must be one of %s" % (STYLES,))
    rng = random.Random("%s/%d/%s/%dx%d" % (payload if isinstance(payload, str) else payload.hex(), seed, style, size[0], size[1]))
    qr, _ = _qr_image(payload, error)
    ss = 3  # supersampling factor of the "optical" image before the sensor
    W, H = size[0] * ss, size[1] * ss
    mod_px = 6
    obj, (cx, cy), qw = (_phone if style == "phone" else _paper)(qr, rng, mod_px)
    # the code spans 50-80 % of the frame height on the sensor and lies
    # wholly inside the frame (the kiosk's on-screen guide box);
    ow, oh = obj.size
    src = [(0, 0), (ow, 0), (ow, oh), (0, oh)]
    qsrc = [(cx - qw / 2, cy - qw / 2), (cx + qw / 2, cy - qw / 2), (cx + qw / 2, cy + qw / 2), (cx - qw / 2, cy + qw / 2)]
    # at least ~2.3 sensor pixels per module (people fill the on-screen
    # guide box; below that no decoder reads a blurred code reliably)
    target = min(max(rng.uniform(0.5, 0.8) * H, 2.3 * ss * qr.width), 0.9 * H)
    ang = math.radians(rng.uniform(-25, 25))
    tilt = rng.uniform(-0.12, 0.12)
    tilt2 = rng.uniform(-0.12, 0.12)
    for _ in range(20):
        scale = target / qw
        ca, sa = math.cos(ang), math.sin(ang)
        fx = W / 2 + rng.uniform(-0.08, 0.08) * W
        fy = H / 2 + rng.uniform(-0.08, 0.08) * H

        def place(pt):
            dx = (pt[0] - cx) * scale
            dy = (pt[1] - cy) * scale
            k = 1 + tilt * (dx / target) + tilt2 * (dy / target)
            dx *= k
            dy *= k
            return (fx + dx * ca - dy * sa, fy + dx * sa + dy * ca)

        q = [place(pt) for pt in qsrc]
        margin = 0.03 * H
        if all(margin <= x <= W - margin and margin <= y <= H - margin for x, y in q):
            break
        target *= 0.93
    dst = [place(pt) for pt in src]
    coeffs = _perspective_coeffs(dst, src)
    bg_level = rng.randint(40, 170)
    background = Image.linear_gradient("L").resize((W, H)).point(lambda p: bg_level + (p - 128) // 4)
    warped = obj.transform((W, H), Image.PERSPECTIVE, coeffs, Image.BILINEAR, fillcolor=None)
    mask = Image.new("L", obj.size, 255).transform((W, H), Image.PERSPECTIVE, coeffs, Image.BILINEAR)
    frame = Image.composite(warped, background, mask)
    if style == "phone" and rng.random() < 0.7:
        frame = _moire(frame, rng)
    if rng.random() < 0.6:
        frame = _glare(frame, rng) if style == "phone" else _shadow(frame, rng)
    frame = frame.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.6) * ss / 2))
    frame = frame.resize(size, Image.BILINEAR)
    frame = _noise(frame, rng, rng.uniform(2, 7))
    return frame


def _moire(img, rng):
    period = rng.uniform(2.2, 4.5)
    n = 512
    row = bytes(int(128 + 127 * math.sin(2 * math.pi * i / period)) for i in range(n))
    stripe = Image.frombytes("L", (n, 1), row).resize((n, n))
    stripe = stripe.rotate(rng.uniform(0, 180)).resize(img.size)
    depth = rng.uniform(0.05, 0.12)
    lo = int(255 * (1 - depth))
    stripe = stripe.point(lambda p: lo + (p * (255 - lo)) // 255)
    return ImageChops.multiply(img, stripe)


def _glare(img, rng):
    g = Image.radial_gradient("L").point(lambda p: 255 - p)
    w, h = img.size
    gw = int(w * rng.uniform(0.25, 0.5))
    gh = int(gw * rng.uniform(0.5, 1.0))
    g = g.resize((gw, gh))
    strength = rng.uniform(0.3, 0.7)
    g = g.point(lambda p: int(p * strength))
    layer = Image.new("L", img.size, 0)
    layer.paste(g, (rng.randint(0, w - gw), rng.randint(0, h - gh)))
    return ImageChops.screen(img, layer)


def _shadow(img, rng):
    w, h = img.size
    grad = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize((w, h))
    depth = rng.uniform(0.3, 0.6)
    grad = grad.point(lambda p: 255 - int((255 - p) * depth))
    return ImageChops.multiply(img, grad)


def _noise(img, rng, sigma):
    random_state = rng.randint(0, 1 << 30)
    noise = Image.effect_noise(img.size, sigma)
    # effect_noise is not seedable; shift it by a seeded offset to stay deterministic-ish
    noise = ImageChops.offset(noise, random_state % img.size[0], random_state % img.size[1])
    return ImageChops.add(img, noise, 1.0, -128)


def save_pgm(img, path):
    """Write an "L" image as 8-bit binary PGM (P5)."""
    img = img.convert("L")
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % img.size)
        f.write(img.tobytes())
