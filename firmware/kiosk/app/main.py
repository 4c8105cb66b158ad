"""Build the kiosk from a Board and run its tasks (asyncio).

Tasks: the scan loop, the log's group commit, the return to the idle screen,
and the serial server (log pull and provisioning) when the board has a serial
link. Provisioning changes reload the configuration at once. `run_forever` is
what main.py calls on hardware: an unexpected exception is recorded and the
board reset, never a REPL prompt on a wall kiosk.
"""

import asyncio
import os
import sys
import time

from kiosk.app import config
from kiosk.app.scanner import Scanner

_SHOW_MS = const(3000)
_FAULTS = {"expired": "trust_expired", "grace": "trust_grace"}


class App:
    def __init__(self, board, on_verdict=None, font_dir=None, allow_unsigned=False):
        self.board = board
        self.root = board.mount_storage()
        self.allow_unsigned = allow_unsigned
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
                logs_pending=lambda: self.log.stats()["unacked"], wipe_logs=self.wipe_logs)
            self.prov.changed = self.reload
            self.clock = self.prov.guard
        else:
            from kiosk.provision import atomic
            from kiosk.provision.clock import ClockGuard

            atomic.makedirs(self.root + "/config")
            self.clock = ClockGuard(raw_clock, self.root + "/config")
        from kiosk.crypto import comb

        comb.gtable()  # G's table early, while the heap is still unfragmented
        self.cfg = config.load(self.root, self.clock.now(), allow_unsigned)
        self._name_server()
        self.ui = None
        lcd = board.get_lcd()
        if lcd is not None:
            from kiosk.ui import Ui

            self.ui = Ui(lcd, font_dir or self.root + "/fonts", self.cfg.lang)
        self.feedback = None
        led, buzzer = board.get_led(), board.get_buzzer()
        if led is not None or buzzer is not None:
            from kiosk.ui.feedback import Feedback

            self.feedback = Feedback(led, buzzer)
        self.scanner = Scanner(board.get_source(), self.clock, self.cfg,
                               self.ui, self.feedback, self.log, on_verdict)

    def _name_server(self):
        if self.server is not None:
            self.server.device_id = (self.cfg.device.get("device_id") or "unprovisioned").encode()

    def reload(self, op=None):
        """Re-read the configuration after a provisioning change."""
        from kiosk.crypto import comb

        old = self.cfg
        old.close()
        comb.forget()  # checked-table cache belongs to the old trust store
        self.cfg = config.load(self.root, self.clock.now(), self.allow_unsigned)
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
        """Idle screen, or the fault screen that explains what is wrong."""
        if self.ui is None:
            return
        f = self.fault()
        if f:
            self.ui.fault(f)
        else:
            self.ui.idle(self.clock.now())

    async def back_to_idle(self):
        """A verdict stays on screen for _SHOW_MS, then the idle (or fault) screen returns."""
        while True:
            await asyncio.sleep_ms(250)
            shown = self.scanner.shown_ms
            if shown is not None and time.ticks_diff(time.ticks_ms(), shown) > _SHOW_MS:
                self.scanner.shown_ms = None
                if self.feedback:
                    self.feedback.idle()
                self.show_state()

    async def main(self, serve=False):
        """Run until the source ends; with serve=True keep serving the link afterwards."""
        self.show_state()
        tasks = [asyncio.create_task(self.log.committer()), asyncio.create_task(self.back_to_idle()),
                 asyncio.create_task(self.check_tables())]
        if self.server is not None:
            tasks.append(asyncio.create_task(self.server.run()))
        if self.scanner.source is not None:
            await self.scanner.run()
        if serve and self.server is not None:
            await tasks[-1]
        self.log.commit()
        for t in tasks:
            t.cancel()


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


def run(board, on_verdict=None, serve=False, font_dir=None, on_start=None, allow_unsigned=False):
    app = App(board, on_verdict, font_dir, allow_unsigned)
    if on_start:
        on_start(app)
    try:
        asyncio.run(app.main(serve))
    finally:
        asyncio.new_event_loop()
    return app


def run_forever(board):
    try:
        run(board, serve=True)
    except Exception as exc:  # record and restart: never drop to the REPL
        try:
            with open((board.mount_storage() or "") + "/crash.txt", "a") as f:
                sys.print_exception(exc, f)
        except Exception:
            pass
    board.reset()
