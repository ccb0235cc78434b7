"""Sparse cycles (pcz.learn.sparse): prune, widen within the dense model's parameters, train, keep if better."""
import time

import numpy as np
import pytest

from hclt_helpers import random_model, sample
from pcz.learn import sparse
from pcz.models.hclt import HcltModel


def skewed(seed=0):
    """A 6-state model over 4 variables whose states 3..5 are almost never reached, and its samples."""
    dense = random_model(seed, [-1, 0, 0, 1], 6, 4)
    rare = np.where(np.arange(6) < 3, 1.0, 1e-5)
    prior, T = dense.prior * rare, dense.transition * rare
    params = (prior / prior.sum(), T / T.sum(-1, keepdims=True), dense.emission)
    model = HcltModel.from_float(dense.parent, *params)
    return model.parent, params, sample(np.random.default_rng(seed), model, 500).astype(np.int64)


def cycle(found, epoch_s, cap=8, fit_checkpoints=True):
    parent, params, X = skewed()
    calls, saved = [], []

    def run(M, states, **options):
        calls.append((M, states.copy(), options))
        if fit_checkpoints:                 # fit checkpoints every 5 epochs: not in a shorter cycle
            options["checkpoint"](options["init"])
        return options["init"], [{"valid_bpd": found[len(calls) - 1]}]

    best, states, log = sparse.cycles((2.5, params, 6), run, parent, X, 4, relax=1.7, cap=cap,
                                      deadline=time.perf_counter() + 60, epoch_s=epoch_s,
                                      save=lambda p, s: saved.append(s), say=lambda t: None)
    return parent, calls, saved, best, states, log


@pytest.mark.parametrize("found, kept", [(2.4995, True), (2.5004, True), (2.5006, False)])
def test_a_pruned_model_is_kept_only_if_validation_allows(found, kept):
    parent, calls, saved, best, states, log = cycle([found, 9.0], epoch_s=10.0)     # no time to widen
    M, states_run, options = calls[0]
    assert M == states_run.max() and states_run.sum() < 4 * 6 and len(options["init"][0]) == M
    assert log[0]["widen"] == 1.0 and log[0]["states"] == log[0]["pruned"]
    assert np.array_equal(saved[0], states_run)                      # checkpoints are pruned models
    assert (found <= 2.5 + sparse.SLACK) == kept == log[0]["kept"]
    assert len(calls) == 1          # kept: pruning it again changes nothing and there is no time to widen
    if kept:
        assert best[0] == found and best[2] == 6 and np.array_equal(states, states_run)
    else:
        assert best[0] == 2.5 and len(best[1][0]) == 6 and states is None


def test_cycles_widen_within_the_dense_parameters_and_go_on_while_they_improve():
    parent, calls, saved, best, states, log = cycle([2.49, 2.495], epoch_s=0.0)
    budget, work = sparse.values(parent, np.full(4, 6), 4), sparse.products(parent, np.full(4, 6))
    assert len(calls) == 2 and [c["kept"] for c in log] == [True, False]
    for entry, (M, s, options) in zip(log, calls):
        assert entry["widen"] > 1.0 and entry["states"] > entry["pruned"]
        assert sparse.values(parent, s, 4) <= budget and sparse.products(parent, s) <= work and M == s.max() <= 8
        assert options["min_gain"] == sparse.FLAT_GAIN and options["until"] > time.perf_counter()
    assert best[0] == 2.49 and np.array_equal(states, calls[0][1])


def test_widening_keeps_the_transition_products_of_the_dense_model():
    # a hub whose five children all grow with it: the parameters would allow widening by 1.3,
    # the products (the coding work) only by 1.2
    parent = np.array([-1, 0, 1, 1, 1, 1, 1])
    states = np.array([2, 5, 3, 4, 3, 4, 2])
    dense = np.full(7, 5)
    budget, work = sparse.values(parent, dense, 16), sparse.products(parent, dense)
    factor = sparse.widen_factor(parent, states, 16, budget, 10, work)
    wide = sparse.widened_states(states, factor, 10)
    wider = sparse.widened_states(states, factor + 0.01, 10)
    assert sparse.products(parent, wide) <= work < sparse.products(parent, wider)
    assert sparse.widen_factor(parent, states, 16, budget, 10) == sparse.WIDEN > factor == 1.2


def test_widening_stops_at_the_cap_and_never_shrinks():
    s = np.array([1, 5, 7, 8])
    assert sparse.widened_states(s, 1.3, 8).tolist() == [2, 7, 8, 8]
    assert sparse.widen_factor(np.array([-1, 0, 0, 1]), s, 4, sparse.values(np.array([-1, 0, 0, 1]), s, 4), 8) == 1.0


def test_a_kept_cycle_is_checkpointed_however_few_its_epochs():
    """A run of 24 cycles of 4 epochs each (fit checkpoints every 5) once left a checkpoint 13
    cycles old when it died at its end: each kept cycle now writes one."""
    parent, calls, saved, best, states, log = cycle([2.49, 2.495], epoch_s=0.0, fit_checkpoints=False)
    assert [c["kept"] for c in log] == [True, False]
    assert len(saved) == 1 and np.array_equal(saved[0], calls[0][1])
