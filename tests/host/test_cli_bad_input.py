"""Every kioskctl subcommand on bad input: one clear line on stderr, never a
traceback, exit code 2 (usage, bad input) or 3 (device, port).

One line per case in CASES: (subcommand words and arguments, exit code, a
word the message must contain). `{name}` is a file from the `files` fixture;
new subcommands add their bad inputs here.
"""

import os
import shlex
import subprocess
import sys

import pytest

NOPORT = "/nonexistent/ttyKIOSK"
LONG = "".join(chr(0x4E00 + i * 7919 % 20000) for i in range(1500))  # does not compress

CASES = [
    # keys
    ("keys gen -o {png}/sub/k", 2, "cannot"),
    ("keys show {missing}", 2, "cannot read"),
    ("keys show {png}", 2, "not a P-256"),
    ("keys show {kts}", 2, "not a P-256"),
    # mint
    ("mint --key {missing} --colour green --name A --holder H", 2, "cannot read"),
    ("mint --key {png} --colour green --name A --holder H", 2, "private key"),
    ("mint --key {key} --colour green --name A --holder H --cti zz", 2, "--cti"),
    ("mint --key {key} --colour green --name '' --holder H", 2, "--name"),
    ("mint --key {key} --colour green --name A --holder ''", 2, "--holder"),
    ("mint --key {key} --colour green --name %s --holder H --qr {tmp}/q.png" % LONG, 2, "QR"),
    ("mint --key {key} --colour green --name A --holder H --from 2026-13-45", 2, "ISO 8601"),
    ("mint --key {key} --colour green --name A --holder H --valid forever", 2, "duration"),
    # trust
    ("trust build --cert {missing} -o {tmp}/t.kts", 2, "cannot read"),
    ("trust build --cert {png} -o {tmp}/t.kts", 2, "certificate"),
    ("trust build --key {png} -o {tmp}/t.kts", 2, "key"),
    ("trust build --key {pub} -o {tmp}/no/such/dir/t.kts", 2, "cannot write"),
    ("trust inspect {missing}", 2, "cannot read"),
    ("trust inspect {png}", 2, "not a trust"),
    ("trust inspect {kts_cut}", 2, "truncated"),
    ("trust inspect {ktb_cut}", 2, "truncated"),
    ("trust inspect {krv_cut}", 2, "truncated"),
    ("trust inspect {krd_cut}", 2, "truncated"),
    ("trust inspect {ktb} --at 2026-13-45", 2, "ISO 8601"),
    ("trust bundle --store {kts_cut} --key {key} --seq 1 -o {tmp}/b.ktb", 2, "truncated"),
    ("trust bundle --store {png} --key {key} --seq 1 -o {tmp}/b.ktb", 2, "not a trust"),
    ("trust bundle --store {kts} --key {png} --seq 1 -o {tmp}/b.ktb", 2, "private key"),
    ("trust revoke --key {missing} --seq 1 -o {tmp}/r.krv", 2, "cannot read"),
    ("trust revoke --key {key} --seq 2 --base {krv_cut} -o {tmp}/r.krv", 2, "truncated"),
    ("trust revoke --key {key} --seq 2 --add {png} -o {tmp}/r.krv", 2, "KID_HEX"),
    ("trust push {png} --admin-key {key} --port %s" % NOPORT, 2, "not a bundle"),
    ("trust push {ktb} --admin-key {missing} --port %s" % NOPORT, 2, "cannot read"),
    ("trust push {ktb} --admin-key {key} --port %s" % NOPORT, 3, "cannot open"),
    # sim
    ("sim verify --trust {missing} HC1:x", 2, "cannot read"),
    ("sim verify --trust {png} HC1:x", 2, "not a trust"),
    ("sim verify --trust {kts} --at 2026-13-45 HC1:x", 2, "ISO 8601"),
    ("sim run {missing}", 2, "not a folder"),
    ("sim run {tmp} --trust {png}", 2, "not a trust"),
    ("sim run {tmp} --secret zz", 2, "--secret"),
    ("sim run {tmp} --at 2026-13-45", 2, "ISO 8601"),
    ("sim run {tmp} --policy {png}", 2, "JSON"),
    ("sim photo %s -o {tmp}/ph" % ("HC1:" + "A" * 5000), 2, "QR"),
    ("sim photo HC1:x -o {tmp}/ph --size huge", 2, "WIDTHxHEIGHT"),
    ("sim decode {missing}", 2, "no such file"),
    ("sim decode {notdb}", 2, "cannot read image"),
    # fonts
    ("fonts build -o {tmp}/f --font {missing}", 2, "font"),
    ("fonts build -o {tmp}/f --sizes 1,x", 2, "sizes"),
    # pull, report, trace
    ("pull --port %s --store {notdb}" % NOPORT, 2, "not a kioskctl record store"),
    ("pull --port %s --store {tmp}/s.sqlite" % NOPORT, 3, "cannot open"),
    ("pull --port %s --store {tmp}/s.sqlite --ack-key {missing}" % NOPORT, 2, "cannot read"),
    ("pull --port %s --store {tmp}/s.sqlite --ack-key {png}" % NOPORT, 2, "private key"),
    ("provision setup --port %s --device-id D --venue-id V --venue-name N --admin-pub {key} "
     "--operator-pub {key} --secret-file {key} --collector-pub {png}" % NOPORT, 2, "public key"),
    ("report --store {notdb}", 2, "not a kioskctl record store"),
    ("report --store {missing}", 2, "no record store"),
    ("report --store {db} --day 2026-13-45", 2, "--day"),
    ("report --store {db} --tz 25", 2, "--tz"),
    ("trace --store {notdb} --holder H --secret 00112233445566778899aabbccddeeff", 2, "record store"),
    ("trace --store {db} --holder H --secret zz", 2, "--secret"),
    ("trace --store {db} --holder H --secrets {png}", 2, "cannot read"),
    # provision
    ("provision setup --port %s --device-id d --venue-id v --venue-name n --admin-pub {png}"
     " --operator-pub {pub} --secret-file {secret}" % NOPORT, 2, "key"),
    ("provision setup --port %s --device-id d --venue-id v --venue-name n --admin-pub {pub}"
     " --operator-pub {pub} --secret-file {missing}" % NOPORT, 2, "cannot read"),
    ("provision setup --port %s --device-id d --venue-id v --venue-name n --admin-pub {pub}"
     " --operator-pub {pub} --secret-file {secret} --lang fr" % NOPORT, 2, "--lang"),
    ("provision setup --port %s --device-id d --venue-id v --venue-name n --admin-pub {pub}"
     " --operator-pub {pub} --secret-file {secret} --venue-type casino" % NOPORT, 2, "--venue-type"),
    ("provision setup --port %s --device-id d --venue-id v --venue-name n --admin-pub {pub}"
     " --operator-pub {pub} --secret-file {secret} --clock 2026-13-45" % NOPORT, 2, "ISO 8601"),
    ("provision setup --port %s --device-id d --venue-id v --venue-name n --admin-pub {pub}"
     " --operator-pub {pub} --secret-file {secret}" % NOPORT, 3, "cannot open"),
    ("provision info --port %s" % NOPORT, 3, "cannot open"),
    ("provision set --port %s --admin-key {missing} --clock now" % NOPORT, 2, "cannot read"),
    ("provision set --port %s --admin-key {key} --policy {png}" % NOPORT, 2, "JSON"),
    ("provision reset --port %s" % NOPORT, 3, "cannot open"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory, issuer):
    from PIL import Image

    from kioskctl.cli import main

    d = tmp_path_factory.mktemp("bad")
    f = {"tmp": str(d), "missing": str(d / "missing.file"), "key": issuer.key, "pub": issuer.pub,
         "kts": issuer.trust}
    Image.new("L", (8, 8)).save(str(d / "p.png"))
    f["png"] = str(d / "p.png")
    (d / "notdb").write_text("this is not a database\n" * 20)
    f["notdb"] = str(d / "notdb")
    (d / "secret").write_bytes(bytes(range(200, 232)))
    f["secret"] = str(d / "secret")
    (d / "add.txt").write_text("%s %s\n" % ("ab" * 8, "cd" * 16))
    assert main(["trust", "bundle", "--store", issuer.trust, "--key", issuer.key, "--seq", "1",
                 "-o", str(d / "b.ktb")]) == 0
    assert main(["trust", "revoke", "--key", issuer.key, "--seq", "1", "-o", str(d / "r1.krv")]) == 0
    assert main(["trust", "revoke", "--key", issuer.key, "--seq", "2", "--base", str(d / "r1.krv"),
                 "--add", str(d / "add.txt"), "-o", str(d / "r2.krv"), "--delta", str(d / "r2.krd")]) == 0
    f["ktb"] = str(d / "b.ktb")
    for name, src in (("kts_cut", issuer.trust), ("ktb_cut", f["ktb"]), ("krv_cut", str(d / "r2.krv")),
                      ("krd_cut", str(d / "r2.krd"))):
        data = open(src, "rb").read()
        (d / name).write_bytes(data[: len(data) * 2 // 3])
        f[name] = str(d / name)
    import sqlite3

    from kioskctl.store import Store

    Store(str(d / "db.sqlite")).close()
    f["db"] = str(d / "db.sqlite")
    assert sqlite3.connect(f["db"]).execute("SELECT count(*) FROM records").fetchone() == (0,)
    return f


@pytest.mark.parametrize("line,code,word", CASES, ids=[c[0][:60] for c in CASES])
def test_bad_input_gives_one_line_and_exit_2_or_3(files, line, code, word):
    argv = [a.format(**files) for a in shlex.split(line)]
    kioskctl = os.path.join(os.path.dirname(sys.executable), "kioskctl")
    proc = subprocess.run([kioskctl] + argv, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, KIOSKCTL_DEBUG=""))
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("kioskctl: "), lines[0]
    assert (proc.returncode, word.lower() in lines[0].lower()) == (code, True), (proc.returncode, lines[0])
