"""Training with no options (pcz.learn.auto): settings chosen on validation, time budget kept."""

import time

import numpy as np
import pytest

import pcz
from pcz.errors import InputError
from pcz.learn.auto import SET_EXPONENT, SIGMA_GROWTH, auto_train
from pcz.learn.train import validation_records
from pcz.models.hclt import HcltModel


def data(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 6, n)
    cols = [z * 40 + rng.integers(0, 8, n) for _ in range(5)] + [rng.integers(0, 256, n)]
    return np.stack(cols, 1).astype(np.uint8)


def test_choices_are_made_on_validation_and_logged():
    model, log = auto_train(data(), time_budget=120, max_latents=16, progress=False)
    assert log["chosen"]["M"] in (8, 16) and model.M <= 2 * log["chosen"]["M"]    # cycles may widen
    assert model.M == log["chosen"]["M"] or log["chosen"]["states"] is not None
    assert log["chosen"]["relax"] in (1.0, 1.7) and len(log["chosen"]["smooth"]) == 2
    assert log["valid"] == validation_records(1200) == 240
    assert model.validation[0] == 240 and model.validation[1] < 6.0       # far below 8 bits
    assert [s["M"] for s in log["stages"]][0] == 8
    assert log["stored_valid_bpd"] == pytest.approx(min(e["valid_bpd"] for e in log["epochs"]), abs=0.01)


def test_smoothing_widens_as_the_model_grows():
    rng = np.random.default_rng(3)
    z = rng.integers(0, 8, 1500)
    X = np.stack([np.clip(z * 30 + rng.normal(0, 12, 1500), 0, 255) for _ in range(6)], 1).astype(np.uint8)
    _, log = auto_train(X, time_budget=300, max_latents=16, progress=False)
    sigmas = [s["smooth"][0] for s in log["stages"]]
    assert sigmas[0] in (1.0, 2.0, 4.0) and len(sigmas) >= 2     # noisy levels: smoothing helps
    for a, b in zip(sigmas, sigmas[1:]):
        assert b == pytest.approx(a * SIGMA_GROWTH, abs=1e-3)
    assert log["chosen"]["smooth"] == log["stages"][[s["M"] for s in log["stages"]].index(log["M"])]["smooth"]


def test_the_time_budget_is_kept_and_small_budgets_stay_small():
    deadline = time.perf_counter() + 1
    model, log = auto_train(data(), time_budget=1, max_latents=64, progress=False)
    assert model.M == 8 and log["stopped_growing"] == "the time budget"
    assert [s["M"] for s in log["stages"]] == [8]
    # once the budget is spent a run does its first epoch and no more (how many fit before it
    # depends on the machine and on whether JAX has compiled these shapes already)
    late = [e for e in log["epochs"] if e["started"] > deadline]
    assert all(e["epoch"] == 1 for e in late)
    phases = [e["phase"] for e in log["epochs"]]
    assert phases == sorted(phases, reverse=True)         # one stage, no growth


def test_types_and_tiny_inputs():
    a = (data(300).astype(np.uint16) * 16)
    model, _ = auto_train(a, time_budget=30, max_latents=8, progress=False)
    assert model.dtype == "u2" and model.layout.bits == 12
    np.testing.assert_array_equal(pcz.decompress_array(pcz.compress_array(a, model), model), a)
    model, log = auto_train(np.zeros((1, 3), np.uint8), time_budget=10, max_latents=8, progress=False)
    assert log["valid"] == 0 and model.validation is None
    with pytest.raises(InputError):
        auto_train(np.zeros((0, 3), np.uint8), progress=False)
    with pytest.raises(InputError):
        auto_train(data(), time_budget=0, progress=False)


def test_the_api_trains_automatically_without_tuning_options():
    model = pcz.train(data(400), time_budget=20, max_latents=8, progress=False)
    assert model.M == 8 and model.validation is not None


def test_large_sets_choose_on_a_subset_and_narrow_the_width_for_all_records(monkeypatch):
    import pcz.learn.auto as auto
    monkeypatch.setattr(auto, "SELECT_RECORDS", 300)
    rng = np.random.default_rng(5)
    z = rng.integers(0, 8, 1500)
    X = np.stack([np.clip(z * 30 + rng.normal(0, 12, 1500), 0, 255) for _ in range(6)], 1).astype(np.uint8)
    model, log = auto_train(X, time_budget=300, max_latents=16, progress=False)
    n_train = log["train"]
    assert log["selection"]["records"] == 300 < n_train
    trial = log["selection"]["smooth"]
    assert trial[0] in (1.0, 2.0, 4.0)                 # noisy levels: the ladder smooths
    first = log["stages"][0]["smooth"]                  # the width for all the training records
    assert first[0] == pytest.approx(trial[0] * (300 / n_train) ** SET_EXPONENT, abs=1e-3) and first[0] < trial[0]
    assert model.validation[1] < log["stages"][0]["valid_bpd"]    # trained on all records afterwards
    _, small = auto_train(X[:250], time_budget=30, max_latents=8, progress=False)
    assert small["selection"]["records"] == small["train"]      # small sets: every record


def test_a_budget_spent_in_the_first_trials_skips_the_optional_ones():
    """Once the budget has run out no optional trial starts (on a GPU the first epochs' compiling
    alone overran a 4-minute budget): over-relaxation is taken untried, nothing grows."""
    model, log = auto_train(data(), time_budget=0.001, max_latents=16, progress=False)
    assert log["chosen"]["relax"] == 1.7 and log["M"] == 8 and model.M == 8
    assert all(e["phase"] == "mini-batch EM" for e in log["epochs"])      # no relax trial, no step 6
    assert log["stopped_growing"] == "the time budget"
