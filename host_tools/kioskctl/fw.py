"""The firmware's own pure modules, imported under CPython.

The wire vocabulary is defined once, in the firmware, and the host uses it
from there: the record struct, reason codes and pseudonym HMAC
(kiosk.records), the serial protocol's command and status numbers
(kiosk.link.server, kiosk.provision.wire), the admin command domain and
names (kiosk.provision.command, .handlers), the signed ACK message
(kiosk.records.ackauth). Those modules import only
`struct`, `binascii`, `hashlib` and `micropython.const`; on the host a
one-line `micropython` stand-in provides `const`.

    from kioskctl.fw import records, proto, prov
    records.REASONS, records.decode(raw), records.pseudonym(secret, holder)
    proto.CMD_READ, proto.ST_FAILED, prov.CMD_PROV
"""

import sys
import types

from kioskctl import paths


def _install():
    if "micropython" not in sys.modules:
        shim = types.ModuleType("micropython")
        shim.const = lambda value: value
        sys.modules["micropython"] = shim
    if paths.FIRMWARE not in sys.path:
        sys.path.append(paths.FIRMWARE)


_install()

from kiosk import records  # noqa: E402
from kiosk.config import schema  # noqa: E402
from kiosk.link import server as proto  # noqa: E402
from kiosk.provision import command as admin_command  # noqa: E402
from kiosk.provision import handlers as prov_handlers  # noqa: E402
from kiosk.provision import wire as prov  # noqa: E402
from kiosk.records import ackauth as ack_message  # noqa: E402

# names of the admin-signed commands the firmware accepts
COMMAND_OPS = tuple(prov_handlers._COMMANDS)

# the values a kiosk may be configured with
LANGS = schema.LANGS
from kiosk.policy import VENUE_TYPES  # noqa: E402

__all__ = ["records", "proto", "prov", "admin_command", "ack_message", "COMMAND_OPS", "schema", "LANGS", "VENUE_TYPES"]
