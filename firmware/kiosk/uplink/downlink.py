"""Trust updates over MQTT: signed bundles and revocation lists/deltas, retained
and chunked on fleet/trust/<name>/<index>, reassembled and installed by the
same checks as over USB.

    dl = Downlink(root + "/config", install)      # install(kind, path) -> seq
    dl.on_message(topic, payload)                 # from the uplink, fleet/trust/#

Names and where their chunks are kept (fixed here; nothing from the wire
names a file):
    bundle   dl_bundle.new   operator-signed trust bundle (KTB1)
    revoked  dl_revoked.new  operator-signed revocation list (KRV1)
    delta    dl_delta.new    operator-signed revocation delta (KRD1)
Chunk: b"KTC1" | u32BE size | u16BE index | u16BE count | 32-byte SHA-256 of
the whole blob | data (CHUNK bytes, the last one the rest). A chunk of another
blob (new sha) starts the assembly over; when every chunk is in and the file's
SHA-256 matches, `install("trust" | "revoke", path)` runs the provisioning
code's own verification and transaction (kiosk.provision.handlers.
Provisioner.install_signed: operator signature, sequence above the installed
one, lifetime, atomic commit surviving a power cut). A refused or older blob
changes nothing. Retained messages reach a kiosk that was offline during the
publish as soon as it subscribes. A delta refused before its list arrived is
tried again after the list installs.
"""

import os
import struct

from micropython import const

from kiosk.config import atomic

CHUNK = const(1024)
MAX_BLOB = const(262144)
HEADER = const(44)
MAGIC = b"KTC1"
NAMES = {b"bundle": ("dl_bundle.new", "trust"), b"revoked": ("dl_revoked.new", "revoke"),
         b"delta": ("dl_delta.new", "revoke")}
_PREFIX = b"fleet/trust/"


def chunk_count(size):
    return (size + CHUNK - 1) // CHUNK


class _Blob:
    def __init__(self, sha, size):
        self.sha = sha
        self.size = size
        self.count = chunk_count(size)
        self.got = bytearray((self.count + 7) // 8)
        self.left = self.count


class Downlink:
    def __init__(self, config_dir, install):
        self.dir = config_dir
        self.install = install
        self._asm = {}
        self._done = {}  # name -> sha installed or refused this boot (retained copies come back)
        self._retry = None  # a delta refused before its list: (path, sha)
        self.installed = 0
        self.refused = 0
        self.bad_chunks = 0
        self.last = None  # (name, verdict) of the newest completed blob
        for fname, _ in NAMES.values():
            _remove(self.dir + "/" + fname)  # partial chunks of an earlier boot

    def on_message(self, topic, msg):
        if not topic.startswith(_PREFIX):
            return
        name, _, idx = bytes(topic[len(_PREFIX):]).partition(b"/")
        spec = NAMES.get(name)
        if spec is None or not msg:
            return  # not ours, or a cleared retained topic
        if len(msg) < HEADER or msg[:4] != MAGIC:
            self.bad_chunks += 1
            return
        size, index, count = struct.unpack_from(">IHH", msg, 4)
        sha = bytes(msg[12:44])
        data = memoryview(msg)[HEADER:]
        if not 0 < size <= MAX_BLOB or count != chunk_count(size) or index >= count or idx != b"%d" % index:
            self.bad_chunks += 1
            return
        if len(data) != (CHUNK if index < count - 1 else size - CHUNK * (count - 1)):
            self.bad_chunks += 1
            return
        if self._done.get(name) == sha:
            return
        path = self.dir + "/" + spec[0]
        blob = self._asm.get(name)
        if blob is None or blob.sha != sha or blob.size != size:
            blob = self._asm[name] = _Blob(sha, size)
            _remove(path)
        if blob.got[index >> 3] & (1 << (index & 7)):
            return
        try:
            with open(path, "r+b" if atomic.exists(path) else "w+b") as f:
                f.seek(index * CHUNK)
                f.write(data)
        except OSError:
            self._asm.pop(name, None)
            return
        blob.got[index >> 3] |= 1 << (index & 7)
        blob.left -= 1
        if not blob.left:
            del self._asm[name]
            self._complete(name, spec[1], path, sha)

    def _complete(self, name, kind, path, sha):
        self._done[name] = sha
        if atomic.sha256_file(path) != sha:
            self.refused += 1
            self.last = (name.decode(), "hash_mismatch")
            _remove(path)
            return
        if name == b"delta":
            keep = self.dir + "/dl_delta.keep"
            _remove(keep)
            os.rename(path, keep)  # the install moves or removes what it is given
            path = keep
            try:
                self._install(name, kind, _copy(keep, self.dir + "/" + NAMES[name][0]))
                _remove(keep)
            except Exception:  # noqa: BLE001 - kept for one retry after a full list
                self._retry = keep
            return
        if self._install(name, kind, path) and name == b"revoked" and self._retry:
            retry, self._retry = self._retry, None
            try:
                self._install(b"delta", "revoke", _copy(retry, self.dir + "/" + NAMES[b"delta"][0]))
            except Exception:  # noqa: BLE001
                pass
            _remove(retry)

    def _install(self, name, kind, path):
        try:
            seq = self.install(kind, path)
        except Exception as exc:  # noqa: BLE001 - refused: the old state stands
            self.refused += 1
            self.last = (name.decode(), getattr(exc, "code", None) or repr(exc))
            _remove(path)
            if name == b"delta":
                raise
            return False
        self.installed += 1
        self.last = (name.decode(), "installed seq %s" % seq)
        return True



def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _copy(src, dst):
    buf = bytearray(1024)
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        while True:
            n = fi.readinto(buf)
            if not n:
                break
            fo.write(memoryview(buf)[:n])
    return dst

