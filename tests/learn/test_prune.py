"""Pruning latent states by flow (pcz.learn.prune) and training pruned models (pcz.learn.states)."""
import io

import numpy as np
import pytest

import pcz
from hclt_helpers import brute_joint, random_model, sample
from pcz.errors import InputError
from pcz.learn.em import fit
from pcz.learn.prune import prune, state_flow, widen
from pcz.learn.train import train
from pcz.models.hclt import HcltModel

PARENT = np.array([-1, 0, 1, 0, 3, 3])


def params_of(model):
    return model.prior, model.transition, model.emission


def test_keeping_all_the_flow_only_renumbers_the_states():
    model = random_model(3, PARENT, 4, 3)
    X = sample(np.random.default_rng(0), model, 300).astype(np.int64)
    (prior, T, E), states = prune(PARENT, params_of(model), X, 1.0)
    assert states.tolist() == [4] * 6
    np.testing.assert_allclose(brute_joint(PARENT, prior, T, E, 3),
                               brute_joint(PARENT, *params_of(model), 3), rtol=1e-9, atol=1e-15)
    flow = state_flow(PARENT, (prior, T, E), X)
    assert np.all(np.diff(flow, axis=1) <= 1e-12)          # most used first


def test_pruning_drops_the_states_the_data_does_not_use():
    rng = np.random.default_rng(1)
    small = random_model(4, PARENT, 2, 4)
    X = sample(rng, small, 2000).astype(np.int64)
    # the same distribution with 6 states: states 2..5 are copies that carry no probability
    prior = np.concatenate([small.prior, np.zeros(4)]) + 1e-12
    T = np.zeros((6, 6, 6))
    T[:, :, :2] = np.pad(small.transition, ((0, 0), (0, 4), (0, 0)), mode="edge")
    T[:, :, 2:] = 1e-12
    E = np.concatenate([small.emission, rng.dirichlet(np.ones(4), (6, 4))], axis=1)
    (prior2, T2, E2), states = prune(PARENT, (prior, T / T.sum(-1, keepdims=True), E), X, 0.9999)
    assert states.max() <= 2 and T2.shape == (6, 2, 2) and np.all(T2[np.arange(6) >= 0].sum(-1) > 0.999)
    np.testing.assert_allclose(brute_joint(PARENT, prior2, T2, E2, 4),
                               brute_joint(PARENT, *params_of(small), 4), rtol=1e-6, atol=1e-12)
    with pytest.raises(ValueError):
        prune(PARENT, params_of(small), X, 0.0)


def test_masked_training_keeps_the_pruned_parameters_at_zero():
    model = random_model(5, PARENT, 4, 3)
    X = sample(np.random.default_rng(2), model, 1200).astype(np.int64)
    states = np.array([3, 1, 4, 2, 4, 1])
    (prior, T, E), _ = prune(PARENT, params_of(model), X, 1.0)
    prior[3:] = 0
    T = T * (np.arange(4) < states[:, None])[:, None, :]
    prior, T = prior / prior.sum(), T / T.sum(-1, keepdims=True)
    (p2, T2, _), log = fit(X[:1000], X[1000:], PARENT, 3, 4, epochs=2, full_epochs=2, batch=100,
                           progress=False, init=(prior, T, E), states=states, relax=1.5)
    assert p2[3:].sum() == 0 and all(T2[v][:, states[v]:].sum() == 0 for v in range(6))
    assert np.all(np.isfinite([e["valid_bpd"] for e in log]))
    assert log[-1]["train_bpd"] <= log[0]["train_bpd"] + 1e-6


def test_train_prunes_an_initial_model_and_continues_a_pruned_one(tmp_path):
    rng = np.random.default_rng(3)
    source = random_model(6, PARENT, 3, 8)
    X = sample(rng, source, 1500)
    big, _ = train(X, 8, epochs=2, full_epochs=2, batch=100, progress=False)
    small, log = train(X, epochs=0, full_epochs=3, init=big, prune=0.8, progress=False)
    assert small.pruned and small.M < 8 and log["states"] == pytest.approx(small.states.mean())
    assert small.validation[1] <= big.validation[1] + 0.05
    again, _ = train(X, epochs=0, full_epochs=1, init=small, progress=False)
    assert np.array_equal(again.states, small.states)
    npy = io.BytesIO()
    np.save(npy, X)
    blob = pcz.compress(npy.getvalue(), model=small)
    assert pcz.decompress(blob, model=small) == npy.getvalue()
    assert HcltModel.from_bytes(small.to_bytes()).states.tolist() == small.states.tolist()
    with pytest.raises(InputError, match="initial model"):
        train(X, 8, prune=0.99, progress=False)
    with pytest.raises(InputError, match="pruned"):
        train(X, 16, init=small, progress=False)


def test_widening_copies_states_and_keeps_the_distribution():
    model = random_model(8, PARENT, 4, 3)
    X = sample(np.random.default_rng(4), model, 400).astype(np.int64)
    (prior, T, E), states = prune(PARENT, params_of(model), X, 0.8)
    assert states.min() < 4
    (p2, T2, E2), wide = widen(PARENT, (prior, T, E), states, 1.7, 6, noise=0.0)
    assert np.all(wide == np.minimum(np.ceil(states * 1.7), 6)) and T2.shape[1] == wide.max()
    np.testing.assert_allclose(brute_joint(PARENT, p2, T2, E2, 3), brute_joint(PARENT, prior, T, E, 3),
                               rtol=1e-9, atol=1e-15)
    for v, m in enumerate(wide):
        assert T2[v][:, m:].sum() == 0 and np.allclose(T2[v].sum(-1), 1)
    (_, T3, _), _ = widen(PARENT, (prior, T, E), states, 1.7, 6, noise=0.1)
    assert not np.allclose(T3, T2)                             # the copies part


def test_train_widens_a_pruned_model():
    X = sample(np.random.default_rng(5), random_model(9, PARENT, 3, 8), 1200)
    big, _ = train(X, 6, epochs=1, full_epochs=1, batch=100, progress=False)
    small, _ = train(X, epochs=0, full_epochs=1, init=big, prune=0.8, progress=False)
    wide, log = train(X, 8, epochs=0, full_epochs=2, init=small, widen=1.5, progress=False)
    assert np.all(wide.states >= small.states) and wide.states.sum() > small.states.sum() and wide.M <= 8
    assert np.isfinite(wide.validation[1])
    with pytest.raises(InputError, match="widening"):
        train(X, 8, widen=2.0, progress=False)
