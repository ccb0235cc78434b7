import numpy as np
import pytest

from pcz.learn.em import fit
from pcz.learn.smoothing import Smoother, find_atoms


def dense(K, sigma, weight, atoms):
    """The smoothing as a K x K matrix: row k spreads a count at k (reference implementation)."""
    k = np.arange(K)
    S = np.exp(-0.5 * ((k[:, None] - k[None, :]) / sigma) ** 2)
    S[np.abs(k[:, None] - k[None, :]) > np.ceil(4 * sigma)] = 0
    for a in atoms:
        S[a, :] = 0
        S[:, a] = 0
        S[a, a] = 1
    S /= S.sum(1, keepdims=True)
    return (1 - weight) * np.eye(K) + weight * S


@pytest.mark.parametrize("K,sigma,weight,atoms", [(256, 2.0, 0.8, [0, 255]), (10, 1.5, 1.0, [3]),
                                                  (5, 7.0, 0.5, []), (2, 1.0, 1.0, [0, 1])])
def test_smoothing_matches_the_dense_kernel_and_keeps_the_mass(K, sigma, weight, atoms):
    counts = np.random.default_rng(K).random((3, 4, K)).astype(np.float32)
    out = np.asarray(Smoother(K, sigma, weight, atoms)(counts))
    np.testing.assert_allclose(out, counts @ dense(K, sigma, weight, atoms), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.sum(-1), counts.sum(-1), rtol=1e-5)
    for a in atoms:     # an atom neither gives nor receives
        np.testing.assert_allclose(out[..., a], counts[..., a], rtol=1e-6)


def test_no_smoothing_is_the_identity():
    counts = np.arange(12.0).reshape(2, 6)
    assert Smoother(6, 0.0, 0.8)(counts) is counts
    assert Smoother(6, 2.0, 0.0)(counts) is counts
    with pytest.raises(ValueError):
        Smoother(6, 2.0, 1.5)


def test_fit_with_smoothing_off_is_unchanged():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 8, (200, 3))
    parent = np.array([-1, 0, 0])
    kwargs = dict(epochs=1, full_epochs=1, batch=64, progress=False)
    plain, _ = fit(X[:150], X[150:], parent, K=8, M=2, **kwargs)
    off, _ = fit(X[:150], X[150:], parent, K=8, M=2, smoother=Smoother(8, 0.0, 0.0), **kwargs)
    on, _ = fit(X[:150], X[150:], parent, K=8, M=2, smoother=Smoother(8, 1.0, 1.0), **kwargs)
    for a, b, c in zip(plain, off, on):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(plain[2], on[2])


def test_atoms_are_the_spikes_of_the_histogram():
    rng = np.random.default_rng(0)
    X = np.concatenate([np.zeros(500, int), rng.integers(1, 255, 5000), np.full(300, 255)])
    assert find_atoms(X, 256) == [0, 255]
    assert find_atoms(rng.integers(0, 256, 20000), 256) == []


def test_smoothing_generalises_better_on_ordinal_values():
    """Few records of a smooth distribution over 64 levels: the smoothed estimate scores better
    on held-out records than raw counts (both with the same small pseudocount)."""
    rng = np.random.default_rng(3)
    X = np.clip(np.rint(rng.normal(30, 6, (1300, 2))), 0, 63).astype(np.int64)
    parent = np.array([-1, 0])
    kwargs = dict(epochs=0, full_epochs=2, alpha=0.1, progress=False)
    _, raw = fit(X[:300], X[300:], parent, K=64, M=1, **kwargs)
    _, smooth = fit(X[:300], X[300:], parent, K=64, M=1, smoother=Smoother(64, 2.0, 0.8), **kwargs)
    assert smooth[-1]["valid_bpd"] < raw[-1]["valid_bpd"] - 0.05
