"""Signer certificates for the trust store: DER, PEM or base64 DER in, key facts out.

`cryptography` parses most certificates; some real DCC signer certificates
(an empty extensions block) are refused by it, so a minimal DER walker
extracts the SubjectPublicKeyInfo and validity itself as a fallback.
"""

import base64
import binascii
import datetime
import hashlib
import re

from kioskctl.errors import KioskError


class CertInfo:
    def __init__(self, der, spki_der, not_before, not_after, subject):
        self.der = der
        self.spki_der = spki_der
        self.not_before = not_before
        self.not_after = not_after
        self.subject = subject

    @property
    def kid(self):
        """DCC kid: first 8 bytes of SHA-256 of the certificate DER."""
        return hashlib.sha256(self.der).digest()[:8]


def read_der(data):
    """Certificate bytes from DER, PEM or base64 DER."""
    if data[:1] == b"\x30":
        return data
    text = data.decode("ascii", "replace")
    m = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S)
    body = m.group(1) if m else text
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        raise KioskError("not a certificate (DER, PEM or base64 DER)")
    if der[:1] != b"\x30":
        raise KioskError("not a DER certificate")
    return der


def _tlv(buf, pos):
    """(tag, start of content, end of content) of the DER element at pos."""
    if pos + 2 > len(buf):
        raise ValueError("truncated DER")
    tag, n = buf[pos], buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or pos + k > len(buf):
            raise ValueError("bad DER length")
        n = int.from_bytes(buf[pos : pos + k], "big")
        pos += k
    if pos + n > len(buf):
        raise ValueError("truncated DER")
    return tag, pos, pos + n


def _children(buf, start, end):
    out, pos = [], start
    while pos < end:
        tag, s, e = _tlv(buf, pos)
        out.append((tag, pos, s, e))
        pos = e
    return out


def _der_time(tag, raw):
    text = raw.decode("ascii")
    fmt = "%y%m%d%H%M%SZ" if tag == 0x17 else "%Y%m%d%H%M%SZ"
    return int(datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc).timestamp())


def parse_raw(der):
    """Fallback: walk the DER for validity and SubjectPublicKeyInfo."""
    _, s, e = _tlv(der, 0)
    tbs_tag, _, ts, te = _children(der, s, e)[0]
    fields = _children(der, ts, te)
    if fields[0][0] == 0xA0:  # explicit version
        fields = fields[1:]
    # serial, signature alg, issuer, validity, subject, spki
    validity, subject, spki = fields[3], fields[4], fields[5]
    times = _children(der, validity[2], validity[3])
    nb = _der_time(times[0][0], der[times[0][2] : times[0][3]])
    na = _der_time(times[1][0], der[times[1][2] : times[1][3]])
    return CertInfo(der, der[spki[1] : spki[3]], nb, na, "")


def parse_cert(data):
    der = read_der(data)
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        cert = x509.load_der_x509_certificate(der)
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return CertInfo(
            der, spki,
            int(cert.not_valid_before_utc.timestamp()),
            int(cert.not_valid_after_utc.timestamp()),
            cert.subject.rfc4514_string(),
        )
    except Exception:
        pass
    try:
        return parse_raw(der)
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise KioskError("cannot parse certificate: %s" % exc)
