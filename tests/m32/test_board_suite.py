"""Firmware tests on the 32-bit board: the tests/firmware modules listed in
SUITE (crypto vectors and tables, CBOR, tokens, policy, records on the RAM
flash, the out-of-memory decode and verdict) and every tests/m32/board/b32_*.py module,
each test function in a fresh interpreter on the emulated Cortex-M7, with the
module's HEAPSIZE as the board's heap."""

import ast
import os

import pytest

from kioskctl.rawrepl import ReplError

HERE = os.path.dirname(os.path.abspath(__file__))
FIRMWARE_TESTS = os.path.join(os.path.dirname(HERE), "firmware")
BOARD_HEAP = 2621440  # the build's heap (Makefile M32_HEAP): larger HEAPSIZEs get it

# module -> test functions left to the unix port, with the reason
SUITE = {
    "test_p256": {},
    "test_p256_table": {},
    "test_p256_heap": {},
    "test_rsa": {},
    "test_hmac": {},
    "test_token_base45": {},
    "test_token_cbor": {},
    "test_token_native": {},
    "test_policy": {},
    "test_records_codec": {},
    "test_records_log": {"test_file_backed_image_survives_a_new_process_view": "needs a host file as flash"},
    "test_link_frame": {},
    "test_qr_oom": {},
    "test_verdict_oom": {},
}


def _heap(value):
    if not value:
        return None
    n = int(value[:-1]) * {"K": 1024, "M": 1024 * 1024}[value[-1].upper()]
    return n if n < BOARD_HEAP else None


def _cases():
    files = [(m, os.path.join(FIRMWARE_TESTS, m + ".py"), skip) for m, skip in SUITE.items()]
    for n in sorted(os.listdir(os.path.join(HERE, "board"))):
        if n.startswith("b32_") and n.endswith(".py"):
            files.append((n[:-3], os.path.join(HERE, "board", n), {}))
    for module, path, skip in files:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        heap = None
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "HEAPSIZE" for t in node.targets):
                heap = ast.literal_eval(node.value)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") and node.name not in skip:
                yield pytest.param(module, node.name, _heap(heap), id="%s::%s" % (module, node.name))


@pytest.mark.parametrize("module,fn,heap", list(_cases()))
def test_on_32bit_board(boards, module, fn, heap):
    code = "import %s\n%s.%s()\nprint('M32 PASS')\n" % (module, module, fn)
    try:
        out = boards.run(code, heap)
    except ReplError as e:
        pytest.fail("on the 32-bit board:\n%s\n%s" % (e.output.decode("utf-8", "replace"), e.error.decode("utf-8", "replace")))
    assert b"M32 PASS" in out
