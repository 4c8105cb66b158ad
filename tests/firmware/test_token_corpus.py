# The EU DCC test corpus (../shared/corpus/dcc) through kiosk.token.parse.
#
# Every file whose EXPECTEDDECODE is true must parse; where the file gives
# the COSE bytes, the inflated payload must equal them exactly, and where it
# gives the CBOR of the certificate (the hcert map, or the whole CWT payload)
# the decoded result must match it. Files marked as bad prefix, bad Base45,
# bad compression or bad CBOR must give a TokenError. One deliberate
# exception: common/Z2 ("not compressed") carries an uncompressed COSE
# message, which HCERT permits and we accept (docs/token-format.md).
import binascii
import json
import os

import mpassert
from kiosk import token
from kiosk.token import base45, cbor, cwt, inflate

ROOT = mpassert.repo_path("..", "shared", "corpus", "dcc")
ACCEPTED_UNCOMPRESSED = ("common/Z2.json",)


def _files():
    for country in sorted(os.listdir(ROOT)):
        d = ROOT + "/" + country + "/2DCode/raw"
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        for name in names:
            if name.endswith(".json"):
                with open(d + "/" + name) as f:
                    yield country + "/" + name, json.load(f)


def _parse(doc):
    try:
        return token.parse(doc["PREFIX"]), None
    except token.TokenError as e:
        return None, e


def test_expected_decode_true_parses_and_matches():
    n = cose_checked = cbor_checked = 0
    for name, doc in _files():
        if doc.get("EXPECTEDRESULTS", {}).get("EXPECTEDDECODE") is not True:
            continue
        n += 1
        t, err = _parse(doc)
        if t is None:
            raise AssertionError("%s: %s %s" % (name, err.reason, err))
        mpassert.eq(t.kind, "dcc", name)
        mpassert.eq(t.alg in (-7, -37), True, name)
        if "COSE" in doc:
            raw = base45.decode(doc["PREFIX"][4:])
            if inflate.is_zlib(raw):
                # The smallest window we allow is enough for the whole corpus.
                raw = inflate.inflate(raw, 16384, 9)
            mpassert.eq(raw, binascii.unhexlify(doc["COSE"]), name)
            cose_checked += 1
        if "CBOR" in doc:
            want = cbor.loads(binascii.unhexlify(doc["CBOR"]))
            if isinstance(want, dict) and -260 in want:
                mpassert.eq(t.payload, binascii.unhexlify(doc["CBOR"]), name)
            else:
                mpassert.eq(cwt._plain(want), t.dcc, name)
            cbor_checked += 1
        mpassert.eq(isinstance(t.dcc.get("ver"), str), True, name)
        mpassert.eq(len(t.tbs) > len(t.payload), True, name)
    mpassert.eq(n >= 100, True, "only %d files" % n)
    mpassert.eq(cose_checked >= 100 and cbor_checked >= 100, True)


def test_expected_failures_give_token_error():
    seen = 0
    for name, doc in _files():
        er = doc.get("EXPECTEDRESULTS", {})
        flags = (er.get("EXPECTEDDECODE"), er.get("EXPECTEDB45DECODE"), er.get("EXPECTEDUNPREFIX"), er.get("EXPECTEDCOMPRESSION"))
        if False not in flags:
            continue
        t, err = _parse(doc)
        if name in ACCEPTED_UNCOMPRESSED:
            mpassert.eq(t.kind, "dcc", name)
            continue
        if err is None:
            raise AssertionError("%s parsed but the data set marks it bad" % name)
        want = "unknown_format" if er.get("EXPECTEDUNPREFIX") is False else "malformed"
        mpassert.eq(err.reason, want, name)
        seen += 1
    mpassert.eq(seen >= 6, True, "only %d negative files" % seen)


def test_every_corpus_payload_gives_token_or_token_error():
    # Whatever the data set expects later (signature, expiry, schema), parse
    # itself either returns a Token or raises TokenError for every file.
    n = 0
    for name, doc in _files():
        if "PREFIX" not in doc:
            continue
        t, err = _parse(doc)
        mpassert.eq(t is not None or err.reason in token.REASONS, True, name)
        n += 1
    mpassert.eq(n > 130, True)


def test_corpus_mutations_never_escape():
    # Flip one character at a time of a few real payloads: never another exception.
    docs = [doc for name, doc in _files() if name in ("AT/1.json", "DE/1.json", "common/CO20.json")]
    mpassert.eq(len(docs), 3)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    for doc in docs:
        p = doc["PREFIX"]
        for i in range(4, len(p), 7):
            c = alphabet[(alphabet.find(p[i]) + 1 + i) % 45]
            try:
                token.parse(p[:i] + c + p[i + 1 :])
            except token.TokenError as e:
                mpassert.eq(e.reason in token.REASONS, True)
    mpassert.eq(cwt.CLAIM_HCERT, -260)
