"""Base45 (RFC 9285) encoder/decoder for the host side."""

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def encode(data):
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += [ALPHABET[c], ALPHABET[d], ALPHABET[e]]
    if len(data) % 2:
        n = data[-1]
        out += [ALPHABET[n % 45], ALPHABET[n // 45]]
    return "".join(out)


def decode(text):
    vals = [_INDEX[c] for c in text]
    if len(vals) % 3 == 1:
        raise ValueError("bad Base45 length")
    out = bytearray()
    for i in range(0, len(vals), 3):
        chunk = vals[i : i + 3]
        n = sum(v * 45**k for k, v in enumerate(chunk))
        if len(chunk) == 3:
            if n > 0xFFFF:
                raise ValueError("bad Base45 triplet")
            out += bytes((n >> 8, n & 0xFF))
        else:
            if n > 0xFF:
                raise ValueError("bad Base45 pair")
            out.append(n)
    return bytes(out)
