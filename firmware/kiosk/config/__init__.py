"""Device state: the one owner of what the kiosk keeps under <root>/config.

Modules:
    schema    the one schema: every stored value is checked here, on the way
              in (provisioning) and again on the way out (boot)
    device    load(root, now) -> DeviceState: device, venue, policy, trust,
              revocation list, venue secret; never raises
    state     the provisioning state file (device id, keys, counter, sequences)
    atomic    all-or-nothing multi-file writes on littlefs (journal + rename)
    clock     the clock guard (clock_unset, no rollback past the last scan)

The boot path (kiosk.app) reads the configuration only through this package;
the serial protocol that changes it is kiosk.provision. Every refusal raises
ConfigError with a stable `code` ("bad_request", "damaged", ...); kiosk.provision
raises the same class (ProvisionError is this class).
"""


class ConfigError(Exception):
    """A refused value or a damaged file; `code` names the reason."""

    def __init__(self, code, msg=None):
        super().__init__(msg or code)
        self.code = code
        self.msg = msg or code
