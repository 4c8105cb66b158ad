"""kioskctl sim run: the kiosk main loop on the simulator over a folder of inputs."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from kioskctl.errors import KioskError, UsageError

SIM_HEAP = "32M"
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def register(sim):
    p = sim.add_parser("run", help="run the kiosk loop on the simulator over a folder of inputs")
    p.add_argument("inputs", help="folder of camera frames (PGM, PNG, JPEG...) and scanner lines (*.txt)")
    p.add_argument("--trust", help="install this trust store before boot (simulator factory step)")
    p.add_argument("--policy", help="install this venue policy JSON")
    p.add_argument("--device", help="install this device JSON (device id, venue, lang)")
    p.add_argument("--secret", help="install this venue secret (hex, or a file as provision setup --secret-file takes)")
    p.add_argument("--admin-pub", metavar="PEM", help="install this admin public key (with --device: the key `pull --ack-key` signs with)")
    p.add_argument("--at", help="set the clock (ISO 8601); default: the clock stays as it was (unset on a new image)")
    p.add_argument("--flash", help="flash image file (littlefs); default: a fresh image in RAM")
    p.add_argument("--flash-size", default="2M", metavar="SIZE",
                   help="data partition of a new flash image or of the RAM flash, e.g. 2M or 512K (default 2M, "
                        "an existing image keeps its size)")
    p.add_argument("--screens", help="write a PNG of the LCD after every update into this folder")
    p.add_argument("--fonts", help="font folder (kioskctl fonts build); default build/fonts in the kioskctl checkout")
    p.add_argument("--pty", action="store_true", help="expose the kiosk's serial port on a pty and keep serving")
    p.add_argument("--watch", action="store_true",
                   help="keep running and scan PGM frames and *.txt lines as they appear in the folder "
                        "(write them elsewhere, then move them in); implies --pty")
    p.add_argument("--json", action="store_true", help="print one JSON object per scan instead of a table")
    p.add_argument("--radio", metavar="FILE", help="give the kiosk Wi-Fi (board/sim/simnet): FILE says off / on / on PASSWORD")
    p.set_defaults(func=cmd_run)


def stage_inputs(src, dst):
    """Copy scanner lines and PGM frames; convert other images to 8-bit PGM."""
    from PIL import Image

    names = sorted(os.listdir(src))
    count = 0
    for n in names:
        path = os.path.join(src, n)
        stem, ext = os.path.splitext(n)
        ext = ext.lower()
        if ext in (".txt", ".pgm"):
            shutil.copy(path, os.path.join(dst, n))
        elif ext in IMAGE_EXT:
            Image.open(path).convert("L").save(os.path.join(dst, stem + ".pgm"))
        else:
            continue
        count += 1
    return count


def default_fonts():
    """build/fonts of the checkout kioskctl runs from (not the current directory)."""
    from kioskctl import paths

    return os.path.join(paths.REPO, "build", "fonts")


def options(args, staged):
    from kioskctl import inputs
    from kioskctl.trust import read_store
    from kioskctl.timeutil import parse_instant

    opts = {"inputs": staged, "serve": bool(args.pty or args.watch), "watch": bool(args.watch)}
    if args.flash:
        opts["flash"] = os.path.abspath(args.flash)
    opts["flash_blocks"] = flash_blocks(args.flash_size)
    if args.radio:
        opts["radio"] = os.path.abspath(args.radio)
    if args.at:
        opts["at"] = parse_instant(args.at)
    fonts = os.path.abspath(args.fonts or default_fonts())
    opts["font_dir"] = fonts
    if args.screens:
        try:
            os.makedirs(args.screens, exist_ok=True)
        except OSError as exc:
            raise KioskError("cannot create %s: %s" % (args.screens, exc.strerror or exc))
        opts["png_dir"] = os.path.abspath(args.screens)
        if not os.path.exists(os.path.join(fonts, "kiosk.fnt")):
            print("kioskctl: no font at %s (kioskctl fonts build -o %s): the screens fall back to "
                  "the built-in ASCII font (English only)" % (fonts, fonts), file=sys.stderr)
    install = {}
    if args.trust:
        read_store(args.trust)
    for key in ("policy", "device"):
        if getattr(args, key):
            inputs.json_map(getattr(args, key), key)
    for key in ("trust", "policy", "device"):
        value = getattr(args, key)
        if value:
            install[key] = os.path.abspath(value)
    if args.secret:
        install["secret_hex"] = inputs.secret(args.secret).hex()
    if args.admin_pub:
        from kioskctl import bundle

        if not args.device:
            raise KioskError("--admin-pub needs --device (the device id the admin key is for)")
        install["admin_hex"] = bundle.load_public_point(args.admin_pub).hex()
    if install:
        opts["install"] = install
    return opts


FLASH_BLOCK = 4096


def flash_blocks(size):
    """4 KB blocks in a size like 2M, 512K or 2097152 (at least 16 blocks)."""
    text = str(size).strip().upper()
    mult = {"K": 1024, "M": 1024 * 1024}.get(text[-1:], 1)
    try:
        n = int(float(text.rstrip("KM")) * mult)
    except ValueError:
        raise UsageError("--flash-size: expected a size like 2M or 512K, got %r" % size)
    if n < 16 * FLASH_BLOCK or n % FLASH_BLOCK or n > 64 * 1024 * 1024:
        raise UsageError("--flash-size: a multiple of 4 KB between 64K and 64M, got %r" % size)
    return n // FLASH_BLOCK


def format_row(d):
    name = d.get("name") or ""
    return "%3s  %-28s  %-6s  %-5s  %-15s  %-8s  %s" % (
        d.get("scan", ""), (d.get("source") or "")[:28], d["verdict"], "ENTER" if d["admit"] else "STOP",
        d["reason"], name, d.get("kid") or "")


def run_sim(opts, on_serial=None):
    """Run the firmware; yields each scan's dict. `on_serial(host_path)` is
    called with the kiosk's serial port when the simulator gets one."""
    from kioskctl import mp, paths

    script = os.path.join(paths.BOARD, "sim", "run_kiosk.py")
    bridge = None
    if on_serial is not None:
        from kioskctl.ptybridge import PtyBridge

        bridge = PtyBridge().start()
        opts["serial"] = bridge.device_path
        on_serial(bridge.host_path)
    fd, opts_path = tempfile.mkstemp(prefix="kiosk-opts-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(opts, f)
    # the simulator's PNG writer needs room; firmware heap use is measured in bench/
    proc = mp.popen(script, [opts_path], heapsize=SIM_HEAP, stdout=subprocess.PIPE)
    try:
        for line in proc.stdout:
            if not line.startswith(b"{"):
                sys.stderr.write(line.decode("utf-8", "replace"))
                continue
            d = json.loads(line)
            if "done" not in d:  # the final line: the log's stats at exit
                yield d
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()
        if bridge:
            bridge.stop()
        os.unlink(opts_path)
    if proc.returncode != 0:
        raise KioskError("the simulated kiosk stopped with exit code %d" % proc.returncode)


def _terminate_gracefully():
    """SIGTERM (e.g. a service manager or a test stopping us) unwinds like
    Ctrl-C, so the simulated kiosk and the pty bridge are stopped and cleaned up."""
    import signal

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)


def cmd_run(args):
    _terminate_gracefully()
    if not os.path.isdir(args.inputs):
        raise KioskError("%s is not a folder" % args.inputs)
    with tempfile.TemporaryDirectory(prefix="kiosk-inputs-") as staged:
        if args.watch:  # the kiosk reads the folder itself: PGM frames and scanner lines only
            staged = os.path.abspath(args.inputs)
        elif stage_inputs(args.inputs, staged) == 0:
            raise KioskError("no frames or scanner lines in %s" % args.inputs)
        opts = options(args, staged)
        on_serial = None
        if args.pty or args.watch:
            def on_serial(path):
                print("kiosk serial port: %s (kioskctl pull --port %s)" % (path, path), file=sys.stderr)
        if not args.json:
            print("%3s  %-28s  %-6s  %-5s  %-15s  %-8s  %s" % ("#", "input", "shows", "door", "reason", "name", "kid"))
        for d in run_sim(opts, on_serial=on_serial):
            print(json.dumps(d, ensure_ascii=False) if args.json else format_row(d), flush=True)
    return 0
