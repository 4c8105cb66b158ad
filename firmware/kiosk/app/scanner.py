"""The scan loop: source -> payload -> verdict -> screen, light, sound -> record.

The verdict reaches the screen before the record is written; the log's group
commit makes the record durable within a second (kiosk.records.log).

A frame source that fails (a frame too large to allocate, MemoryError; a
camera or file error, OSError; a bad image) is a camera fault: the fault
screen, a count in `source_errors`, a pause that grows while it keeps
failing, and the loop goes on. It never ends the app, whose serial link
keeps serving.
"""

import time

import asyncio

from kiosk import verify
from kiosk.policy import verdict as V
from kiosk.trust.bundle import EXPIRED

_REPEAT_MS = const(3000)  # the same code held in front of the camera counts once
_SOURCE_PAUSE_MS = const(200)  # after a source failure; doubles up to _SOURCE_PAUSE_MAX_MS
_SOURCE_PAUSE_MAX_MS = const(3200)


class Scanner:
    def __init__(self, source, clock, cfg, ui=None, feedback=None, log=None, on_verdict=None):
        self.source = source
        self.clock = clock
        self.cfg = cfg
        self.ui = ui
        self.feedback = feedback
        self.log = log
        self.on_verdict = on_verdict
        self.reuse = None  # kiosk.app.reuse.Memory: one code admits one person per window
        self.tz = 8 * 3600  # local day for the idle screen's counts
        self._today = [None, 0, 0]  # [local day, admitted, refused]: aggregates only
        self.thermometer = None  # the board's, when it has one: read() -> degrees C or None
        self.scans = 0
        self.errors = 0  # scans lost to an unexpected error (see last_error)
        self.record_errors = 0  # verdicts shown but not recorded (flash failing)
        self.last_error = None
        self.decode_faults = 0  # frames the decoder gave up on (out of memory): not "no code"
        self.decode_fault = None  # the last frame's fault, cleared by a frame decoded in full
        self.source_errors = 0  # frames the source could not deliver (see last_source_error)
        self.last_source_error = None
        self._burst_fault = None
        self.shown_ms = None
        self._last = None
        self._last_ms = 0

    def _decode(self, frame):
        from kiosk import qr

        buf, w, h = frame
        found = [s.data for s in qr.decode(buf, w, h)]
        fault = qr.fault()
        if fault:
            self.decode_faults += 1
            if self.ui and not self.decode_fault:
                self.ui.fault("decoder_" + fault)  # until the next verdict or idle screen
        self.decode_fault = fault
        return found

    def handle(self, payload, info=None, decode_ms=0, fault=None):
        """Decide, show and record one scan; returns the Verdict. `fault`: why
        no payload was read when it is not the frame's fault (out of memory)."""
        t0 = time.ticks_ms()
        now = self.clock.now() if self.clock else None
        cfg = self.cfg
        trust = cfg.trust_state(now)
        if payload is None:
            v = V.reject("unreadable", "decoder: " + fault if fault else None)
        elif cfg.damaged or not cfg.provisioned:
            return self._not_set_up(info)
        elif trust == EXPIRED:
            v = V.reject("unknown_issuer", "trust list expired past its grace period")
        else:
            v = verify.check(payload, cfg.trust, cfg.policy, now, cfg.revoked, self._temperature())
            if v.admit:
                self._reuse(v, payload, now)
        if now is not None and hasattr(self.clock, "seen"):
            self.clock.seen(now)
        decided = time.ticks_ms()
        if self.ui:
            self.ui.verdict(v, now)
        if self.feedback:  # LED now, sound in the background: the loop keeps scanning
            asyncio.create_task(self.feedback.asignal(v))
        shown = self.shown_ms = time.ticks_ms()
        seq = None
        if self.log is not None:
            from kiosk.records import make_record

            try:
                seq = self.log.append(make_record(v, now, self.cfg.secret or b""))
            except Exception as exc:  # failing flash: the door keeps working, the fault screen says so
                self.record_errors += 1
                self.last_error = exc
        self.scans += 1
        if v.reason != "unreadable":
            self.count(v.admit, now)
        if self.on_verdict:
            self.on_verdict(v, {
                "scan": self.scans, "source": info, "seq": seq, "decode_ms": decode_ms,
                "trust": trust, "decode_fault": fault,
                "decide_ms": time.ticks_diff(decided, t0), "show_ms": time.ticks_diff(shown, decided),
            })
        return v

    def count(self, admit, now):
        """Add one judged scan to today's counts (the idle screen's)."""
        if not now:
            return
        day = (now + self.tz) // 86400
        t = self._today
        if t[0] != day:
            t[0], t[1], t[2] = day, 0, 0
        t[1 if admit else 2] += 1

    def counts(self, now):
        """(admitted, refused) today, or None while the clock is unset."""
        t = self._today
        if not now:
            return None
        return (t[1], t[2]) if t[0] == (now + self.tz) // 86400 else (0, 0)

    def _reuse(self, v, payload, now):
        """A code that admitted someone here within the window: refused
        (`already_used`) or, with policy reuse "warn", admitted and marked."""
        mem = self.reuse
        mode = self.cfg.policy.reuse
        if mem is None or mode == "off" or now is None:
            return
        from kiosk.app.reuse import key

        now = int(now)  # a board's RTC may give float seconds
        mem.window_s = self.cfg.policy.reuse_s
        h = key(self.cfg.secret, v, payload)
        t = mem.seen(h, now)
        if t is None:
            mem.note(h, now)
            return
        v.used_at = t
        if mode == "refuse":
            v.admit = False
            v.reason = "already_used"

    def _not_set_up(self, info):
        """No trust store or no venue secret (or damaged): the fault screen,
        no judgement of the person, nothing recorded."""
        code = "config" if self.cfg.damaged else "provision"
        v = V.Verdict(V.FAULT, code)
        v.detail = "kiosk configuration damaged" if self.cfg.damaged else "kiosk not set up"
        if self.ui:
            self.ui.fault(code)
        if self.feedback:
            self.feedback.fault()
        self.shown_ms = time.ticks_ms()
        self.scans += 1
        if self.on_verdict:
            self.on_verdict(v, {"scan": self.scans, "source": info, "seq": None, "fault": code})
        return v

    def _temperature(self):
        t = self.thermometer
        if t is None:
            return None
        try:
            c = t.read()
            return float(c) if c is not None else None
        except Exception:  # noqa: BLE001 - a failed sensor reads as "no reading"
            return None

    def _is_repeat(self, payload):
        now = time.ticks_ms()
        repeat = payload == self._last and time.ticks_diff(now, self._last_ms) < _REPEAT_MS
        self._last, self._last_ms = payload, now
        return repeat

    def _process(self, item, bursts):
        """One item from the source: a frame, a scanner line or a camera error."""
        kind, data = item
        info = getattr(self.source, "current", None)
        if kind == "error":
            if self.ui:
                self.ui.fault("camera", data)
            if bursts:
                self.handle(None, info)
            return
        t0 = time.ticks_ms()
        payloads = [data] if kind == "payload" else self._decode(data)
        decode_ms = time.ticks_diff(time.ticks_ms(), t0)
        if kind == "frame":
            self._burst_fault = self._burst_fault or self.decode_fault
        if bursts:  # the simulator: one scan per burst of frames or scanner line
            fault = self._burst_fault
            if payloads:
                self.source.skip_burst()
                self._burst_fault = None
            elif self.source.burst_end:
                self._burst_fault = None
                self.handle(None, info, decode_ms, fault)
        for p in payloads:
            if bursts or not self._is_repeat(p):
                self.handle(p, info, decode_ms)

    async def run(self):
        """Scan until a finite source ends (the simulator); forever on hardware."""
        bursts = getattr(self.source, "bursts", False)
        pause = 0
        while True:
            try:
                item = await self.source.read()
            except Exception as exc:  # noqa: BLE001 - MemoryError, OSError, a bad frame: never an exit
                item = self._source_failed(exc)
                pause = min(pause * 2, _SOURCE_PAUSE_MAX_MS) if pause else _SOURCE_PAUSE_MS
            else:
                pause = 0
            if item is None:
                return
            try:
                self._process(item, bursts)
            except Exception as exc:  # one bad scan must not stop the door
                self.errors += 1
                self.last_error = exc
            await asyncio.sleep_ms(pause)

    def _source_failed(self, exc):
        """A camera error item for a source exception (counted; heap freed)."""
        import gc

        gc.collect()  # a failed allocation may have left the heap fragmented
        self.source_errors += 1
        self.last_source_error = exc
        return ("error", "camera: %s" % (repr(exc)[:60]))
