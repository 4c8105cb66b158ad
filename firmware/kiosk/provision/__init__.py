"""Provisioning: first setup, admin-signed changes, clock guard, write-only secrets.

Modules:
    atomic    all-or-nothing multi-file writes on littlefs (journal + rename)
    command   signed admin commands: ES256 over device id + counter + command
    state     the provisioning state file (device id, keys, counter, sequences)
    clock     the clock guard (clock_unset, no rollback past the last scan)
    handlers  the operations (info, setup, cmd, reset)
    wire      PROV/UPLOAD commands for the serial link server
    runtime   open_trust(root, now): bundle, revocation list, status for the scan loop

Every failure raises ProvisionError with a stable `code` (e.g. "bad_signature",
"replay", "rollback") and leaves the kiosk's files as they were.
See docs/provisioning.md.
"""


class ProvisionError(Exception):
    """A refused or failed provisioning step; `code` names the reason."""

    def __init__(self, code, msg=None):
        super().__init__(msg or code)
        self.code = code
        self.msg = msg or code


def register(server, root, **kw):
    """Add PROV/UPLOAD to a kiosk.link.server.Server; returns the Provisioner
    (kw: clock, presence, logs_pending, wipe_logs). See kiosk.provision.wire."""
    from kiosk.provision import wire

    return wire.register(server, root, **kw)
