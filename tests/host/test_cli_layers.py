"""kioskctl layers: thin cmd_* modules over a library layer; no cmd_* module
imports another (shared code lives in a library module)."""

import ast
import glob
import os

from kioskctl import paths


def test_no_cmd_module_imports_another():
    bad = []
    for path in glob.glob(os.path.join(paths.REPO, "host_tools", "kioskctl", "*.py")):
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + ["%s.%s" % (node.module, a.name) for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n.split(".")[-1].startswith("cmd_") and n.startswith("kioskctl") for n in names):
                bad.append("%s: %s" % (os.path.basename(path), names))
    assert bad == []
