"""`kioskctl trust push` refuses a bundle past its grace period before it
touches the kiosk, with a clear one-line error (issue #10 item 6)."""

import time

from kioskctl import bundle, cli, trust


def test_push_of_expired_bundle_refused_before_connecting(issuer, tmp_path, capsys):
    assert cli.main(["keys", "gen", "-o", str(tmp_path / "op")]) == 0
    key = bundle.load_private_key(str(tmp_path / "op.key.pem"))
    with open(issuer.trust, "rb") as f:
        store = f.read()
    old = int(time.time()) - 30 * 86400
    path = tmp_path / "old.ktb"
    path.write_bytes(bundle.build(store, key, 7, 86400, 3 * 86400, iat=old))
    # the port does not exist: reaching it would give a different error
    rc = cli.main(["trust", "push", str(path), "--admin-key", str(tmp_path / "op.key.pem"), "--port", str(tmp_path / "no-tty")])
    err = capsys.readouterr().err
    assert rc != 0
    assert "expired" in err and "grace period ended" in err and "Traceback" not in err, err
    assert trust.load(store)  # the store itself is fine: only the lifetime is refused
