"""Signed admin commands: the only way to change a provisioned kiosk.

Wire form (CBOR): [body, sig]
    body  bstr: CBOR map {"dev": tstr device id, "ctr": uint counter,
                          "op": tstr command name, "args": map}
    sig   bstr(64): ES256 (P-256, SHA-256) r||s by the admin key over
          b"KCMD1" + body

The device accepts a command only when the signature verifies with the admin
key set at first setup, "dev" is its own id (a command for kiosk A is useless
on kiosk B) and "ctr" is greater than the last accepted counter (a captured
command cannot be replayed). Checks run in that order, before any field of
the command is acted upon.
"""

from micropython import const

from kiosk.provision import ProvisionError

DOMAIN = b"KCMD1"
_MAX_CMD = const(4096)
_MAX_CTR = const(0x7FFFFFFF)


class Command:
    def __init__(self, dev, ctr, op, args):
        self.dev = dev
        self.ctr = ctr
        self.op = op
        self.args = args


def _loads(data, max_len, max_items=256):
    from kiosk import cbor

    try:
        return cbor.loads(data, max_depth=8, max_items=max_items, max_len=max_len)
    except Exception as exc:
        raise ProvisionError("malformed", "bad CBOR: %s" % exc)


def decode(raw):
    """(body bytes, signature bytes) of a wire command; no trust implied."""
    if not isinstance(raw, (bytes, bytearray)) or len(raw) > _MAX_CMD:
        raise ProvisionError("malformed", "command missing or larger than %d bytes" % _MAX_CMD)
    outer = _loads(bytes(raw), _MAX_CMD, 8)
    if not isinstance(outer, list) or len(outer) != 2:
        raise ProvisionError("malformed", "command is not [body, sig]")
    body, sig = outer
    if not isinstance(body, bytes) or not isinstance(sig, bytes) or len(sig) != 64:
        raise ProvisionError("malformed", "command body/signature of the wrong type")
    return body, sig


def verify(raw, admin_pub, device_id, last_ctr):
    """Command from wire bytes, after every check; raises ProvisionError."""
    from kiosk.crypto import p256

    body, sig = decode(raw)
    if not admin_pub:
        raise ProvisionError("not_provisioned", "no admin key: run first setup")
    if not p256.verify(admin_pub, DOMAIN + body, sig):
        raise ProvisionError("bad_signature", "command not signed by this kiosk's admin key")
    m = _loads(body, _MAX_CMD)
    if not isinstance(m, dict):
        raise ProvisionError("malformed", "command body is not a map")
    dev, ctr, op, args = m.get("dev"), m.get("ctr"), m.get("op"), m.get("args", {})
    if not isinstance(op, str) or not isinstance(args, dict):
        raise ProvisionError("malformed", "command without op/args")
    if not isinstance(ctr, int) or not 0 < ctr <= _MAX_CTR:
        raise ProvisionError("malformed", "command counter missing or out of range")
    if dev != device_id:
        raise ProvisionError("wrong_device", "command is for device %r, this is %r" % (dev, device_id))
    if ctr <= last_ctr:
        raise ProvisionError("replay", "counter %d not above the last accepted %d" % (ctr, last_ctr))
    return Command(dev, ctr, op, args)


def encode_body(dev, ctr, op, args):
    """Body bytes for signing (the host does the same in kioskctl.provision)."""
    from kiosk import cbor

    return cbor.dumps({"dev": dev, "ctr": ctr, "op": op, "args": args})


def wrap(body, sig):
    from kiosk import cbor

    return cbor.dumps([body, sig])
