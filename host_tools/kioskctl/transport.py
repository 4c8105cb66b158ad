"""Serial transport to a kiosk: find it by USB id, open the port.

    path = find_port()               # the one kiosk on USB, or a clear error
    port = open_port(path, 115200)   # a pyserial Serial (read/write/timeout)

Library layer: the cmd_* modules call this; nothing here prints to stdout.
"""

import time

from kioskctl.errors import DeviceError, UsageError

# USB vendor/product ids of boards that run the kiosk firmware.
KNOWN_USB = {(0x303A, None), (0xF055, 0x9800)}  # Espressif (any), MicroPython


def find_port():
    from serial.tools import list_ports

    found = []
    for p in list_ports.comports():
        desc = ("%s %s" % (p.description or "", p.product or "")).lower()
        if (p.vid, p.pid) in KNOWN_USB or (p.vid, None) in KNOWN_USB or "kiosk" in desc or "micropython" in desc:
            found.append(p.device)
    if not found:
        raise DeviceError("no kiosk found on USB; plug it in or pass --port (the simulator prints its pty)")
    if len(found) > 1:
        raise UsageError("several possible kiosks (%s): choose one with --port" % ", ".join(found))
    return found[0]


def open_port(path, baud=115200, wait=0.0):
    import serial

    deadline = time.monotonic() + wait
    while True:
        try:
            return serial.Serial(path, baud, timeout=0.05, write_timeout=10)
        except (serial.SerialException, OSError) as exc:
            if time.monotonic() >= deadline:
                raise DeviceError("cannot open %s: %s" % (path, exc))
            time.sleep(0.2)
