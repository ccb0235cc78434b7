import jax
import numpy as np
import pytest

from hclt_helpers import brute_joint, random_params, random_model, sample
from pcz.learn.em import Trainer, fit, make_loglik
from pcz.learn.tree_layout import height_groups

PARENTS = [[-1, 0, 1, 0, 3, 3], [2, 2, -1, 1, 1, 0], [-1, 0, 1, 2]]


@pytest.mark.parametrize("parent", PARENTS)
def test_loglik_is_the_exact_joint(parent):
    rng = np.random.default_rng(len(parent))
    parent = np.array(parent)
    prior, T, E = random_params(rng, parent, 3, 4)
    joint = brute_joint(parent, prior, T, E, 4)
    X = rng.integers(0, 4, (12, len(parent)))
    trainer = Trainer(parent, 16, alpha=0.0)
    xt, w, n = next(trainer.batches(X))
    ll = np.asarray(trainer.loglik(trainer.to_device(prior, T, E), xt))[:n]
    np.testing.assert_allclose(ll, np.log(joint[tuple(X.T)]), rtol=1e-5)


@pytest.mark.parametrize("parent", PARENTS)
def test_expected_counts_equal_theta_times_the_gradient(parent):
    rng = np.random.default_rng(7)
    parent = np.array(parent)
    trainer = Trainer(parent, 10, alpha=0.0)
    params = trainer.to_device(*random_params(rng, parent, 3, 5))
    xt, w, _ = next(trainer.batches(rng.integers(0, 5, (7, len(parent)))))   # 3 padded rows
    counts, _ = trainer.counts(params, xt, w)
    loglik = make_loglik(trainer.layout)
    grads = jax.grad(lambda p: (w * loglik(p, xt)).sum())(params)
    for c, g, p in zip(counts, grads, params):
        np.testing.assert_allclose(np.asarray(c), np.asarray(p * g), atol=2e-5)
    assert float(counts[0].sum()) == pytest.approx(7, rel=1e-5)       # one count per real record


def test_height_groups_put_children_before_parents():
    parent = np.array([3, 0, 0, -1, 3, 4, 5])
    seen = set()
    for group, parents in height_groups(parent):
        assert all(c in seen for v in group for c in np.flatnonzero(parent == v))
        seen.update(group.tolist())
    assert height_groups(parent)[-1][0].tolist() == [3]


def test_full_batch_em_never_lowers_the_likelihood():
    model = random_model(8, [-1, 0, 0, 1, 1], 3, 6)
    X = sample(np.random.default_rng(0), model, 500)
    _, log = fit(X, X[:0], model.parent, K=6, M=3, epochs=0, full_epochs=6, alpha=0.0,
                 patience=10, progress=False)
    train = [e["train_bpd"] for e in log]
    assert all(b <= a + 1e-6 for a, b in zip(train, train[1:]))


def test_fit_keeps_the_best_epoch_and_stops_early():
    model = random_model(9, [-1, 0, 1], 2, 4)
    X = sample(np.random.default_rng(1), model, 400)
    params, log = fit(X[:300], X[300:], model.parent, K=4, M=2, epochs=3, full_epochs=20,
                      batch=50, patience=0, progress=False)
    best = min(e["valid_bpd"] for e in log)
    assert len(log) < 23 or log[-1]["valid_bpd"] == best       # stopped, or improved to the end
    trainer = Trainer(model.parent, 100, alpha=1.0)
    assert trainer.bpd(trainer.to_device(*params), X[300:]) == pytest.approx(best, abs=1e-4)
    prior, T, E = params
    assert np.allclose(E.sum(-1), 1, atol=1e-5) and np.allclose(T.sum(-1), 1, atol=1e-5)


def test_over_relaxed_step_extends_the_em_step_in_log_space():
    rng = np.random.default_rng(5)
    parent = np.array(PARENTS[0])
    plain = Trainer(parent, 64, alpha=1.0)
    params = plain.to_device(*random_params(rng, parent, 3, 4))
    xt, w, _ = next(plain.batches(sample(rng, random_model(9, parent, 3, 4), 64)))
    counts, _ = plain.counts(params, xt, w)
    em, over = plain.m_step(counts), plain.relaxed(counts, params, 1.7)
    for old, new, got in zip(params, em, over):
        want = np.asarray(old, np.float64) ** -0.7 * np.asarray(new, np.float64) ** 1.7
        np.testing.assert_allclose(np.asarray(got), want / want.sum(-1, keepdims=True), rtol=1e-4)
        np.testing.assert_allclose(np.asarray(got).sum(-1), 1.0, rtol=1e-5)
    assert not np.allclose(np.asarray(over[2]), np.asarray(em[2]))


def test_over_relaxation_shortens_its_step_after_an_overshoot():
    model = random_model(4, [-1, 0, 0, 1, 1], 4, 6)
    X = sample(np.random.default_rng(1), model, 400)
    _, log = fit(X[:300], X[300:], model.parent, K=6, M=4, epochs=0, full_epochs=8, alpha=0.5,
                 patience=10, relax=2.9, progress=False)
    steps = [e["relax"] for e in log]          # gamma of the step taken after each epoch
    overshoots = [i for i in range(1, len(log) - 1) if log[i]["train_ll"] < log[i - 1]["train_ll"]
                  or log[i]["valid_bpd"] > log[i - 1]["valid_bpd"]]
    assert overshoots                           # 2.9 is too long a step here
    for i in range(1, len(log)):
        want = 1 + (steps[i - 1] - 1) / 2 if i - 1 in overshoots else steps[i - 1]
        assert steps[i] == want
    assert steps[0] == 2.9 and log[-1]["train_bpd"] < log[0]["train_bpd"]


def test_one_call_over_many_batches_sums_the_batches_in_order():
    """sum_counts (a scan over a partition's batches) gives the batches' counts summed in batch
    order, and steps (a scan over mini-batches) the sequence of single-batch steps."""
    model = random_model(4, [-1, 0, 0, 1, 2, 2], 3, 5)
    X = sample(np.random.default_rng(2), model, 37)
    trainer = Trainer(model.parent, 8, alpha=1.0)
    params = trainer.to_device(model.prior, model.transition, model.emission)
    batches = list(trainer.batches(X))
    assert len(batches) == 5 and batches[-1][2] == 5                 # the last one padded
    acc, lls = None, []
    for xt, w, _ in batches:
        counts, ll = trainer.counts(params, xt, w)
        acc = counts if acc is None else tuple(a + c for a, c in zip(acc, counts))
        lls.append(float(ll))
    got, got_lls = trainer.sum_counts(params, X)
    for a, b in zip(got, acc):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(got_lls), lls, rtol=1e-6)
    eta = np.float32(0.3)
    one = params
    for xt, w, _ in batches:
        one, _ = trainer.steps(one, xt[None], w[None], eta)
    stacked, step_lls = trainer.steps(params, np.stack([b[0] for b in batches]),
                                      np.stack([b[1] for b in batches]), eta)
    assert len(step_lls) == 5
    for a, b in zip(stacked, one):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-7)


def test_trainers_of_one_tree_share_its_compiled_e_steps():
    """Trainers that differ in smoothing or pruned states share the tree's jitted E steps (XLA
    compiles them once per shape, not once per trainer), and each still gives its own M step."""
    from pcz.learn.smoothing import Smoother
    parent = np.array([-1, 0, 0, 1])
    plain = Trainer(parent, 8, alpha=1.0)
    smooth = Trainer(parent.copy(), 8, alpha=1.0, smoother=Smoother(5, 1.0, 1.0), states=np.array([2, 1, 2, 2]))
    other = Trainer(np.array([-1, 0, 1, 2]), 8, alpha=1.0)
    assert plain.stacked_counts is smooth.stacked_counts and plain.loglik is smooth.loglik
    assert plain.stacked_counts is not other.stacked_counts
    model = random_model(1, parent, 2, 5)
    X = sample(np.random.default_rng(0), model, 20)
    params = plain.to_device(model.prior, model.transition, model.emission)
    counts, _ = plain.sum_counts(params, X)
    a, b = plain.m_step(counts), smooth.m_step(counts)
    assert not np.allclose(np.asarray(a[2]), np.asarray(b[2]))       # the smoothed emissions differ
    assert float(np.asarray(b[1])[plain.layout.perm.tolist().index(1), :, 1].max()) == 0.0  # node 1 keeps 1 state
