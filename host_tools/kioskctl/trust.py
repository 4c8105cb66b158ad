"""Build and read kiosk trust stores (format: docs/trust-store.md).

File: b"KTS1", 4-byte big-endian header length, CBOR header
{"v": 1, "iat": int, "keys": [entry...]}, then the table area. An entry is
{"kid": bstr, "alg": -7 | -37, "pub": SEC1 bstr | [n bstr, e int],
"nbf": int, "exp": int, "label": tstr, "tab": [offset, length]}, where "tab"
points at the key's ES256 precomputed table in the table area.
"""

import hashlib
import time

import cbor2

from kioskctl.errors import KioskError

ALG_ES256 = -7
ALG_PS256 = -37
FORMAT_VERSION = 1


def key_entry(public_key, kid, label, nbf=None, exp=None, tables=True, blocks=4):
    """Trust-store entry for a `cryptography` public key object, or None if unsupported."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives import serialization

    entry = {"kid": kid, "label": label}
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if public_key.curve.name != "secp256r1":
            return None
        point = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        entry.update(alg=ALG_ES256, pub=point)
        if tables:
            from kioskctl import combtab

            entry["tab"] = combtab.build_table(point, blocks)
    elif isinstance(public_key, rsa.RSAPublicKey):
        nums = public_key.public_numbers()
        if not 2048 <= public_key.key_size <= 4096:
            return None
        entry.update(alg=ALG_PS256, pub=[nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big"), nums.e])
    else:
        return None
    if nbf is not None:
        entry["nbf"] = int(nbf)
    if exp is not None:
        entry["exp"] = int(exp)
    return entry


def entries_from_cert(data, label=None, tables=True, blocks=4):
    from cryptography.hazmat.primitives import serialization

    from kioskctl.x509 import parse_cert

    info = parse_cert(data)
    try:
        pub = serialization.load_der_public_key(info.spki_der)
    except ValueError as exc:
        raise KioskError("unsupported public key in certificate: %s" % exc)
    return key_entry(pub, info.kid, label or info.subject, info.not_before, info.not_after, tables, blocks)


def entries_from_key_pem(data, label, tables=True, blocks=4):
    from cryptography.hazmat.primitives import serialization

    try:
        if b"PRIVATE KEY" in data:
            pub = serialization.load_pem_private_key(data, None).public_key()
        else:
            pub = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise KioskError("%s: not a PEM key: %s" % (label, exc))
    from cryptography.hazmat.primitives.asymmetric import ec

    from kioskctl.keys import kid_of_point

    if isinstance(pub, ec.EllipticCurvePublicKey):
        point = pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        kid = kid_of_point(point)
    else:
        der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        kid = hashlib.sha256(der).digest()[:8]
    return key_entry(pub, kid, label, tables=tables, blocks=blocks)


MAGIC = b"KTS1"


def build(entries, iat=None):
    """Serialise entries (with "tab" as bytes) into the trust store file format."""
    blob = bytearray()
    header_keys = []
    for e in entries:
        e = dict(e)
        tab = e.pop("tab", None)
        if tab:
            e["tab"] = [len(blob), len(tab)]
            blob += tab
        header_keys.append(e)
    header = cbor2.dumps({"v": FORMAT_VERSION, "iat": int(iat if iat is not None else time.time()), "keys": header_keys})
    return MAGIC + len(header).to_bytes(4, "big") + header + bytes(blob)


def read_store(path):
    """The bytes of a whole, well-formed KTS1 trust store file (UsageError names the file)."""
    from kioskctl import inputs
    from kioskctl.errors import UsageError

    data = inputs.read(path, "trust store")
    try:
        load(data)
    except KioskError as exc:
        raise UsageError("%s: %s" % (path, exc))
    return data


def load(data):
    """Header dict of a trust store; entries get "tab" back as bytes."""
    if data[:4] != MAGIC or len(data) < 8:
        raise KioskError("not a trust store (bad magic)")
    n = int.from_bytes(data[4:8], "big")
    if 8 + n > len(data):
        raise KioskError("truncated trust store: header of %d bytes, the file has %d after it" % (n, len(data) - 8))
    try:
        store = cbor2.loads(data[8 : 8 + n])
    except Exception as exc:
        raise KioskError("damaged trust store header: %s" % exc)
    if not hasattr(store, "get") or store.get("v") != FORMAT_VERSION or not isinstance(store.get("keys"), list):
        raise KioskError("not a version-%d trust store" % FORMAT_VERSION)
    blob = data[8 + n :]
    end = 0
    for i, e in enumerate(store["keys"]):
        if not hasattr(e, "get"):
            raise KioskError("damaged trust store: key %d is not a map" % i)
        if e.get("tab"):
            try:
                off, length = e["tab"]
                off, length = int(off), int(length)
            except (TypeError, ValueError):
                raise KioskError("damaged trust store: key %d has a bad table reference" % i)
            if off < 0 or length < 0 or off + length > len(blob):
                raise KioskError("truncated trust store: key %d's table ends at %d, the table area has %d bytes" % (
                    i, off + length, len(blob)))
            end = max(end, off + length)
            e["tab"] = blob[off : off + length]
    if end != len(blob):
        raise KioskError("damaged trust store: %d bytes after the last table" % (len(blob) - end))
    return store


# -- what fits on the kiosk's data partition (issue #10 item 8) -------------
# Measured by tests/host/test_trust_fit.py on the simulator's littlefs:
BLOCK = 4096
RECORD_BYTES = 32  # one scan record (docs/record-format.md)
FS_FIXED_BLOCKS = 24  # littlefs superblocks, directories, config files, log meta/state/journal
LOG_RESERVE_BLOCKS = 5  # the log's own reserve plus the next segment's slack
BUNDLE_OVERHEAD = 512  # bundle header and signature around the store
DEFAULT_PARTITION = 2 * 1024 * 1024
DEFAULT_RECORDS = 20000


def record_blocks(records):
    """Blocks that `records` scan records take (littlefs metadata ~1/16)."""
    per_block = BLOCK // RECORD_BYTES
    return -(-records * 16 // (per_block * 15)) + LOG_RESERVE_BLOCKS


def bundle_room(partition=DEFAULT_PARTITION, records=DEFAULT_RECORDS):
    """Largest bundle that installs and updates (old and new copy side by side)
    while `records` records still fit on a `partition`-byte data partition."""
    blocks = partition // BLOCK - FS_FIXED_BLOCKS - record_blocks(records)
    return max(0, blocks // 2) * BLOCK - BUNDLE_OVERHEAD


def plan_tables(entries, budget, native, small_only=False):
    """Give precomputed tables to ES256 entries in priority order while they fit
    in `budget` bytes: native issuers (indexes in `native`, most scans) first
    with the 65 KB table, then the others in the order given with the 16 KB
    table. Returns (big, small, without) counts of ES256 keys; the tables
    are built here, in each entry's "tab"."""
    from kioskctl import combtab

    order = sorted(native) + [i for i in range(len(entries)) if i not in native]
    big = small = without = 0
    for i in order:
        if entries[i].get("alg") != ALG_ES256:
            continue
        sizes = (1,) if small_only or i not in native else (4, 1)
        for s in sizes:
            if combtab.table_size(s) <= budget:
                entries[i]["tab"] = combtab.build_table(entries[i]["pub"], s)
                budget -= combtab.table_size(s)
                if s == 4:
                    big += 1
                else:
                    small += 1
                break
        else:
            without += 1
    return big, small, without
