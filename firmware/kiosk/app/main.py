"""Build the kiosk from a Board and run its tasks (asyncio).

Tasks: the scan loop, the log's group commit, the return to the idle screen,
and the serial server (log pull and provisioning) when the board has a serial
link. Provisioning changes reload the configuration at once. The app owns the
objects a provisioning change may replace (`self.log`, `self.cfg`): its tasks
read them from the app at every step, never keep an old one. A task that
fails is restarted after a pause (counted in `task_errors`), and one asyncio
exception handler records what escapes. `run_forever` is what main.py calls
on hardware: the watchdog is fed only while the scan loop and the link make
progress (kiosk.app.watchdog); an unexpected exception goes into the crash
ring (kiosk.app.crashlog) and the board is reset, never a REPL prompt on a
wall kiosk; after _SAFE_AFTER crashes in a row the kiosk stays up in safe
mode (fault screen, serial link open) instead of a reset loop.
"""

import asyncio
import os
import time

from kiosk.app.scanner import Scanner
from kiosk.config import device
from kiosk.trust import bundle as _bundle

_SHOW_MS = const(3000)
_COMMIT_MS = const(100)
_RETRY_MS = const(1000)
_COUNT_BACK = const(4096)  # records read at boot for today's counts
_SAFE_AFTER = const(3)  # crashes in a row (no stable run between) before safe mode
_SAFE_POLL_MS = const(10)
_RESUME_MS = const(200)  # after a signed resume: the reply leaves before the reset
_SAFE_TAG = " safe-mode"  # appended to the firmware string in HELLO while in safe mode
_ROM_FONTS = "/rom/fonts"  # the ROMFS image's font folder (kioskctl flash --romfs)
_FAULTS = {_bundle.EXPIRED: "trust_expired", _bundle.GRACE: "trust_grace"}


class App:
    def __init__(self, board, on_verdict=None, font_dir=None, allow_unsigned=False):
        self.board = board
        self.supervisor = None  # kiosk.app.watchdog.Supervisor when run_forever guards the app
        self.root = board.mount_storage()
        self.allow_unsigned = allow_unsigned
        from kiosk.config import secrets

        secrets.use_board(board)  # the key that seals the venue secret and Wi-Fi password
        from kiosk.records.log import Log

        self.log = Log(self.root + "/log")
        self.server = None
        self.prov = None
        raw_clock = board.get_clock()
        serial = board.get_serial()
        if serial is not None:
            from kiosk.link.server import Server
            from kiosk import provision

            self.server = Server(serial, self.log)
            self.prov = provision.register(
                self.server, self.root, clock=raw_clock, presence=board.maintenance,
                logs_pending=lambda: self.log.unpulled(), wipe_logs=self.wipe_logs)
            self.prov.changed = self.reload
            self.clock = self.prov.guard
        else:
            from kiosk.config import atomic
            from kiosk.config.clock import ClockGuard

            atomic.makedirs(self.root + "/config")
            self.clock = ClockGuard(raw_clock, self.root + "/config")
        self._restore_floor()
        from kiosk.crypto import comb

        comb.gtable()  # G's table early, while the heap is still unfragmented
        self.cfg = device.load(self.root, self.clock.now(), allow_unsigned)
        self.task_errors = 0
        self.last_task_error = None
        self._fault_shown = None
        self._name_server()
        self.ui = None
        lcd = board.get_lcd()
        if lcd is not None:
            from kiosk.ui import Ui

            self.ui = Ui(lcd, font_dir or fonts_dir(self.root), self.cfg.lang)  # lang checked by kiosk.config
        self.feedback = None
        led, buzzer = board.get_led(), board.get_buzzer()
        if led is not None or buzzer is not None:
            from kiosk.ui.feedback import Feedback

            self.feedback = Feedback(led, buzzer)
        self.uplink = None
        try:
            from kiosk import uplink

            self.uplink = uplink.from_app(self)
        except Exception as exc:  # noqa: BLE001 - a bad broker.json: scanning goes on without the uplink
            self.cfg.problems.append("uplink: %r" % (exc,))
        if self.uplink is not None and self.prov is not None:
            self.prov.uplink_line = self.uplink.line
        self.scanner = Scanner(board.get_source(), self.clock, self.cfg,
                               self.ui, self.feedback, self.log, on_verdict)
        from kiosk.app.reuse import Memory

        self.scanner.reuse = Memory(self.root + "/reuse", 512, self.cfg.policy.reuse_s)
        if self.uplink is not None:  # the venue's kiosks share what they admitted (venue/<venue>/used)
            mem = self.scanner.reuse
            mem.on_note = self.uplink.share_used
            self.uplink.on_used = lambda h, t: mem.merge_remote(h, t, self.clock.now())
        self._restore_counts()
        get_thermometer = getattr(board, "get_thermometer", None)
        self.scanner.thermometer = get_thermometer() if get_thermometer else None

    def _restore_floor(self):
        """The clock floor from the newest scan record: the log survives a
        lost RTC, and clock.json may lag the last scans by up to persist_s."""
        try:
            t = 0
            for r in self.log.records(self.log.durable_seq):
                t = max(t, r.time)
            self.clock.raise_floor(t)
        except Exception:  # noqa: BLE001 - a damaged log or full flash: the saved floor stands
            pass

    def _restore_counts(self):
        """Today's counts for the idle screen from the newest records (not yet
        pulled), so a reboot does not zero them."""
        try:
            for r in self.log.records(max(0, self.log.durable_seq - _COUNT_BACK)):
                if r.reason != "unreadable":
                    self.scanner.count(r.admit, r.time)
        except Exception:  # noqa: BLE001 - a damaged log: the counts start again
            pass

    def _name_server(self):
        if self.server is not None:
            self.server.device_id = (self.cfg.device_id or "unprovisioned").encode()

    def reload(self, op=None):
        """Re-read the configuration after a provisioning change."""
        from kiosk.crypto import comb

        old = self.cfg
        old.close()
        comb.forget()  # checked-table cache belongs to the old trust store
        self.cfg = device.load(self.root, self.clock.now(), self.allow_unsigned)
        self.scanner.cfg = self.cfg
        self._name_server()
        if self.ui is not None:
            self.ui.set_lang(self.cfg.lang)
        self.show_state()

    async def check_tables(self):
        """Check every issuer key's comb table now, one key per turn of the
        loop, so the first scan after boot (or after a new trust store) is as
        fast as the hundredth (a table is checked once, on first use)."""
        checked = None
        while True:
            trust = self.cfg.trust
            if trust is not None and trust is not checked:
                for key in trust.keys:
                    if self.cfg.trust is not trust:
                        break  # replaced meanwhile: start over with the new one
                    key.table()
                    await asyncio.sleep_ms(0)
                else:
                    checked = trust
            await asyncio.sleep_ms(500)

    def wipe_logs(self):
        """Erase the scan log (provisioning reset, after pull or explicit abandon).
        `meta` goes last: a power cut half way leaves a consistent, shorter log."""
        self.log.close()
        path = self.root + "/log"
        _remove_tree(path, last="meta")
        from kiosk.records.log import Log

        self.log = Log(path)
        self.scanner.log = self.log
        if self.server is not None:
            self.server.log = self.log

    def fault(self):
        """The fault that stops (or warns about) judging codes, or None."""
        now = self.clock.now()
        if self.cfg.damaged:
            return "config"  # a stored value failed its check: nothing is judged on a guess
        if not self.cfg.provisioned:
            return "provision"
        if now is None:
            return "clock_unset"
        if self.log.stats().get("full"):
            return "log_full"
        if self.scanner.record_errors:
            return "log_error"  # verdicts shown but not recorded: the flash is failing
        if self.scanner.decode_fault:
            return "decoder_" + self.scanner.decode_fault  # frames not read in full: not "no code"
        return _FAULTS.get(self.cfg.trust_state(now))

    def show_state(self):
        """Idle screen, or the fault screen that explains what is wrong (and
        the fault LED; the fault sound when the fault is new)."""
        f = self.fault()
        if self.feedback:
            if f:
                self.feedback.fault(sound=f != self._fault_shown)
            else:
                self.feedback.idle()
        self._fault_shown = f
        if self.ui is None:
            return
        if f:
            detail = self.cfg.damaged[0][0] if f == "config" else None
            self.ui.fault(f, detail)
        else:
            now = self.clock.now()
            up = getattr(self, "uplink", None)
            self.ui.idle(now, counts=self.scanner.counts(now), status=up.line() if up else None)

    def idle_due(self, now_ms):
        """One step of the return to idle: True when the verdict's time is up
        and the idle (or fault) screen was shown again."""
        shown = self.scanner.shown_ms
        if shown is None or time.ticks_diff(now_ms, shown) <= _SHOW_MS:
            return False
        self.scanner.shown_ms = None
        self.show_state()
        return True

    async def back_to_idle(self):
        """A verdict stays on screen for _SHOW_MS, then the idle (or fault) screen returns."""
        while True:
            await asyncio.sleep_ms(250)
            self.idle_due(time.ticks_ms())

    async def committer(self):
        """Group commit of the app's current log (a reset replaces it)."""
        while True:
            self.log.tick()
            self.scanner.reuse.flush(self.clock.now())
            await asyncio.sleep_ms(_COMMIT_MS)

    async def _keep(self, make):
        """Run the task `make()` builds; when it fails, count it and start it again."""
        while True:
            try:
                await make()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - e.g. a flash error in a commit
                self.task_errors += 1
                self.last_task_error = exc
                await asyncio.sleep_ms(_RETRY_MS)

    def _on_loop_error(self, loop, context):
        """The one asyncio exception handler: what escapes a task is counted, not lost."""
        self.task_errors += 1
        self.last_task_error = context.get("exception") or context.get("message")

    def start_tasks(self):
        """Start the background tasks (inside a running loop); returns them,
        the serial server last."""
        asyncio.get_event_loop().set_exception_handler(self._on_loop_error)
        tasks = [asyncio.create_task(self._keep(self.committer)),
                 asyncio.create_task(self._keep(self.back_to_idle)),
                 asyncio.create_task(self.check_tables())]
        if self.uplink is not None:
            tasks.append(asyncio.create_task(self._keep(self.uplink.run)))
        sup = self.supervisor
        if sup is not None:
            from kiosk.app.watchdog import Watched

            if self.scanner.source is not None and not isinstance(self.scanner.source, Watched):
                self.scanner.source = Watched(self.scanner.source, sup)
            tasks.append(asyncio.create_task(sup.run()))
        if self.server is not None:
            tasks.append(asyncio.create_task(self._keep(self._serve)))
        return tasks

    async def _serve(self):
        """The serial server; under a supervisor each turn is the link's heartbeat."""
        sup = self.supervisor
        if sup is None:
            return await self.server.run()
        sup.watch("link")
        while True:
            busy = self.server.poll()
            sup.beat("link")
            await asyncio.sleep_ms(0 if busy else 10)

    async def main(self, serve=False):
        """Run until the source ends; with serve=True keep serving the link
        (or, without one, the uplink) afterwards."""
        self.show_state()
        tasks = self.start_tasks()
        if self.scanner.source is not None:
            await self.scanner.run()
        if serve and self.server is not None:
            await tasks[-1]
        elif serve and self.uplink is not None:  # no serial link: keep uplinking what was scanned
            await tasks[3]
        self.log.commit()
        self.scanner.reuse.flush(force=True)
        for t in tasks:
            t.cancel()


def fonts_dir(root):
    """Where the CJK font is: /rom/fonts when the ROMFS image carries it
    (`kioskctl flash --romfs`), else the filesystem's /fonts."""
    try:
        os.stat(_ROM_FONTS + "/kiosk.fnt")
        return _ROM_FONTS
    except OSError:
        return root + "/fonts"


def _remove_tree(path, last=None):
    """Delete everything under path (files and folders), `last` at the end."""
    names = [n for n in os.listdir(path) if n != last]
    if last in os.listdir(path):
        names.append(last)
    for name in names:
        p = path + "/" + name
        if os.stat(p)[0] & 0x4000:  # a directory
            _remove_tree(p)
            os.rmdir(p)
        else:
            os.remove(p)


def run(board, on_verdict=None, serve=False, font_dir=None, on_start=None, allow_unsigned=False, supervisor=None):
    app = App(board, on_verdict, font_dir, allow_unsigned)
    app.supervisor = supervisor
    if on_start:
        on_start(app)
    try:
        asyncio.run(app.main(serve))
    finally:
        asyncio.new_event_loop()
    return app


def run_forever(board, safe_rounds=None):
    """What main.py runs: the app under the watchdog; a crash is recorded in
    the ring and the board reset; after _SAFE_AFTER crashes in a row, safe
    mode. A power-on reset (someone unplugged the kiosk) clears the streak:
    it is the technician's retry. safe_rounds bounds safe mode (tests)."""
    from kiosk.app import crashlog, watchdog

    ring = None
    try:
        ring = crashlog.CrashLog(board.mount_storage() or "")
        cause = board.reset_cause()
        if cause == "watchdog":
            ring.record("watchdog reset: the scan loop or the link stopped making progress")
        elif cause == "power":
            ring.stable()
    except Exception:  # noqa: BLE001 - no flash for the ring: still never a REPL
        pass
    if ring is not None and ring.streak >= _SAFE_AFTER:
        safe_mode(board, ring, safe_rounds)
        return
    # started before the app is built: a boot that hangs resets too (and counts as a crash)
    sup = watchdog.Supervisor(board.get_watchdog(watchdog.TIMEOUT_MS), on_stable=ring.stable if ring else None)
    try:
        run(board, serve=True, supervisor=sup)
    except Exception as exc:  # record and restart: never drop to the REPL
        try:
            ring.record(crashlog.exception_text(exc))
        except Exception:  # noqa: BLE001
            pass
    board.reset()


def safe_mode(board, ring, rounds=None):
    """No scanning: the fault screen names the last crash, the LED shows the
    fault, and the serial link stays open for the technician with the normal
    authorised protocol (HELLO, STATS, log pull, signed ACK, provisioning:
    info, setup, signed trust/revocation pushes and settings; the firmware
    string says "safe-mode", info names the last crash). An admin-signed
    `resume` command clears the crash streak and restarts the kiosk (so does
    a power cycle). The watchdog is fed by this loop. Each part is tried on
    its own, so a broken LCD, log or configuration still leaves the rest."""
    from kiosk.app import crashlog, watchdog

    root = board.mount_storage() or ""
    last = ring.last()
    try:
        lcd = board.get_lcd()
        if lcd is not None:
            from kiosk.ui import Ui

            Ui(lcd, fonts_dir(root), "en").fault("safe_mode", last)
    except Exception:  # noqa: BLE001
        pass
    try:
        led = board.get_led()
        if led is not None:
            led.show("BLUE")
    except Exception:  # noqa: BLE001
        pass
    server = None
    resumed = []

    def resume():
        ring.stable()  # committed with the command: the next start is a normal one
        resumed.append(True)

    try:
        serial = board.get_serial()
        if serial is not None:
            from kiosk.link.server import Server
            from kiosk.records.log import Log

            server = Server(serial, Log(root + "/log"), device_id=b"unprovisioned")
            server.firmware += _SAFE_TAG
            _safe_provisioning(board, server, root, last, resume)
    except Exception as exc:  # noqa: BLE001 - no link (or log pull only): the fault screen still says why
        try:
            ring.record("safe mode: " + crashlog.exception_text(exc))
        except Exception:  # noqa: BLE001
            pass
    wdt = board.get_watchdog(watchdog.TIMEOUT_MS)
    n = 0
    while rounds is None or n < rounds:
        try:
            busy = server.poll() if server is not None else False
        except Exception:  # noqa: BLE001 - one bad request must not end safe mode
            busy = False
        if wdt is not None:
            wdt.feed()
        if resumed:  # answered; give the reply time to leave, then a fresh start
            time.sleep_ms(_RESUME_MS)
            board.reset()
            return
        if not busy:
            time.sleep_ms(_SAFE_POLL_MS)
        n += 1


def _safe_provisioning(board, server, root, last, resume):
    """The provisioning handlers on the safe-mode link, with the same rules as
    in normal running (kiosk.provision); `resume` runs after a signed resume."""
    from kiosk import provision
    from kiosk.config import secrets
    from kiosk.records.log import Log

    secrets.use_board(board)  # secrets set here are sealed as the app seals them

    def wipe_logs():
        server.log.close()
        _remove_tree(root + "/log", last="meta")
        server.log = Log(root + "/log")

    def name(op=None):
        server.device_id = (prov.state.device_id or "unprovisioned").encode()

    prov = provision.register(server, root, clock=board.get_clock(), presence=board.maintenance,
                              logs_pending=lambda: server.log.unpulled(), wipe_logs=wipe_logs)
    prov.safe_mode = last or "unknown"
    prov.on_resume = resume
    prov.changed = name
    name()
