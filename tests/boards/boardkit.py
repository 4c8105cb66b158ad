"""Run a board definition on the unix port over the hardware recorders (hw/)."""

import json
import os
import subprocess

from kioskctl import devbuild, paths

HERE = os.path.dirname(os.path.abspath(__file__))
ESP32 = devbuild.ESP32_BOARDS


def mp_path(board, gen):
    """MICROPYPATH: recorders first (they stand in for machine, camera, network,
    esp32), then the generated pin table, the firmware and the board."""
    return ":".join([os.path.join(HERE, "hw"), gen, os.path.join(HERE, "mp"), paths.sim_path(board)])


def run(board, scenario, work, timeout=300):
    gen = os.path.join(work, "gen")
    devbuild.write_pins(board, gen)
    env = dict(os.environ, MICROPYPATH=mp_path(board, gen))
    proc = subprocess.run([paths.micropython(), os.path.join(HERE, "mp", "boardrun.py"), scenario, work],
                          capture_output=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL, cwd=work)
    out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    assert proc.returncode == 0 and "BOARDRUN PASS" in out, out[-3000:]
    with open(os.path.join(work, "result.json")) as f:
        return json.load(f)


def frame_for(payload, work, seed=1):
    from kioskctl import photo

    img = photo.render(payload, size=(320, 240), seed=seed, style="phone")
    with open(os.path.join(work, "frame.gray"), "wb") as f:
        f.write(img.convert("L").tobytes())
