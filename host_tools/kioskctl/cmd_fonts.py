"""kioskctl fonts build: render the kiosk's bitmap font file from a CJK font.

Renders GB2312 plus ASCII at the body sizes (16, 24 px) and, for headlines, every
character of the screen texts (firmware/kiosk/ui/texts.py) at the large
sizes (32, 48 px),
into DIR/kiosk.fnt (format: kioskctl/fontfile.py and docs/ui.md).
"""

import os
import runpy
import sys
import time

from kioskctl import paths
from kioskctl.errors import KioskError

FONT_NAME = "kiosk.fnt"


def register(sub):
    p = sub.add_parser("fonts", help="build the kiosk bitmap font file")
    fs = p.add_subparsers(dest="fonts_cmd", metavar="ACTION")
    fs.required = True
    b = fs.add_parser("build", help="render GB2312 + ASCII into DIR/%s" % FONT_NAME)
    b.add_argument("-o", "--out", required=True, help="output directory")
    b.add_argument("--font", help="TrueType/OpenType CJK font (default: WenQuanYi Micro Hei)")
    b.add_argument("--sizes", default="16,24", help="body sizes in px (default 16,24)")
    b.add_argument("--large", default="32,48", help="headline sizes in px, screen-text characters only (default 32,48)")
    b.set_defaults(func=cmd_build)


def _sizes(text):
    try:
        out = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise KioskError("sizes must be comma-separated integers: %r" % text)
    for s in out:
        if not 8 <= s <= 64:
            raise KioskError("font size %d out of range 8..64" % s)
    return out


def ui_chars():
    """Every character used by the firmware's screen texts (all languages)."""
    path = os.path.join(paths.FIRMWARE, "kiosk", "ui", "texts.py")
    ns = runpy.run_path(path)
    chars = set()

    def walk(v):
        if isinstance(v, str):
            chars.update(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    for name, v in ns.items():
        if name.isupper():
            walk(v)
    return "".join(sorted(chars))


def build_to(out_dir, font=None, sizes=(16, 24), large=(32, 48)):
    from kioskctl import fontfile

    try:
        data = fontfile.build(font, sizes=sizes, large=large, large_chars=ui_chars())
    except fontfile.FontFileError as exc:
        raise KioskError(str(exc))
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, FONT_NAME)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return path, len(data)


def cmd_build(args):
    t0 = time.time()
    path, size = build_to(args.out, args.font, _sizes(args.sizes), _sizes(args.large))
    print("%s  %d bytes  %.1f s" % (path, size, time.time() - t0), file=sys.stderr)
    print(path)
    return 0
