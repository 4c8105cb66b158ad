"""Packaging the MicroPython way: a manifest.py per firmware package, the
device build's file set (no simulator or test code), the mip package.json,
and the staged device tree `make mpy` builds."""

import ast
import json
import os

import pytest

from kioskctl import devbuild, paths
from boardkit import ESP32

KIOSK = os.path.join(paths.FIRMWARE, "kiosk")
NOT_ON_DEVICE = {"kiosk/qr/cli.py"}  # the simulator's PGM command line


def firmware_modules():
    out = set()
    for d, _, names in os.walk(KIOSK):
        for n in names:
            if n.endswith(".py") and n != "manifest.py":
                out.add(os.path.relpath(os.path.join(d, n), paths.FIRMWARE).replace(os.sep, "/"))
    return out


def test_every_firmware_package_has_a_manifest_with_metadata():
    packages = [d for d, _, names in os.walk(KIOSK) if "__init__.py" in names]
    assert len(packages) >= 10
    for d in packages:
        path = os.path.join(d, "manifest.py")
        assert os.path.isfile(path), "no manifest.py in %s" % d
        calls = [n.func.id for n in ast.walk(ast.parse(open(path).read()))
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
        assert "metadata" in calls and ("package" in calls or "module" in calls), path


@pytest.mark.parametrize("board", ESP32)
def test_device_build_holds_the_firmware_and_no_sim_or_test_code(board):
    m = devbuild.manifest(board)
    targets = {t for t, _ in m.files}
    sim = {n for n in os.listdir(os.path.join(paths.BOARD, "sim")) if n.endswith(".py")} - {"kboard.py"}
    assert not targets & sim, targets & sim
    assert not targets & NOT_ON_DEVICE
    for t, src in m.files:
        rel = os.path.relpath(src, paths.REPO)
        assert not rel.startswith(("board/sim", "tests", "host_tools", "bench")), rel
        assert not os.path.basename(t).startswith("test_"), t
        text = open(src, encoding="utf-8").read()
        assert "import pgm" not in text and "simsource" not in text, rel
    assert firmware_modules() - NOT_ON_DEVICE <= targets, "firmware modules missing from the manifests: %s" % (
        sorted(firmware_modules() - NOT_ON_DEVICE - targets))
    for need in ("kboard.py", "kpins.py", "camboard.py", "camsource.py", "rtcclock.py", "usbserial.py",
                 "wlan.py", "kiosk/crypto/gtab.py", "st7789.py", "ws2812.py", "buzzer.py", "mlx90614.py", "uart_scanner.py"):
        assert need in targets, need
    assert m.port == ["$(PORT_DIR)/boards/manifest.py"]


def test_mip_package_json_is_generated_from_the_manifests():
    with open(os.path.join(paths.FIRMWARE, "package.json")) as f:
        text = f.read()
    assert text == devbuild.package_json_text(), "firmware/package.json is stale: run `make package-json`"
    pj = json.loads(text)
    targets = [t for t, _ in pj["urls"]]
    assert set(targets) == (firmware_modules() - NOT_ON_DEVICE) | {"kiosk/qr/sjis.bin"}
    for t, url in pj["urls"]:
        assert url == t and os.path.isfile(os.path.join(paths.FIRMWARE, url))
    assert pj["version"] == "0.1.0"


def test_staged_tree_is_compiled_for_the_board(tmp_path):
    out = str(tmp_path / "dev")
    font = tmp_path / "kiosk.fnt"
    font.write_bytes(b"KFNT-test")
    digests = devbuild.stage("xiao_s3sense", out, font=str(font))
    assert digests["main.py"] == devbuild.sha256_file(os.path.join(paths.FIRMWARE, "main.py"))
    assert "fonts/kiosk.fnt" in digests and "lib/kiosk/qr/sjis.bin" in digests and "lib/kpins.mpy" in digests
    mpys = [t for t in digests if t.endswith(".mpy")]
    assert len(mpys) > 60 and not [t for t in digests if t.endswith(".py") and t not in devbuild.ENTRY]
    for t in mpys:
        with open(os.path.join(out, t), "rb") as f:
            assert f.read(2) == b"M\x06", t
    for t, h in digests.items():
        assert devbuild.sha256_file(os.path.join(out, t)) == h


def test_staged_modules_import_and_find_their_data_file(tmp_path):
    """The device layout works as MicroPython imports it: /lib on sys.path,
    the Shift-JIS table found beside its compiled module."""
    import subprocess

    out = str(tmp_path / "dev")
    devbuild.stage("esp32s3_eye", out)
    code = "from kiosk.qr import segments\nprint(segments.__file__, bool(segments._table()))\nimport kpins\nprint(kpins.PINS['BOOT'])"
    proc = subprocess.run([paths.micropython(), "-c", code], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, MICROPYPATH=os.path.join(out, "lib")))
    assert proc.stdout.split() == [os.path.join(out, "lib", "kiosk", "qr", "segments.mpy"), "True", "0"], proc.stdout + proc.stderr
