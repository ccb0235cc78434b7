import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pcz.coders import rans_order0 as r
from pcz.coders.errors import CodingError


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000))
def test_roundtrip_any_bytes(data):
    a = np.frombuffer(data, dtype=np.uint8)
    freq = r.normalise(np.bincount(a, minlength=256))
    if not data:
        freq = r.normalise(np.ones(256))
    assert r.decode(r.encode(a, freq), freq, len(a)).tobytes() == data


def test_normalise_sums_exactly_and_keeps_every_present_value():
    rng = np.random.default_rng(0)
    for _ in range(50):
        counts = rng.integers(0, 1000, 256) * (rng.random(256) < 0.3)
        counts[rng.integers(256)] += 1
        freq = r.normalise(counts)
        assert freq.sum() == r.TOTAL and ((freq > 0) == (counts > 0)).all()


def test_rate_is_close_to_the_entropy():
    a = np.random.default_rng(1).choice(4, 100000, p=[0.7, 0.1, 0.1, 0.1]).astype(np.uint8)
    freq = r.normalise(np.bincount(a, minlength=256))
    p = np.array([0.7, 0.1, 0.1, 0.1])
    entropy = -(p * np.log2(p)).sum() * len(a) / 8
    assert len(r.encode(a, freq)) < entropy * 1.01 + 16


def test_damage_is_reported():
    a = np.frombuffer(b"the quick brown fox jumps over the lazy dog" * 50, dtype=np.uint8)
    freq = r.normalise(np.bincount(a, minlength=256))
    blob = r.encode(a, freq)
    for bad in (blob[:-2], blob + b"\0\0", blob[:5], b"\xff" * 8 + blob[8:]):
        with pytest.raises(CodingError):
            r.decode(bad, freq, len(a))
    with pytest.raises(CodingError):
        r.decode(blob, np.ones(256, dtype=np.int64), len(a))          # not summing to 4096
