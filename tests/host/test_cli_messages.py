"""Messages the README and the issue tracker promised: an expired signer
certificate is warned about, link refusals read as the kiosk's reason first."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kioskctl import link
from kioskctl.cli import main as kioskctl


def _cert(path, days_ago):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST DSC")])
    end = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days_ago)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(end - datetime.timedelta(days=365)).not_valid_after(end)
            .sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def test_trust_build_warns_about_expired_certificates(tmp_path, capsys):
    old, new = _cert(tmp_path / "old.pem", 10), _cert(tmp_path / "new.pem", -300)
    assert kioskctl(["trust", "build", "--cert", old, new, "--no-tables", "-o", str(tmp_path / "t.kts")]) == 0
    err = capsys.readouterr().err
    assert "old.pem: certificate expired" in err and "new.pem" not in err.split("trust store")[0]


def test_a_refusal_names_the_kiosks_reason_first():
    msg = link.refusal(0x11, 4, b"flash nearly full: upload refused")
    assert msg.startswith("kiosk refused: flash nearly full") and "status failed" in msg
    assert "failed flash" not in msg
