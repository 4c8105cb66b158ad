"""kioskctl command line: a table of sub-command modules.

Each module in COMMANDS has `register(subparsers)`, which adds its parser and
sets `func=handler` (handler(args) -> int). Heavy imports stay inside the
handlers so `kioskctl --help` is fast.
"""

import argparse
import importlib
import sys

from kioskctl import __version__
from kioskctl.errors import KioskError

COMMANDS = [
    "kioskctl.cmd_keys",
    "kioskctl.cmd_mint",
    "kioskctl.cmd_trust",
    "kioskctl.cmd_sim",
    "kioskctl.cmd_fonts",
    "kioskctl.cmd_pull",
    "kioskctl.cmd_report",
    "kioskctl.cmd_provision",
    "kioskctl.cmd_qemu",
]


def build_parser():
    parser = argparse.ArgumentParser(
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
