"""Sealed secrets: the venue secret and the Wi-Fi password on flash.

A dump of the data partition (littlefs) must not give either away. Each
secret is sealed with a per-device key that the board keeps outside that
partition (`board.device_key()`: the ESP32's encrypted NVS behind flash
encryption, the simulator's key file beside its flash image; see
docs/security.md), so the bytes on the data partition are

    b"KSL1" | siv 16 | ciphertext

a synthetic-IV construction (as AES-SIV, with HMAC): siv =
HMAC-SHA256(K_mac, "KSL1" | name | secret)[:16], ciphertext = secret XOR
HMAC-SHA256(K_enc, siv | name | counter) blocks, K_enc and K_mac derived from
the device key by HMAC. Opening decrypts and recomputes the siv, which
authenticates the value; the name ("secret", "wifi") binds it to its use.
The same value seals to the same bytes (a rewrite changes nothing, power-cut
tests compare exact states); all it reveals is whether a secret changed. HMAC-SHA256 is all it needs, so it
runs on every board (no AES module required). Without a device key (a
board that has none) the seal uses a fixed, public key: the bytes are not
in the clear, but that is obfuscation, not protection, and
`protection()` says "none".

Secrets are write-only over the wire: provisioning seals them, only the
kiosk itself opens them (kiosk.config.device), and no request returns them.

    secrets.use_board(board)                  # once, at boot (kiosk.app)
    blob = secrets.seal("secret", value)      # bytes for config/secret.bin
    value = secrets.unseal("secret", blob)    # raises ConfigError("damaged")
"""

from micropython import const

from kiosk.config import ConfigError
from kiosk.crypto import hmac_sha256

MAGIC = b"KSL1"
_SIV = const(16)
_MAX = const(256)
_NO_KEY = b"KSL1 no device key: obfuscation only"

_key = None  # the device key (32 bytes) or None


def use_board(board):
    """Take the board's device key (None when the board has none)."""
    get = getattr(board, "device_key", None)
    use_key(get() if get else None)


def use_key(key):
    global _key
    if key is not None and (not isinstance(key, (bytes, bytearray)) or len(key) < 16):
        raise ConfigError("damaged", "device key must be at least 16 bytes")
    _key = bytes(key) if key is not None else None


def protection():
    """"device_key" when sealed with the board's key, else "none"."""
    return "device_key" if _key is not None else "none"


def _keys():
    k = _key if _key is not None else _NO_KEY
    return hmac_sha256(k, b"KSL1 enc"), hmac_sha256(k, b"KSL1 mac")


def _stream(kenc, nonce, name, data):
    out = bytearray(data)
    for block in range(0, len(out), 32):
        pad = hmac_sha256(kenc, nonce + name + bytes((block // 32,)))
        for i in range(block, min(block + 32, len(out))):
            out[i] ^= pad[i - block]
    return bytes(out)


def seal(name, value):
    """Sealed bytes of `value` (bytes or str) for the use `name`."""
    if isinstance(value, str):
        value = value.encode()
    if len(value) > _MAX:
        raise ConfigError("bad_request", "secret larger than %d bytes" % _MAX)
    n = name.encode()
    kenc, kmac = _keys()
    siv = hmac_sha256(kmac, MAGIC + n + value)[:_SIV]
    return MAGIC + siv + _stream(kenc, siv, n, value)


def unseal(name, blob):
    """The value sealed by seal(name, ...) on this device; raises
    ConfigError("damaged") for anything else (another device's key, a
    changed byte, not sealed)."""
    blob = bytes(blob)
    if len(blob) < 4 + _SIV or blob[:4] != MAGIC:
        raise ConfigError("damaged", "%s is not sealed" % name)
    n = name.encode()
    kenc, kmac = _keys()
    siv = blob[4 : 4 + _SIV]
    value = _stream(kenc, siv, n, blob[4 + _SIV :])
    if hmac_sha256(kmac, MAGIC + n + value)[:_SIV] != siv:
        raise ConfigError("damaged", "%s does not unseal with this device's key" % name)
    return value


def is_sealed(blob):
    return blob is not None and bytes(blob[:4]) == MAGIC
