import numpy as np
import pytest

from hclt_helpers import TREES, brute_joint, random_params
from pcz.coders.tree_pc import TreeWalk, preorder


@pytest.mark.parametrize("parent", TREES)
@pytest.mark.parametrize("M,K", [(1, 2), (2, 3), (3, 4)])
def test_conditionals_match_brute_force(parent, M, K):
    rng = np.random.default_rng(len(parent) * 100 + M * 10 + K)
    parent = np.array(parent)
    D = len(parent)
    prior, T, E = random_params(rng, parent, M, K)
    joint = brute_joint(parent, prior, T, E, K)
    assert np.isclose(joint.sum(), 1.0)
    order, _ = preorder(parent)
    samples = rng.integers(0, K, size=(7, D))
    walk = TreeWalk(parent, prior, T, E, batch=len(samples))
    for i, v in enumerate(order):
        got = walk.probs(i).copy()
        got /= got.sum(axis=1, keepdims=True)
        for b, x in enumerate(samples):
            # brute force: marginal over the nodes coded before v, conditioned on them
            seen = [order[j] for j in range(i)]
            marg = joint
            keep = seen + [v]
            axes = tuple(a for a in range(D) if a not in keep)
            marg = joint.sum(axis=axes) if axes else joint
            kept_sorted = sorted(keep)
            idx = tuple(x[a] if a != v else slice(None) for a in kept_sorted)
            want = marg[idx]
            want = want / want.sum()
            np.testing.assert_allclose(got[b], want, rtol=1e-9, atol=1e-12)
        walk.observe(i, samples[:, v])


def test_product_of_conditionals_is_the_joint():
    rng = np.random.default_rng(5)
    parent = np.array([-1, 0, 1, 1, 0])
    prior, T, E = random_params(rng, parent, 3, 3)
    joint = brute_joint(parent, prior, T, E, 3)
    order, _ = preorder(parent)
    walk = TreeWalk(parent, prior, T, E, batch=1)
    x = np.array([2, 0, 1, 1, 0])
    logp = 0.0
    for i, v in enumerate(order):
        p = walk.probs(i)[0]
        logp += np.log(p[x[v]] / p.sum())
        walk.observe(i, x[v:v + 1])
    assert np.isclose(np.exp(logp), joint[tuple(x)])


def test_shared_parameters_chain_is_an_hmm_forward_pass():
    rng = np.random.default_rng(9)
    n, M, K = 6, 3, 4
    prior, T1, E1 = rng.dirichlet(np.ones(M)), rng.dirichlet(np.ones(M), M), rng.dirichlet(np.ones(K), M)
    parent = np.arange(-1, n - 1)
    walk = TreeWalk(parent, prior, T1[None], E1[None], batch=1, tidx=np.zeros(n), eidx=np.zeros(n))
    x = rng.integers(0, K, n)
    alpha = prior.copy()
    for t in range(n):
        if t:
            alpha = alpha @ T1
        want = alpha @ E1
        got = walk.probs(t)[0]
        np.testing.assert_allclose(got / got.sum(), want / want.sum(), rtol=1e-10)
        walk.observe(t, x[t:t + 1])
        alpha = alpha * E1[:, x[t]]
        alpha /= alpha.sum()


@pytest.mark.parametrize("parent", [[0, 0], [-1, -1], [1, 0, -1], [-1, 5]])
def test_preorder_rejects_non_trees(parent):
    with pytest.raises(ValueError):
        preorder(np.array(parent))
