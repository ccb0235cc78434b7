"""TreeCoder with a number of latent states per node (``states``): a pruned model's node v uses
only its first states[v] of the M states, and whatever the arrays hold outside those blocks is
never read."""
import numpy as np
import pytest

from hclt_helpers import TREES, brute_joint
from pcz.coders.tree_rans import TreeCoder
from pcz.coders.tree_pc import preorder
from pcz.models.hclt_file import quantise_rows

QBITS = 20


def pruned_model(rng, parent, M, K, states, fill=0.0, quantised=False):
    """(prior, T, E, scale): the used blocks random distributions (rows summing to one),
    every other entry ``fill``; E int32 rows of 2^QBITS when quantised."""
    parent = np.asarray(parent)
    D = len(parent)
    prior = np.full(M, fill)
    T = np.full((D, M, M), fill)
    E = np.full((D, M, K), fill)
    root = int(np.flatnonzero(parent < 0)[0])
    prior[:states[root]] = rng.dirichlet(np.ones(states[root]))
    for v in range(D):
        if parent[v] >= 0:
            T[v, :states[parent[v]], :states[v]] = rng.dirichlet(np.ones(states[v]), size=states[parent[v]])
        E[v, :states[v]] = rng.dirichlet(np.full(K, 0.5), size=states[v])
    if not quantised:
        return prior, T, E, 1.0
    Eq = np.full((D, M, K), np.int32(-7) if fill == 0.0 else np.int32(1 << 30), dtype=np.int32)
    for v in range(D):
        Eq[v, :states[v]] = quantise_rows(E[v, :states[v]], QBITS)
    return prior, T, Eq, 2.0 ** -QBITS


def clean(parent, prior, T, E, scale, states):
    """The dense model a pruned one stands for: unused entries zero, E as floats."""
    prior, T, E = prior.copy(), T.copy(), np.asarray(E, dtype=np.float64) * scale
    root = int(np.flatnonzero(np.asarray(parent) < 0)[0])
    prior[states[root]:] = 0.0
    for v, p in enumerate(parent):
        T[v, :, states[v]:] = 0.0
        T[v, states[p] if p >= 0 else 0:] = 0.0
        E[v, states[v]:] = 0.0
    return prior, T, E


def sample(rng, parent, prior, T, E, n):
    """n records drawn from a (clean, dense) model by ancestral sampling."""
    order, _ = preorder(np.asarray(parent))
    D, M, K = E.shape
    X = np.zeros((n, D), dtype=np.uint8)
    Z = np.zeros((n, D), dtype=np.int64)
    for v in order:
        p = prior[None, :] if parent[v] < 0 else T[v][Z[:, parent[v]]]
        Z[:, v] = (rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(1).clip(0, M - 1)
        X[:, v] = (rng.random((n, 1)) > np.cumsum(E[v][Z[:, v]], axis=1)).sum(1).clip(0, K - 1)
    return X


def random_states(rng, parent, M):
    """States in 1..M with a pruned root, a pruned leaf, a node with one state and odd sizes."""
    D = len(parent)
    states = rng.integers(1, M + 1, size=D)
    leaves = [v for v in range(D) if v not in parent]
    root = int(np.flatnonzero(np.asarray(parent) < 0)[0])
    states[leaves[-1]] = max(1, M - 2)
    if D > 1:
        states[[v for v in range(D) if v != root][0]] = 1
    states[root] = M - 1
    return states


def check_roundtrip(coder, X):
    words = coder.encode(X)
    np.testing.assert_array_equal(coder.decode(words, len(X)), X)
    each, lengths = coder.encode_each(X)
    np.testing.assert_array_equal(coder.decode_each(each, lengths), X)
    np.testing.assert_array_equal(each[:lengths[0]], coder.encode(X[:1]))
    return words, each


@pytest.mark.parametrize("parent", TREES)
@pytest.mark.parametrize("M,K", [(3, 2), (5, 7), (8, 256), (13, 5)])
@pytest.mark.parametrize("quantised", [False, True])
def test_roundtrip_with_pruned_nodes(parent, M, K, quantised):
    rng = np.random.default_rng(M * 1000 + K + len(parent) + quantised)
    states = random_states(rng, parent, M)
    prior, T, E, scale = pruned_model(rng, parent, M, K, states, quantised=quantised)
    dense = clean(parent, prior, T, E, scale, states)
    for X in (rng.integers(0, K, (37, len(parent))), sample(rng, parent, *dense, 50),
              np.zeros((1, len(parent)), dtype=np.uint8)):
        for group in (4096, 5):                         # groups of 5: remainders of every size
            c = TreeCoder(parent, prior, T, E, scale=scale, states=states)
            single = TreeCoder(parent, prior, T, E, scale=scale, states=states)
            c.group = single.group = group
            single.tile = 1                             # record by record: the same bits
            words, each = check_roundtrip(c, X)
            np.testing.assert_array_equal(single.encode(X), words)
            np.testing.assert_array_equal(single.encode_each(X)[0], each)
            np.testing.assert_array_equal(single.decode(words, len(X)), X)


@pytest.mark.parametrize("parent,M,K", [([-1, 0, 0, 1], 4, 3), ([1, -1, 1], 5, 4), ([-1, 0, 1, 1], 3, 4),
                                        ([2, 2, -1, 0], 5, 3)])
def test_code_length_matches_the_exact_likelihood_of_the_pruned_model(parent, M, K):
    rng = np.random.default_rng(M * 10 + K)
    states = random_states(rng, parent, M)
    for quantised in (False, True):
        prior, T, E, scale = pruned_model(rng, parent, M, K, states, fill=np.nan, quantised=quantised)
        dense = clean(parent, prior, T, E, scale, states)
        joint = brute_joint(np.asarray(parent), *dense, K)
        assert abs(joint.sum() - 1) < 1e-9
        X = sample(rng, parent, *dense, 3000)
        ideal = -np.log2(joint[tuple(X.T.astype(np.int64))]).sum()
        actual = 32 * len(TreeCoder(parent, prior, T, E, scale=scale, states=states).encode(X))
        # rANS with 24-bit CDFs: a few bytes of flush plus a tiny per-symbol quantisation loss
        assert ideal <= actual <= ideal + 0.01 * X.size + 96


@pytest.mark.parametrize("quantised", [False, True])
def test_entries_outside_the_used_blocks_are_never_read(quantised):
    parent = [2, 2, -1, 1, 1, 0, 3]
    M, K = 6, 11
    states = np.array([3, 1, 5, 6, 2, 4, 5])
    words = set()
    for fill in (0.0, 7.0, np.nan, -1e300):
        prior, T, E, scale = pruned_model(np.random.default_rng(5), parent, M, K, states, fill, quantised)
        X = sample(np.random.default_rng(6), parent, *clean(parent, prior, T, E, scale, states), 40)
        c = TreeCoder(parent, prior, T, E, scale=scale, states=states)
        w, each = check_roundtrip(c, X)
        words.add((w.tobytes(), each.tobytes()))
    assert len(words) == 1


@pytest.mark.parametrize("m,M", [(1, 4), (3, 4), (5, 8), (4, 8), (7, 9)])
def test_equal_counts_give_the_words_of_the_sliced_model(m, M):
    # every node with m of M states: the words of a dense coder of the (m, m) blocks
    parent = [-1, 0, 1, 0, 3, 3, 5]
    K = 9
    rng = np.random.default_rng(m * 10 + M)
    states = np.full(len(parent), m)
    for quantised in (False, True):
        prior, T, E, scale = pruned_model(rng, parent, M, K, states, fill=np.nan, quantised=quantised)
        X = sample(rng, parent, *clean(parent, prior, T, E, scale, states), 60)
        pruned = TreeCoder(parent, prior, T, E, scale=scale, states=states)
        sliced = TreeCoder(parent, prior[:m], T[:, :m, :m], E[:, :m], scale=scale)
        words, each = check_roundtrip(pruned, X)
        np.testing.assert_array_equal(sliced.encode(X), words)
        np.testing.assert_array_equal(sliced.encode_each(X)[0], each)


def test_all_states_give_the_words_of_the_dense_coder():
    parent = [-1, 0, 1, 0, 3, 3]
    M, K = 5, 7
    rng = np.random.default_rng(3)
    prior, T, E, scale = pruned_model(rng, parent, M, K, np.full(6, M), quantised=True)
    X = rng.integers(0, K, (30, 6))
    words = TreeCoder(parent, prior, T, E, scale=scale).encode(X)
    for states in (np.full(6, M), np.full(6, M, dtype=np.int32), [M] * 6):
        np.testing.assert_array_equal(TreeCoder(parent, prior, T, E, scale=scale, states=states).encode(X), words)


@pytest.mark.parametrize("states", [[2, 2], [2, 2, 2, 2], [[2, 2, 2]], [0, 2, 2], [2, 5, 2], [2.0, 2.0, 2.0],
                                    [True, True, True], [-1, 2, 2]])
def test_invalid_states_are_refused(states):
    parent = [-1, 0, 0]
    prior, T, E, _ = pruned_model(np.random.default_rng(0), parent, 4, 3, [4, 4, 4])
    with pytest.raises(ValueError, match="states"):
        TreeCoder(parent, prior, T, E, states=np.array(states))
