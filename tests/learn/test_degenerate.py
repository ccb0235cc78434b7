"""Degenerate training data (constant columns, two values, copies, duplicated records, a single
record, K = 2, wide stars) never breaks training: finite likelihoods, exact round trips; and a
training run that does go non-finite stops with a one-line error instead of storing a model."""
import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

import pcz
from hclt_helpers import random_model, sample
from pcz.errors import InputError, ModelError
from pcz.models.hclt import HcltModel
from pcz.learn import em
from pcz.learn.train import split, train

KINDS = ["constant", "two values", "copy", "mirror", "random"]


@st.composite
def degenerate_data(draw):
    """(records, K): blocks of columns, each column constant, two-valued, a copy or mirror
    image of an earlier column, or random (a block of 100 constant columns hangs them all on
    one node); optionally only a few distinct records, duplicated."""
    n = draw(st.sampled_from([1, 2, 40]))
    K = draw(st.sampled_from([2, 3, 256]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    blocks = draw(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from([1, 2, 5, 100])),
                           min_size=1, max_size=4))
    cols: list[np.ndarray] = []
    for kind, repeat in blocks:
        for _ in range(repeat):
            if kind == "constant":
                cols.append(np.full(n, draw(st.integers(0, K - 1))))
            elif kind == "two values":
                cols.append(rng.choice(rng.choice(K, 2, replace=False), n))
            elif kind in ("copy", "mirror") and cols:
                c = cols[rng.integers(len(cols))]
                cols.append(c if kind == "copy" else K - 1 - c)
            else:
                cols.append(rng.integers(0, K, n))
    X = np.stack(cols, 1).astype(np.uint8)
    if draw(st.booleans()):                       # a few distinct records, many times each
        X = X[rng.integers(0, max(1, n // 8), n)]
    return X, K


def check_sound(model: HcltModel, log: dict, X: np.ndarray):
    for epoch in log["epochs"]:
        assert np.isfinite(epoch["train_bpd"]) and np.isfinite(epoch["valid_bpd"]), epoch
    bits = model.nll_bits(X)
    assert np.all(np.isfinite(bits)) and np.all(bits >= 0)
    if model.validation is not None:
        assert np.isfinite(model.validation[1])
        assert model.validation[0] == log["valid"] and HcltModel.from_bytes(model.to_bytes()).validation
    blob = pcz.compress_array(X, model)
    assert np.array_equal(pcz.decompress_array(blob, model), X)


def border_data(n: int = 40) -> tuple[np.ndarray, int]:
    """Images whose border is always 0 (issue 12: train_bpd was NaN)."""
    X = np.random.default_rng(n).integers(0, 256, (n, 10, 10)).astype(np.uint8)
    X[:, :3], X[:, -3:], X[:, :, :3], X[:, :, -3:] = 0, 0, 0, 0
    return X.reshape(n, -1), 256


@given(degenerate_data(), st.sampled_from([1, 3]))
@example(border_data(), 3)
@settings(max_examples=6, deadline=None)
def test_degenerate_data_trains_finite_and_roundtrips(data, latents):
    X, K = data
    model, log = train(X, latents, epochs=1, full_epochs=1, values=K, batch=16, progress=False)
    assert (model.D, model.K, model.M) == (X.shape[1], K, latents)
    check_sound(model, log, X)


def test_identical_columns_make_a_wide_star():
    """All columns equal: the Chow-Liu tree is a star wider than the unrolled product."""
    a = np.random.default_rng(0).integers(0, 2, 60)
    X = np.repeat(a[:, None], 3 * em.UNROLL, 1).astype(np.uint8)
    model, log = train(X, latents=2, epochs=1, full_epochs=2, progress=False)
    assert np.bincount(model.parent[model.parent >= 0]).max() > em.UNROLL
    check_sound(model, log, X)
    assert model.validation[1] < 1.0          # better than 1 bit per value: it learns the sharing


def test_a_node_with_hundreds_of_children_neither_underflows_nor_loses_accuracy():
    """The float32 likelihood of a 300-child star (products of 300 messages: NaN before the
    messages were rescaled per child) equals the float64 likelihood of the coding path."""
    model = random_model(5, [-1] + [0] * 300, 4, 3)
    X = sample(np.random.default_rng(0), model, 20)
    trainer = em.Trainer(model.parent, 32, alpha=1.0)
    xt, _, n = next(trainer.batches(X))
    params = trainer.to_device(model.prior, model.transition, model.emission)
    ll = np.asarray(trainer.loglik(params, xt))[:n] / np.log(2)
    np.testing.assert_allclose(ll, -model.nll_bits(X), rtol=2e-5)


def test_values_no_training_record_has_keep_probabilities_above_0():
    """Pseudocount 0: a value only the validation records have still gets a probability > 0
    (it was 0: the validation likelihood NaN), and so do states no record reaches (not 0 / 0)."""
    X = np.zeros((30, 3), np.uint8)
    X[::3, 2] = 1
    X[split(30, 0.1)[1], 1] = 3
    model, log = train(X, latents=4, epochs=1, full_epochs=1, alpha=0.0, validation=0.1,
                       progress=False)
    check_sound(model, log, X)


def test_a_single_record_trains_without_validation():
    X = np.arange(5, dtype=np.uint8)[None]
    model, log = train(X, latents=2, epochs=1, full_epochs=1, validation=0.5, progress=False)
    assert (log["train"], log["valid"]) == (1, 0) and model.validation is None
    check_sound(model, log, X)
    with pytest.raises(InputError, match="at least 1 record"):
        train(X[:0], progress=False)


@pytest.mark.parametrize("option", [{"alpha": float("nan")}, {"step": float("inf")},
                                    {"validation": float("nan")}, {"smooth": (float("nan"), 1.0)}])
def test_non_finite_options_are_refused_up_front(option):
    with pytest.raises(InputError, match="finite"):
        train(np.zeros((10, 2), np.uint8), **option, progress=False)


def _broken_m_step(monkeypatch):
    """Make every M step produce NaN rows, as a numerical bug would."""
    monkeypatch.setattr(em, "_normalise", lambda counts, alpha: counts * np.nan)


def test_non_finite_training_stops_with_a_model_error(monkeypatch):
    _broken_m_step(monkeypatch)
    X = np.random.default_rng(1).integers(0, 3, (40, 4)).astype(np.uint8)
    with pytest.raises(ModelError, match="training failed at mini-batch EM epoch 1") as e:
        train(X, latents=2, epochs=1, full_epochs=1, progress=False)
    assert "\n" not in str(e.value) and "not finite" in str(e.value)


def test_the_cli_writes_no_model_when_training_fails(run_cli, tmp_path, monkeypatch):
    _broken_m_step(monkeypatch)
    np.save(tmp_path / "x.npy", np.random.default_rng(2).integers(0, 3, (40, 4)).astype(np.uint8))
    out = tmp_path / "x.pczm"
    r = run_cli("train", str(tmp_path / "x.npy"), "-o", str(out), "-M", "2", "--epochs", "1",
                "--full-epochs", "1", "-q")
    assert r.code == 1 and r.err.startswith("pcz: training failed") and r.err.count("\n") == 1, r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]
    r = run_cli("train", str(tmp_path / "x.npy"), "-o", str(out), "--pseudocount", "nan", "-q")
    assert r.code == 1 and "finite (alpha)" in r.err and r.err.count("\n") == 1, r.err
    assert not out.exists()
