# #10.7: the venue secret and the Wi-Fi password are sealed with the board's
# device key: a raw dump of the littlefs image holds neither, only this
# device's key opens them, and no request returns them.
import mpassert
import test_provision_attacks as A
import test_provision_keys as K
from kiosk.config import ConfigError, device, secrets
from kiosk.provision.handlers import Provisioner
from simclock import SimClock

HEAPSIZE = "2M"


def test_flash_image_holds_neither_secret_nor_wifi_password():
    secrets.use_key(b"k" * 32)
    mp, dev, mem = K.ramfs()
    p = Provisioner(mp, clock=SimClock(A.T0))
    p.handle(A.setup_req())
    new_secret, new_pw = b"second-venue-secret-0123456789", "second-wifi-password"
    p.handle(A.cmd(p, 1, "secret", {"secret": new_secret}))
    p.handle(A.cmd(p, 2, "wifi", {"ssid": "venue-net", "password": new_pw}))
    image = mem  # the raw bytes of the littlefs image
    for needle in (A.SECRET, A.WIFI_PW.encode(), new_secret, new_pw.encode()):
        for part in (needle[:12], needle[-12:]):
            mpassert.eq(part in image, False, "%r in the flash image" % part)
    mpassert.eq(b"venue-net" in image, True)  # the image is readable: the test would see them
    st = device.load(mp, A.T0)
    mpassert.eq(st.secret, new_secret)
    mpassert.eq(st.wifi, {"ssid": "venue-net", "password": new_pw})
    info = p.handle({"op": "info"})
    mpassert.eq((info["secret_set"], info["wifi_password_set"], info["secret_protection"]), (True, True, "device_key"))


def test_another_devices_key_opens_nothing():
    secrets.use_key(b"k" * 32)
    mp, dev, mem = K.ramfs()
    Provisioner(mp, clock=SimClock(A.T0)).handle(A.setup_req())
    secrets.use_key(b"j" * 32)  # the flash chip moved to another board
    st = device.load(mp, A.T0)
    mpassert.eq(st.secret, None)
    mpassert.eq([n for n, _ in st.damaged], ["secret.bin", "wifi.json"])
    mpassert.eq(st.provisioned, False)  # no secret: no pseudonyms under a wrong key


def test_seal_is_bound_and_tamper_evident():
    secrets.use_key(b"k" * 32)
    blob = secrets.seal("secret", b"s" * 32)
    mpassert.eq(secrets.unseal("secret", blob), b"s" * 32)
    mpassert.eq(secrets.seal("secret", b"s" * 32), blob)  # deterministic (synthetic IV)
    mpassert.eq(secrets.seal("secret", b"t" + b"s" * 31)[4:20] != blob[4:20], True)
    mpassert.raises(ConfigError, secrets.unseal, "wifi", blob)  # bound to its use
    bad = bytearray(blob)
    bad[22] ^= 1
    mpassert.raises(ConfigError, secrets.unseal, "secret", bytes(bad))
    mpassert.raises(ConfigError, secrets.unseal, "secret", b"s" * 32)
    mpassert.eq(secrets.unseal("secret", secrets.seal("secret", b"")), b"")
    secrets.use_key(None)
    mpassert.eq(secrets.protection(), "none")
    blob = secrets.seal("secret", b"plain-secret-bytes-here")
    mpassert.eq(b"plain-secret" in blob, False)
    mpassert.eq(secrets.unseal("secret", blob), b"plain-secret-bytes-here")
