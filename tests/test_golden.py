"""Golden tests: exact compressed bytes of small inputs.

A failure means the bitstream changed.  If that is deliberate, bump the
format version and regenerate with ``PCZ_REGEN_GOLDEN=1 pytest tests/test_golden.py``.
"""
import json
import os

import pytest

import pcz

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "core.json")
TEXT = b"the quick brown fox jumps over the lazy dog\n" * 4
CASES = {
    "empty": (b"", {}),
    "one-byte": (b"a", {}),
    "all-bytes": (bytes(range(256)), {}),
    "text": (TEXT, {}),
    "text-chunked": (TEXT, {"chunk_size": 64}),
}


def load():
    if os.environ.get("PCZ_REGEN_GOLDEN"):
        with open(GOLDEN, "w") as f:
            json.dump({k: pcz.compress(d, **kw).hex() for k, (d, kw) in CASES.items()}, f, indent=1)
    with open(GOLDEN) as f:
        return {k: bytes.fromhex(v) for k, v in json.load(f).items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compressed_bytes_are_exactly_the_golden_ones(name):
    data, options = CASES[name]
    expected = load()[name]
    assert pcz.compress(data, **options) == expected
    assert pcz.decompress(expected) == data
