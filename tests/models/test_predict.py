"""The prediction transform (pcz.models.predict): exact round trips on every shape and K."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pcz.models import predict

SHAPES = [(1, 1), (1, 9), (9, 1), (2, 2), (5, 7), (4, 6, 3), (3, 3, 1), (2, 5, 4), (3, 4, 5),
          (2, 3, 4, 2), (2, 2, 6, 7)]


@st.composite
def records(draw):
    shape = draw(st.sampled_from(SHAPES))
    K = draw(st.sampled_from([2, 3, 4, 5, 7, 16, 17, 255, 256]))
    n = draw(st.integers(1, 6))
    kind = draw(st.sampled_from(["random", "constant", "extremes", "ramp"]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    D = int(np.prod(shape))
    if kind == "random":
        X = rng.integers(0, K, (n, D))
    elif kind == "constant":
        X = np.full((n, D), rng.integers(0, K))
    elif kind == "extremes":
        X = rng.choice([0, K - 1], (n, D))
    else:
        X = (np.arange(D)[None] * rng.integers(1, 5, (n, 1))) % K
    return X.astype(np.uint8), shape, K


@given(records())
@settings(max_examples=300, deadline=None)
def test_inverse_undoes_forward_exactly(data):
    X, shape, K = data
    Z = predict.forward(X, shape, K)
    assert Z.dtype == np.uint8 and Z.shape == X.shape and int(Z.max()) < K
    np.testing.assert_array_equal(predict.inverse(Z, shape, K), X)
    np.testing.assert_array_equal(predict.forward(predict.inverse(X, shape, K), shape, K), X)  # and back


@pytest.mark.parametrize("K", [2, 3, 4, 5, 16, 17, 255, 256])
def test_the_symbol_map_is_a_bijection_ordered_by_magnitude(K):
    r = np.arange(K)
    z = predict._fold(r, K)
    assert sorted(z.tolist()) == list(range(K))
    np.testing.assert_array_equal(predict._unfold(z, K), r)
    s = np.where(2 * r < K, r, r - K)                 # the signed residual
    assert np.all(np.diff(np.abs(s)[np.argsort(z)]) >= 0)   # small magnitudes, small symbols
    assert z[0] == 0 and (K < 3 or (z[1] == 2 and z[K - 1] == 1))


def test_constant_and_smooth_records_give_zero_residuals_after_the_origin():
    X = np.full((3, 4 * 5 * 3), 9, np.uint8)
    Z = predict.forward(X, (4, 5, 3), 16).reshape(3, 4, 5, 3)
    assert np.all(Z[:, 0, 0] == predict._fold(np.array(9), 16)) and Z.reshape(3, -1)[:, 3:].max() == 0
    ramp = (np.add.outer(3 * np.arange(6), -2 * np.arange(7)) + 50).astype(np.uint8).reshape(1, -1)
    Z = predict.forward(ramp, (6, 7), 256).reshape(6, 7)
    assert Z[1:, 1:].max() == 0          # MED predicts a plane exactly where up-left lies between
    edge = (np.add.outer(np.arange(6), 2 * np.arange(7)) + 50).astype(np.uint8).reshape(1, -1)
    assert predict.forward(edge, (6, 7), 256).reshape(6, 7)[1:, 1:].max() == 2   # else max(a, b)


def test_channels_are_predicted_on_their_own_and_the_rule_for_axes():
    a = np.random.default_rng(0).integers(0, 256, (2, 5, 6, 3)).astype(np.uint8)
    Z = predict.forward(a.reshape(2, -1), (5, 6, 3), 256).reshape(2, 5, 6, 3)
    for c in range(3):
        np.testing.assert_array_equal(Z[..., c], predict.forward(a[..., c].reshape(2, -1), (5, 6), 256)
                                      .reshape(2, 5, 6))
    assert predict.geometry((5, 6, 5)) == (5, 6, 5, 1)          # last axis > 4: (images, H, W)
    assert not predict.applies((30,)) and not predict.applies((5, 6), planes=2)
    with pytest.raises(ValueError, match="unknown prediction transform"):
        predict.check("paeth", (5, 6))


def test_inverse_is_fast_enough_for_whole_datasets():
    import time
    X = np.random.default_rng(0).integers(0, 256, (2000, 784)).astype(np.uint8)
    Z = predict.forward(X, (28, 28), 256)
    t = time.perf_counter()
    np.testing.assert_array_equal(predict.inverse(Z, (28, 28), 256), X)
    assert time.perf_counter() - t < 5           # ~0.1 s on a quiet core


def test_blocks_of_records_and_restoring_in_place_change_nothing(monkeypatch):
    X = np.random.default_rng(1).integers(0, 17, (50, 6 * 5 * 3)).astype(np.uint8)
    whole = predict.forward(X, (6, 5, 3), 17)
    monkeypatch.setattr(predict, "BLOCK_VALUES", 200)          # 2 records a block
    np.testing.assert_array_equal(predict.forward(X, (6, 5, 3), 17), whole)
    Z = whole.copy()
    out = predict.decode(Z, (6, 5, 3), 17, "med", in_place=True)
    assert out is Z
    np.testing.assert_array_equal(Z, X)
    assert predict.decode(whole, (6, 5, 3), 17, "med") is not whole
    assert predict.forward(X[:0], (6, 5, 3), 17).shape == (0, 90)


@given(records())
@settings(max_examples=150, deadline=None)
def test_the_colour_step_round_trips_too(data):
    X, shape, K = data
    if not predict.applies(shape, name="med-rgb"):
        return
    Z = predict.code(X, shape, K, "med-rgb")
    assert int(Z.max()) < K
    np.testing.assert_array_equal(predict.decode(Z.copy(), shape, K, "med-rgb", in_place=True), X)


def test_the_colour_step_codes_channels_0_and_2_relative_to_1():
    rng = np.random.default_rng(2)
    a = rng.integers(3, 240, (3, 5, 6, 4)).astype(np.uint8)
    a[..., 0], a[..., 2] = a[..., 1] + 7, a[..., 1] - 3       # colour = green + a constant (no wrap)
    Z = predict.code(a.reshape(3, -1), (5, 6, 4), 256, "med-rgb").reshape(3, 5, 6, 4)
    plain = predict.code(a.reshape(3, -1), (5, 6, 4), 256, "med").reshape(3, 5, 6, 4)
    np.testing.assert_array_equal(Z[..., 1], plain[..., 1])
    np.testing.assert_array_equal(Z[..., 3], plain[..., 3])          # alpha as it is
    assert Z[:, 1:, 1:, 0].max() == 0 and Z[:, 1:, 1:, 2].max() == 0
    assert predict.candidates((5, 6, 4)) == ["none", "med", "med-rgb"]
    with pytest.raises(ValueError, match="3 channels"):
        predict.check("med-rgb", (5, 6, 2))
