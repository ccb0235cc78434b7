"""Pruned HCLT models (a number of latent states per variable): the version 3 file, the
distribution they define (checked by brute force), and both record methods coding them."""
import numpy as np
import pytest

from hclt_helpers import TREES, brute_joint, random_params, sample
from pcz import methods
from pcz.errors import ModelError
from pcz.models import hclt_file
from pcz.models.hclt import HcltModel, log2_likelihood


def pruned_model(seed, parent, M, K, states=None) -> HcltModel:
    rng = np.random.default_rng(seed)
    parent = np.asarray(parent)
    if states is None:
        states = rng.integers(1, M + 1, len(parent))
        states[rng.integers(len(parent))] = M
    return HcltModel.from_float(parent, *random_params(rng, parent, M, K), states=states)


def test_the_file_keeps_the_states_and_only_the_used_blocks():
    model = pruned_model(0, [-1, 0, 0, 1, 1], 4, 5, states=[4, 1, 3, 2, 4])
    blob = model.to_bytes()
    assert int.from_bytes(blob[8:10], "little") == hclt_file.PRUNED
    back = HcltModel.from_bytes(blob)
    assert back.states.tolist() == [4, 1, 3, 2, 4] and back.to_bytes() == blob
    for name in ("prior_q", "trans_q", "emit_q"):
        np.testing.assert_array_equal(getattr(back, name), getattr(model, name))
    assert model.prior_q[4:].sum() == 0 and model.trans_q[1, :, 1:].sum() == 0 and model.emit_q[1, 1:].min() > 1
    assert model.trans_q[3, :, 2:].sum() == 0 and np.all(model.trans_q[3, 1:, :2] == 1 << 15)  # parent 1: 1 state
    assert "1 to 4 per variable" in model.describe() and "HCLT v3" in model.describe()
    dense = HcltModel.from_float(*(np.asarray(a) for a in ([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5),
                                                           np.full((2, 2, 3), 1 / 3))))
    same = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 3), 1 / 3),
                                states=[2, 2])
    assert same.to_bytes() == dense.to_bytes() and not same.pruned      # all M: version 2, as before
    smaller = len(pruned_model(1, [-1, 0, 0, 1, 1], 4, 5, states=[4, 1, 1, 1, 1]).to_bytes())
    assert smaller < len(blob)


@pytest.mark.parametrize("parent", TREES)
def test_the_likelihood_is_the_pruned_joint(parent):
    model = pruned_model(len(parent), parent, 3, 3)
    joint = brute_joint(model.parent, model.prior, model.transition, model.emission, 3)
    assert joint.sum() == pytest.approx(1.0, abs=1e-12)
    X = sample(np.random.default_rng(0), model, 50)
    np.testing.assert_allclose(log2_likelihood(model, X, batch=16), np.log2(joint[tuple(X.T)]), rtol=1e-10)


def test_pruned_states_are_never_reached_by_sampling_or_coding():
    parent = [-1, 0, 1, 0, 3, 3]
    model = pruned_model(3, parent, 5, 4, states=[5, 1, 3, 2, 5, 4])
    full = HcltModel.from_float(parent, model.prior, model.transition + 0, model.emission)
    # zeros in the used blocks' complements are what make the model pruned: a dense copy of the
    # same (quantised) numbers is a different, unpruned model whose joint differs
    assert not np.allclose(brute_joint(full.parent, full.prior, full.transition, full.emission, 4),
                           brute_joint(model.parent, model.prior, model.transition, model.emission, 4))


@pytest.mark.parametrize("parent,M,K", [([-1, 0, 1, 0, 3, 3], 5, 4), ([2, 2, -1, 1, 1, 0], 7, 256)])
def test_pruned_models_code_at_their_rate(parent, M, K):
    model = pruned_model(7, parent, M, K)
    assert model.pruned
    X = sample(np.random.default_rng(2), model, 500)
    method = methods.get(methods.HCLT_RANS)
    payload = method.encode(X.tobytes(), model)
    assert method.decode(payload, X.size, model) == X.tobytes()
    ideal = -log2_likelihood(model, X).sum()
    assert ideal <= 8 * len(payload) <= ideal * 1.002 + 128


def test_method_2_refuses_pruned_models():
    # no writer ever coded a pruned model with method 2 (its walk runs over all M states)
    model = pruned_model(7, [-1, 0, 1], 5, 4)
    legacy = methods.get(methods.HCLT)
    with pytest.raises(ModelError, match="without pruned latent states"):
        legacy.encode(bytes(3), model)
    with pytest.raises(ModelError, match="without pruned latent states"):
        legacy.decode(bytes(16), 3, model)


def test_bad_states_are_refused():
    rng = np.random.default_rng(0)
    args = [-1, 0], *random_params(rng, np.array([-1, 0]), 3, 2)
    for states in ([0, 3], [3, 4], [3], [3, 2, 1]):
        with pytest.raises(ValueError):
            HcltModel.from_float(*args, states=states)
    assert HcltModel.from_float(*args, states=[2, 1]).M == 2       # a state no variable uses is dropped
