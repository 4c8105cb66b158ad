# Simulator entry: the kiosk app on the unix port, one JSON line per scan.
# micropython run_kiosk.py OPTIONS_JSON_FILE   (a file: long arguments crash the unix port)
# options: inputs, flash, flash_blocks, at, serial, png_dir, font_dir, serve, watch,
#          install: {"trust": path, "policy": path, "device": path, "secret_hex": str,
#                    "admin_hex": str (admin public key: the key that may acknowledge records)}
# "install" is the simulator's factory step: it copies host files into
# /flash/config before boot (real kiosks are provisioned over serial), and the
# simulator accepts such an unsigned trust store when no signed bundle exists.
import json
import sys

import kboard


def _copy(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    with open(dst + ".new", "wb") as f:
        f.write(data)
    import os

    os.rename(dst + ".new", dst)  # atomic on littlefs


def install(root, spec):
    import binascii
    import os

    try:
        os.mkdir(root + "/config")
    except OSError:
        pass
    for key, name in (("trust", "trust.kts"), ("policy", "policy.json"), ("device", "device.json")):
        if spec.get(key):
            _copy(spec[key], root + "/config/" + name)
    if spec.get("secret_hex"):
        with open(root + "/config/secret.bin", "wb") as f:
            f.write(binascii.unhexlify(spec["secret_hex"]))
    if spec.get("admin_hex") and spec.get("device"):
        from kiosk.config import atomic, state

        with open(spec["device"]) as f:
            st = state.State({"device_id": json.load(f)["device_id"], "admin": spec["admin_hex"]})
        atomic.write(root + "/config/" + state.NAME, st.to_bytes())


def report(v, info):
    d = v.as_dict()
    d.update(info)
    print(json.dumps(d))


def main():
    with open(sys.argv[1]) as f:
        opts = json.load(f)
    board_opts = {k: opts[k] for k in ("inputs", "flash", "flash_blocks", "at", "serial", "png_dir", "watch") if opts.get(k) is not None}
    if opts.get("flash"):
        board_opts["clock_file"] = opts["flash"] + ".rtc"  # the RTC's coin cell
    board = kboard.create(**board_opts)
    if opts.get("install"):
        install(board.mount_storage(), opts["install"])
    from kiosk.app import main as app_main

    def problems(app):
        for p in app.cfg.problems:
            sys.stderr.write("kiosk config problem: %s\n" % p)

    app = app_main.run(board, on_verdict=report, serve=bool(opts.get("serve")), font_dir=opts.get("font_dir"),
                       on_start=problems, allow_unsigned=True)
    print(json.dumps({"done": app.scanner.scans, "log": app.log.stats()}))


main()
