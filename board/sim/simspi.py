"""Simulated SPI bus: delivers bytes to the devices whose CS is low.

Each attached device gets `rx(data, dc)` with the level of its DC pin. The
bus models transfer time at its clock rate (8 bits per byte plus a fixed
set-up cost per `write`), so display timing can be reported as it would be
on the real bus, and it counts the host time spent simulating, so callers
can subtract it. With `record=True` it keeps the transfer log as a list of
[dc, bytearray] runs for exact byte checks.
"""

import time
from micropython import const

_MAX_LOG = const(1 << 20)


class SimSpi:
    def __init__(self, baudrate=40_000_000, setup_us=2, record=False):
        if baudrate <= 0:
            raise ValueError("baudrate must be positive")
        self.baudrate = baudrate
        self.setup_us = setup_us
        self.devices = []
        self.record = record
        self.log = []
        self._logged = 0
        self.reset_counters()

    def reset_counters(self):
        self.bytes = 0
        self.writes = 0
        self.host_us = 0

    def bus_us(self):
        """Modelled time on the wire for the bytes sent since the last reset."""
        return self.bytes * 8_000_000 // self.baudrate + self.writes * self.setup_us

    def attach(self, device, cs=None, dc=None):
        self.devices.append((device, cs, dc))

    def init(self, baudrate=None, **kw):
        if baudrate:
            self.baudrate = baudrate

    def write(self, buf):
        t0 = time.ticks_us()
        n = len(buf)
        self.bytes += n
        self.writes += 1
        logged = not self.record
        for dev, cs, dc in self.devices:
            if cs is not None and cs.value():
                continue
            lvl = dc.value() if dc is not None else 1
            if not logged and self._logged + n <= _MAX_LOG:
                logged = True
                self._logged += n
                if self.log and self.log[-1][0] == lvl:
                    self.log[-1][1].extend(buf)
                else:
                    self.log.append([lvl, bytearray(buf)])
            dev.rx(buf, lvl)
        self.host_us += time.ticks_diff(time.ticks_us(), t0)

    def read(self, n, write=0):
        return bytes([write]) * n
