"""QR decoding benchmark: our MicroPython decoder vs zxing-cpp, ZBar, quirc, OpenCV.

    .venv/bin/python bench/qr_corpus.py [--synth N] [--no-corpus] [--only SUBSTR]
                                        [--no-peers]

Corpus: ../shared/corpus/qr (manifest.json). An image counts as decoded when
the decoded payload bytes equal an expected `hex` exactly, for every expected
code (`match: all`) or one of them (`match: any`). Peers are given credit
for either their raw bytes or their UTF-8 text; our decoder is judged on the
bytes `kioskctl sim decode` prints.

Synthetic set: N kiosk-like frames from kioskctl.photo (phone and paper
styles, 320x240 and 640x480) holding HC1-like alphanumeric payloads.

Our decoder runs on the MicroPython unix port in one process for all images
(time measured inside MicroPython around the decode); peers run in this
process (time around their decode call, image already in memory). Prints a
per-subset table, totals, medians and the ratios against the peers.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import warnings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "host_tools"))
CORPUS = os.path.join(REPO, "..", "shared", "corpus", "qr")

from kioskctl import sim_decode  # noqa: E402


def peers():
    out = {}
    try:
        import zxingcpp

        def zx(img):
            res = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
            return [(r.bytes, r.text.encode("utf-8")) for r in res]

        out["zxing-cpp"] = zx
    except ImportError:
        pass
    try:
        from pyzbar import pyzbar

        def zb(img):
            res = pyzbar.decode(img, symbols=[pyzbar.ZBarSymbol.QRCODE])
            return [(r.data, r.data) for r in res]

        out["zbar"] = zb
    except (ImportError, OSError):
        pass
    try:
        import quirc

        def qu(img):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = quirc.decode(img)
            return [(d.payload, d.payload) for _, d in res]

        out["quirc"] = qu
    except ImportError:
        pass
    try:
        import cv2
        import numpy

        det = cv2.QRCodeDetector()

        def cv(img):
            arr = numpy.asarray(img)
            ok, texts, _, _ = det.detectAndDecodeMulti(arr)
            if not ok:
                return []
            return [(t.encode("utf-8"), t.encode("utf-8")) for t in texts if t]

        out["opencv"] = cv
    except ImportError:
        pass
    return out


def matched(expected, match, got):
    """got: list of sets of acceptable byte strings per decoded code."""
    flat = set()
    for alts in got:
        flat.update(alts)
    hits = [bytes.fromhex(e["hex"]) in flat for e in expected]
    return any(hits) if match == "any" else all(hits)


def load_corpus(only=None):
    with open(os.path.join(CORPUS, "manifest.json")) as f:
        man = json.load(f)
    items = []
    for it in man["images"]:
        if only and only not in it["id"]:
            continue
        items.append(
            {
                "id": it["id"],
                "subset": it["subset"],
                "path": os.path.join(CORPUS, it["pgm_path"]),
                "expected": it["expected"],
                "match": it.get("match", "all"),
            }
        )
    return items


def synth_items(n, tmp, seed=1):
    from kioskctl import photo

    rng = random.Random(seed)
    alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    items = []
    for i in range(n):
        length = rng.randint(180, 420)
        payload = "HC1:" + "".join(rng.choice(alpha) for _ in range(length))
        size = (640, 480) if i % 3 == 2 else (320, 240)
        style = "paper" if i % 4 == 3 else "phone"
        img = photo.render(payload, size=size, seed=i, style=style)
        path = os.path.join(tmp, "synth%03d.pgm" % i)
        photo.save_pgm(img, path)
        items.append(
            {
                "id": "synth-%03d-%s-%dx%d" % (i, style, size[0], size[1]),
                "subset": "synth-%s-%d" % (style, size[0]),
                "path": path,
                "expected": [{"hex": payload.encode().hex()}],
                "match": "all",
            }
        )
    return items


def run_set(items, peer_fns, label):
    from PIL import Image

    names = ["ours"] + list(peer_fns)
    res = {n: {} for n in names}
    times = {n: [] for n in names}
    ours = sim_decode.decode_files([it["path"] for it in items])
    for it, (_, payloads, ms, err) in zip(items, ours):
        res["ours"][it["id"]] = matched(it["expected"], it["match"], [{p} for p in payloads])
        if ms is not None:
            times["ours"].append(ms)
    for it in items:
        img = Image.open(it["path"]).convert("L")
        img.load()
        for name, fn in peer_fns.items():
            t0 = time.perf_counter()
            try:
                got = fn(img)
            except Exception:
                got = []
            times[name].append((time.perf_counter() - t0) * 1000)
            res[name][it["id"]] = matched(it["expected"], it["match"], [set(g) for g in got])
    subsets = sorted(set(it["subset"] for it in items))
    print("\n## %s (%d images)\n" % (label, len(items)))
    print("| subset | n | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for s in subsets:
        ids = [it["id"] for it in items if it["subset"] == s]
        print("| %s | %d | " % (s, len(ids)) + " | ".join(str(sum(res[n][i] for i in ids)) for n in names) + " |")
    tot = {n: sum(res[n].values()) for n in names}
    med = {n: statistics.median(times[n]) if times[n] else float("nan") for n in names}
    print("| **total** | %d | " % len(items) + " | ".join("**%d**" % tot[n] for n in names) + " |")
    print("| median ms | | " + " | ".join("%.2f" % med[n] for n in names) + " |")
    print()
    for n in names[1:]:
        print(
            "ours vs %s: decoded %d vs %d (%+d), median time ratio %.1fx"
            % (n, tot["ours"], tot[n], tot["ours"] - tot[n], med["ours"] / med[n] if med[n] else float("nan"))
        )
    missed = [i for i in res["ours"] if not res["ours"][i]]
    print("ours missed:", " ".join(missed) if missed else "none")
    if "zxing-cpp" in res:
        extra = [i for i in missed if res["zxing-cpp"][i]]
        print("zxing-cpp read, ours missed:", " ".join(extra) if extra else "none")
    line = "%s: ours %d/%d, median %.2f ms" % (label, tot["ours"], len(items), med["ours"])
    if "quirc" in med and med["quirc"]:
        line += " (%.1fx quirc)" % (med["ours"] / med["quirc"])
    peers_line = ", ".join("%s %d" % (n, tot[n]) for n in names[1:])
    if peers_line:
        line += "; " + peers_line
    return line


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synth", type=int, default=100, help="number of synthetic kiosk frames (0: none)")
    ap.add_argument("--no-corpus", action="store_true")
    ap.add_argument("--only", help="only corpus images whose id contains this")
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args(argv)
    fns = {} if args.no_peers else peers()
    print("peers:", ", ".join(fns) or "none (pip install -r host_tools/requirements-bench.lock)")
    summary = []
    if not args.no_corpus:
        summary.append(run_set(load_corpus(args.only), fns, "corpus/qr"))
    if args.synth:
        with tempfile.TemporaryDirectory() as tmp:
            summary.append(run_set(synth_items(args.synth, tmp), fns, "synthetic"))
    print()
    print("summary: " + " | ".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
