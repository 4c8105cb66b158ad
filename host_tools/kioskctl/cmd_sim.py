"""kioskctl sim ...: run the firmware on the MicroPython unix port.

Each sub-command lives in its own module listed in SIM_COMMANDS, with
`register(sim_subparsers)`.
"""

import importlib

SIM_COMMANDS = [
    "kioskctl.sim_verify",
    "kioskctl.sim_run",
    "kioskctl.sim_photo",
    "kioskctl.sim_decode",
]


def register(sub):
    p = sub.add_parser("sim", help="run the kiosk firmware on the simulator (MicroPython unix port)")
    ss = p.add_subparsers(dest="sim_cmd", metavar="ACTION")
    ss.required = True
    for name in SIM_COMMANDS:
        importlib.import_module(name).register(ss)
