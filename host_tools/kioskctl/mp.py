"""Run firmware code on the MicroPython unix port."""

import os
import subprocess

from kioskctl import paths
from kioskctl.errors import DeviceError


def env(board="sim", extra_path=()):
    e = dict(os.environ)
    e["MICROPYPATH"] = ":".join(list(extra_path) + [paths.sim_path(board)])
    return e


# The PyPI unix port runs MicroPython inside CPython; one argument longer than
# 255 bytes ends it with "FATAL: uncaught NLR". Pass long data in a file or stdin.
MAX_ARG = 255


def argv(script, args=(), heapsize=None):
    args = [str(a) for a in args]
    for a in [script] + args:
        if len(a.encode()) > MAX_ARG:
            raise ValueError("micropython argument over %d bytes (crashes the unix port): %.40s..." % (MAX_ARG, a))
    cmd = [paths.micropython()]
    if heapsize:
        cmd += ["-X", "heapsize=%s" % heapsize]
    return cmd + [script] + args


def run(script, args=(), input=None, heapsize=None, timeout=600, board="sim", check=True, **kw):
    """Run `script` (a path) on the unix port; return CompletedProcess (bytes)."""
    proc = subprocess.run(
        argv(script, args, heapsize),
        input=input,
        capture_output=True,
        env=env(board),
        timeout=timeout,
        **kw
    )
    if check and proc.returncode != 0:
        raise DeviceError(
            "firmware script %s failed (exit %d):\n%s"
            % (os.path.basename(script), proc.returncode, proc.stderr.decode("utf-8", "replace")[-2000:])
        )
    return proc


def _die_with_parent():
    """In the child, before exec: ask Linux to SIGTERM it when its parent dies,
    so a simulated kiosk never outlives the kioskctl (or test) that started it."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the caller's own cleanup is all there is


def popen(script, args=(), heapsize=None, board="sim", **kw):
    """Start firmware code in the background; it ends when this process ends."""
    return subprocess.Popen(argv(script, args, heapsize), env=env(board), preexec_fn=_die_with_parent, **kw)
