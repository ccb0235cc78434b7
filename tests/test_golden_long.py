"""Golden tests for long-range matching (method 12 ``long``, the window byte of the chunked
header): exact bytes of inputs whose repeats lie more than a chunk back.

A failure means the long chunks' bitstream, the match finder's choices or the header
changed.  If that is deliberate, bump the version, keep the old bytes as decode-only
fixtures, and regenerate with ``PCZ_REGEN_GOLDEN=1 pytest tests/test_golden_long.py``.
"""
import os

import pytest

import pcz
from pcz import methods

import badfiles
from golden_helpers import load_streams

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "long.json")
TEXT = b"the quick brown fox jumps over the lazy dog\n"
# data from formulas (no random generator whose algorithm could change)
NUMBERS = b"".join(b"%d," % (i * i % 9973) for i in range(2000))
CASES = {
    # chunk 1 is all matches (its literals: none, the raw inner method)
    "periodic": ((TEXT * 30000)[:1_300_000], {}),
    # chunk 1: matches, then literals coded by cm, then matches again
    "with-literals": ((TEXT * 30000)[:1_100_000] + NUMBERS + (TEXT * 5000)[:200_000], {"level": 2}),
    "chunked": ((TEXT * 30000)[:1_100_000] + NUMBERS + (TEXT * 5000)[:200_000], {"chunk_size": 400_000}),
}


def load():
    return load_streams(GOLDEN, CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_long_range_streams_are_exactly_the_golden_ones(name):
    data, options = CASES[name]
    expected = load()[name]
    assert expected[6] == 21                     # the header's window: 2 MiB
    chunks = badfiles.parse(expected).chunks()
    assert any(method == methods.LONG for method, _, _ in chunks)
    assert pcz.compress(data, **options) == expected
    assert pcz.decompress(expected) == data
