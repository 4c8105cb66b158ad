# Revocation list on the device: lookup by kid + cti in flash, signature and
# hash checks, rollback, incremental (delta) updates (kiosk.trust.revocation).

import mpassert
import test_provision_keys as K
from kiosk.trust import TrustError, revocation

HEAPSIZE = "4M"

KID_A = b"AAAAAAAA"
KID_B = b"BBBBBBBB"
KID_C = b"CCCCCCCC"


def _parts(n_a=300, n_b=40):
    return {
        KID_A: set(K.entry(b"cti-a-%d" % i) for i in range(n_a)),
        KID_B: set(K.entry(b"cti-b-%d" % i) for i in range(n_b)),
    }


def _file(data, name):
    path = "/tmp/kiosk_rev_" + name
    K.write(path, data)
    return path


def _op():
    return K.pub(K.OPERATOR)


def test_lookup_revoked_and_not_revoked():
    rl = revocation.open_file(_file(K.revlist(_parts(), 7), "l1"), _op(), full_check=True)
    mpassert.eq(rl.seq, 7)
    mpassert.eq(rl.n, 340)
    for i in range(300):
        mpassert.eq(rl.contains(KID_A, b"cti-a-%d" % i), True, "a %d" % i)
    for i in range(40):
        mpassert.eq(rl.contains(KID_B, b"cti-b-%d" % i), True)
    # Same cti under another issuer is not revoked; unknown ids are not either.
    mpassert.eq(rl.contains(KID_B, b"cti-a-1"), False)
    mpassert.eq(rl.contains(KID_C, b"cti-a-1"), False)
    for i in range(300, 600):
        mpassert.eq(rl.contains(KID_A, b"cti-a-%d" % i), False)
    mpassert.eq(rl.contains(None, b"x"), False)
    mpassert.eq(rl.contains(KID_A, None), False)
    rl.close()


def test_empty_list_and_edges():
    rl = revocation.open_file(_file(K.revlist({}, 1), "l0"), _op())
    mpassert.eq(rl.contains(KID_A, b"x"), False)
    rl.close()
    one = {KID_A: {K.entry(b"only")}}
    rl = revocation.open_file(_file(K.revlist(one, 2), "l1b"), _op())
    mpassert.eq(rl.contains(KID_A, b"only"), True)
    mpassert.eq(rl.contains(KID_A, b"other"), False)
    rl.close()


def test_works_with_verify_pipeline_interface():
    # kiosk.verify calls revoked.contains(key.kid, token.cti) with bytes.
    rl = revocation.open_file(_file(K.revlist(_parts(), 7), "l2"), _op())
    mpassert.eq(rl.contains(memoryview(KID_A), memoryview(b"cti-a-5")), True)
    rl.close()


def test_tampered_list_refused():
    data = bytearray(K.revlist(_parts(), 7))
    data[-3] ^= 0x01  # an entry: a token silently "unrevoked"
    e = mpassert.raises(TrustError, revocation.open_file, _file(data, "t1"), _op())
    mpassert.eq("tampered" in str(e), True)
    data = K.revlist(_parts(), 7, d=K.INTRUDER)
    e = mpassert.raises(TrustError, revocation.open_file, _file(data, "t2"), _op())
    mpassert.eq("signature" in str(e), True)
    for n in (0, 5, 30, len(data) - 1):
        mpassert.raises(TrustError, revocation.open_file, _file(K.revlist(_parts(), 7)[:n], "t3"), _op())


def test_unsorted_list_refused_at_install():
    # Signed by the operator but unsorted: binary search would miss revoked
    # ids, so the install-time check refuses it.
    ents = sorted(_parts()[KID_A])
    ents[3], ents[4] = ents[4], ents[3]
    body = KID_A + len(ents).to_bytes(4, "big") + b"".join(ents)
    data = K.signed_file(b"KRV1", K.OPERATOR, {"seq": 9, "iat": 1, "w": 5, "n": len(ents), "k": 1}, body)
    e = mpassert.raises(TrustError, revocation.check_new, _file(data, "u1"), _op(), 0)
    mpassert.eq("not sorted" in str(e), True)


def test_rollback_refused():
    path = _file(K.revlist(_parts(), 7), "r1")
    e = mpassert.raises(TrustError, revocation.check_new, path, _op(), 7)
    mpassert.eq(str(e).startswith("rollback"), True)
    mpassert.eq(revocation.check_new(path, _op(), 6)["seq"], 7)


def test_delta_update_adds_and_deletes():
    old = _parts()
    base = K.revlist(old, 7)
    new = {KID_A: set(old[KID_A]), KID_B: set(old[KID_B]), KID_C: set()}
    for i in range(0, 300, 7):
        new[KID_A].discard(K.entry(b"cti-a-%d" % i))
    for i in range(300, 330):
        new[KID_A].add(K.entry(b"cti-a-%d" % i))
    new[KID_B] = set()  # a whole partition dropped
    new[KID_C].add(K.entry(b"cti-c-1"))
    cur = revocation.open_file(_file(base, "d0"), _op())
    dlt, full = K.delta(old, new, 7, cur.sha, 8)
    h = revocation.apply_delta(cur, dlt, "/tmp/kiosk_rev_merged", _op())
    cur.close()
    mpassert.eq(h["seq"], 8)
    with open("/tmp/kiosk_rev_merged", "rb") as f:
        merged = f.read()
    mpassert.eq(merged, full)  # byte for byte the list the operator signed
    rl = revocation.open_file("/tmp/kiosk_rev_merged", _op(), 7, full_check=True)
    mpassert.eq(rl.contains(KID_A, b"cti-a-7"), False)
    mpassert.eq(rl.contains(KID_A, b"cti-a-8"), True)
    mpassert.eq(rl.contains(KID_A, b"cti-a-329"), True)
    mpassert.eq(rl.contains(KID_B, b"cti-b-1"), False)
    mpassert.eq(rl.contains(KID_C, b"cti-c-1"), True)
    rl.close()


def test_delta_for_wrong_base_or_forged_refused():
    old = _parts()
    cur = revocation.open_file(_file(K.revlist(old, 7), "w0"), _op())
    new = {KID_A: set(old[KID_A]) | {K.entry(b"new")}, KID_B: old[KID_B]}
    dlt, _ = K.delta(old, new, 6, cur.sha, 8)  # built for seq 6
    e = mpassert.raises(TrustError, revocation.apply_delta, cur, dlt, "/tmp/kiosk_rev_x", _op())
    mpassert.eq("delta is for" in str(e), True)
    dlt, _ = K.delta(old, new, 7, cur.sha, 7)  # not newer
    mpassert.raises(TrustError, revocation.apply_delta, cur, dlt, "/tmp/kiosk_rev_x", _op())
    dlt, _ = K.delta(old, new, 7, cur.sha, 8, d=K.INTRUDER)
    e = mpassert.raises(TrustError, revocation.apply_delta, cur, dlt, "/tmp/kiosk_rev_x", _op())
    mpassert.eq("signature" in str(e), True)
    # Genuine signed result, but the add list was swapped in transit: the merged
    # body does not hash to the signed value.
    forged_new = {KID_A: set(old[KID_A]) | {K.entry(b"other")}, KID_B: old[KID_B]}
    good, _ = K.delta(old, new, 7, cur.sha, 8)
    evil, _ = K.delta(old, forged_new, 7, cur.sha, 8)
    from kiosk.token import cbor
    g = cbor.loads(good[8:])
    ev = cbor.loads(evil[8:])
    g["add"] = ev["add"]
    payload = cbor.dumps(g)
    mixed = b"KRD1" + len(payload).to_bytes(4, "big") + payload
    e = mpassert.raises(TrustError, revocation.apply_delta, cur, mixed, "/tmp/kiosk_rev_x", _op())
    mpassert.eq("signed hash" in str(e), True)
    mpassert.raises(TrustError, revocation.apply_delta, cur, b"KRD1\x00\x00\x00\x05junk!", "/tmp/kiosk_rev_x", _op())
    cur.close()


def _big(prefix, n):
    return set(K.entry(b"%s-%d" % (prefix, i)) for i in range(n))


def test_large_partition_bucket_index():
    parts = {KID_A: _big(b"big", 3000), KID_B: _big(b"small", 10)}
    data = K.revlist(parts, 11)
    # 1,024-byte index + 4 bytes per entry for the large partition.
    mpassert.eq(len(data) > 1024 + 3000 * 4 + 10 * 5, True)
    mpassert.eq(len(data) < 1024 + 3000 * 5, True)
    rl = revocation.open_file(_file(data, "big"), _op(), full_check=True)
    for i in range(0, 3000, 7):
        mpassert.eq(rl.contains(KID_A, b"big-%d" % i), True, "big %d" % i)
    for i in range(3000, 3400):
        mpassert.eq(rl.contains(KID_A, b"big-%d" % i), False)
    mpassert.eq(rl.contains(KID_B, b"small-3"), True)
    mpassert.eq(rl.contains(KID_B, b"big-3"), False)
    rl.close()


def test_corrupted_bucket_index_refused_at_install():
    parts = {KID_A: _big(b"big", 1500)}
    body, n, k = K.rev_body(parts)
    body = bytearray(body)
    body[12 + 4 * 100 + 3] ^= 0x02  # one bucket end, re-signed by a buggy operator
    data = K.signed_file(b"KRV1", K.OPERATOR, {"seq": 3, "iat": 1, "w": 5, "n": n, "k": k}, bytes(body))
    mpassert.raises(TrustError, revocation.check_new, _file(data, "bi"), _op(), 0)


def _apply(old, new, name):
    cur = revocation.open_file(_file(K.revlist(old, 20), name), _op())
    dlt, full = K.delta(old, new, 20, cur.sha, 21)
    out = "/tmp/kiosk_rev_m_" + name
    revocation.apply_delta(cur, dlt, out, _op())
    cur.close()
    with open(out, "rb") as f:
        mpassert.eq(f.read(), full, name)
    rl = revocation.open_file(out, _op(), full_check=True)
    return rl


def test_delta_on_large_partitions_and_layout_changes():
    big = _big(b"big", 3000)
    # Same (bucketed) layout: bulk copies around the changes.
    new = set(big)
    for i in range(0, 3000, 60):
        new.discard(K.entry(b"big-%d" % i))
    new |= _big(b"more", 40)
    rl = _apply({KID_A: big}, {KID_A: new}, "same")
    mpassert.eq(rl.contains(KID_A, b"big-60"), False)
    mpassert.eq(rl.contains(KID_A, b"big-61"), True)
    mpassert.eq(rl.contains(KID_A, b"more-39"), True)
    rl.close()
    # Small -> large, large -> small, and a new large partition.
    small = _big(b"s", 1000)
    grown = small | _big(b"g", 30)
    rl = _apply({KID_A: small}, {KID_A: grown, KID_C: _big(b"c", 1100)}, "up")
    mpassert.eq(rl.contains(KID_A, b"g-29"), True)
    mpassert.eq(rl.contains(KID_C, b"c-1099"), True)
    rl.close()
    rl = _apply({KID_A: grown, KID_B: _big(b"b", 5)}, {KID_A: small}, "down")
    mpassert.eq(rl.contains(KID_A, b"g-1"), False)
    mpassert.eq(rl.contains(KID_A, b"s-999"), True)
    mpassert.eq(rl.contains(KID_B, b"b-1"), False)
    rl.close()
