# kiosk.uplink.downlink on the unix port (MicroPython), for tests/e2e/test_uplink_downlink.py.
#   micropython mp_downlink_probe.py DIR < messages (lines: TOPIC HEX_PAYLOAD)
# Feeds every message to a Downlink over DIR; install(kind, path) records what it was
# given (kind, SHA-256 of the file) and removes the file, as the provisioner does.
# Prints one JSON line: installs, bad_chunks, files left in DIR.
import hashlib
import json
import os
import sys
from binascii import hexlify, unhexlify

from kiosk.uplink.downlink import Downlink

d = sys.argv[1]
got = []


def install(kind, path):
    with open(path, "rb") as f:
        got.append([kind, hexlify(hashlib.sha256(f.read()).digest()).decode()])
    os.remove(path)
    return len(got)


dl = Downlink(d, install)
for line in sys.stdin:
    topic, _, payload = line.strip().partition(" ")
    dl.on_message(topic.encode(), unhexlify(payload))
print(json.dumps({"installs": got, "bad": dl.bad_chunks, "left": sorted(os.listdir(d))}))
