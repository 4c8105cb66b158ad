"""kiosk.uplink.downlink on the unix port fed the chunks `kioskctl trust publish`
makes (kioskctl.publish.chunks), in order, shuffled and repeated, and hostile
chunks: only a whole blob whose SHA-256 matches is ever handed to the installer,
once; everything else is counted and dropped, and no file from the wire is made."""

import hashlib
import json
import os
import random
import struct

from kioskctl import mp, publish

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE = os.path.join(HERE, "mp_downlink_probe.py")


def run(tmp_path, msgs):
    d = tmp_path / "cfg"
    d.mkdir(exist_ok=True)
    stdin = "".join("%s %s\n" % (t, p.hex()) for t, p in msgs).encode()
    out = mp.run(PROBE, [str(d)], input=stdin, heapsize="1M").stdout.decode()
    return json.loads(out.strip().splitlines()[-1])


def topic(name, i):
    return "fleet/trust/%s/%d" % (name, i)


def test_chunks_reassemble_in_any_order_and_install_once(tmp_path):
    blob = b"KTB1" + os.urandom(5000)
    parts = [(topic("bundle", i), p) for i, p in publish.chunks(blob)]
    shuffled = parts[:]
    random.Random(1).shuffle(shuffled)
    out = run(tmp_path, shuffled + parts)  # and every chunk again (a resubscribe)
    assert out["installs"] == [["trust", hashlib.sha256(blob).hexdigest()]]
    assert out["bad"] == 0 and out["left"] == []


def test_hostile_chunks_install_nothing(tmp_path):
    blob = b"KRV1" + os.urandom(3000)
    good = publish.chunks(blob)
    sha = hashlib.sha256(blob).digest()

    def chunk(size, i, count, data, magic=b"KTC1", h=sha):
        return magic + struct.pack(">IHH", size, i, count) + h + data

    hostile = [
        (topic("revoked", 0), b"KTC1"),                                       # short header
        (topic("revoked", 0), chunk(len(blob), 0, 3, blob[:1024], b"XXXX")),  # bad magic
        (topic("revoked", 0), chunk(1 << 30, 0, 1 << 20 & 0xFFFF, b"x")),     # too large
        (topic("revoked", 9), chunk(len(blob), 9, 3, blob[:1024])),           # index past count
        (topic("revoked", 0), chunk(len(blob), 0, 7, blob[:1024])),           # count does not fit size
        (topic("revoked", 0), chunk(len(blob), 0, 3, blob[:1000])),           # short data
        (topic("../../etc", 0), good[0][1]),                                  # not one of our names
        (topic("bundle/x/../..", 0), good[0][1]),
    ]
    # a whole blob whose hash is not the one its chunks claim
    forged = [(topic("delta", i), p[:12] + hashlib.sha256(b"other").digest() + p[44:]) for i, p in publish.chunks(b"KRD1" + os.urandom(100))]
    out = run(tmp_path, hostile + forged)
    assert out["installs"] == []
    assert out["bad"] == 7  # the last one: its topic index is not its own
    assert out["left"] == []
    # the good chunks after all that still assemble
    out = run(tmp_path, hostile + [(topic("revoked", i), p) for i, p in good])
    assert out["installs"] == [["revoke", sha.hex()]]
