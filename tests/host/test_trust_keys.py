"""Trust-store semantics on the firmware: every key sharing a kid is tried, and
an issuer key is only good inside its validity window."""

from cryptography.hazmat.primitives import serialization

from kioskctl import mint, trust
from kioskctl.sim_verify import verify_batch

T0 = 1790000000


def pub(issuer):
    with open(issuer.pub, "rb") as f:
        return serialization.load_pem_public_key(f.read())


def store(path, entries):
    path.write_bytes(trust.build(entries))
    return str(path)


def test_every_key_sharing_a_kid_is_tried(tmp_path, issuer, other_issuer):
    kid = b"\x01\x02\x03\x04\x05\x06\x07\x08"
    path = store(tmp_path / "shared.kts", [
        trust.key_entry(pub(other_issuer), kid, "first, wrong key", tables=False),
        trust.key_entry(pub(issuer), kid, "second, right key", blocks=1),
    ])
    claims = mint.health_code_claims("CN-TEST", "green", "H", "张*", T0, T0 + 86400)
    token = mint.hc1(mint.cose_sign1(claims, issuer.signing_key(), kid))
    stranger = mint.hc1(mint.cose_sign1(claims, issuer.signing_key(), b"\xff" * 8))
    res = verify_batch(path, [(token, T0), (stranger, T0)])
    assert (res[0]["reason"], res[0]["key_index"]) == ("ok", 1)
    assert res[1]["reason"] == "unknown_issuer"


def test_key_validity_window(tmp_path, issuer):
    kid = mint.kid_for(issuer.signing_key())
    path = store(tmp_path / "window.kts", [
        trust.key_entry(pub(issuer), kid, "valid for one day", nbf=T0 - 3600, exp=T0 + 82800, tables=False)])
    token = issuer.mint("green", iat=T0 - 1800, valid=30 * 86400)
    res = verify_batch(path, [(token, T0), (token, T0 + 2 * 86400), (token, T0 - 7200)])
    assert [r["reason"] for r in res] == ["ok", "expired", "not_yet_valid"]
    assert all(r["key_index"] == 0 for r in res)
