"""Provisioning over the serial protocol (kiosk.link.server handler table).

Two link commands (docs/provisioning.md, docs/serial-protocol.md):

    PROV   0x10  body: CBOR request map {"op": ...} (see kiosk.provision.handlers)
                 data: CBOR response map {"ok": true, ...} or
                       {"ok": false, "error": code, "msg": text}
    UPLOAD 0x11  body: offset u32 LE | bytes   (stages a large file)
                 data: staged size u32 LE

A large file (trust bundle, revocation list) is uploaded in chunks first;
a PROV request with "staged": true then uses it (the signed command pins its
SHA-256). Offset 0 starts a new upload. The host resends a request whose
answer was lost, so both commands are idempotent: a chunk already written is
acknowledged again, and the exact previous PROV request, when it changed
something, gets the previous answer instead of running twice (a replay of
any older command is refused by its counter).
"""

import hashlib
import os
import struct

from micropython import const

CMD_PROV = const(0x10)
CMD_UPLOAD = const(0x11)
_MAX_UPLOAD = const(4194304)
_RESERVE = const(131072)  # an upload never takes the last 128 KB (scan log, config)


class Wire:
    def __init__(self, prov):
        self.prov = prov
        self.path = prov.dir + "/staged.new"  # .new: a reboot discards it
        self._f = None
        self._size = 0
        self._last = None
        self._last_resp = None

    def on_upload(self, server, body):
        from kiosk.link import LinkError

        if len(body) < 4:
            raise LinkError(2, "UPLOAD needs offset u32")
        off = struct.unpack_from("<I", body)[0]
        data = body[4:]
        if off == 0 and not (self._f and self._size == len(data) and len(data)):
            self._close()
            self._f = open(self.path, "wb")
            self._size = 0
        if self._f is None:
            raise LinkError(2, "no upload in progress: start at offset 0")
        end = off + len(data)
        if off == self._size:
            if end > _MAX_UPLOAD:
                raise LinkError(2, "upload larger than %d bytes" % _MAX_UPLOAD)
            if self._free() - len(data) < _RESERVE:
                self._close()
                raise LinkError(4, "flash nearly full: upload refused (the scan log keeps its space)")
            self._f.write(data)
            self._size = end
        elif end > self._size:
            raise LinkError(2, "upload offset %d, expected %d" % (off, self._size))
        return struct.pack("<I", self._size)

    def _free(self):
        try:
            st = os.statvfs(self.prov.dir)
            return st[0] * st[3]
        except (OSError, AttributeError):
            return _RESERVE + _MAX_UPLOAD

    def _close(self):
        if self._f:
            self._f.close()
            self._f = None

    def on_prov(self, server, body):
        from kiosk import cbor

        key = hashlib.sha256(body).digest()
        if key == self._last:
            return self._last_resp
        try:
            req = cbor.loads(bytes(body), max_depth=8, max_items=512, max_len=1024)
        except Exception as exc:  # noqa: BLE001
            return cbor.dumps({"ok": False, "error": "malformed", "msg": "bad CBOR request: %s" % exc})
        if isinstance(req, dict) and req.pop("staged", False):
            if self._f is None:
                return cbor.dumps({"ok": False, "error": "bad_request", "msg": "nothing staged"})
            self._f.flush()
            self._close()
            req["blob_path" if req.get("op") == "cmd" else "bundle_path"] = self.path
        resp = self.prov.handle_safe(req)
        out = cbor.dumps(resp)
        # Only a change that succeeded is answered from the cache when repeated;
        # a refusal changed nothing and is simply evaluated again.
        if resp.get("ok") and req.get("op") != "info":
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
    prov.wire = w
    return prov
