"""The native token contract, end to end across the two implementations.

`kioskctl mint` (host, cbor2 + zlib + ecdsa) mints tokens; the firmware
parser (kiosk.token.parse on the MicroPython unix port, one batched
process) must read back exactly what was minted, and its `tbs` must be the
bytes the host signed (the signature verifies over it on the host).
Contract violations minted on the host must come back `malformed`.
"""

import binascii
import hashlib
import json
import os

import cbor2
import pytest
from ecdsa import NIST256p, SigningKey

from kioskctl import mint, mp

DRIVER = r"""
import sys, json, binascii
from kiosk import token
def hx(b):
    return None if b is None else binascii.hexlify(b).decode()
while True:
    line = sys.stdin.readline()
    if not line:
        break
    try:
        t = token.parse(line.rstrip("\n"))
    except token.TokenError as e:
        print(json.dumps({"err": e.reason, "detail": str(e)}))
        continue
    out = {"kind": t.kind, "alg": t.alg, "kid": hx(t.kid), "iss": t.iss, "exp": t.exp,
           "iat": t.iat, "nbf": t.nbf, "cti": hx(t.cti), "tbs": hx(t.tbs), "sig": hx(t.signature)}
    if t.hc:
        h = t.hc
        out["hc"] = {"version": h.version, "colour": h.colour, "holder": hx(h.holder),
                     "name": h.name, "travel": list(h.travel) if h.travel else None,
                     "dependant": h.dependant}
    print(json.dumps(out))
"""

KEY = SigningKey.from_secret_exponent(0x5EED5EED5EED5EED, curve=NIST256p)  # TEST KEY ONLY
KID = mint.kid_for(KEY)
T0 = 1780000000


def run_batch(tmp_path, payloads):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    proc = mp.run(str(script), input="".join(p + "\n" for p in payloads).encode(), timeout=120)
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == len(payloads), proc.stderr.decode()
    return [json.loads(x) for x in lines]


GOOD = [
    dict(colour="green", holder="11010119900307xxxx", name="张*玲"),
    dict(colour="yellow", holder="h", name="L* W*", travel=(T0, T0 + 3600)),
    dict(colour="yellow", holder="x" * 64, name="李" * 32, travel=(T0, T0 + 86400), dependant=True),
    dict(colour="red", holder="holder-🙂", name="", nbf=T0 - 60),
]


def _mint(spec, tag=True, compress=True, cti=None):
    claims = mint.health_code_claims("CN-TEST", iat=T0, exp=T0 + 7 * 86400, cti=cti or os.urandom(16), **spec)
    return claims, mint.hc1(mint.cose_sign1(claims, KEY, KID, tag=tag), compress)


def test_minted_tokens_read_back_exactly(tmp_path):
    minted = [_mint(s) for s in GOOD] + [_mint(GOOD[0], tag=False), _mint(GOOD[1], compress=False)]
    results = run_batch(tmp_path, [p for _, p in minted])
    vk = KEY.get_verifying_key()
    for (claims, payload), got in zip(minted, results):
        assert "err" not in got, got
        hc = claims[mint.CLAIM_HC]
        assert got["kind"] == "native" and got["alg"] == -7
        assert got["kid"] == KID.hex() and got["iss"] == "CN-TEST"
        assert (got["exp"], got["iat"], got["nbf"]) == (claims[4], claims[6], claims.get(5))
        assert got["cti"] == claims[7].hex()
        want_hc = {
            "version": 1,
            "colour": ["green", "yellow", "red"][hc[2]],
            "holder": hc[3].encode().hex(),
            "name": hc[4],
            "travel": hc.get(5),
            "dependant": hc.get(6, False),
        }
        assert got["hc"] == want_hc
        protected = cbor2.dumps({1: -7, 4: KID})
        assert bytes.fromhex(got["tbs"]) == mint.sig_structure(protected, cbor2.dumps(claims))
        assert vk.verify(bytes.fromhex(got["sig"]), bytes.fromhex(got["tbs"]), hashfunc=hashlib.sha256)


def _claims_with(**hc_changes):
    claims = mint.health_code_claims("CN-TEST", "green", "h1", "n", iat=T0, exp=T0 + 60, cti=bytes(16))
    for k, v in hc_changes.items():
        key = int(k[1:])
        if v is None:
            del claims[mint.CLAIM_HC][key]
        else:
            claims[mint.CLAIM_HC][key] = v
    return claims


BAD = [
    _claims_with(k1=2),
    _claims_with(k2=3),
    _claims_with(k3=None),
    _claims_with(k3=""),
    _claims_with(k3=b"bytes-id"),
    _claims_with(k4="n" * 33),
    _claims_with(k5=[T0, T0 + 3599]),
    _claims_with(k5=[T0, T0 + 86401]),
    _claims_with(k6=1),
    {**_claims_with(), 7: bytes(8)},
    {k: v for k, v in _claims_with().items() if k != 4},
]


def test_contract_violations_are_malformed(tmp_path):
    payloads = [mint.hc1(mint.cose_sign1(c, KEY, KID)) for c in BAD]
    for got in run_batch(tmp_path, payloads):
        assert got.get("err") == "malformed", got


def test_unknown_health_code_keys_are_ignored(tmp_path):
    claims = _claims_with(k99={"future": [1, 2, 3]})
    (got,) = run_batch(tmp_path, [mint.hc1(mint.cose_sign1(claims, KEY, KID))])
    assert got["hc"]["colour"] == "green"


@pytest.mark.parametrize("alg,reason", [(-35, "unsupported_alg"), (-8, "unsupported_alg"), (-37, None)])
def test_algorithm_label(tmp_path, alg, reason):
    protected = cbor2.dumps({1: alg, 4: KID})
    payload = cbor2.dumps(_claims_with())
    msg = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, b"\x00" * 64]))
    (got,) = run_batch(tmp_path, [mint.hc1(msg)])
    assert got.get("err") == reason, got
