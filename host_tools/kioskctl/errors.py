"""Error hierarchy for kioskctl; each class maps to a process exit code.

    2  bad input: a usage error, a missing or unreadable file, a file of the
       wrong type, a value out of range (KioskError, UsageError)
    3  the kiosk, the simulator or the serial port failed (DeviceError)
"""


class KioskError(Exception):
    """A failure the user can act on. The message is printed without a traceback."""

    exit_code = 2


class UsageError(KioskError):
    exit_code = 2


class DeviceError(KioskError):
    """The kiosk (or the simulator) did not answer as expected."""

    exit_code = 3
