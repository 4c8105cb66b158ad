"""One code lets one person in: the kiosk on the MicroPython unix port with a
littlefs flash image refuses a code that admitted someone at this door within
the venue's window (reason already_used), admits it after the window, keeps
the memory across a reboot, tells different people (and a dependant's proxy
code) apart, and follows the venue's refuse / warn / off setting."""

import json

from test_sim_run import SECRET, read_log

from kioskctl.sim_run import run_sim

T0 = 1790000000


def scan(tmp_path, issuer, flash, lines, at, policy=None):
    inputs = tmp_path / ("in-%d" % at)
    inputs.mkdir(exist_ok=True)
    (inputs / "scanner.txt").write_text("\n".join(lines) + "\n")
    opts = {"inputs": str(inputs), "flash": str(flash), "at": at,
            "install": {"trust": issuer.trust, "secret_hex": SECRET}}
    if policy is not None:
        p = tmp_path / "policy.json"
        p.write_text(json.dumps(policy))
        opts["install"]["policy"] = str(p)
    return [(d["reason"], d["admit"], d.get("used_at")) for d in run_sim(opts)]


def test_one_code_one_person_within_the_window_across_a_reboot(tmp_path, issuer):
    a = issuer.mint("green", holder="P-A", iat=T0 - 3600)
    b = issuer.mint("green", holder="P-B", iat=T0 - 3600, name="李*")
    b_again = issuer.mint("green", holder="P-B", iat=T0 - 1800, name="李*")  # a fresh code, same person
    child = issuer.mint("green", holder="P-B", iat=T0 - 3600, name="李*小", dependant=True)
    flash = tmp_path / "flash.img"
    got = scan(tmp_path, issuer, flash, [a, a, b, child, b_again, a], T0)
    first = got[0]
    assert first == ("ok", True, None)
    assert got[1][:2] == ("already_used", False)  # the same token again at once
    assert T0 <= got[1][2] <= T0 + 60  # when it admitted someone
    assert got[2] == ("ok", True, None)  # another person
    assert got[3] == ("ok", True, None)  # the dependant's proxy code is its own person
    assert got[4][:2] == ("already_used", False)  # the same person with a new code
    assert got[5][:2] == ("already_used", False)
    recs = read_log(str(flash))
    assert [r["reason"] for r in recs] == ["ok", "already_used", "ok", "ok", "already_used", "already_used"]
    assert [r["verdict"] for r in recs] == ["GREEN"] * 6  # the code's colour; the door said no
    raw = flash.read_bytes()
    assert b"P-A" not in raw and b"P-B" not in raw

    # a reboot 5 minutes later: still remembered
    got = scan(tmp_path, issuer, flash, [a], T0 + 300)
    assert got[0][:2] == ("already_used", False) and got[0][2] < T0 + 300
    # after the 10-minute window: admitted again (and remembered anew)
    got = scan(tmp_path, issuer, flash, [a, a], T0 + 700)
    assert [g[:2] for g in got] == [("ok", True), ("already_used", False)]
    assert got[1][2] >= T0 + 700


def test_the_venue_sets_the_window_and_warn_or_off(tmp_path, issuer):
    a = issuer.mint("green", holder="P-W", iat=T0 - 3600)
    got = scan(tmp_path, issuer, tmp_path / "w.img", [a, a], T0, {"reuse": "warn", "reuse_s": 60})
    assert got[0] == ("ok", True, None)
    assert got[1][:2] == ("ok", True) and got[1][2] is not None  # admitted, and the screen says so
    got = scan(tmp_path, issuer, tmp_path / "w.img", [a], T0 + 90, {"reuse": "refuse", "reuse_s": 60})
    assert got[0] == ("ok", True, None)  # 90 s > the venue's 60 s window
    got = scan(tmp_path, issuer, tmp_path / "o.img", [a, a], T0, {"reuse": "off"})
    assert got == [("ok", True, None), ("ok", True, None)]
