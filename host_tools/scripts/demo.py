"""make demo: the kiosk on the simulator, end to end.

Makes TEST keys and tokens, renders them as phone-screen photos, builds the
trust store and the font, runs the kiosk loop on the simulator (camera ->
QR decoder -> verifier -> verdict -> LCD/LED/buzzer -> power-safe log) and
prints what the kiosk showed. Everything lands in out/demo/.

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

    return [
        ("01-green", hc("green"), "GREEN ENTER ok"),
        ("02-green-dependant", hc("green", name="王*", holder="demo-holder-2", dependant=True), "GREEN ENTER ok"),
        ("03-yellow", hc("yellow", name="李*明", holder="demo-holder-3"), "YELLOW STOP policy"),
        ("04-yellow-travel", hc("yellow", name="赵*", holder="demo-holder-4", travel=(now - HOUR, now + 6 * HOUR)), "YELLOW ENTER ok"),
        ("05-red", hc("red", name="陈*华", holder="demo-holder-5"), "RED STOP policy"),
        ("06-expired", hc("green", iat=now - 20 * DAY), "RED STOP expired"),
        ("07-forged", hc("green", sign=other, label_kid=kid), "RED STOP bad_signature"),
        ("08-unknown-issuer", hc("green", sign=other), "RED STOP unknown_issuer"),
        ("09-garbage", "https://example.com/not-a-health-code", "RED STOP unknown_format"),
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
    for d in ("keys", "inputs", "photos", "screens"):
        os.makedirs(os.path.join(OUT, d))
    keys = os.path.join(OUT, "keys")
    print("== TEST keys (demo only, never deploy) ==")
    kioskctl("keys", "gen", "-o", os.path.join(keys, "demo-issuer"))
    kioskctl("keys", "gen", "-o", os.path.join(keys, "stranger"))
    kioskctl("keys", "gen", "-o", os.path.join(keys, "demo-admin"))  # may acknowledge (delete) pulled records
    now = int(time.time())
    cases = tokens(now, os.path.join(keys, "demo-issuer.key.pem"), os.path.join(keys, "stranger.key.pem"))
    write_inputs(cases, os.path.join(OUT, "inputs"), os.path.join(OUT, "photos"), args.scanner)
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
        "png_dir": os.path.join(OUT, "screens"), "font_dir": fonts,
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
    print("\n%d scans, %d as expected. Screens: %s" % (seen, seen - wrong, os.path.join(OUT, "screens")))
    try:
        pulled = pull_log(port[0], os.path.join(keys, "demo-admin.key.pem"))
    finally:
        kiosk.close()  # stops the simulated kiosk
    return 1 if wrong or seen != len(cases) or pulled != seen else 0


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
