"""Links from the kiosk to the outside: the USB serial protocol (log pull,
later provisioning) and, later, the Wi-Fi uplink.

frame.py   COBS + CRC32 framing, bounded streaming deframer
server.py  request/response protocol server with a command handler table
See docs/serial-protocol.md for the wire format.
"""


class LinkError(Exception):
    """A request the server refuses; `status` goes back to the host."""

    def __init__(self, status, msg=""):
        super().__init__(msg)
        self.status = status
        self.msg = msg
