"""What goes onto a device: pin tables, manifests, the staged file tree.

    pins = devbuild.read_pins("board/esp32s3_eye/pins.csv")   # {"CAM_D0": 11, ...}
    devbuild.pins_py(pins)                                     # the kpins.py module text
    m = devbuild.manifest("esp32s3_eye")                       # m.files: [(target, source)], m.requires
    devbuild.stage("esp32s3_eye", "build/dev/esp32s3_eye")     # the device tree, .mpy compiled

pins.csv is the one pin table of a board (MicroPython's format: NAME,GPIOn);
`kpins.py` is generated from it for the device and the tests, never edited.
A board's manifest.py (MicroPython's manifest language: include, package,
module, freeze, require, metadata) names every module a device build holds;
the same file freezes the modules into a custom firmware build and decides
what `make mpy` and `kioskctl flash` copy onto a stock image.

Device layout (a stock MicroPython image with the camera module; littlefs at /):
    /main.py /boot.py             the entry points (firmware/)
    /lib/...                      compiled modules (.mpy for the board's arch), kpins.mpy
    /lib/kiosk/qr/sjis.bin        the Shift-JIS -> Unicode table, beside its module
    /fonts/kiosk.fnt              the CJK bitmap font (`kioskctl fonts build`), optional
    /config/trust.kts ...         trust store and configuration: written by provisioning only
    /log/                         the scan log
"""

import hashlib
import os
import re
import subprocess

from kioskctl import paths
from kioskctl.errors import KioskError

# board -> (mpy-cross architecture, chip for esptool or None)
BOARDS = {
    "esp32s3_eye": ("xtensawin", "esp32s3"),
    "freenove_s3cam": ("xtensawin", "esp32s3"),
    "xiao_s3sense": ("xtensawin", "esp32s3"),
    "qemu_m7": ("armv7emdp", None),
}
ESP32_BOARDS = tuple(b for b, (_, chip) in BOARDS.items() if chip)
ENTRY = ("main.py", "boot.py")  # run as source from the filesystem root
_MAX_PINS = 64
_ROW = re.compile(r"^([A-Z][A-Z0-9_]{0,23}),GPIO([0-9]{1,2})$")


def board_dir(board):
    if board not in BOARDS:
        raise KioskError("unknown board %r (known: %s)" % (board, ", ".join(sorted(BOARDS))))
    return os.path.join(paths.BOARD, board)


def read_pins(path):
    """NAME -> GPIO number from a pins.csv; KioskError on a bad or repeated row."""
    pins = {}
    with open(path, encoding="ascii") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = _ROW.match(line)
            if not m:
                raise KioskError("%s:%d: not NAME,GPIOn: %r" % (path, n, line[:40]))
            name, gpio = m.group(1), int(m.group(2))
            if name in pins:
                raise KioskError("%s:%d: %s named twice" % (path, n, name))
            if gpio in pins.values():
                raise KioskError("%s:%d: GPIO%d already used by %s" % (
                    path, n, gpio, [k for k, v in pins.items() if v == gpio][0]))
            pins[name] = gpio
            if len(pins) > _MAX_PINS:
                raise KioskError("%s: more than %d pins" % (path, _MAX_PINS))
    return pins


def pins_py(pins, source="pins.csv"):
    rows = "".join("    %r: %d,\n" % (k, v) for k, v in pins.items())
    return "# Generated from %s by kioskctl.devbuild: do not edit.\nPINS = {\n%s}\n" % (source, rows)


def write_pins(board, out_dir):
    """Write kpins.py for `board` into out_dir; returns its path."""
    src = os.path.join(board_dir(board), "pins.csv")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, "kpins.py")
    with open(out, "w") as f:
        f.write(pins_py(read_pins(src), os.path.relpath(src, paths.REPO)))
    return out


class Manifest:
    """The file set of a manifest.py: `files` [(target, source)], `requires`, `metadata`."""

    def __init__(self):
        self.files = []
        self.requires = []
        self.metadata = {}
        self.port = []  # port manifests included ($(PORT_DIR), $(MPY_DIR)): the image's own
        self._dirs = []
        self._libraries = {}
        self._visited = set()

    def _base(self, base_path):
        return os.path.normpath(os.path.join(self._dirs[-1], base_path))

    def _add(self, target, source):
        if not os.path.isfile(source):
            raise KioskError("manifest names a missing file: %s" % source)
        self.files.append((target.replace(os.sep, "/"), source))

    def execute(self, path):
        if os.path.isdir(path):
            path = os.path.join(path, "manifest.py")
        path = os.path.abspath(path)
        if path in self._visited:
            return
        self._visited.add(path)
        self._dirs.append(os.path.dirname(os.path.abspath(path)))
        env = {"include": self.include, "package": self.package, "module": self.module,
               "freeze": self.freeze, "require": self.require, "metadata": self.meta,
               "add_library": self.add_library, "options": {}}
        with open(path) as f:
            exec(compile(f.read(), path, "exec"), env)
        self._dirs.pop()

    def include(self, path, **kw):
        if "$(" in path:
            self.port.append(path)
            return
        self.execute(os.path.join(self._dirs[-1], path))

    def package(self, package_path, files=None, base_path=".", opt=None):
        root = self._base(base_path)
        pdir = os.path.join(root, package_path)
        if files is None:
            for d, _, names in sorted(os.walk(pdir)):
                for n in sorted(names):
                    if n.endswith(".py") and n != "manifest.py":
                        src = os.path.join(d, n)
                        self._add(os.path.relpath(src, root), src)
        else:
            for n in files:
                self._add(os.path.join(package_path, n), os.path.join(pdir, n))

    def module(self, module_path, base_path=".", opt=None):
        self._add(module_path, os.path.join(self._base(base_path), module_path))

    def freeze(self, path, script=None, opt=None):
        root = self._base(path)
        names = script if script is not None else sorted(n for n in os.listdir(root) if n.endswith(".py"))
        for n in ([script] if isinstance(script, str) else names):
            self._add(n, os.path.join(root, n))

    def add_library(self, library, library_path, prepend=False):
        self._libraries[library] = self._base(library_path)

    def require(self, name, version=None, library=None, **kw):
        """A package of a registered library (its manifest runs), else one the
        image or micropython-lib provides (recorded in `requires`)."""
        if library is None:
            self.requires.append(name)
            return
        for root, _, names in sorted(os.walk(self._libraries[library])):
            if os.path.basename(root) == name and "manifest.py" in names:
                self.execute(root)
                return
        raise KioskError("package %r not found in library %r" % (name, library))

    def meta(self, description=None, version=None, license=None, author=None):
        if version and "version" not in self.metadata:
            self.metadata.update(version=version, description=description)


def gen_dir(board):
    return os.path.join(paths.REPO, "build", "gen", board)


def ensure_gtable():
    """build/gen/kiosk/crypto/gtab.py, G's comb table (as `make m32` makes it)."""
    import sys

    out = os.path.join(paths.REPO, "build", "gen", "kiosk", "crypto", "gtab.py")
    if not os.path.exists(out):
        script = os.path.join(paths.REPO, "host_tools", "scripts", "gen_gtable.py")
        proc = subprocess.run([sys.executable, script, out], capture_output=True, text=True)
        if proc.returncode != 0:
            raise KioskError("gen_gtable.py: %s" % proc.stderr.strip()[-300:])
    return out


def manifest(board):
    """Evaluate board/<board>/manifest.py (kpins.py and G's table generated first)."""
    ensure_gtable()
    if os.path.exists(os.path.join(board_dir(board), "pins.csv")):
        write_pins(board, gen_dir(board))
    m = Manifest()
    m.execute(os.path.join(board_dir(board), "manifest.py"))
    return m


def data_files(board):
    """Data files of a device build: (target, source)."""
    if BOARDS[board][1] is None:
        return []
    return [("lib/kiosk/qr/sjis.bin", os.path.join(paths.FIRMWARE, "kiosk", "qr", "sjis.bin"))]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            h.update(chunk)
    return h.hexdigest()


def compile_mpy(src, out, arch, mpy_cross=None):
    import sys

    exe = mpy_cross or os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    proc = subprocess.run([exe, "-march=" + arch, "-o", out, src], capture_output=True, text=True)
    if proc.returncode != 0:
        raise KioskError("mpy-cross %s: %s" % (src, proc.stderr.strip()))


def stage(board, out, font=None, compile_py=True, mpy_cross=None, extra=()):
    """The device tree of `board` under `out` (ESP32: /lib modules compiled for
    the board's arch, main.py, boot.py, data; qemu_m7: what its ROMFS holds
    beyond the frozen modules). Returns {target: sha256}."""
    import shutil

    arch = BOARDS[board][0]
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    files = []
    if BOARDS[board][1] is not None:  # a stock image: every module goes to /lib
        files += [("lib/" + t, s) for t, s in manifest(board).files if t not in ENTRY]
        files += data_files(board)
    files += [(n, os.path.join(paths.FIRMWARE, n)) for n in ENTRY]
    if font:
        files.append(("fonts/kiosk.fnt", font))
    files += list(extra)
    digests = {}
    for target, src in files:
        if compile_py and target.endswith(".py") and target not in ENTRY:
            target = target[:-3] + ".mpy"
        dst = os.path.join(out, target)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if target.endswith(".mpy") and src.endswith(".py"):
            compile_mpy(src, dst, arch, mpy_cross)
        else:
            shutil.copyfile(src, dst)
        digests[target] = sha256_file(dst)
    return digests


def package_json():
    """firmware/package.json for mip (`mip.install(".../firmware/package.json")`):
    the kiosk package's modules and its data file, URLs relative to the
    package.json, so they land in /lib as in a `make flash` build."""
    m = Manifest()
    m.execute(os.path.join(paths.FIRMWARE, "kiosk", "manifest.py"))
    urls = [[t, t] for t, _ in m.files]
    urls.append(["kiosk/qr/sjis.bin", "kiosk/qr/sjis.bin"])
    return {"urls": urls, "deps": [[r, "latest"] for r in m.requires], "version": m.metadata["version"]}


def package_json_text():
    import json

    pj = package_json()
    rows = ",\n".join("    " + json.dumps(u) for u in pj["urls"])
    return '{\n  "urls": [\n%s\n  ],\n  "deps": %s,\n  "version": %s\n}\n' % (
        rows, json.dumps(pj["deps"]), json.dumps(pj["version"]))
