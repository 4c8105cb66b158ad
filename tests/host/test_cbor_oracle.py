"""CBOR oracle: the firmware decoder (kiosk.token.cbor on MicroPython) vs cbor2.

Hypothesis builds CBOR values; cbor2 encodes them (preferred or canonical
form, optionally with indefinite-length containers, plus indefinite-length
strings written chunk by chunk through cbor2's `default` hook). One
micropython process per batch decodes every vector (stdin: one hex line
each) and prints a canonical description; it must equal the description of
cbor2's own decoding. Then malformed inputs: random bytes, every proper
prefix of the valid vectors, single-byte corruptions. The firmware must
answer each with a description or `ERR malformed`, never crash (any other
exception kills the batch and fails the test); a truncation must always be
an error (CBOR items are self-delimiting), and when both decoders accept
random bytes they must agree.
"""

import math
import os
import struct

import cbor2
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kioskctl import mp

DRIVER = r"""
import sys, binascii, struct
from kiosk.token import TokenError, cbor

def desc(v):
    if v is True: return "T"
    if v is False: return "F"
    if v is None: return "N"
    if isinstance(v, int): return "i%d" % v
    if isinstance(v, float):
        return "fnan" if v != v else "f" + binascii.hexlify(struct.pack(">d", v)).decode()
    if isinstance(v, bytes): return "b" + binascii.hexlify(v).decode()
    if isinstance(v, str): return "s" + binascii.hexlify(v.encode()).decode()
    if isinstance(v, list): return "[" + ",".join(desc(x) for x in v) + "]"
    if isinstance(v, dict): return "{" + ",".join(sorted(desc(k) + ":" + desc(v[k]) for k in v)) + "}"
    if isinstance(v, cbor.Tag): return "#%d(%s)" % (v.tag, desc(v.value))
    if isinstance(v, cbor.Simple): return "S%d" % v.value
    raise TypeError("unexpected %r" % (v,))

while True:
    line = sys.stdin.readline()
    if not line:
        break
    data = binascii.unhexlify(line.strip())
    try:
        print(desc(cbor.loads(data)))
    except TokenError as e:
        print("ERR " + e.reason)
"""

# Tags cbor2 leaves as CBORTag (no semantic conversion).
PLAIN_TAGS = [6, 7, 15, 16, 17, 18, 19, 20, 24, 61, 1000, 65535, 2**32 + 5, 2**64 - 1]


class Chunked:
    """An indefinite-length byte/text string written as explicit chunks."""

    def __init__(self, chunks):
        self.chunks = chunks


def _chunked_encoder(encoder, value):
    text = isinstance(value.chunks[0], str) if value.chunks else False
    encoder.write(b"\x7f" if text else b"\x5f")
    for c in value.chunks:
        encoder.encode(c)
    encoder.write(b"\xff")


def desc(v):
    """The same description, of cbor2's decoding (None if not comparable)."""
    if v is True:
        return "T"
    if v is False:
        return "F"
    if v is None:
        return "N"
    if isinstance(v, int):
        return "i%d" % v
    if isinstance(v, float):
        return "fnan" if math.isnan(v) else "f" + struct.pack(">d", v).hex()
    if isinstance(v, bytes):
        return "b" + v.hex()
    if isinstance(v, str):
        return "s" + v.encode().hex()
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(desc(x) for x in v) + "]"
    if hasattr(v, "items"):
        return "{" + ",".join(sorted(desc(k) + ":" + desc(x) for k, x in v.items())) + "}"
    if isinstance(v, cbor2.CBORTag):
        return "#%d(%s)" % (v.tag, desc(v.value))
    if v is cbor2.undefined:
        return "S23"
    if isinstance(v, cbor2.CBORSimpleValue):
        return "S%d" % v.value
    raise TypeError(type(v).__name__)


def depth(v):
    if isinstance(v, (list, tuple)):
        return 1 + max((depth(x) for x in v), default=0)
    if isinstance(v, dict):
        return 1 + max((depth(x) for x in v.values()), default=0)
    if isinstance(v, cbor2.CBORTag):
        return 1 + depth(v.value)
    return 0


leaves = st.one_of(
    st.integers(-(2**64), 2**64 - 1),
    st.integers(-30, 300),
    st.binary(max_size=40),
    st.text(max_size=20),
    st.booleans(),
    st.none(),
    st.floats(width=16),
    st.floats(width=32),
    st.floats(),
    st.just(cbor2.undefined),
    st.sampled_from([0, 5, 19, 32, 100, 255]).map(cbor2.CBORSimpleValue),
    st.lists(st.binary(max_size=8), min_size=1, max_size=4).map(Chunked),
    st.lists(st.text(max_size=6), min_size=1, max_size=4).map(Chunked),
)
keys = st.one_of(st.integers(-(2**64), 2**64 - 1), st.text(max_size=10), st.binary(max_size=10))
values = st.recursive(
    leaves,
    lambda kids: st.one_of(
        st.lists(kids, max_size=6),
        st.dictionaries(keys, kids, max_size=6),
        st.builds(cbor2.CBORTag, st.sampled_from(PLAIN_TAGS), kids),
    ),
    max_leaves=25,
)
encoded = st.tuples(values, st.booleans(), st.booleans()).map(
    lambda t: (t[0], cbor2.dumps(t[0], canonical=t[1], indefinite_containers=t[2], default=_chunked_encoder))
)


def run_batch(tmp_path, vectors):
    script = tmp_path / "cbor_driver.py"
    script.write_text(DRIVER)
    proc = mp.run(str(script), input="".join(v.hex() + "\n" for v in vectors).encode(), timeout=120)
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == len(vectors), proc.stderr.decode()[-2000:]
    return lines


# Each example is one micropython process over a whole batch; shrinking would
# rerun it hundreds of times, so failures are reported unshrunk (the failing
# vector's hex is in the assertion message).
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),
)


@SETTINGS
@given(batch=st.lists(encoded, min_size=30, max_size=30))
def test_valid_cbor_matches_cbor2(tmp_path_factory, batch):
    tmp_path = tmp_path_factory.mktemp("oracle")
    got = run_batch(tmp_path, [data for _, data in batch])
    for (value, data), line in zip(batch, got):
        if depth(value) > 16:
            assert line == "ERR malformed", data.hex()
        else:
            assert line == desc(cbor2.loads(data)), data.hex()


def _cbor2_desc(data):
    try:
        return desc(cbor2.loads(data))
    except Exception:
        return None


@SETTINGS
@given(
    batch=st.lists(encoded, min_size=40, max_size=40),
    junk=st.lists(st.binary(min_size=1, max_size=30), min_size=200, max_size=200),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=40, max_size=40),
)
def test_malformed_cbor_gives_clean_error(tmp_path_factory, batch, junk, flips):
    tmp_path = tmp_path_factory.mktemp("oracle")
    truncated = []
    for _, data in batch:
        truncated += [data[:n] for n in range(len(data))][-30:]
    corrupt = []
    for (_, data), (pos, x) in zip(batch, flips):
        b = bytearray(data)
        b[pos % len(b)] ^= x
        corrupt.append(bytes(b))
    vectors = truncated + junk + corrupt + [os.urandom(64)]
    got = run_batch(tmp_path, vectors)
    assert all(line == "ERR malformed" for line in got[: len(truncated)])
    for data, line in zip(vectors[len(truncated) :], got[len(truncated) :]):
        if line.startswith("ERR"):
            assert line == "ERR malformed"
            continue
        # The firmware accepted it: so must cbor2, with the same value
        # (unless it holds tags, which cbor2 converts and checks semantically).
        if "#" in line:
            continue
        theirs = _cbor2_desc(data)
        assert theirs is not None, "firmware accepts what cbor2 rejects: " + data.hex()
        assert line == theirs, data.hex()
