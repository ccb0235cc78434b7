import numpy as np
import pytest

from pcz.coders import binary_coder as bc


@pytest.mark.parametrize("n", [0, 1, 7, 1000, 20000])
@pytest.mark.parametrize("kind", ["matched", "extreme-low", "extreme-high", "mixed"])
def test_round_trip(n, kind):
    rng = np.random.default_rng(n)
    if kind == "matched":
        p1 = rng.integers(1, bc.PROB_ONE, n)
        bits = (rng.random(n) * bc.PROB_ONE < p1).astype(np.uint8)
    else:
        p1 = {"extreme-low": np.full(n, 1), "extreme-high": np.full(n, bc.PROB_ONE - 1),
              "mixed": rng.choice([1, bc.PROB_ONE - 1, 32768], n)}[kind]
        bits = rng.integers(0, 2, n).astype(np.uint8)
    blob = bc.encode_bits(bits, p1)
    assert len(blob) <= bc.max_stream_bytes(n)
    assert bc.decode_bits(blob, p1).tolist() == bits.tolist()


def test_cost_matches_information():
    rng = np.random.default_rng(0)
    p1 = rng.integers(100, bc.PROB_ONE - 100, 50000)
    bits = (rng.random(len(p1)) * bc.PROB_ONE < p1).astype(np.uint8)
    ideal = -np.sum(np.log2(np.where(bits, p1, bc.PROB_ONE - p1) / bc.PROB_ONE)) / 8
    assert ideal <= len(bc.encode_bits(bits, p1)) <= ideal * 1.001 + 8


def test_quantise_clamps():
    assert bc.quantise(0.0) == 1 and bc.quantise(1.0) == bc.PROB_ONE - 1
    assert bc.quantise(0.5) == bc.PROB_ONE // 2 and bc.quantise(float("nan")) in (1, bc.PROB_ONE - 1)
