"""Host-built bundles, revocation lists, deltas and signed commands (kioskctl,
signed with `cryptography`) are accepted by the firmware on MicroPython, and
their tampered forms are refused; the kioskctl trust CLI round-trips."""

import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kioskctl import bundle, mp, provision, revocation, trust
from kioskctl.cli import main as kioskctl
from kioskctl.cmd_keys import write_pem

CHECK = r'''
import sys, json
from kiosk.trust import TrustError, bundle, revocation
from kiosk.provision import ProvisionError, command
op = bytes.fromhex(sys.argv[1])
out = {}
try:
    store, info = bundle.open_bundle(sys.argv[2], op, int(sys.argv[3]))
    out["bundle"] = [info.seq, info.status, len(store.keys)]
except TrustError as e:
    out["bundle"] = "refused: %s" % e
try:
    rl = revocation.open_file(sys.argv[4], op, full_check=True)
    out["rev"] = [rl.seq, rl.n, rl.contains(b"K" * 8, b"cti-3"), rl.contains(b"K" * 8, b"cti-x")]
    if sys.argv[5] != "-":
        with open(sys.argv[5], "rb") as f:
            d = f.read()
        h = revocation.apply_delta(rl, d, "/tmp/kiosk_host_merged_%s" % sys.argv[8], op)
        m = revocation.open_file("/tmp/kiosk_host_merged_%s" % sys.argv[8], op)
        out["delta"] = [m.seq, m.contains(b"K" * 8, b"cti-3"), m.contains(b"K" * 8, b"new-1"), m.contains(b"L" * 8, b"l-1")]
except TrustError as e:
    out["rev"] = "refused: %s" % e
with open(sys.argv[6], "rb") as f:
    raw = f.read()
try:
    c = command.verify(raw, bytes.fromhex(sys.argv[7]), "kiosk-9", 3)
    out["cmd"] = [c.op, c.ctr, c.args.get("policy")]
except ProvisionError as e:
    out["cmd"] = e.code
print(json.dumps(out))
'''


def _key():
    return ec.generate_private_key(ec.SECP256R1())




@pytest.fixture(scope="module")
def keys():
    return {"op": _key(), "admin": _key(), "evil": _key(), "issuer": _key()}


def _run(tmp_path, keys, ktb, krv, krd, cmd, now=2_000_000_000):
    script = tmp_path / "check.py"
    script.write_text(CHECK)
    paths = []
    for name, data in (("b.ktb", ktb), ("l.krv", krv), ("d.krd", krd), ("c.cmd", cmd)):
        p = tmp_path / name
        if data is not None:
            p.write_bytes(data)
        paths.append(str(p) if data is not None else "-")
    proc = mp.run(str(script), [bundle.point_of(keys["op"]).hex(), paths[0], now, paths[1], paths[2], paths[3],
                                bundle.point_of(keys["admin"]).hex(), os.getpid()])
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def _store(keys):
    entry = trust.entries_from_key_pem(keys["issuer"].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), "issuer", tables=False)
    return trust.build([entry], iat=1_999_000_000)


def _parts():
    return revocation.parts_from_ctis([(b"K" * 8, b"cti-%d" % i) for i in range(50)])


def test_host_files_accepted_by_firmware(tmp_path, keys):
    ktb = bundle.build(_store(keys), keys["op"], 12, 48 * 3600, 72 * 3600, iat=2_000_000_000 - 3600)
    krv = revocation.build(_parts(), keys["op"], 4)
    new = _parts()
    new[b"K" * 8] |= revocation.parts_from_ctis([(b"K" * 8, b"new-1")])[b"K" * 8]
    new[b"K" * 8] -= revocation.parts_from_ctis([(b"K" * 8, b"cti-3")])[b"K" * 8]
    new[b"L" * 8] = revocation.parts_from_ctis([(b"L" * 8, b"l-1")])[b"L" * 8]
    krd, _ = revocation.delta(krv, new, keys["op"], 5)
    cmd = provision.sign_command(keys["admin"], "kiosk-9", 4, "policy", {"policy": {"venue_type": "medical"}})
    out = _run(tmp_path, keys, ktb, krv, krd, cmd)
    assert out["bundle"] == [12, "ok", 1]
    assert out["rev"] == [4, 50, True, False]
    assert out["delta"] == [5, False, True, True]
    assert out["cmd"] == ["policy", 4, {"venue_type": "medical"}]
    # Past expiry, inside and beyond the grace period.
    assert _run(tmp_path, keys, ktb, krv, None, cmd, now=2_000_000_000 + 50 * 3600)["bundle"][1] == "grace"
    assert _run(tmp_path, keys, ktb, krv, None, cmd, now=2_000_000_000 + 200 * 3600)["bundle"][1] == "expired"


def test_host_files_tampered_or_foreign_refused(tmp_path, keys):
    ktb = bytearray(bundle.build(_store(keys), keys["op"], 12, 3600, 0, iat=2_000_000_000))
    ktb[-1] ^= 1
    krv = revocation.build(_parts(), keys["evil"], 4)
    cmd = provision.sign_command(keys["evil"], "kiosk-9", 4, "policy", {"policy": {}})
    out = _run(tmp_path, keys, bytes(ktb), krv, None, cmd)
    assert "tampered" in out["bundle"]
    assert "signature" in out["rev"]
    assert out["cmd"] == "bad_signature"
    replay = provision.sign_command(keys["admin"], "kiosk-9", 3, "policy", {"policy": {}})
    assert _run(tmp_path, keys, None, None, None, replay)["cmd"] == "replay"
    other = provision.sign_command(keys["admin"], "kiosk-1", 9, "policy", {"policy": {}})
    assert _run(tmp_path, keys, None, None, None, other)["cmd"] == "wrong_device"


def test_trust_cli_bundle_revoke_inspect(tmp_path, keys, capsys):
    op = write_pem(keys["op"], tmp_path / "op.key.pem", private=True)
    op_pub = write_pem(keys["op"], tmp_path / "op.pub.pem")
    issuer = write_pem(keys["issuer"], tmp_path / "issuer.pub.pem")
    kts, ktb = str(tmp_path / "t.kts"), str(tmp_path / "t.ktb")
    assert kioskctl(["trust", "build", "--key", issuer, "-o", kts, "--no-tables"]) == 0
    assert kioskctl(["trust", "bundle", "--store", kts, "--key", op, "--seq", "3", "--valid-hours", "48",
                     "--grace-hours", "24", "-o", ktb]) == 0
    capsys.readouterr()
    assert kioskctl(["trust", "inspect", ktb, "--operator-pub", op_pub]) == 0
    out = capsys.readouterr().out
    assert "seq 3" in out and "OK at" in out and "signature OK" in out and "ES256" in out
    ids = tmp_path / "ids.txt"
    ids.write_text("# kid cti\n" + "".join("%s %s\n" % ((b"K" * 8).hex(), (b"c%d" % i).hex()) for i in range(20)))
    rm = tmp_path / "rm.txt"
    rm.write_text("%s %s\n" % ((b"K" * 8).hex(), b"c1".hex()))
    l1, l2, d2 = str(tmp_path / "1.krv"), str(tmp_path / "2.krv"), str(tmp_path / "2.krd")
    assert kioskctl(["trust", "revoke", "--key", op, "--seq", "1", "--add", str(ids), "-o", l1]) == 0
    assert kioskctl(["trust", "revoke", "--key", op, "--seq", "2", "--base", l1, "--remove", str(rm), "-o", l2, "--delta", d2]) == 0
    capsys.readouterr()
    assert kioskctl(["trust", "inspect", l2, "--operator-pub", op_pub]) == 0
    out = capsys.readouterr().out
    assert "seq 2" in out and "19 entries" in out and "signature OK" in out
    assert kioskctl(["trust", "inspect", d2]) == 0
    assert "+0 -1" in capsys.readouterr().out
    # A wrong-key check is reported, not hidden.
    evil_pub = write_pem(keys["evil"], tmp_path / "evil.pub.pem")
    assert kioskctl(["trust", "inspect", l2, "--operator-pub", evil_pub]) == 0
    assert "BAD" in capsys.readouterr().out


def test_command_signer_is_canonical_es256(keys):
    raw = provision.sign_command(keys["admin"], "k", 1, "clock", {"time": 1})
    import cbor2
    body, sig = cbor2.loads(raw)
    assert bundle.verify(bundle.point_of(keys["admin"]), provision.DOMAIN + body, sig)
    with pytest.raises(Exception):
        provision.sign_command(keys["admin"], "k", 1, "read_secret", {})


VERIFY = r'''
import sys, json
from kiosk import verify
from kiosk.policy import Policy
from kiosk.trust import bundle, revocation
op = bytes.fromhex(sys.argv[1])
now = int(sys.argv[4])
store, info = bundle.open_bundle(sys.argv[2], op, now)
rl = revocation.open_file(sys.argv[3], op)
out = []
for line in sys.stdin:
    v = verify.check(line.strip(), store, Policy({"venue_type": "general"}), now, rl)
    out.append([v.reason, v.admit])
print(json.dumps({"status": info.status, "verdicts": out}))
'''


def test_revoked_token_refused_by_the_verifier(tmp_path, keys, issuer):
    from kioskctl import mint

    sk = issuer.signing_key()
    kid = mint.kid_for(sk)
    stolen, fine = b"stolen-token-id!", b"another-token-id"
    tokens = [issuer.mint(cti=stolen, holder="A"), issuer.mint(cti=fine, holder="B")]
    ktb = bundle.build(open(issuer.trust, "rb").read(), keys["op"], 3, 48 * 3600, 72 * 3600, iat=1790000000)
    parts = revocation.parts_from_ctis([(kid, stolen)] + [(kid, os.urandom(16)) for _ in range(2000)])
    krv = revocation.build(parts, keys["op"], 1)
    (tmp_path / "v.py").write_text(VERIFY)
    (tmp_path / "t.ktb").write_bytes(ktb)
    (tmp_path / "r.krv").write_bytes(krv)
    proc = mp.run(str(tmp_path / "v.py"), [bundle.point_of(keys["op"]).hex(), tmp_path / "t.ktb", tmp_path / "r.krv",
                                           1790000000 + 3600], input="\n".join(tokens).encode() + b"\n")
    out = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    assert out["status"] == "ok"
    assert out["verdicts"] == [["revoked", False], ["ok", True]]
