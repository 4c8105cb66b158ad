"""The whole kiosk app on the simulator (`kioskctl sim run --pty --radio`), provisioned
over USB with a broker URL and its MQTT login, uplinks its scans through the real
Mosquitto (fleet ACL) to the real `kioskctl collect`, which acknowledges with a key the kiosk trusts.
Wi-Fi down and a wrong Wi-Fi password show in `kioskctl provision info` while
scanning goes on; once the radio is back every record arrives and is acknowledged."""

import json
import os
import subprocess
import time

import pytest
from cryptography.hazmat.primitives import serialization

from support import fleetkit
from test_sim_provisioned import KIOSKCTL, Kiosk, ctl

DEV, VENUE = "K-APP-1", "V9"


def info(port):
    return json.loads(ctl("provision", "info", "--port", port, "--json").stdout)


def wait_info(port, pred, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        i = info(port)
        if pred(i) or time.monotonic() > deadline:
            return i
        time.sleep(0.5)


@pytest.fixture
def fleet(tmp_path):
    f = fleetkit.Fleet(tmp_path / "fleet", [(DEV, VENUE)])
    yield f
    f.close()


def test_app_uplinks_after_wifi_comes_back(tmp_path, issuer, fleet):
    radio = tmp_path / "radio"
    radio.write_text("off\n")
    first = tmp_path / "first"
    first.mkdir()
    (first / "a.txt").write_text("warm-up\n")
    flash = tmp_path / "flash.img"
    k = str(tmp_path / "k")
    ctl("keys", "gen", "-o", k + "-operator")
    ctl("keys", "gen", "-o", k + "-admin")
    ctl("keys", "gen", "-o", k + "-collector")
    bundle = tmp_path / "trust.ktb"
    ctl("trust", "bundle", "--store", issuer.trust, "--key", k + "-operator.key.pem", "--seq", 1, "-o", bundle)
    secret = tmp_path / "secret.bin"
    secret.write_bytes(os.urandom(32))
    (tmp_path / "wifi.pw").write_text("wifi-pw-TEST\n")
    (tmp_path / "mqtt.pw").write_text(fleet.passwords[DEV] + "\n")
    kiosk = Kiosk(first, flash)
    try:
        kiosk.scans(1)
        ctl("provision", "setup", "--port", kiosk.port, "--device-id", DEV, "--venue-id", VENUE,
            "--venue-name", "Clinic", "--venue-type", "medical", "--admin-pub", k + "-admin.pub.pem",
            "--operator-pub", k + "-operator.pub.pem", "--bundle", bundle, "--secret-file", secret,
            "--collector-pub", k + "-collector.pub.pem", "--wifi-ssid", "venue-wifi", "--wifi-pass-file", tmp_path / "wifi.pw",
            "--broker", fleet.broker.url, "--broker-user", DEV, "--broker-pass", tmp_path / "mqtt.pw")
        i = info(kiosk.port)
        assert i["broker_url"] == fleet.broker.url and i["broker_password_set"] is True
        assert "pw-" not in json.dumps(i)  # the password is never read back
    finally:
        kiosk.stop()
    with open(k + "-collector.key.pem", "rb") as f:
        collector_key = serialization.load_pem_private_key(f.read(), None)
    col = fleet.collector(collector_key)  # the collector key provisioned with --collector-pub
    second = tmp_path / "second"
    second.mkdir()
    codes = [issuer.mint("green", iat=int(time.time()), holder="H-%d" % i) for i in range(5)]
    (second / "b.txt").write_text("\n".join(codes) + "\n")
    proc = subprocess.Popen([KIOSKCTL, "sim", "run", str(second), "--flash", str(flash), "--pty", "--json",
                             "--radio", str(radio)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        port = line.split("kiosk serial port:")[1].split()[0]
        scans = [json.loads(proc.stdout.readline()) for _ in codes]
        assert [s["verdict"] for s in scans] == ["GREEN"] * 5  # scanning with the Wi-Fi down
        i = wait_info(port, lambda i: i["uplink"] == "Wi-Fi: no access point")
        assert i["uplink"] == "Wi-Fi: no access point"
        radio.write_text("on another-password\n")
        i = wait_info(port, lambda i: i["uplink"] == "Wi-Fi: wrong password")
        assert i["uplink"] == "Wi-Fi: wrong password"
        assert col.seqs(DEV) == []
        radio.write_text("on wifi-pw-TEST\n")
        i = wait_info(port, lambda i: i["uplink"] == "fleet: online, 0 pending", timeout=90)
        assert i["uplink"] == "fleet: online, 0 pending"
        assert col.seqs(DEV) == [1, 2, 3, 4, 5]  # the five codes (the warm-up scan before setup judged no one)
        assert i["bundle_seq"] == 1

        # downlink: the operator publishes a new bundle, retained and chunked; a forged one changes nothing
        (tmp_path / "op.pw").write_text(fleet.passwords["operator"] + "\n")
        pub = ["--broker", fleet.broker.url, "--user", "operator", "--pass-file", tmp_path / "op.pw"]

        def bundle_seq(n, key="-operator"):
            out = tmp_path / ("trust%d%s.ktb" % (n, key))
            ctl("trust", "bundle", "--store", issuer.trust, "--key", k + key + ".key.pem", "--seq", n, "-o", out)
            return out

        ctl("trust", "publish", bundle_seq(2), *pub)
        i = wait_info(port, lambda i: i["bundle_seq"] == 2)
        assert i["bundle_seq"] == 2 and i["bundle"]["seq"] == 2
        ctl("trust", "publish", bundle_seq(9, "-admin"), *pub)  # signed by the wrong key
        time.sleep(2)
        assert info(port)["bundle_seq"] == 2
        # a kiosk offline during the publish gets it when it is back (retained)
        radio.write_text("off\n")
        wait_info(port, lambda i: i["uplink"].startswith("Wi-Fi"))
        ctl("trust", "publish", bundle_seq(3), *pub)
        time.sleep(1)
        assert info(port)["bundle_seq"] == 2
        radio.write_text("on wifi-pw-TEST\n")
        i = wait_info(port, lambda i: i["bundle_seq"] == 3, timeout=90)
        assert i["bundle_seq"] == 3
    finally:
        proc.terminate()
        proc.wait(10)
