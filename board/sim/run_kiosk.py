# Simulator entry: the kiosk app on the unix port, one JSON line per scan.
# micropython run_kiosk.py OPTIONS_JSON_FILE   (a file: long arguments crash the unix port)
# options: inputs, flash, flash_blocks, at, serial, png_dir, lcd_size ([w, h]), font_dir, serve, watch, radio,
#          install: {"trust": path, "policy": path, "device": path, "secret_hex": str,
#                    "admin_hex": str (admin public key: the key that may acknowledge records),
#                    "collectors_hex": [str], "wifi": {"ssid", "password"},
#                    "broker": {"url", "user", "password"} (the uplink's login, sealed)}
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
        from kiosk.config import secrets

        with open(root + "/config/secret.bin", "wb") as f:
            f.write(secrets.seal("secret", binascii.unhexlify(spec["secret_hex"])))
    if spec.get("admin_hex") and spec.get("device"):
        from kiosk.config import atomic, state

        with open(spec["device"]) as f:
            st = state.State({"device_id": json.load(f)["device_id"], "admin": spec["admin_hex"],
                              "collectors": spec.get("collectors_hex") or []})
        atomic.write(root + "/config/" + state.NAME, st.to_bytes())
    _install_uplink(root, spec)


def _install_uplink(root, spec):
    """Wi-Fi and broker login for the uplink, sealed as provisioning stores them."""
    from binascii import hexlify

    from kiosk.config import atomic, secrets

    if spec.get("wifi"):
        w = spec["wifi"]
        atomic.write(root + "/config/wifi.json", json.dumps({
            "ssid": w["ssid"], "password_set": bool(w["password"]),
            "sealed": hexlify(secrets.seal("wifi", w["password"])).decode()}).encode())
    if spec.get("broker"):
        b = dict(spec["broker"])
        pw = b.pop("password", None)
        b["password_set"] = bool(pw)
        b["sealed"] = hexlify(secrets.seal("broker", pw)).decode() if pw else None
        atomic.write(root + "/config/broker.json", json.dumps(b).encode())


def report(v, info):
    d = v.as_dict()
    d.update(info)
    print(json.dumps(d))


def main():
    with open(sys.argv[1]) as f:
        opts = json.load(f)
    board_opts = {k: opts[k] for k in ("inputs", "flash", "flash_blocks", "at", "serial", "png_dir", "watch", "radio") if opts.get(k) is not None}
    if opts.get("lcd_size"):
        board_opts["lcd_size"] = tuple(opts["lcd_size"])  # 320x240 by default; the reference board is 240x240
    if opts.get("flash"):
        board_opts["clock_file"] = opts["flash"] + ".rtc"  # the RTC's coin cell
    board = kboard.create(**board_opts)
    if opts.get("install"):
        from kiosk.config import secrets

        secrets.use_board(board)  # the factory step seals the secret as provisioning does
        root = board.mount_storage()
        try:
            install(root, opts["install"])
        except OSError as exc:  # a file larger than the simulated flash: say so, no traceback
            import os

            st = os.statvfs(root)
            sys.stderr.write("sim: cannot install onto the simulated flash (%s): %d of %d KB free; "
                             "give a larger --flash-size or a smaller trust store (kioskctl trust build "
                             "--partition)\n" % (exc, st[0] * st[3] // 1024, st[0] * st[2] // 1024))
            sys.exit(2)
    from kiosk.app import main as app_main

    def problems(app):
        for p in app.cfg.problems:
            sys.stderr.write("kiosk config problem: %s\n" % p)

    app = app_main.run(board, on_verdict=report, serve=bool(opts.get("serve")), font_dir=opts.get("font_dir"),
                       on_start=problems, allow_unsigned=True)
    print(json.dumps({"done": app.scanner.scans, "log": app.log.stats()}))


main()
