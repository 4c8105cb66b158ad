"""Provisioning over the serial protocol (kiosk.link.server handler table).

Two link commands (docs/provisioning.md, docs/serial-protocol.md):

    PROV   0x10  body: CBOR request map {"op": ...} (see kiosk.provision.handlers)
                 data: CBOR response map {"ok": true, ...} or
                       {"ok": false, "error": code, "msg": text}
    UPLOAD 0x11  body: offset u32 LE | bytes   (a chunk of the staged file)
                 data: staged size u32 LE

A large file (trust bundle, revocation list) is staged first: a signed
`stage` command declares its size and SHA-256 (kiosk.provision.staging), the
chunks follow, and a PROV request with "staged": true then installs it (its
signed command pins the same hash). Nothing on the wire names a file. The
host resends a request whose answer was lost, so both commands are
idempotent: a chunk already written is acknowledged again, and the exact
previous PROV request, when it changed something, gets the previous answer
instead of running twice (a replay of any older command is refused by its
counter).
"""

import hashlib
import struct

from micropython import const

CMD_PROV = const(0x10)
CMD_UPLOAD = const(0x11)
_UPLOAD_STATUS = {"no_space": 4}  # link status per refusal code (else 2, bad request)


class Wire:
    def __init__(self, prov):
        self.prov = prov
        self._last = None
        self._last_resp = None

    def on_upload(self, server, body):
        from kiosk.link import LinkError
        from kiosk.provision import ProvisionError

        if len(body) < 4:
            raise LinkError(2, "UPLOAD needs offset u32")
        off = struct.unpack_from("<I", body)[0]
        try:
            n = self.prov.staging.write(off, body[4:])
        except ProvisionError as exc:
            raise LinkError(_UPLOAD_STATUS.get(exc.code, 2), "%s (%s)" % (exc.msg, exc.code))
        return struct.pack("<I", n)

    def tick(self, now_ms=None):
        """Called by the link server: drops an upload left idle too long."""
        self.prov.staging.expire(now_ms)

    def on_prov(self, server, body):
        from kiosk import cbor

        key = hashlib.sha256(body).digest()
        if key == self._last:
            return self._last_resp
        try:
            req = cbor.loads(bytes(body), max_depth=8, max_items=512, max_len=1024)
        except Exception as exc:  # noqa: BLE001
            return cbor.dumps({"ok": False, "error": "malformed", "msg": "bad CBOR request: %s" % exc})
        resp = self.prov.handle_safe(req)
        out = cbor.dumps(resp)
        # Only a change that succeeded is answered from the cache when repeated;
        # a refusal changed nothing and is simply evaluated again (and so is an
        # unsigned stage: repeated, it starts the upload over).
        if resp.get("ok") and isinstance(req, dict) and req.get("op") not in ("info", "stage"):
            self._last, self._last_resp = key, out
        else:
            self._last = self._last_resp = None
        return out


def register(server, root, **kw):
    """Add PROV and UPLOAD to `server.handlers`; returns the Provisioner.

    kw go to handlers.Provisioner: clock, presence, logs_pending, wipe_logs."""
    from kiosk.provision.handlers import Provisioner

    prov = Provisioner(root, **kw)
    w = Wire(prov)
    server.handlers[CMD_PROV] = w.on_prov
    server.handlers[CMD_UPLOAD] = w.on_upload
    server.tickers.append(w.tick)
    server.ack_keys = prov.ack_keys
    prov.wire = w
    return prov
