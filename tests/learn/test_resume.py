"""Going on from a checkpoint of training with no options (pcz.learn.resume, auto_train(resume=...))."""
import json

import numpy as np
import pytest

from pcz.errors import InputError
from pcz.learn import resume
from pcz.learn.auto import auto_train
from pcz.learn.prune import prune
from pcz.learn.train import split, store, validation_fraction
from pcz.models import load


def data(n=900, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 5, n)
    return np.stack([z * 40 + rng.integers(0, 8, n) for _ in range(5)] + [rng.integers(0, 4, n)], 1).astype(np.uint8)


@pytest.fixture(scope="module")
def checkpointed(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("ckpt") / "c.pczm")
    model, log = auto_train(data(), time_budget=20, max_latents=16, progress=False, checkpoint=path)
    return path, model, log


def test_a_checkpoint_carries_its_settings_and_a_run_goes_on_from_it(checkpointed):
    path, _, log = checkpointed
    saved = load(open(path, "rb").read())
    settings = json.load(open(path + resume.SUFFIX))
    assert settings["transform"] == log["chosen"]["transform"] and settings["relax"] == log["chosen"]["relax"]
    assert settings["M"] == log["chosen"]["M"] and str(settings["M"]) in settings["smooth"]
    model, more = auto_train(data(), time_budget=8, max_latents=16, progress=False, resume=path)
    assert more["stopped_growing"] == "resumed from a checkpoint" and more["stages"][0]["M"] == settings["M"]
    assert np.array_equal(model.parent, saved.parent) and model.transform == saved.transform
    assert model.validation[1] <= saved.validation[1] + 1e-3     # no worse than where it started (up to quantising)


def test_a_sparse_checkpoint_goes_on_cycling_from_its_states(checkpointed, tmp_path):
    path, dense, log = checkpointed
    X = data()
    train_idx, valid_idx = split(len(X), validation_fraction(len(X), None), 0)
    params = (dense.prior, dense.transition, dense.emission) if not dense.pruned else None
    if params is None:
        pytest.skip("the run's own model is already sparse")
    start, states = prune(dense.parent, params, X[train_idx].astype(np.int64), 0.9)
    assert states.mean() < dense.M
    sparse_path = str(tmp_path / "s.pczm")
    open(sparse_path, "wb").write(store(dense.parent, start, (6,), 20, dense.layout, X[valid_idx], "none",
                                        states).to_bytes())
    settings = json.load(open(path + resume.SUFFIX))
    settings["M"] = dense.M
    settings["smooth"][str(dense.M)] = list(log["chosen"]["smooth"])
    open(sparse_path + resume.SUFFIX, "w").write(json.dumps(settings))
    model, more = auto_train(X, time_budget=15, max_latents=16, progress=False, resume=sparse_path)
    assert more["epochs"] == []                              # no dense EM: straight to the cycles
    assert more["cycles"] and more["cycles"][0]["pruned"] <= states.mean() + 1e-9
    assert model.pruned or model.M > dense.M or model.validation[1] <= dense.validation[1]


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("relax"), "missing or wrong"),
    (lambda s: s.update(relax=float("nan")), "missing or wrong"),
    (lambda s: s.update(kind="zip"), "not a training checkpoint"),
    (lambda s: s.update(records=5), "written for other data"),
    (lambda s: s.update(smooth={"8": [1.0]}), "missing or wrong"),
    (lambda s: s.update(shifted=1), "missing or wrong"),
    (lambda s: s.update(tied="yes"), "missing or wrong"),
])
def test_bad_settings_are_refused_in_one_line(checkpointed, tmp_path, change, message):
    path, _, _ = checkpointed
    bad = str(tmp_path / "b.pczm")
    open(bad, "wb").write(open(path, "rb").read())
    settings = json.load(open(path + resume.SUFFIX))
    change(settings)
    open(bad + resume.SUFFIX, "w").write(json.dumps(settings))
    with pytest.raises(InputError, match=message):
        auto_train(data(), time_budget=5, progress=False, resume=bad)


@pytest.mark.parametrize("flag", ["shifted", "tied"])
def test_settings_without_a_later_flag_read_it_as_false(tmp_path, flag):
    path = str(tmp_path / "c.pczm")
    resume.write(path, records=10, valid=2, K=4, transform="none", relax=1.0, smooth_of={8: (0.0, 0.0)},
                 full_s=None, M=8, **{flag: True})
    assert resume.settings(path, records=10, valid=2, K=4)[flag] is True
    old = json.load(open(path + resume.SUFFIX))
    del old[flag]                                      # as written before the field existed
    open(path + resume.SUFFIX, "w").write(json.dumps(old))
    assert resume.settings(path, records=10, valid=2, K=4)[flag] is False


def test_missing_or_garbage_settings_and_models_are_refused(checkpointed, tmp_path):
    path, _, _ = checkpointed
    lone = str(tmp_path / "lone.pczm")
    open(lone, "wb").write(open(path, "rb").read())
    with pytest.raises(InputError, match="not found"):
        auto_train(data(), time_budget=5, progress=False, resume=lone)
    open(lone + resume.SUFFIX, "wb").write(b"\xff{" * 10)
    with pytest.raises(InputError, match="not a training checkpoint"):
        auto_train(data(), time_budget=5, progress=False, resume=lone)
    open(lone, "wb").write(b"PCZHCLT\x00" + b"\x00" * 40)
    with pytest.raises(InputError):
        auto_train(data(), time_budget=5, progress=False, resume=lone)
    with pytest.raises(InputError, match="not an HCLT checkpoint of these records"):
        auto_train(data()[:, :4], time_budget=5, progress=False, resume=path)
