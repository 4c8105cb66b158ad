"""kioskctl sim photo: render a payload as camera frames (phone screen or paper photo).

The frames are what the simulated camera feeds the kiosk (`kioskctl sim run`):
a burst of FRAMES images per code, each with its own perspective, blur,
moire, glare and noise, named STEM.f0.pgm, STEM.f1.pgm, ... so the kiosk
treats them as one scan.
"""

import os

from kioskctl.errors import KioskError


def register(sim):
    p = sim.add_parser("photo", help="render a payload as simulated camera frames (PGM; PNG to look at)")
    p.add_argument("payload", help="the text to encode (e.g. an HC1: string); '-' reads it from stdin")
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="folder for the frames (sim run input)")
    p.add_argument("--stem", default="code", help="file name stem (default: code)")
    p.add_argument("--frames", type=int, default=3, help="frames in the burst (default 3)")
    p.add_argument("--size", default="320x240", help="camera size WxH (default 320x240)")
    p.add_argument("--style", choices=("phone", "paper"), default="phone")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--png", action="store_true", help="also write PNG copies to look at")
    p.set_defaults(func=cmd_photo)


def cmd_photo(args):
    import sys

    from kioskctl import photo

    payload = sys.stdin.read().strip() if args.payload == "-" else args.payload
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise KioskError("--size takes WIDTHxHEIGHT, e.g. 640x480")
    if not 1 <= args.frames <= 100:
        raise KioskError("--frames takes 1 to 100")
    if not 64 <= w <= 4096 or not 64 <= h <= 4096:
        raise KioskError("--size: 64 to 4096 pixels each way")
    from kioskctl.mint import qr_code

    qr_code(payload, "m")  # fits one QR code, or a clear error before any file is written
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise KioskError("cannot create %s: %s" % (args.out, exc.strerror or exc))
    for k in range(args.frames):
        img = photo.render(payload, size=(w, h), seed=args.seed * 1000 + k, style=args.style)
        base = os.path.join(args.out, "%s.f%d" % (args.stem, k))
        photo.save_pgm(img, base + ".pgm")
        if args.png:
            img.save(base + ".png")
        print(base + ".pgm")
    return 0
