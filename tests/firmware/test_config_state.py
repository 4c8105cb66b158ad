# Device state has one owner (kiosk.config): every value is checked against
# one schema before it is committed, and nothing read back at boot can crash
# the app: a damaged or invalid stored value gives the "config" fault screen.
import json
import os

import kboard
import mpassert
import test_app_loop as L
import test_app_tasks as T
import test_provision_attacks as A
from kiosk.app import main
from kiosk.config import device

HEAPSIZE = "2M"


def provisioned_app():
    b = T.SerialBoard(at=A.T0, png_dir="")
    a = main.App(b)
    a.prov.handle(A.setup_req())
    return b, a


def test_bad_values_are_refused_before_commit():
    b = T.SerialBoard(at=A.T0)
    a = main.App(b)
    for over, words in (({"lang": "fr"}, "lang must be one of"),
                        ({"venue": {"id": "v", "name": "n", "type": "casino"}}, "venue type must be one of"),
                        ({"policy": {"lang": "de"}}, "lang must be one of"),
                        ({"policy": {"skew_s": "soon"}}, "policy refused")):
        r = a.prov.handle_safe(A.setup_req(**over))
        mpassert.eq((r["ok"], r["error"]), (False, "bad_request"), repr(over))
        mpassert.eq(words in r["msg"], True, r["msg"])
        mpassert.eq(a.prov.state.provisioned, False)
    mpassert.eq(a.fault(), "provision")


def test_a_running_change_with_a_bad_value_is_refused_and_changes_nothing():
    b, a = provisioned_app()
    mpassert.eq(a.fault(), None)
    before = A.snapshot(a.prov.dir)
    req = A.cmd(a.prov, 1, "venue", {"venue": {"id": "v", "name": "n", "type": "general"}, "lang": "fr"})
    r = a.prov.handle_safe(req)
    mpassert.eq((r["ok"], r["error"]), (False, "bad_request"))
    mpassert.eq(A.snapshot(a.prov.dir), before)
    ok = a.prov.handle_safe(A.cmd(a.prov, 1, "venue", {"venue": {"id": "v", "name": "n", "type": "medical"}, "lang": "en"}))
    mpassert.eq(ok["ok"], True, repr(ok))
    mpassert.eq((a.cfg.lang, a.ui.lang, a.fault()), ("en", "en", None))


def test_a_bad_stored_value_gives_a_fault_screen_not_a_boot_loop():
    b, a = provisioned_app()
    cfg = a.prov.dir
    for name, data in (("device.json", json.dumps({"device_id": "kiosk-0001", "lang": "fr"})),
                       ("device.json", "{not json"),
                       ("policy.json", json.dumps({"venue_type": "casino"})),
                       ("secret.bin", "short"),
                       ("prov.json", "[]")):
        saved = A.snapshot(cfg)
        with open(cfg + "/" + name, "w") as f:
            f.write(data)
        a2 = main.App(b)  # a reboot: never raises
        mpassert.eq(a2.fault(), "config", name)
        mpassert.eq(a2.cfg.damaged[0][0], name)
        a2.show_state()
        mpassert.eq(a2.ui.screen, "fault")
        v = a2.scanner.handle(b"HC1:x")
        mpassert.eq((v.verdict, v.admit, v.detail), ("FAULT", False, "kiosk configuration damaged"))
        for n, d in saved.items():
            with open(cfg + "/" + n, "wb") as f:
                f.write(d)
    mpassert.eq(main.App(b).fault(), None)


def test_a_damaged_provisioning_state_is_recovered_by_a_reset_only():
    b, a = provisioned_app()
    with open(a.prov.dir + "/prov.json", "w") as f:
        f.write("[]")
    a2 = main.App(b)
    r = a2.prov.handle_safe(A.setup_req())
    mpassert.eq((r["ok"], r["error"]), (False, "damaged"))
    mpassert.eq("reset" in r["msg"], True, r["msg"])
    mpassert.eq(a2.prov.handle_safe({"op": "info"})["damaged"] is not None, True)
    mpassert.eq(a2.prov.handle_safe({"op": "reset", "abandon_logs": True})["ok"], True)
    mpassert.eq(a2.prov.handle_safe(A.setup_req())["ok"], True)
    mpassert.eq(a2.fault(), None)


def test_device_load_never_raises():
    b = kboard.SimBoard(at=A.T0)
    root = b.mount_storage()
    L.install(root)
    with open(root + "/config/policy.json", "w") as f:
        f.write(" " * 20000)  # larger than any policy
    st = device.load(root, A.T0, True)
    mpassert.eq(st.damaged[0][0], "policy.json")
    mpassert.eq(st.provisioned, True)  # the rest still loads; the fault stops judging
    mpassert.eq(main.App(b, allow_unsigned=True).fault(), "config")


def test_the_clock_floor_comes_back_from_the_log_at_boot():
    b = kboard.SimBoard(at=A.T0)
    L.install(b.mount_storage())
    a = main.App(b, allow_unsigned=True)
    a.scanner.handle(b"HC1:x")  # recorded at T0; clock.json is saved only now and then
    a.log.commit()
    os.remove(b.mount_storage() + "/config/clock.json")  # as if the floor had not been saved yet
    b.get_clock().set(A.T0 - 3600)  # the RTC lost an hour: before the last scan
    a2 = main.App(b, allow_unsigned=True)
    mpassert.eq(a2.clock.floor >= A.T0, True, "floor %r" % a2.clock.floor)
    mpassert.eq(a2.fault(), "clock_unset")
