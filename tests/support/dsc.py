"""GENERATED TEST DCC signer certificates (DER) under one TEST CSCA: for
trust-store tests and benches. TEST KEYS ONLY, made fresh each run."""

import datetime
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_UTC = datetime.timezone.utc


def signer_certs(folder, n, expired_at=None):
    """[(path of dscNNN.der, its private key)] for n signers; the one at index
    `expired_at` expired in 2021, the others are valid 2020..2030."""
    ca = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST CSCA (generated, not real)")])
    start = datetime.datetime(2020, 1, 1, tzinfo=_UTC)
    out = []
    for i in range(n):
        key = ec.generate_private_key(ec.SECP256R1())
        end = datetime.datetime(2021 if i == expired_at else 2030, 1, 1, tzinfo=_UTC)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST DSC %03d (generated, not real)" % i)]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(i + 1)
                .not_valid_before(start).not_valid_after(end).sign(ca, hashes.SHA256()))
        path = os.path.join(folder, "dsc%03d.der" % i)
        with open(path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.DER))
        out.append((path, key))
    return out
