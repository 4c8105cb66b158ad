"""kiosk.cbor for the token layers: the same codec, errors as TokenError("malformed").

The codec itself lives in kiosk.cbor (trust files and provisioning use it too).
"""

from kiosk import cbor as _cbor
from kiosk.cbor import UNDEFINED, CBORError, Simple, Tag  # noqa: F401


def loads(data, *args, **kw):
    try:
        return _cbor.loads(data, *args, **kw)
    except CBORError as exc:
        from kiosk.token import TokenError

        raise TokenError("malformed", "cbor: %s" % exc)


def dumps(value):
    try:
        return _cbor.dumps(value)
    except CBORError as exc:
        from kiosk.token import TokenError

        raise TokenError("malformed", "cbor: %s" % exc)
