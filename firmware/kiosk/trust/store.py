"""Trust store: issuer keys by kid, with precomputed ES256 tables in flash.

File layout (docs/trust-store.md): b"KTS1", 4-byte big-endian header length,
a CBOR header {"v": 1, "iat": int, "keys": [entry...]}, then the table area.
An entry's "tab" is [offset, length] into the table area; tables are read from
the file only when a key is used, and validated once before first use, so a
corrupted table costs speed, never correctness.
"""

from kiosk.trust import TrustError

_MAGIC = b"KTS1"
_MAX_HEADER = const(262144)
_MAX_KEYS = const(4096)
ALG_ES256 = const(-7)
ALG_PS256 = const(-37)


class IssuerKey:
    def __init__(self, index, entry, store):
        self.index = index
        self.kid = entry.get("kid")
        self.alg = entry.get("alg")
        pub = entry.get("pub")
        if self.alg == ALG_PS256:
            if not isinstance(pub, list) or len(pub) != 2:
                raise TrustError("key %d: bad RSA key" % index)
            pub = (int.from_bytes(pub[0], "big"), pub[1])
        elif not isinstance(pub, (bytes, bytearray)) or len(pub) != 65:
            raise TrustError("key %d: bad EC key" % index)
        self.pub = pub
        self.nbf = entry.get("nbf")
        self.exp = entry.get("exp")
        self.label = entry.get("label", "")
        self._tab = entry.get("tab")
        self._store = store
        self._table = None
        self._table_state = 0  # 0 unchecked, 1 good, -1 bad or absent

    def table(self):
        """The precomputed table if present and valid, else None (slow path)."""
        if self._table_state == 0:
            self._table_state = -1
            if self._tab is not None and self.alg == ALG_ES256:
                try:
                    data = self._store._read_table(self._tab)
                    from kiosk.crypto import p256

                    if p256.check_table(self.pub, data):
                        self._table = data
                        self._table_state = 1
                except (ValueError, TypeError, OSError, MemoryError):
                    pass
        return self._table

    def valid_at(self, t):
        if t is None:
            return True
        if self.nbf is not None and t < self.nbf:
            return False
        if self.exp is not None and t > self.exp:
            return False
        return True


class TrustStore:
    def __init__(self, header, blob_reader):
        if not isinstance(header, dict) or header.get("v") != 1:
            raise TrustError("unsupported trust store version")
        keys = header.get("keys")
        if not isinstance(keys, list) or len(keys) > _MAX_KEYS:
            raise TrustError("bad key list")
        self.iat = header.get("iat")
        self._read = blob_reader
        self.keys = [IssuerKey(i, e, self) for i, e in enumerate(keys)]

    def keys_for(self, kid):
        if kid is None:
            return list(self.keys)
        return [k for k in self.keys if k.kid == kid]

    def _read_table(self, tab):
        if not isinstance(tab, list) or len(tab) != 2:
            raise ValueError("bad table reference")
        return self._read(tab[0], tab[1])


def _parse_header(prefix):
    if len(prefix) < 8 or prefix[:4] != _MAGIC:
        raise TrustError("not a trust store")
    n = int.from_bytes(prefix[4:8], "big")
    if n > _MAX_HEADER:
        raise TrustError("trust store header too large")
    return n


def _decode(raw):
    from kiosk import cbor

    try:
        return cbor.loads(raw, max_len=_MAX_HEADER, max_items=_MAX_KEYS * 16)
    except Exception as exc:
        raise TrustError("bad trust store header: %s" % exc)


def load(data):
    """TrustStore from bytes held in memory (tables are memoryview slices)."""
    n = _parse_header(data[:8])
    if 8 + n > len(data):
        raise TrustError("truncated trust store")
    header = _decode(bytes(data[8 : 8 + n]))
    base = 8 + n
    mv = memoryview(data)

    def read(off, length):
        if off < 0 or length < 0 or base + off + length > len(data):
            raise ValueError("table outside the store")
        return mv[base + off : base + off + length]

    return TrustStore(header, read)


def open_file(path):
    """TrustStore backed by a file: tables are read from flash on first use."""
    with open(path, "rb") as f:
        n = _parse_header(f.read(8))
        raw = f.read(n)
    if len(raw) != n:
        raise TrustError("truncated trust store")
    header = _decode(raw)
    base = 8 + n

    def read(off, length):
        if off < 0 or length < 0 or length > 1 << 20:
            raise ValueError("bad table reference")
        with open(path, "rb") as f:
            f.seek(base + off)
            buf = f.read(length)  # bytes: the table check caches it without a copy
        if len(buf) != length:
            raise ValueError("table outside the store")
        return buf

    return TrustStore(header, read)
