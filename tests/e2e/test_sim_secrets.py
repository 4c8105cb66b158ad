"""#10.7 end to end: a kiosk provisioned over its pty with a venue secret and a
Wi-Fi password keeps neither in plain bytes in its flash image (the key that
seals them lives beside the image, as in a board's eFuse/NVS), still scans
with the secret after a restart, and `provision info` returns neither."""

import os
import time

from test_sim_provisioned import Kiosk, ctl, provision


def test_flash_dump_holds_no_secret(tmp_path, issuer):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("warm-up\n")
    flash = tmp_path / "flash.img"
    kiosk = Kiosk(inputs, flash)
    pw = "correct-horse-battery-staple-77"
    try:
        kiosk.scans(1)
        k = provision(tmp_path, kiosk, issuer)
        (tmp_path / "pw.txt").write_text(pw)
        ctl("provision", "set", "--port", kiosk.port, "--admin-key", k + "-admin.key.pem",
            "--wifi", "venue-net", tmp_path / "pw.txt")
        info = ctl("provision", "info", "--json", "--port", kiosk.port).stdout
    finally:
        kiosk.stop()
    secret = (tmp_path / "secret.bin").read_bytes()
    assert '"secret_protection": "device_key"' in info and pw not in info
    image = flash.read_bytes()
    assert b"venue-net" in image  # what is not secret is there to be seen
    for needle in (secret[:8], secret[-8:], pw.encode()[:10], pw.encode()[-10:]):
        assert needle not in image
    assert os.path.getsize(str(flash) + ".key") == 32  # outside the data partition
    second = tmp_path / "second"
    second.mkdir()
    (second / "b.txt").write_text(issuer.mint("green", iat=int(time.time()) - 60, holder="S-1") + "\n")
    kiosk = Kiosk(second, flash)
    try:
        [scan] = kiosk.scans(1)
    finally:
        kiosk.stop()
    assert (scan["reason"], scan["admit"]) == ("ok", True), scan  # provisioned: the secret unsealed
