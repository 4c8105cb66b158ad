"""EU DCC revocation by hash and the exp requirement (issue #10 item 5), end to end:
real DCCs from the corpus (ES256 and PS256) and a minted one, revoked by each EU
hash kind through `kioskctl trust revoke`, verified by the firmware verifier on
the MicroPython unix port (`kioskctl sim verify --revoked`)."""

import glob
import json
import os

import pytest

from kioskctl import cli, mint, revocation
from kioskctl.sim_verify import verify_batch
from kioskctl.timeutil import parse_instant

DEFECTS = ("ES/2DCode/raw/40",)
IAT = 1790000000


def _dcc_claims(uci, exp=True):
    dcc = {"ver": "1.3.0", "dob": "1990-01-01", "nam": {"fn": "Muster", "fnt": "MUSTER", "gn": "Erika", "gnt": "ERIKA"},
           "v": [{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215", "dn": 2, "sd": 2,
                  "dt": "2026-01-01", "co": "AT", "is": "TEST issuer", "ci": uci}]}
    claims = {1: "AT", 6: IAT, -260: {1: dcc}}
    if exp:
        claims[4] = IAT + 365 * 86400
    return claims


def _real_cases(corpus):
    """(payload, at, cert base64) of one valid ES256 and one valid PS256 (CH) DCC."""
    out = {}
    for path in sorted(glob.glob(os.path.join(corpus, "dcc", "*", "2DCode", "raw", "*.json"))):
        name = os.path.relpath(path, os.path.join(corpus, "dcc"))
        with open(path) as f:
            d = json.load(f)
        exp, ctx = d.get("EXPECTEDRESULTS") or {}, d.get("TESTCTX") or {}
        if name.startswith(DEFECTS) or not (exp.get("EXPECTEDVERIFY") and exp.get("EXPECTEDEXPIRATIONCHECK")):
            continue
        if not (d.get("PREFIX") and ctx.get("CERTIFICATE") and ctx.get("VALIDATIONCLOCK")):
            continue
        kind = "ps256" if name.startswith("CH/") else "es256"
        out.setdefault(kind, (name, d["PREFIX"], parse_instant(ctx["VALIDATIONCLOCK"]), ctx["CERTIFICATE"]))
    assert set(out) == {"es256", "ps256"}
    return list(out.values())


@pytest.fixture(scope="module")
def world(corpus, issuer, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dccrev")
    real = _real_cases(corpus)
    certs = []
    for i, (_, _, _, cert) in enumerate(real):
        p = tmp / ("%d.b64" % i)
        p.write_text(cert)
        certs.append(str(p))
    trust = str(tmp / "t.kts")
    assert cli.main(["trust", "build", "--no-tables", "--cert"] + certs + ["--key", issuer.pub, "-o", trust]) == 0
    sk = issuer.signing_key()
    minted = mint.hc1(mint.cose_sign1(_dcc_claims("URN:UVCI:01:AT:TEST0001#Q"), sk, mint.kid_for(sk)))
    bystander = mint.hc1(mint.cose_sign1(_dcc_claims("URN:UVCI:01:AT:TEST0002#R"), sk, mint.kid_for(sk)))
    no_exp = mint.hc1(mint.cose_sign1(_dcc_claims("URN:UVCI:01:AT:TEST0003#S", exp=False), sk, mint.kid_for(sk)))
    at = IAT + 200 * 86400
    payloads = [(p, t) for _, p, t, _ in real] + [(minted, at), (bystander, at), (no_exp, at)]
    op = tmp / "op"
    assert cli.main(["keys", "gen", "-o", str(op)]) == 0
    return {"tmp": tmp, "trust": trust, "payloads": payloads, "op": str(op)}


def _verify(world, lines=None):
    if lines is None:
        return verify_batch(world["trust"], world["payloads"])
    from kioskctl import bundle

    add = world["tmp"] / "add.txt"
    add.write_text("".join(lines))
    krv = str(world["tmp"] / "l.krv")
    assert cli.main(["trust", "revoke", "--key", world["op"] + ".key.pem", "--seq", "1", "--add", str(add), "-o", krv]) == 0
    return verify_batch(world["trust"], world["payloads"], revoked=krv,
                        operator_point=bundle.load_public_point(world["op"] + ".pub.pem"))


def test_dcc_without_exp_is_malformed(world):
    res = _verify(world)
    assert res[4]["reason"] == "malformed" and "exp" in res[4]["detail"], res[4]
    for r in res[:4]:  # the others verify (signature, dates) and are not revoked
        assert r["reason"] not in ("malformed", "bad_signature", "unknown_issuer", "revoked", "expired"), r


@pytest.mark.parametrize("kind", revocation.EU_HASH_KINDS)
def test_revoked_by_each_eu_hash_kind(world, kind, capsys):
    # `trust dcc-hashes` gives the lines, the way an operator takes them from the EU gateway
    capsys.readouterr()
    assert cli.main(["trust", "dcc-hashes"] + [p for p, _ in world["payloads"][:3]]) == 0
    lines = [ln + "\n" for ln in capsys.readouterr().out.splitlines() if ln.endswith("# " + kind)]
    assert len(lines) == 3
    res = _verify(world, lines)
    assert [r["reason"] for r in res[:3]] == ["revoked"] * 3, res
    assert res[3]["reason"] != "revoked"  # same issuer, other certificate


def test_hash_of_another_kind_does_not_revoke(world):
    # an entry over the UCI computed the wrong way (without the hash) revokes nothing
    kid, h = revocation.dcc_hashes(world["payloads"][2][0])
    wrong = "%s %s\n" % (kid.hex(), h["UCI"].hex())  # a cti, not a hash: hashed again
    res = _verify(world, [wrong])
    assert all(r["reason"] != "revoked" for r in res)


def test_sim_verify_with_a_tampered_list_is_a_clear_error(world, capfd):
    lines = ["%s sha256:%s\n" % ("11" * 8, "22" * 16)]
    _verify(world, lines)
    krv = world["tmp"] / "l.krv"
    bad = bytearray(krv.read_bytes())
    bad[-1] ^= 1
    krv.write_bytes(bytes(bad))
    rc = cli.main(["sim", "verify", "--trust", world["trust"], "--revoked", str(krv), "--operator-pub",
                   world["op"] + ".pub.pem", world["payloads"][0][0]])
    err = capfd.readouterr().err
    assert rc != 0 and "revocation list refused" in err and "signed hash" in err, err
