"""Host side of kiosk provisioning: signed admin commands and the PROV/UPLOAD
serial commands (firmware: firmware/kiosk/provision/, docs/provisioning.md).

    body = {"dev": device id, "ctr": counter, "op": name, "args": map} (CBOR)
    wire = CBOR [body, ES256 r||s by the admin key over b"KCMD1" + body]

    client = Client(Link(port))
    client.info()                                    # dict, never a secret
    client.setup(device_id=..., venue=..., ...)      # first setup only
    client.command(admin_key, "policy", {"policy": {...}})
    client.command(admin_key, "trust", {}, blob=bundle_bytes)
    client.reset(abandon_logs=False)                 # needs the button held

A file (bundle, revocation list) goes as a staged upload: first its size and
SHA-256 are announced (a signed `stage` command; before first setup an
unsigned `stage` request), then the chunks, then the signed command that
installs it, pinning the same hash. Nothing names a file on the kiosk.
"""

import hashlib
import struct

import cbor2

from kioskctl import bundle
from kioskctl.errors import DeviceError, KioskError
from kioskctl.fw import COMMAND_OPS, admin_command, prov

DOMAIN = admin_command.DOMAIN
PROV = prov.CMD_PROV
UPLOAD = prov.CMD_UPLOAD
CHUNK = 900
MAX_REQUEST = 1000
OPS = COMMAND_OPS


class Refused(DeviceError):
    """The kiosk refused a provisioning request; `code` is its reason."""

    def __init__(self, code, msg):
        DeviceError.__init__(self, "kiosk refused: %s (%s)" % (msg, code))
        self.code = code


def command_body(device_id, ctr, op, args):
    return cbor2.dumps({"dev": device_id, "ctr": int(ctr), "op": op, "args": args})


def sign_command(private_key, device_id, ctr, op, args):
    """Wire bytes of a signed admin command."""
    if op not in OPS:
        raise KioskError("unknown command %r (one of %s)" % (op, ", ".join(OPS)))
    body = command_body(device_id, ctr, op, args)
    return cbor2.dumps([body, bundle.sign(private_key, DOMAIN + body)])


def connect(port=None, baud=115200, timeout=5.0, notify=None):
    """A Client on the kiosk at `port` (default: found by USB id); `notify(text)`
    gets status lines while the kiosk is slow to answer."""
    from kioskctl.link import Link
    from kioskctl.transport import find_port, open_port

    link = Link(open_port(port or find_port(), baud), timeout=timeout)
    link.notify = notify
    return Client(link)


def push(client, private_key, op, data, progress=None):
    """Send a bundle ("trust") or revocation list/delta ("revoke") as a signed command."""
    return client.command(private_key, op, {}, blob=data, progress=progress)


class Client:
    def __init__(self, link):
        self.link = link

    def request(self, req):
        raw = cbor2.dumps(req)
        if len(raw) > MAX_REQUEST:
            raise KioskError("provisioning request of %d bytes is too large (max %d)" % (len(raw), MAX_REQUEST))
        resp = cbor2.loads(self.link.request(PROV, raw))
        if not hasattr(resp, "get"):
            raise DeviceError("kiosk sent a bad provisioning answer")
        resp = dict(resp)
        if not resp.get("ok"):
            raise Refused(resp.get("error", "?"), resp.get("msg", ""))
        return resp

    def stage(self, data, private_key=None, device_id=None, ctr=None):
        """Announce the upload of `data`: signed (ctr) on a provisioned kiosk."""
        size, sha = len(data), hashlib.sha256(data).digest()
        if private_key is None:
            return self.request({"op": "stage", "size": size, "sha": sha})
        raw = sign_command(private_key, device_id, ctr, "stage", {"size": size, "sha": sha})
        return self.request({"op": "cmd", "cmd": raw})

    def upload(self, data, progress=None):
        """Send the chunks of an announced (staged) upload."""
        off = 0
        if not data:
            raise KioskError("empty file")
        while off < len(data):
            part = data[off : off + CHUNK]
            got = struct.unpack("<I", self.link.request(UPLOAD, struct.pack("<I", off) + part)[:4])[0]
            if got != off + len(part):
                raise DeviceError("upload out of step: kiosk has %d bytes, expected %d" % (got, off + len(part)))
            off = got
            if progress:
                progress(len(part))

    def info(self):
        return self.request({"op": "info"})

    def setup(self, device_id, venue, policy, admin, operator, secret, clock, bundle_data=None, wifi=None, lang=None,
              progress=None, collectors=(), broker=None):
        req = {"op": "setup", "device_id": device_id, "venue": venue, "policy": policy,
               "admin": admin, "operator": operator, "secret": secret, "clock": int(clock)}
        if collectors:
            req["collectors"] = list(collectors)
        if wifi:
            req["wifi"] = wifi
        if broker:
            req["broker"] = broker
        if lang:
            req["lang"] = lang
        if bundle_data is not None:
            self.stage(bundle_data)
            self.upload(bundle_data, progress)
            req["staged"] = True
        self._checking(progress)
        return self.request(req)

    def _checking(self, progress):
        if progress is not None and self.link.notify:
            self.link.notify("the kiosk is checking and installing (signature, hash, tables)...")

    def command(self, private_key, op, args, blob=None, device_id=None, ctr=None, progress=None):
        if device_id is None or ctr is None:
            info = self.info()
            if not info.get("provisioned"):
                raise KioskError("kiosk is not provisioned: run `kioskctl provision setup` first")
            device_id = info["device_id"] if device_id is None else device_id
            ctr = info["ctr"] + 1 if ctr is None else ctr
        args = dict(args)
        req = {"op": "cmd"}
        if blob is not None:
            args["sha"] = hashlib.sha256(blob).digest()
            self.stage(blob, private_key, device_id, ctr)
            ctr += 1
            self.upload(blob, progress)
            req["staged"] = True
            self._checking(progress)
        req["cmd"] = sign_command(private_key, device_id, ctr, op, args)
        return self.request(req)

    def reset(self, abandon_logs=False):
        return self.request({"op": "reset", "abandon_logs": bool(abandon_logs)})
