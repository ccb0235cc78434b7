import itertools

import numpy as np
import pytest

from hclt_helpers import random_model, sample
from pcz.learn.structure import chow_liu_tree, max_spanning_tree, mutual_information, root_at_centre


def test_mutual_information_matches_a_direct_count():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, (500, 5))
    X[:, 1] = (X[:, 0] + (rng.random(500) < 0.3)) % 4
    mi = mutual_information(X, K=4, bits=2)
    for i, j in itertools.combinations(range(5), 2):
        joint = np.zeros((4, 4))
        np.add.at(joint, (X[:, i], X[:, j]), 1)
        joint /= 500
        pi, pj = joint.sum(1), joint.sum(0)
        nz = joint > 0
        want = (joint[nz] * np.log(joint[nz] / np.outer(pi, pj)[nz])).sum()
        assert mi[i, j] == pytest.approx(want, abs=1e-6) and mi[j, i] == mi[i, j]


def test_reduced_bit_depth_bins_values():
    X = np.array([[0, 10], [100, 200], [250, 40]] * 20)
    assert np.allclose(mutual_information(X, K=256, bits=1), mutual_information(X // 128, K=2, bits=1))


def prufer_trees(n):
    """Every labelled tree on n nodes, as edge lists (Pruefer decoding)."""
    for seq in itertools.product(range(n), repeat=n - 2):
        degree = [1] * n
        for v in seq:
            degree[v] += 1
        edges = []
        for v in seq:
            leaf = min(u for u in range(n) if degree[u] == 1)
            edges.append((leaf, v))
            degree[leaf] -= 1
            degree[v] -= 1
        u, w = [x for x in range(n) if degree[x] == 1]
        yield edges + [(u, w)]


def test_spanning_tree_is_the_maximum_one():
    rng = np.random.default_rng(1)
    for _ in range(5):
        w = rng.random((6, 6))
        w = w + w.T
        best = max(sum(w[u, v] for u, v in t) for t in prufer_trees(6))
        edges = max_spanning_tree(w)
        assert len(edges) == 5 and sum(w[u, v] for u, v in edges) == pytest.approx(best)


def test_root_is_a_centre():
    rng = np.random.default_rng(2)
    for edges in list(prufer_trees(6))[::37]:
        parent = root_at_centre(edges, 6)
        assert (parent < 0).sum() == 1

        def height(p):
            depth = np.zeros(6, dtype=int)
            for _ in range(6):
                depth = np.where(p >= 0, depth[np.maximum(p, 0)] + 1, 0)
            return depth.max()

        best = min(height(root_at_centre_from(edges, r)) for r in range(6))
        assert height(parent) == best


def root_at_centre_from(edges, root):
    """Parent indices of the tree rooted at a given node (reference for the test)."""
    parent = np.full(6, -1)
    frontier, seen = [root], {root}
    while frontier:
        u = frontier.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == u and y not in seen:
                    parent[y] = u
                    seen.add(y)
                    frontier.append(y)
    return parent


def test_chow_liu_recovers_the_tree_of_a_tree_model():
    # a chain of copies with noise: the Chow-Liu tree is the chain
    rng = np.random.default_rng(3)
    X = np.zeros((4000, 6), dtype=np.int64)
    X[:, 0] = rng.integers(0, 4, 4000)
    for v in range(1, 6):
        noisy = rng.random(4000) < 0.2
        X[:, v] = np.where(noisy, rng.integers(0, 4, 4000), X[:, v - 1])
    parent = chow_liu_tree(X, K=4, bits=2)
    edges = {tuple(sorted((v, int(p)))) for v, p in enumerate(parent) if p >= 0}
    assert edges == {(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)}
    assert parent[2] == -1 or parent[3] == -1          # a middle node is the root


def test_subsampling_and_single_variable():
    model = random_model(4, [-1, 0, 0], 2, 3)
    X = sample(np.random.default_rng(0), model, 300)
    assert chow_liu_tree(X, K=3, samples=100).shape == (3,)
    assert chow_liu_tree(X[:, :1], K=3).tolist() == [-1]
