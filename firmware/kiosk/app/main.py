"""Build the kiosk from a Board and run its tasks (asyncio).

Tasks: the scan loop, the log's group commit, and the serial server (log pull
and provisioning) when the board has a serial link. `run_forever` is what
main.py calls on hardware: an unexpected exception is recorded and the board
reset, never a REPL prompt on a wall kiosk.
"""

import asyncio
import sys
import time

from kiosk.app import config
from kiosk.app.scanner import Scanner

_SHOW_MS = const(3000)


class App:
    def __init__(self, board, on_verdict=None, font_dir=None):
        self.board = board
        self.root = board.mount_storage()
        self.cfg = config.load(self.root)
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
        from kiosk.records.log import Log

        self.log = Log(self.root + "/log")
        self.server = None
        serial = board.get_serial()
        if serial is not None:
            from kiosk.link.server import Server

            device_id = self.cfg.device.get("device_id") or "unprovisioned"
            self.server = Server(serial, self.log, device_id=device_id.encode())
        self.scanner = Scanner(board.get_source(), board.get_clock(), self.cfg,
                               self.ui, self.feedback, self.log, on_verdict)

    def show_state(self):
        """Idle screen, or the fault that stops the kiosk from working."""
        if self.ui is None:
            return
        if not self.cfg.provisioned:
            self.ui.fault("provision")
        elif self.board.get_clock() is None or self.board.get_clock().now() is None:
            self.ui.fault("clock_unset")
        else:
            self.ui.idle(self.board.get_clock().now())

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
        tasks = [asyncio.create_task(self.log.committer()), asyncio.create_task(self.back_to_idle())]
        if self.server is not None:
            tasks.append(asyncio.create_task(self.server.run()))
        if self.scanner.source is not None:
            await self.scanner.run()
        if serve and self.server is not None:
            await tasks[-1]
        self.log.commit()
        for t in tasks:
            t.cancel()


def run(board, on_verdict=None, serve=False, font_dir=None, on_start=None):
    app = App(board, on_verdict, font_dir)
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
