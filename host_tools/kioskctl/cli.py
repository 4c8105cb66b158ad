"""kioskctl command line: a table of sub-command modules.

Each module in COMMANDS has `register(subparsers)`, which adds its parser and
sets `func=handler` (handler(args) -> int). Heavy imports stay inside the
handlers so `kioskctl --help` is fast.
"""

import argparse
import importlib
import os
import sys

from kioskctl import __version__
from kioskctl.errors import KioskError


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line on stderr (exit 2)."""

    def error(self, message):
        self.exit(2, "kioskctl: error: %s (see `%s --help`)\n" % (message, self.prog))

COMMANDS = [
    "kioskctl.cmd_keys",
    "kioskctl.cmd_mint",
    "kioskctl.cmd_trust",
    "kioskctl.cmd_sim",
    "kioskctl.cmd_fonts",
    "kioskctl.cmd_pull",
    "kioskctl.cmd_report",
    "kioskctl.cmd_collect",
    "kioskctl.cmd_provision",
    "kioskctl.cmd_qemu",
    "kioskctl.cmd_flash",
    "kioskctl.cmd_broker",
]


def build_parser():
    parser = Parser(
        prog="kioskctl",
        description="Host tools for health-code scan kiosks: keys, test tokens, trust, provisioning, "
        "log pull, reports and the simulator.")
    parser.add_argument("--version", action="version", version="kioskctl " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KioskError as exc:
        print("kioskctl: error: %s" % exc, file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("kioskctl: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last net: never a traceback for the user
        if os.environ.get("KIOSKCTL_DEBUG"):
            raise
        print("kioskctl: error: unexpected %s: %s (a bug in kioskctl; KIOSKCTL_DEBUG=1 shows where)" % (
            type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""), file=sys.stderr)
        return 1
