"""Tokens minted on CPython (cbor2 + ecdsa) verified by the firmware on MicroPython."""

import random
import zlib

import base45
import pytest

from kioskctl import mint
from kioskctl.sim_verify import verify_batch

T0 = 1790000000  # inside every token's validity window below
HOUR = 3600


def cose_of(hc1_text):
    return zlib.decompress(base45.b45decode(hc1_text[4:]))


def test_colours_and_reasons(issuer, other_issuer):
    reqs = [
        (issuer.mint("green"), T0),
        (issuer.mint("yellow"), T0),
        (issuer.mint("red"), T0),
        (issuer.mint("green", iat=T0 - 30 * 86400), T0),  # expired
        (issuer.mint("green", iat=T0 + 86400), T0),  # issued in the future
        (other_issuer.mint("green"), T0),  # issuer not in the trust store
        (issuer.mint("green"), None),  # clock unset
        ("HC1:" + base45.b45encode(zlib.compress(b"\xa1\x01\x02")).decode(), T0),
        ("hello", T0),
        ("", T0),
    ]
    out = verify_batch(issuer.trust, reqs)
    got = [(r["verdict"], r["reason"], r["admit"]) for r in out]
    assert got == [
        ("GREEN", "ok", True),
        ("YELLOW", "policy", False),
        ("RED", "policy", False),
        ("RED", "expired", False),
        ("RED", "not_yet_valid", False),
        ("RED", "unknown_issuer", False),
        ("RED", "clock_unset", False),
        ("RED", "malformed", False),
        ("RED", "unknown_format", False),
        ("RED", "unreadable", False),
    ]
    assert out[0]["name"] == "张*玲" and out[0]["kind"] == "native" and out[0]["key_index"] == 0


def test_medical_and_transit_venues(issuer, tmp_path):
    medical = tmp_path / "medical.json"
    medical.write_text('{"venue_type": "medical"}')
    transit = tmp_path / "transit.json"
    transit.write_text('{"venue_type": "transit"}')
    window = (T0 - HOUR, T0 + 5 * HOUR)
    yellow_travel = issuer.mint("yellow", travel=window)
    res = verify_batch(issuer.trust, [(issuer.mint("red"), T0), (issuer.mint("yellow"), T0)], str(medical))
    assert [(r["verdict"], r["admit"]) for r in res] == [("RED", True), ("YELLOW", True)]
    res = verify_batch(issuer.trust, [
        (yellow_travel, T0), (yellow_travel, T0 + 6 * HOUR), (issuer.mint("yellow"), T0),
    ], str(transit))
    assert [(r["reason"], r["admit"]) for r in res] == [("ok", True), ("policy", False), ("policy", False)]
    res = verify_batch(issuer.trust, [(yellow_travel, T0)])  # a general venue ignores the window
    assert res[0]["admit"] is False


def test_every_flipped_bit_in_the_cose_message_is_caught(issuer):
    cose = cose_of(issuer.mint("green"))
    reqs = []
    for i in range(len(cose)):
        for bit in range(8):
            bad = bytearray(cose)
            bad[i] ^= 1 << bit
            reqs.append((mint.hc1(bytes(bad)), T0))
    out = verify_batch(issuer.trust, reqs)
    assert len(out) == 8 * len(cose)
    for r in out:
        assert r["verdict"] != "GREEN" and not r["admit"] and r["reason"] != "ok", r


def test_flipped_bits_in_the_hc1_text_are_caught(issuer):
    text = issuer.mint("green")
    rng = random.Random(7)
    reqs = []
    for _ in range(300):
        i = rng.randrange(len(text))
        ch = chr(ord(text[i]) ^ (1 << rng.randrange(7)))
        reqs.append((text[:i] + ch + text[i + 1 :], T0))
    for r in verify_batch(issuer.trust, reqs):
        assert r["verdict"] != "GREEN" and r["reason"] != "ok", r


def test_forged_signature_with_a_valid_structure(issuer, other_issuer):
    """Claims re-signed by another key but labelled with the trusted kid."""
    claims = mint.health_code_claims("CN-TEST", "green", "H-9", "李*", T0, T0 + 86400)
    forged = mint.hc1(mint.cose_sign1(claims, other_issuer.signing_key(), mint.kid_for(issuer.signing_key())))
    res = verify_batch(issuer.trust, [(forged, T0)])
    assert res[0]["reason"] == "bad_signature" and res[0]["verdict"] == "RED"


def test_fever_denies_entry(issuer):
    """A body temperature at or above the policy's fever_c (37.3 C) turns an admission into `policy`."""
    import json
    import os

    from kioskctl import mp, paths

    code = issuer.mint("green")
    lines = "".join(json.dumps({"payload": code, "at": T0, "temperature": t}) + "\n" for t in (36.6, 37.3, 38.5))
    proc = mp.run(os.path.join(paths.BOARD, "sim", "run_verify.py"), [issuer.trust, "-"], input=lines.encode())
    out = [json.loads(l) for l in proc.stdout.decode().splitlines()]
    assert [(r["admit"], r["reason"]) for r in out] == [(True, "ok"), (False, "policy"), (False, "policy")]
    assert out[1]["detail"] == "temperature 37.3 C"


def test_dcc_float_times_are_honoured(issuer):
    """CBOR float exp/nbf (seen in DCC signers' output) count like integers."""
    hcert = {"ver": "1.3.0", "nam": {"fnt": "MUSTER", "gnt": "ERIKA"}, "dob": "1964-08-12",
             "v": [{"dn": 2, "sd": 2, "dt": "2026-01-01", "tg": "840539006"}]}
    sk = issuer.signing_key()
    later = {1: "DE", 4: float(T0 + 86400), 5: float(T0 + 3600), 6: T0 - 60, -260: {1: hcert}}
    now_ok = dict(later)
    now_ok[5] = float(T0 - 3600)
    res = verify_batch(issuer.trust, [(mint.hc1(mint.cose_sign1(c, sk, mint.kid_for(sk))), T0) for c in (later, now_ok)])
    assert [r["reason"] for r in res] == ["not_yet_valid", "ok"]
    assert res[1]["kind"] == "dcc" and res[1]["verdict"] == "GREEN"
