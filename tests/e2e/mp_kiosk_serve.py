# A minimal kiosk for the pull tests and bench (MicroPython): a file-backed
# littlefs flash image, the scan log and the serial protocol server on a pty.
#   micropython mp_kiosk_serve.py FLASH_IMAGE BLOCKS SERIAL_PATH SCANS [RATE_HZ [ACK_PUB_HEX]]
# ACK_PUB_HEX: the 65-byte public key (hex) that may acknowledge records
# (the admin key a provisioned kiosk would hold); none: nothing can be.
# Appends SCANS records (RATE_HZ per second, 0 = all at once) as verdicts of
# fake scans, then keeps serving until killed. Prints READY when serving and
# SCANNED <n> <durable_seq> when every scan is durable.
import os
import sys
import time
from binascii import unhexlify

import vfs
from flashdev import FlashDev
from kiosk.link.server import Server
from kiosk.records import make_record
from kiosk.records.log import Log
from mp_verdicts import Verdict
from serialport import SerialPort


def main():
    image, blocks, port, scans = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 0
    ack_keys = [unhexlify(sys.argv[6])] if len(sys.argv) > 6 else []
    try:
        new = os.stat(image)[6] == 0
    except OSError:
        new = True
    dev = FlashDev(image, 4096, blocks)
    if new:  # format only an image we just created, never on a mount error
        vfs.VfsLfs2.mkfs(dev)
    vfs.mount(vfs.VfsLfs2(dev), "/flash")
    log = Log("/flash/log")
    srv = Server(SerialPort(port), log, device_id=b"sim-kiosk")
    srv.ack_keys = lambda: ack_keys
    print("READY", log.durable_seq)
    done = 0
    t0 = time.ticks_ms()
    period = int(1000 / rate) if rate else 0
    reported = False
    while True:
        now = time.ticks_ms()
        while done < scans and (not period or time.ticks_diff(now, t0) >= done * period):
            log.append(make_record(Verdict(done), 1790000000 + done, b"venue-secret-TEST"))
            done += 1
            if not period and done % 4096 == 0:
                srv.poll()
        log.tick(now)
        if done >= scans and not log.pending and not reported:
            print("SCANNED", done, log.durable_seq)
            reported = True
        if not srv.poll(8):
            srv.stream.poll(5)
            if srv.stream.hung_up:
                print("HANGUP")
                return


main()
