"""Provisioning over the serial link: first setup, admin-signed changes, reset.

Modules:
    command   signed admin commands: ES256 over device id + counter + command
    handlers  the operations (info, setup, cmd, reset), each one transaction
    wire      PROV/UPLOAD commands for the serial link server

What is stored (device state, provisioning state, clock floor, atomic file
updates) belongs to kiosk.config; this package is the protocol that changes
it. Every failure raises ProvisionError with a stable `code` (e.g.
"bad_signature", "replay", "rollback") and leaves the kiosk's files as they
were. See docs/provisioning.md.
"""

from kiosk.config import ConfigError as ProvisionError  # one class for refusals, here and in kiosk.config

__all__ = ["ProvisionError", "register"]


def register(server, root, **kw):
    """Add PROV/UPLOAD to a kiosk.link.server.Server; returns the Provisioner
    (kw: clock, presence, logs_pending, wipe_logs). See kiosk.provision.wire."""
    from kiosk.provision import wire

    return wire.register(server, root, **kw)
