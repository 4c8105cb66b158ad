"""Collect tests/firmware/test_*.py as MicroPython tests.

These files are never imported by CPython. Each `def test_*` becomes one pytest
item that runs in a fresh `micropython` process (the unix port from the venv)
with MICROPYPATH = firmware, board/sim, board/common, board/drivers, this folder.
A module may set `HEAPSIZE = "256K"` to run its tests under a fixed heap.
"""

import ast
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "host_tools"))

from kioskctl import paths  # noqa: E402

TIMEOUT = int(os.environ.get("MP_TEST_TIMEOUT", "600"))


def pytest_pycollect_makemodule(module_path, parent):
    if module_path.name.startswith("test_") and module_path.parent == parent.path:
        return MicroPythonFile.from_parent(parent, path=module_path)
    return None


class MicroPythonFile(pytest.File):
    def collect(self):
        tree = ast.parse(self.path.read_text(encoding="utf-8"))
        heap = None
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "HEAPSIZE" for t in node.targets
            ):
                heap = ast.literal_eval(node.value)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                yield MicroPythonItem.from_parent(self, name=node.name, heap=heap)


class MicroPythonFailure(Exception):
    pass


class MicroPythonItem(pytest.Item):
    def __init__(self, *, heap=None, **kw):
        super().__init__(**kw)
        self.heap = heap

    def runtest(self):
        module = self.path.stem
        cmd = [paths.micropython()]
        if self.heap:
            cmd += ["-X", "heapsize=" + self.heap]
        cmd += [os.path.join(HERE, "mprun.py"), module, self.name]
        env = dict(os.environ)
        env["MICROPYPATH"] = HERE + ":" + paths.sim_path()
        env["KIOSK_REPO"] = REPO
        proc = subprocess.run(cmd, capture_output=True, env=env, timeout=TIMEOUT, cwd=REPO)
        out = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
        if proc.returncode != 0 or "MPRUN PASS" not in out:
            raise MicroPythonFailure(out)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, MicroPythonFailure):
            return "MicroPython test failed:\n" + str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, "mp: %s::%s" % (self.path.name, self.name)
