"""kioskctl sim decode IMAGE...: run the firmware QR decoder on the unix port.

Every image goes through ONE MicroPython process (kiosk/qr/cli.py). 8-bit
binary PGM (P5) files are passed as they are; anything else pillow can open
is converted to a temporary P5 file first. stdout gets one line per decoded
code: the text when it is UTF-8 without CR/LF, else "hex:" + hex. stderr
gets, per image, a label ("kioskctl: IMAGE: 2 codes", or "no QR code found")
and "TIME_MS <float>", measured inside MicroPython around the decode, or an
error line for an image that could not be read. Exit status: 0, or 2 when an
image could not be read.
"""

import os
import sys
import tempfile

from kioskctl import mp, paths
from kioskctl.errors import KioskError


def register(sub):
    p = sub.add_parser("decode", help="decode QR codes in images with the firmware decoder")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PGM (P5) or any image pillow reads")
    p.add_argument("--heapsize", default=None, help="MicroPython heap size (default 32M: many frame sizes in one process)")
    p.add_argument("--budget-ms", type=int, default=None,
                   help="give up on an image after this long (default: the firmware's 2000 ms)")
    p.set_defaults(func=run)


def is_p5(path):
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return False
    if not head.startswith(b"P5"):
        return False
    fields = []
    for line in head.split(b"\n"):
        line = line.split(b"#")[0]
        fields += line.split()
        if len(fields) >= 4:
            break
    return len(fields) >= 4 and fields[3] == b"255"


def to_pgm(path, tmpdir, index):
    """(P5 path, None) for `path` (converted with pillow when needed), or
    (None, error message) when the image cannot be read."""
    if is_p5(path):
        return path, None
    from PIL import Image

    out = os.path.join(tmpdir, "img%d.pgm" % index)
    try:
        with Image.open(path) as im:
            im.convert("L").save(out)
    except FileNotFoundError:
        return None, "no such file"
    except Exception as exc:
        return None, "cannot read image (%s)" % exc.__class__.__name__
    return out, None


def format_payload(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "hex:" + data.hex()
    if "\r" in text or "\n" in text:
        return "hex:" + data.hex()
    return text


def decode_files(images, heapsize=None, budget_ms=None):
    """Yield (image, [payload bytes], time_ms or None, error or None)."""
    results = [[p, [], None, None] for p in images]
    with tempfile.TemporaryDirectory() as tmp:
        pgms = []
        index = []  # position in `images` of each file given to the firmware
        for i, p in enumerate(images):
            q, err = to_pgm(p, tmp, i)
            if err is not None:
                results[i][3] = err
            else:
                pgms.append(q)
                index.append(i)
        if not pgms:
            return results
        script = os.path.join(paths.FIRMWARE, "kiosk", "qr", "cli.py")
        args = (["--budget-ms", budget_ms] if budget_ms else []) + pgms
        proc = mp.run(script, args, heapsize=heapsize or "32M", timeout=60 + 30 * len(pgms), check=False)
    out = proc.stdout.decode("utf-8", "replace").splitlines()
    cur = None
    for line in out:
        tag, _, rest = line.partition(" ")
        if tag == "IMG":
            cur = results[index[int(rest)]]
        elif cur is None:
            continue
        elif tag == "SYM":
            cur[1].append(bytes.fromhex(rest))
        elif tag == "TIME_MS":
            cur[2] = float(rest)
        elif tag == "ERR":
            cur[3] = rest
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        msg = err[-1] if err else "exit %d" % proc.returncode
        for r in results:
            if r[2] is None and r[3] is None:
                r[3] = "decoder process failed: " + msg
    return results


def run(args):
    results = decode_files(args.images, args.heapsize, args.budget_ms)
    status = 0
    for image, payloads, ms, err in results:
        if err is not None:
            sys.stderr.write("kioskctl: error: %s: %s\n" % (image, err))
            status = 2
            continue
        n = len(payloads)
        sys.stderr.write("kioskctl: %s: %s\n" % (image, "%d code%s" % (n, "" if n == 1 else "s") if n else "no QR code found"))
        sys.stderr.flush()
        for data in payloads:
            sys.stdout.write(format_payload(data) + "\n")
        sys.stdout.flush()
        sys.stderr.write("TIME_MS %.3f\n" % ms)
    sys.stdout.flush()
    return status
