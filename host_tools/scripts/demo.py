"""make demo: the kiosk on the simulator, end to end.

Makes TEST keys and tokens, renders them as phone-screen photos, builds the
trust store and the font, runs the kiosk loop on the simulator (camera ->
QR decoder -> verifier -> verdict -> LCD/LED/buzzer -> power-safe log) and
prints what the kiosk showed: a 320x240 kiosk from camera frames (a code
shown again is refused as already_used; the idle screen then shows the day's
counts), then the same codes on the reference board's 240x240 screen.
Everything lands in out/demo/ (screens/320x240, screens/240x240).

    python host_tools/scripts/demo.py [--scanner]   (--scanner: UART scanner lines instead of camera frames)
"""

import argparse
import json
import os
import shutil
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "host_tools"))

from kioskctl import cli, mint  # noqa: E402
from kioskctl.cmd_keys import load_signing_key  # noqa: E402

OUT = os.path.join(REPO, "out", "demo")
HOUR = 3600
FRAMES_PER_SCAN = 3
DAY = 86400


def kioskctl(*args):
    code = cli.main([str(a) for a in args])
    if code:
        sys.exit("kioskctl %s failed (%d)" % (" ".join(map(str, args)), code))


def tokens(now, issuer, stranger):
    """(file stem, payload, what the kiosk should show) for each demo case."""
    sk, other = load_signing_key(issuer), load_signing_key(stranger)
    kid = mint.kid_for(sk)

    def hc(colour, sign=sk, iat=now - HOUR, valid=7 * DAY, label_kid=None, **kw):
        claims = mint.health_code_claims("CN-DEMO-TEST", colour, kw.pop("holder", "demo-holder-1"),
                                         kw.pop("name", "张*玲"), iat, iat + valid, **kw)
        return mint.hc1(mint.cose_sign1(claims, sign, label_kid or mint.kid_for(sign)))

    first = hc("green")
    return [
        ("01-green", first, "GREEN ENTER ok"),
        ("02-green-dependant", hc("green", name="王*", holder="demo-holder-2", dependant=True), "GREEN ENTER ok"),
        ("03-yellow", hc("yellow", name="李*明", holder="demo-holder-3"), "YELLOW STOP policy"),
        ("04-yellow-travel", hc("yellow", name="赵*", holder="demo-holder-4", travel=(now - HOUR, now + 6 * HOUR)), "YELLOW ENTER ok"),
        ("05-red", hc("red", name="陈*华", holder="demo-holder-5"), "RED STOP policy"),
        ("06-expired", hc("green", iat=now - 20 * DAY), "RED STOP expired"),
        ("07-forged", hc("green", sign=other, label_kid=kid), "RED STOP bad_signature"),
        ("08-unknown-issuer", hc("green", sign=other), "RED STOP unknown_issuer"),
        ("09-garbage", "https://example.com/not-a-health-code", "RED STOP unknown_format"),
        ("10-green-again", first, "GREEN STOP already_used"),  # the same code (a screenshot) for a second person
    ]


def write_inputs(cases, folder, photos, scanner):
    """Camera frames (PGM for the kiosk, PNG to look at) or scanner lines."""
    if scanner:
        with open(os.path.join(folder, "scanner.txt"), "w") as f:
            for _, payload, _ in cases:
                f.write(payload + "\n")
        return
    from kioskctl import photo

    for i, (stem, payload, _) in enumerate(cases):
        size = (640, 480) if i % 3 == 2 else (320, 240)
        style = "paper" if i % 4 == 3 else "phone"
        for k in range(FRAMES_PER_SCAN):  # a burst, as the camera sees a code held up
            img = photo.render(payload, size=size, seed=100 * i + k, style=style)
            photo.save_pgm(img, os.path.join(folder, "%s.f%d.pgm" % (stem, k)))
            img.save(os.path.join(photos, "%s.f%d.png" % (stem, k)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scanner", action="store_true", help="feed UART scanner lines instead of camera frames")
    args = ap.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    for d in ("keys", "inputs", "lines", "photos", "screens/320x240", "screens/240x240"):
        os.makedirs(os.path.join(OUT, d))
    keys = os.path.join(OUT, "keys")
    print("== TEST keys (demo only, never deploy) ==")
    kioskctl("keys", "gen", "-o", os.path.join(keys, "demo-issuer"))
    kioskctl("keys", "gen", "-o", os.path.join(keys, "stranger"))
    kioskctl("keys", "gen", "-o", os.path.join(keys, "demo-admin"))  # may acknowledge (delete) pulled records
    now = int(time.time())
    cases = tokens(now, os.path.join(keys, "demo-issuer.key.pem"), os.path.join(keys, "stranger.key.pem"))
    write_inputs(cases, os.path.join(OUT, "inputs"), os.path.join(OUT, "photos"), args.scanner)
    write_inputs(cases, os.path.join(OUT, "lines"), None, True)
    trust = os.path.join(OUT, "trust.kts")
    kioskctl("trust", "build", "--key", os.path.join(keys, "demo-issuer.pub.pem"), "-o", trust)
    fonts = os.path.join(REPO, "build", "fonts")
    if not os.path.isdir(fonts) or not os.listdir(fonts):
        kioskctl("fonts", "build", "-o", fonts)
    policy = os.path.join(OUT, "policy.json")
    with open(policy, "w") as f:
        json.dump({"venue_type": "transit", "lang": "zh+en"}, f)
    device = os.path.join(OUT, "device.json")
    with open(device, "w") as f:
        json.dump({"device_id": "SIM-0001", "venue": {"id": "V-DEMO", "name": "Demo Station", "type": "transit"}}, f)

    from kioskctl import bundle
    from kioskctl.sim_run import run_sim

    opts = {
        "inputs": os.path.join(OUT, "inputs"), "flash": os.path.join(OUT, "kiosk-flash.img"), "at": now,
        "png_dir": os.path.join(OUT, "screens", "320x240"), "font_dir": fonts, "lcd_size": [320, 240],
        "install": {"trust": trust, "policy": policy, "device": device, "secret_hex": os.urandom(32).hex(),
                    "admin_hex": bundle.load_public_point(os.path.join(keys, "demo-admin.pub.pem")).hex()},
    }
    print("\n== the kiosk at a transit venue (simulator: %s) ==" % ("scanner" if args.scanner else "camera"))
    print("%-20s %-7s %-6s %-15s %-8s %9s %9s" % ("input", "shows", "door", "reason", "name", "decode ms", "verify ms"))
    expected = {stem: want for stem, _, want in cases}
    wrong = 0
    seen = 0
    port = []
    opts["serve"] = True  # keep the kiosk's serial port open for the pull below
    kiosk = run_sim(opts, on_serial=port.append)
    for d in kiosk:
        stem = os.path.splitext(os.path.basename(str(d.get("source") or "")))[0]
        want = expected.get(stem) or (cases[seen][2] if args.scanner and seen < len(cases) else "?")
        got = "%s %s %s" % (d["verdict"], "ENTER" if d["admit"] else "STOP", d["reason"])
        mark = "" if got == want else "   <-- expected " + want
        wrong += got != want
        print("%-20s %-7s %-6s %-15s %-8s %9s %9s%s" % (
            stem or d.get("source"), d["verdict"], "ENTER" if d["admit"] else "STOP", d["reason"],
            d.get("name") or "", d.get("decode_ms", ""), d.get("decide_ms", ""), mark))
        seen += 1
        if seen == len(cases):
            break
    print("\n%d scans, %d as expected. Screens: %s" % (seen, seen - wrong, opts["png_dir"]))
    admitted = sum(1 for _, _, want in cases if " ENTER " in want)
    try:
        idle = idle_screen(opts["png_dir"])
        print("idle screen with today's counts (%d admitted, %d refused; no names): %s" % (
            admitted, len(cases) - admitted, idle or "not shown"))
        pulled = pull_log(port[0], os.path.join(keys, "demo-admin.key.pem"))
    finally:
        kiosk.close()  # stops the simulated kiosk
    wrong += small_screen(opts, cases, now)
    wrong += fleet_uplink(opts, cases, keys)
    return 1 if wrong or seen != len(cases) or pulled != seen or not idle else 0


def fleet_uplink(opts, cases, keys):
    """The Wi-Fi half: a second kiosk of the venue publishes its records to a real
    Mosquitto (per-kiosk login, fleet ACL), `kioskctl collect` stores them in SQLite
    and acknowledges them signed, `kioskctl report --plot` draws the day."""
    import sqlite3
    import subprocess

    sys.path.insert(0, os.path.join(REPO, "tests"))
    from support.broker import Broker

    from kioskctl import bundle
    from kioskctl.cmd_broker import acl_text
    from kioskctl.sim_run import run_sim

    dev, venue = "SIM-0002", "V-DEMO"
    print("\n== the uplink: %s -> Mosquitto -> kioskctl collect -> SQLite -> report --plot ==" % dev)
    kioskctl("keys", "gen", "-o", os.path.join(keys, "demo-collector"))
    pws = {dev: os.urandom(8).hex(), "collector": os.urandom(8).hex()}
    broker = Broker(os.path.join(OUT, "broker"), users=pws, acl_text=acl_text([(dev, venue)])).start()
    device = os.path.join(OUT, "device-2.json")
    with open(device, "w") as f:
        json.dump({"device_id": dev, "venue": {"id": venue, "name": "Demo Station", "type": "transit"}}, f)
    db = os.path.join(OUT, "fleet.sqlite")
    install = dict(opts["install"], device=device,
                   collectors_hex=[bundle.load_public_point(os.path.join(keys, "demo-collector.pub.pem")).hex()],
                   wifi={"ssid": "demo-wifi", "password": "demo-wifi-TEST"},
                   broker={"url": broker.url, "user": dev, "password": pws[dev]})
    fleet = dict(opts, flash=os.path.join(OUT, "kiosk-fleet.img"), png_dir=None, install=install, serve=True,
                 radio=os.path.join(OUT, "radio"))
    fleet.pop("serial", None)
    collect = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "kioskctl"), "collect",
                                "--broker", broker.url, "--user", "collector", "--password", pws["collector"],
                                "--db", "sqlite:///" + db, "--ack-key", os.path.join(keys, "demo-collector.key.pem")])
    stored = 0
    try:
        kiosk = run_sim(fleet)
        try:
            for n, _ in enumerate(kiosk, 1):
                if n == len(cases):
                    break
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and stored < len(cases):
                time.sleep(1)
                if os.path.exists(db):
                    with sqlite3.connect(db) as c:
                        try:
                            stored = c.execute("SELECT COUNT(*) FROM records WHERE device = ?", (dev,)).fetchone()[0]
                        except sqlite3.Error:
                            stored = 0
        finally:
            kiosk.close()
    finally:
        collect.terminate()
        collect.wait(20)
        broker.stop()
    print("%d of %d records stored by the collector (and acknowledged, so the kiosk may delete them)" % (stored, len(cases)))
    plot = os.path.join(OUT, "fleet-report.png")
    kioskctl("report", "--db", "sqlite:///" + db, "--plot", plot)
    print("chart: %s" % plot)
    return 0 if stored == len(cases) else 1


def idle_screen(png_dir, wait_s=8):
    """The idle screen the kiosk returns to 3 s after the last verdict (a new PNG)."""
    def newest():
        names = sorted(os.listdir(png_dir))
        return os.path.join(png_dir, names[-1]) if names else None

    last = newest()
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        time.sleep(0.25)
        cur = newest()
        if cur != last:
            return cur
    return None


def small_screen(opts, cases, now):
    """The same codes (scanner lines) on the reference board's 240x240 LCD."""
    from kioskctl.sim_run import run_sim

    small = dict(opts, inputs=os.path.join(OUT, "lines"), flash=os.path.join(OUT, "kiosk-240.img"),
                 png_dir=os.path.join(OUT, "screens", "240x240"), lcd_size=[240, 240], serve=False, at=now)
    small.pop("serial", None)  # the first kiosk's pty: this one needs none
    print("\n== the same codes on a 240x240 screen (reference board) ==")
    wrong = 0
    for (stem, _, want), d in zip(cases, run_sim(small)):
        got = "%s %s %s" % (d["verdict"], "ENTER" if d["admit"] else "STOP", d["reason"])
        wrong += got != want
        print("%-20s %s%s" % (stem, got, "" if got == want else "   <-- expected " + want))
    print("Screens: %s" % small["png_dir"])
    return wrong


def pull_log(port, admin_key):
    """The admin's side: pull the scan log over the kiosk's serial port, then the day's counts."""
    time.sleep(1.2)  # group commit: a record is durable within 1 s of its verdict
    store, csv_path = os.path.join(OUT, "records.sqlite"), os.path.join(OUT, "records.csv")
    print("\n== kioskctl pull --port %s --ack-key admin (records: pseudonyms only, no names) ==" % port)
    kioskctl("pull", "--port", port, "--store", store, "--quiet", "--ack-key", admin_key, "--format", "csv", "-o", csv_path)
    with open(csv_path) as f:
        rows = f.read().splitlines()
    for line in rows:
        print("  " + line)
    print("\n== kioskctl report ==")
    kioskctl("report", "--store", store, "--tz", "+08:00")
    return len(rows) - 1


if __name__ == "__main__":
    sys.exit(main())
