# Print every record of a simulator flash image as JSON (MicroPython).
# micropython read_log.py FLASH_IMAGE
import binascii
import json
import sys

import vfs
from flashdev import FlashDev
from kiosk.records import decode
from kiosk.records.log import Log

vfs.mount(vfs.VfsLfs2(FlashDev(sys.argv[1])), "/flash")
log = Log("/flash/log")
buf = bytearray(32 * 64)
seq = log.oldest_seq()
while True:
    n, seq = log.read_into(seq, buf, 64)
    if not n:
        break
    for i in range(n):
        r = decode(buf[i * 32 : (i + 1) * 32])
        print(json.dumps({"seq": r.seq, "time": r.time, "verdict": r.verdict, "colour": r.colour,
                          "reason": r.reason, "key_index": r.key_index,
                          "pseudonym": binascii.hexlify(r.pseudonym).decode()}))
