"""Strict, bounded CBOR (RFC 8949) decoder and a tiny encoder.

A neutral codec: tokens (kiosk.token), trust files (kiosk.trust) and
provisioning (kiosk.provision) all use it; it imports none of them.

loads(data, max_depth=16, max_items=4096, max_len=8192, canonical=False)
decodes exactly one data item that must fill `data` and returns Python
values:

  unsigned / negative int -> int (64-bit arguments)
  byte string             -> bytes      text string -> str (strict UTF-8)
  array                   -> list       map -> dict (keys int, str or bytes)
  tag                     -> Tag(tag, value) (kept, never interpreted here)
  false/true/null         -> False/True/None
  undefined               -> UNDEFINED (a Simple(23))
  other simple values     -> Simple(n)
  half/single/double      -> float

Indefinite-length byte/text strings, arrays and maps are accepted (the EU
DCC data uses them) under the same bounds. Everything else that is not
well-formed raises CBORError (kiosk.token wraps it into TokenError("malformed")):

  * truncated input, trailing bytes after the top-level item,
  * reserved additional information 28-30, a break (0xFF) outside an
    indefinite-length item, indefinite length on ints or tags,
  * string chunks of another major type or of indefinite length,
  * two-byte simple values below 32, invalid UTF-8 (overlong forms,
    surrogates, code points above U+10FFFF),
  * duplicate map keys, map keys that are not int, str or bytes,
  * nesting deeper than max_depth (arrays, maps and tags each count 1),
  * more than max_items data items in total (a map entry counts 2),
  * a string longer than max_len bytes (summed over chunks), or a declared
    length or count larger than the bytes left (checked before allocating).

canonical=True additionally requires preferred serialisation (RFC 8949
section 4.2.1): shortest argument encoding and definite lengths. COSE does
not need it for security (the Sig_structure signs the received protected
header bytes, never a re-encoding), so kiosk.token.cose uses it only for
the protected header, where RFC 9052 asks for it.

dumps(value) encodes with shortest arguments and definite lengths; it is
used for the COSE Sig_structure and by tests and the fuzz harness.
"""

import struct

from micropython import const

_MAX_DEPTH = const(16)
_MAX_ITEMS = const(4096)
_MAX_LEN = const(8192)
_INDEF = const(-1)


class Tag:
    """A tagged item: tag number and decoded content."""

    def __init__(self, tag, value):
        self.tag = tag
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Tag) and other.tag == self.tag and other.value == self.value

    def __repr__(self):
        return "Tag(%d, %r)" % (self.tag, self.value)


class Simple:
    """A simple value without a Python equivalent (RFC 8949 section 3.3)."""

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Simple) and other.value == self.value

    def __repr__(self):
        return "Simple(%d)" % self.value


UNDEFINED = Simple(23)


class CBORError(ValueError):
    """Data that is not well-formed, bounded CBOR (or a value dumps cannot encode)."""


def _error(msg):
    return CBORError(msg)


def _utf8_ok(b, i, end):
    """Strict UTF-8 check of b[i:end] (RFC 3629)."""
    while i < end:
        c = b[i]
        if c < 0x80:
            i += 1
            continue
        lo = 0x80
        hi = 0xBF
        if c < 0xC2:
            return False
        if c < 0xE0:
            n = 1
        elif c < 0xF0:
            n = 2
            if c == 0xE0:
                lo = 0xA0
            elif c == 0xED:
                hi = 0x9F
        elif c < 0xF5:
            n = 3
            if c == 0xF0:
                lo = 0x90
            elif c == 0xF4:
                hi = 0x8F
        else:
            return False
        if i + n >= end:
            return False
        c = b[i + 1]
        if c < lo or c > hi:
            return False
        for j in range(i + 2, i + n + 1):
            if b[j] & 0xC0 != 0x80:
                return False
        i += n + 1
    return True


def _half(h):
    # IEEE 754 binary16 (RFC 8949 Appendix D); struct "e" is not on every port.
    e = (h >> 10) & 0x1F
    m = h & 0x3FF
    if e == 0:
        v = m / 16777216.0
    elif e == 31:
        v = float("nan") if m else float("inf")
    else:
        v = (m + 1024) * 2.0 ** (e - 25)
    return -v if h & 0x8000 else v


class _Decoder:
    def __init__(self, data, max_depth, max_items, max_len, canonical):
        self.d = data
        self.p = 0
        self.end = len(data)
        self.items = 0
        self.max_depth = max_depth
        self.max_items = max_items
        self.max_len = max_len
        self.canonical = canonical

    def _arg(self, ai):
        # Argument for additional information ai (24..27), advancing p.
        d = self.d
        p = self.p
        size = 1 << (ai - 24)
        if p + size > self.end:
            raise _error("truncated argument")
        if size == 1:
            v = d[p]
            small = 24
        elif size == 2:
            v = (d[p] << 8) | d[p + 1]
            small = 0x100
        else:
            v = int.from_bytes(d[p : p + size], "big")
            small = 0x10000 if size == 4 else 0x100000000
        self.p = p + size
        if self.canonical and v < small:
            raise _error("non-preferred argument encoding")
        return v

    def _count(self, n):
        self.items += n
        if self.items > self.max_items:
            raise _error("more than %d items" % self.max_items)

    def _string(self, mt, n):
        if n > self.max_len:
            raise _error("string of %d bytes > %d" % (n, self.max_len))
        p = self.p
        if n > self.end - p:
            raise _error("truncated string")
        self.p = p + n
        if mt == 2:
            return bytes(self.d[p : p + n])
        if not _utf8_ok(self.d, p, p + n):
            raise _error("invalid UTF-8")
        return str(self.d[p : p + n], "utf-8")

    def _chunks(self, mt):
        # Indefinite-length string: definite chunks of the same type, then break.
        if self.canonical:
            raise _error("indefinite length in canonical item")
        parts = []
        total = 0
        d = self.d
        while True:
            if self.p >= self.end:
                raise _error("truncated indefinite string")
            ib = d[self.p]
            self.p += 1
            if ib == 0xFF:
                break
            if ib >> 5 != mt:
                raise _error("chunk of another major type")
            ai = ib & 31
            if ai == 31:
                raise _error("nested indefinite string chunk")
            if ai > 27:
                raise _error("reserved additional information %d" % ai)
            n = ai if ai < 24 else self._arg(ai)
            total += n
            if total > self.max_len:
                raise _error("string longer than %d bytes" % self.max_len)
            self._count(1)
            parts.append(self._string(mt, n))
        return ("" if mt == 3 else b"").join(parts)

    def item(self, depth):
        """Decode one item; return _BREAK_OBJ for a break code (caller checks)."""
        d = self.d
        if self.p >= self.end:
            raise _error("truncated input")
        ib = d[self.p]
        self.p += 1
        mt = ib >> 5
        ai = ib & 31
        self._count(1)
        if mt == 7:
            return self._simple(ai)
        if ai < 24:
            n = ai
        elif ai < 28:
            n = self._arg(ai)
        elif ai == 31:
            if mt < 2 or mt == 6:
                raise _error("indefinite length on major type %d" % mt)
            n = _INDEF
        else:
            raise _error("reserved additional information %d" % ai)
        if mt == 0:
            return n
        if mt == 1:
            return -1 - n
        if mt < 4:
            return self._chunks(mt) if n == _INDEF else self._string(mt, n)
        depth += 1
        if depth > self.max_depth:
            raise _error("nesting deeper than %d" % self.max_depth)
        if mt == 6:
            return Tag(n, self._value(depth))
        if n == _INDEF:
            if self.canonical:
                raise _error("indefinite length in canonical item")
        elif n * (mt - 3) > self.end - self.p:
            raise _error("declared count exceeds input")
        if mt == 4:
            return self._array(n, depth)
        return self._map(n, depth)

    def _value(self, depth):
        v = self.item(depth)
        if v is _BREAK_OBJ:
            raise _error("break outside indefinite-length item")
        return v

    def _array(self, n, depth):
        out = []
        if n == _INDEF:
            while True:
                v = self.item(depth)
                if v is _BREAK_OBJ:
                    return out
                out.append(v)
        for _ in range(n):
            out.append(self._value(depth))
        return out

    def _map(self, n, depth):
        out = {}
        i = 0
        while n == _INDEF or i < n:
            k = self.item(depth)
            if k is _BREAK_OBJ:
                if n == _INDEF:
                    return out
                raise _error("break outside indefinite-length item")
            t = type(k)
            if t is not int and t is not str and t is not bytes:
                raise _error("map key of type %s" % t.__name__)
            if k in out:
                raise _error("duplicate map key %r" % (k,))
            out[k] = self._value(depth)
            i += 1
        return out

    def _simple(self, ai):
        if ai < 20:
            return Simple(ai)
        if ai == 20:
            return False
        if ai == 21:
            return True
        if ai == 22:
            return None
        if ai == 23:
            return UNDEFINED
        if ai == 31:
            return _BREAK_OBJ
        if ai > 27:
            raise _error("reserved additional information %d" % ai)
        p = self.p
        size = 1 << (ai - 24)
        if p + size > self.end:
            raise _error("truncated simple/float")
        self.p = p + size
        if ai == 24:
            v = self.d[p]
            if v < 32:
                raise _error("two-byte simple value %d < 32" % v)
            return Simple(v)
        if ai == 25:
            return _half((self.d[p] << 8) | self.d[p + 1])
        fmt = ">f" if ai == 26 else ">d"
        return struct.unpack(fmt, bytes(self.d[p : p + size]))[0]


_BREAK_OBJ = object()  # returned by item() for a break code


def loads(data, max_depth=_MAX_DEPTH, max_items=_MAX_ITEMS, max_len=_MAX_LEN, canonical=False):
    """Decode one CBOR item filling all of data; raise CBORError."""
    dec = _Decoder(data, max_depth, max_items, max_len, canonical)
    v = dec._value(0)
    if dec.p != dec.end:
        raise _error("%d trailing bytes" % (dec.end - dec.p))
    return v


def _head(out, mt, n):
    mt <<= 5
    if n < 24:
        out.append(mt | n)
    elif n < 0x100:
        out.append(mt | 24)
        out.append(n)
    elif n < 0x10000:
        out.append(mt | 25)
        out.extend(n.to_bytes(2, "big"))
    elif n < 0x100000000:
        out.append(mt | 26)
        out.extend(n.to_bytes(4, "big"))
    elif n < 0x10000000000000000:
        out.append(mt | 27)
        out.extend(n.to_bytes(8, "big"))
    else:
        raise _error("integer out of range")


def _enc(out, v):
    if v is False or v is True:
        out.append(0xF5 if v else 0xF4)
    elif v is None:
        out.append(0xF6)
    elif isinstance(v, int):
        if v >= 0:
            _head(out, 0, v)
        else:
            _head(out, 1, -1 - v)
    elif isinstance(v, (bytes, bytearray, memoryview)):
        _head(out, 2, len(v))
        out.extend(v)
    elif isinstance(v, str):
        b = v.encode()
        _head(out, 3, len(b))
        out.extend(b)
    elif isinstance(v, (list, tuple)):
        _head(out, 4, len(v))
        for x in v:
            _enc(out, x)
    elif isinstance(v, dict):
        _head(out, 5, len(v))
        for k in v:
            _enc(out, k)
            _enc(out, v[k])
    elif isinstance(v, Tag):
        _head(out, 6, v.tag)
        _enc(out, v.value)
    elif isinstance(v, Simple):
        if v.value < 24:
            out.append(0xE0 | v.value)
        else:
            out.append(0xF8)
            out.append(v.value)
    elif isinstance(v, float):
        out.append(0xFB)
        out.extend(struct.pack(">d", v))
    else:
        raise _error("cannot encode %s" % type(v).__name__)


def dumps(value):
    """Encode value (shortest arguments, definite lengths) to bytes."""
    out = bytearray()
    _enc(out, value)
    return bytes(out)
