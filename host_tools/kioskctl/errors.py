"""Error hierarchy for kioskctl; each class maps to a process exit code."""


class KioskError(Exception):
    """A failure the user can act on. The message is printed without a traceback."""

    exit_code = 1


class UsageError(KioskError):
    exit_code = 2


class DeviceError(KioskError):
    """The kiosk (or the simulator) did not answer as expected."""

    exit_code = 3
