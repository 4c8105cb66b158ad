"""A realistic trust list on a 2 MB kiosk (issue #10 item 8): 500 DCC signer
certificates and 4 native issuer keys (all GENERATED TEST KEYS, never real),
built by `kioskctl trust build` (which sizes the tables for a 2 MB partition
and warns about duplicates and expired certificates), installed by first setup
and updated on a simulated 2 MB littlefs, with power cuts during the update;
after every reboot the kiosk holds exactly the old or the new bundle and keeps
room for 20,000 scan records (free blocks, then proven by appending)."""

import contextlib
import datetime
import io
import json
import os
import re
import subprocess

import pytest

from kioskctl import bundle, cli, mp, paths, trust
from support.dsc import signer_certs

HERE = os.path.dirname(os.path.abspath(__file__))
FIRMWARE_TESTS = os.path.join(os.path.dirname(HERE), "firmware")
T0 = 1800000000  # the provisioning tests' clock (tests/firmware/test_provision_attacks.py)


def _operator_key():
    """The firmware tests' TEST operator key (tests/firmware/test_provision_keys.py)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    with open(os.path.join(FIRMWARE_TESTS, "test_provision_keys.py")) as f:
        d = int(re.search(r"^OPERATOR = (0x[0-9A-Fa-f]+)", f.read(), re.M).group(1), 16)
    return ec.derive_private_key(d, ec.SECP256R1())


def _native_keys(folder, n):
    out = []
    for i in range(n):
        prefix = os.path.join(folder, "native%d" % i)
        assert cli.main(["keys", "gen", "-o", prefix]) == 0
        out.append(prefix + ".pub.pem")
    return out


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fit")
    certs = [path for path, _ in signer_certs(str(tmp), 501, expired_at=7)]
    keys = _native_keys(str(tmp), 4)
    old, new = str(tmp / "old.kts"), str(tmp / "new.kts")
    # old: signers 0..499 plus a duplicate file; new: signer 0 rotated out, 500 in
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert cli.main(["trust", "build", "--cert"] + certs[:500] + [certs[3], "--key"] + keys + ["-o", old]) == 0
    with contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["trust", "build", "--cert"] + certs[1:501] + ["--key"] + keys + ["-o", new]) == 0
    return {"tmp": tmp, "certs": certs, "keys": keys, "old": old, "new": new, "build_err": err.getvalue()}


def test_build_warns_and_fits_2mb(stores, capsys):
    s = stores
    err = s["build_err"]
    assert "the same key as" in err and "dsc003.der" in err  # the duplicate, named
    assert "dsc007.der: certificate expired" in err
    assert "fits: a bundle of up to" in err and "2048 KB data partition" in err and "20000 scan records" in err
    m = re.search(r"504 keys, (\d+) bytes; tables: (\d+) x 65 KB, (\d+) x 16 KB, (\d+) ES256 keys without", err)
    assert m, err
    size, big, small, without = map(int, m.groups())
    assert big == 4 and small > 0 and big + small + without == 504
    assert size <= trust.bundle_room() and size == os.path.getsize(s["old"])
    # without the budget (all 65 KB tables) it would not fit, and build says so
    over = str(s["tmp"] / "over.kts")
    assert cli.main(["trust", "build", "--cert"] + s["certs"][:40] + ["--table-budget", "3000000", "-o", over]) == 0
    err = capsys.readouterr().err
    assert "DOES NOT FIT" in err and "bytes over" in err


def test_install_update_and_power_cuts_on_2mb(stores):
    s = stores
    key = _operator_key()
    ktb = []
    for seq, kts in ((5, s["old"]), (6, s["new"])):
        with open(kts, "rb") as f:
            data = bundle.build(f.read(), key, seq, 172800, 259200, iat=T0 - 100)
        path = str(s["tmp"] / ("b%d.ktb" % seq))
        with open(path, "wb") as f:
            f.write(data)
        ktb.append(path)
    script = os.path.join(HERE, "mp_trust_fit.py")
    proc = subprocess.run(mp.argv(script, [ktb[0], ktb[1], 4, 20000], "24M"), capture_output=True,
                          env=mp.env("sim", [FIRMWARE_TESTS, paths.sim_path("sim")]), timeout=900)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:] + proc.stdout.decode()[-2000:]
    out = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    print(out)
    need = out["need_blocks_20000"]
    for k in ("free_after_install", "free_low_during_update", "free_after_update", "free_worst_after_cut"):
        assert out[k] >= need, (k, out)
    assert out["cuts"] == 16 and out["after_cut_old"] >= 1 and out["after_cut_new"] >= 1, out
    assert out["appended"] == 20000 and out["dropped"] == 0, out


def _mint_native(key_pem, at):
    from kioskctl import mint
    from kioskctl.cmd_keys import load_signing_key

    sk = load_signing_key(key_pem)
    claims = mint.health_code_claims("CN-TEST", "green", "H-1", "A*", at - 60, at + 86400)
    return mint.hc1(mint.cose_sign1(claims, sk, mint.kid_for(sk)))


def test_sim_run_with_big_store_does_not_crash(stores, capfd):
    s = stores
    inputs = s["tmp"] / "in"
    inputs.mkdir(exist_ok=True)
    at = 1790000000
    (inputs / "scanner.txt").write_text(_mint_native(s["keys"][0].replace(".pub.pem", ".key.pem"), at) + "\n")
    iso = datetime.datetime.fromtimestamp(at, datetime.timezone.utc).isoformat()
    capfd.readouterr()
    assert cli.main(["sim", "run", str(inputs), "--trust", s["old"], "--secret", "11" * 32, "--at", iso, "--json"]) == 0
    rows = [json.loads(x) for x in capfd.readouterr().out.splitlines() if x.startswith("{")]
    assert [(r["verdict"], r["reason"]) for r in rows] == [("GREEN", "ok")], rows
    # on a flash too small for the store: a clear error, not OSError 28 out of the kiosk
    rc = cli.main(["sim", "run", str(inputs), "--trust", s["old"], "--secret", "11" * 32, "--at", iso, "--flash-size", "256K"])
    err = capfd.readouterr().err
    assert rc != 0 and "cannot install onto the simulated flash" in err and "--flash-size" in err, err
    assert "Traceback" not in err


def _serial_kiosk_script():
    """The serial provisioning kiosk of tests/e2e/test_provision_serial.py, on a 2 MB image."""
    import importlib.util

    path = os.path.join(os.path.dirname(HERE), "e2e", "test_provision_serial.py")
    spec = importlib.util.spec_from_file_location("e2e_provision_serial", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert "FlashDev(image, 4096, 256)" in mod.KIOSK
    return mod.KIOSK.replace("FlashDev(image, 4096, 256)", "FlashDev(image, 4096, 512)")


def test_setup_and_push_over_serial_on_2mb(stores, capfd):
    """kioskctl provision setup with the 504-key bundle, then trust push of the
    update, over a pty to the firmware on a 2 MB littlefs image."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from kioskctl.cmd_keys import write_pem
    from kioskctl.ptybridge import PtyBridge

    s = stores
    tmp = s["tmp"] / "serial"
    tmp.mkdir()
    k = {n: ec.generate_private_key(ec.SECP256R1()) for n in ("op", "admin")}
    op_key = write_pem(k["op"], tmp / "op.key.pem", True)
    op_pub = write_pem(k["op"], tmp / "op.pub.pem")
    admin_key = write_pem(k["admin"], tmp / "admin.key.pem", True)
    admin_pub = write_pem(k["admin"], tmp / "admin.pub.pem")
    b = {}
    for seq, kts in ((1, s["old"]), (2, s["new"])):
        b[seq] = str(tmp / ("b%d.ktb" % seq))
        assert cli.main(["trust", "bundle", "--store", kts, "--key", op_key, "--seq", str(seq), "-o", b[seq]]) == 0
    secret = tmp / "secret"
    secret.write_bytes(b"ab" * 16)
    script = tmp / "prov_kiosk_main.py"
    script.write_text(_serial_kiosk_script())
    bridge = PtyBridge()
    bridge.start()
    proc = mp.popen(str(script), [tmp / "flash.img", bridge.device_path, tmp / "button"],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert proc.stdout.readline().strip() == b"READY"
        P = ["--port", bridge.host_path, "--timeout", "5"]
        assert cli.main(["provision", "setup", *P, "--device-id", "kiosk-2mb", "--venue-id", "v1", "--venue-name", "Hall",
                         "--admin-pub", admin_pub, "--operator-pub", op_pub, "--bundle", b[1],
                         "--secret-file", str(secret)]) == 0, capfd.readouterr().err
        assert cli.main(["trust", "push", b[2], "--admin-key", admin_key, *P]) == 0, capfd.readouterr().err
        capfd.readouterr()
        assert cli.main(["provision", "info", "--json", *P]) == 0
        info = json.loads(capfd.readouterr().out)
        assert info["bundle"]["seq"] == 2 and info["bundle"]["status"] == "ok", info
    finally:
        proc.kill()
        proc.wait()
        bridge.stop()
