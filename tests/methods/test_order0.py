import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pcz.methods import order0
from pcz.format.binio import Reader
from pcz.errors import FormatError


@given(st.binary(max_size=3000))
@settings(max_examples=60, deadline=None)
def test_roundtrip(data):
    assert order0.decode(order0.encode(data), len(data)) == data


def test_large_chunk_counts_are_scaled_and_every_present_byte_kept():
    rng = np.random.default_rng(0)
    data = bytes(rng.choice(256, size=300000, p=np.r_[[0.9], np.full(255, 0.1 / 255)]).astype(np.uint8))
    blob = order0.encode(data)
    counts = order0.read_table(Reader(blob))
    assert counts.sum() <= (1 << order0.SCALE_BITS) + 256
    assert set(np.flatnonzero(counts)) == set(data)
    assert order0.decode(blob, len(data)) == data


def test_rate_near_empirical_entropy():
    data = open(__file__, "rb").read() * 20
    counts = np.bincount(np.frombuffer(data, np.uint8), minlength=256)
    p = counts[counts > 0] / len(data)
    entropy_bits = -(p * np.log2(p)).sum() * len(data)
    assert 8 * len(order0.encode(data)) < entropy_bits * 1.01 + 8 * 600


def test_corrupt_tables_rejected():
    blob = bytearray(order0.encode(b"aaaab"))
    blob[32] = 0    # first count becomes zero
    with pytest.raises(FormatError):
        order0.decode(bytes(blob), 5)
    with pytest.raises(FormatError):
        order0.decode(b"\x00" * 32, 5)   # no symbol present for a non-empty chunk
    with pytest.raises(FormatError):
        order0.decode(b"\xff" * 10, 5)   # truncated bitmap
