# Signed trust bundles on the device: signature, hash, lifetime, rollback,
# tampering and corrupted precomputed tables (kiosk.trust.bundle).
import os

import mpassert
import test_provision_keys as K
from kiosk.trust import TrustError, bundle

HEAPSIZE = "2M"


def _file(data, name="b.ktb"):
    path = "/tmp/kiosk_test_%d_%s" % (os.getpid() if hasattr(os, "getpid") else 0, name)
    K.write(path, data)
    return path


def _op():
    return K.pub(K.OPERATOR)


def test_good_bundle_status_through_lifetime():
    path = _file(K.bundle(3, iat=1800000000, exp=1800172800, grace=259200))
    store, info = bundle.open_bundle(path, _op(), 1800000100)
    mpassert.eq(info.status, "ok")
    mpassert.eq(info.seq, 3)
    keys = store.keys_for(K.kid_of(K.pub(K.ISSUER)))
    mpassert.eq(len(keys), 1)
    mpassert.eq(keys[0].pub, K.pub(K.ISSUER))
    mpassert.eq(info.state(1800172800), "ok")
    mpassert.eq(info.state(1800172801), "grace")
    mpassert.eq(info.usable(1800172800 + 259200), True)
    mpassert.eq(info.state(1800172800 + 259201), "expired")
    mpassert.eq(info.usable(1800172800 + 259201), False)
    mpassert.eq(info.state(None), "clock_unset")


def test_tampered_store_refused():
    data = bytearray(K.bundle(3))
    data[-10] ^= 0x01  # inside the trust store, after the signed header
    e = mpassert.raises(TrustError, bundle.open_bundle, _file(data), _op(), 1800000100)
    mpassert.eq("tampered" in str(e), True)


def test_tampered_header_refused():
    data = bytearray(K.bundle(3))
    i = bytes(data).find(b"grace")
    data[i + 5] ^= 0x01  # change the grace period without re-signing
    e = mpassert.raises(TrustError, bundle.open_bundle, _file(data), _op(), 1800000100)
    mpassert.eq("signature" in str(e), True)


def test_bundle_signed_by_another_key_refused():
    data = K.bundle(3, d=K.INTRUDER)
    e = mpassert.raises(TrustError, bundle.open_bundle, _file(data), _op(), 1800000100)
    mpassert.eq("signature" in str(e), True)


def test_older_or_equal_bundle_refused():
    path = _file(K.bundle(3))
    e = mpassert.raises(TrustError, bundle.check_new, path, _op(), 3)
    mpassert.eq(str(e).startswith("rollback"), True)
    mpassert.raises(TrustError, bundle.check_new, path, _op(), 7)
    mpassert.eq(bundle.check_new(path, _op(), 2)["seq"], 3)


def test_truncations_and_trailing_bytes_refused():
    data = K.bundle(3)
    for n in (0, 3, 8, 20, 60, len(data) - 65, len(data) - 1):
        mpassert.raises(TrustError, bundle.open_bundle, _file(data[:n]), _op(), 1800000100)
    mpassert.raises(TrustError, bundle.open_bundle, _file(data + b"x"), _op(), 1800000100)
    mpassert.raises(TrustError, bundle.open_bundle, "/tmp/kiosk_no_such_bundle", _op(), 1800000100)


def test_bit_flips_never_accepted():
    data = K.bundle(3)
    step = max(1, len(data) // 97)
    for i in range(0, len(data), step):
        bad = bytearray(data)
        bad[i] ^= 0x40
        mpassert.raises(TrustError, bundle.open_bundle, _file(bad), _op(), 1800000100)


def test_corrupted_precomputed_table_falls_back_to_slow_path():
    from kiosk.crypto import comb, p256

    issuer = K.pub(K.ISSUER)
    table = comb.build(issuer, 1)
    msg = b"a signed health code"
    sig = K.sign(K.ISSUER, msg)
    good = K.bundle(4, points=[issuer], tables=[table])
    store, _ = bundle.open_bundle(_file(good, "g.ktb"), _op(), 1800000100)
    key = store.keys[0]
    mpassert.eq(key.table() is not None, True)
    mpassert.eq(p256.verify(issuer, msg, sig, key.table()), True)
    # The operator shipped a damaged table (signed as is): the kiosk detects it,
    # ignores the table and still verifies correctly on the slow path.
    bad_table = bytearray(table)
    bad_table[len(bad_table) // 2] ^= 0x10
    comb.forget()
    bad = K.bundle(5, points=[issuer], tables=[bytes(bad_table)])
    store, _ = bundle.open_bundle(_file(bad, "c.ktb"), _op(), 1800000100)
    key = store.keys[0]
    mpassert.eq(key.table(), None)
    mpassert.eq(p256.verify(issuer, msg, sig, key.table()), True)
    mpassert.eq(p256.verify(issuer, msg + b"x", sig, key.table()), False)
    # A table altered after signing is refused with the whole bundle.
    data = bytearray(good)
    data[len(data) - 100] ^= 0x01
    mpassert.raises(TrustError, bundle.open_bundle, _file(data, "t.ktb"), _op(), 1800000100)
