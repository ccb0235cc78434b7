"""Chow-Liu structure learning: pairwise mutual information, maximum spanning tree, centre root.

The mutual information between every pair of the D variables is estimated on
a subsample at reduced bit depth (values are binned into ``2**bits`` levels,
as the HCLT paper does), so the pairwise tables stay small.  All pairs come
from one-hot co-occurrence counts computed with matrix products, block by
block, never a Python loop over pairs.  The tree is the maximum spanning tree
of the MI graph (Prim, vectorised over nodes), rooted at its centre (the
middle of a longest path) so that it is as shallow as it can be.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a = rng.integers(0, 4, 2000)
>>> X = np.stack([a, (a + (rng.random(2000) < 0.1)) % 4, a // 2], 1)
>>> chow_liu_tree(X, K=4).tolist()         # both copies of column 0 hang on it
[-1, 0, 0]
"""
import numpy as np

BLOCK = 64   # variables per block of co-occurrence counts


def reduce_depth(X: np.ndarray, K: int, levels: int) -> np.ndarray:
    """Map values 0..K-1 onto 0..levels-1 by equal-width bins (identity when levels >= K).

    >>> reduce_depth(np.array([[0, 63, 64, 255]]), 256, 4).tolist()
    [[0, 0, 1, 3]]
    """
    if levels >= K:
        return np.asarray(X, dtype=np.int64)
    return (np.asarray(X, dtype=np.int64) * levels) // K


def mutual_information(X: np.ndarray, K: int, bits: int = 3, samples: int = 10_000,
                       seed: int = 0) -> np.ndarray:
    """(D, D) matrix of pairwise mutual information (nats) estimated from the rows of X.

    At most ``samples`` rows are used (a random subsample), values binned to
    ``2**bits`` levels.

    >>> X = np.array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 1, 0]])
    >>> np.round(mutual_information(X, K=2), 3).tolist()
    [[0.693, 0.693, 0.0], [0.693, 0.693, 0.0], [0.0, 0.0, 0.693]]
    """
    X = np.asarray(X)
    N, D = X.shape
    if N > samples:
        X = X[np.sort(np.random.default_rng(seed).choice(N, samples, replace=False))]
        N = samples
    L = min(K, 1 << bits)
    Z = reduce_depth(X, K, L)
    onehot = np.zeros((N, D * L), dtype=np.float32)
    onehot[np.arange(N)[:, None], np.arange(D) * L + Z] = 1.0
    marg = onehot.sum(0).reshape(D, L) / N                      # P(X_i = a)
    mi = np.zeros((D, D))
    for start in range(0, D, BLOCK):
        stop = min(D, start + BLOCK)
        # joint counts of every variable in the block against every variable
        joint = (onehot[:, start * L:stop * L].T @ onehot).reshape(stop - start, L, D, L) / N
        joint = joint.transpose(0, 2, 1, 3).astype(np.float64)   # (b, D, a, c)
        indep = marg[start:stop, None, :, None] * marg[None, :, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(joint > 0, joint * np.log(joint / np.where(indep > 0, indep, 1)), 0.0)
        mi[start:stop] = terms.sum(axis=(2, 3))
    return np.maximum((mi + mi.T) / 2, 0.0)


def max_spanning_tree(weights: np.ndarray) -> list[tuple[int, int]]:
    """Edges (u, v) of a maximum spanning tree of the dense symmetric weight matrix (Prim).

    >>> w = np.array([[0, 5, 1], [5, 0, 2], [1, 2, 0]])
    >>> sorted(max_spanning_tree(w))
    [(0, 1), (1, 2)]
    """
    D = weights.shape[0]
    in_tree = np.zeros(D, dtype=bool)
    in_tree[0] = True
    best = weights[0].astype(np.float64).copy()     # best weight linking each node to the tree
    link = np.zeros(D, dtype=np.int64)
    edges = []
    for _ in range(D - 1):
        cand = np.where(in_tree, -np.inf, best)
        v = int(np.argmax(cand))
        edges.append((int(link[v]), v))
        in_tree[v] = True
        better = (weights[v] > best) & ~in_tree
        best[better] = weights[v][better]
        link[better] = v
    return edges


def _bfs(adjacency: list[list[int]], root: int) -> tuple[np.ndarray, np.ndarray]:
    D = len(adjacency)
    parent = np.full(D, -1, dtype=np.int64)
    dist = np.full(D, -1, dtype=np.int64)
    dist[root] = 0
    frontier = [root]
    while frontier:
        nxt = []
        for u in frontier:
            for v in adjacency[u]:
                if dist[v] < 0:
                    dist[v], parent[v] = dist[u] + 1, u
                    nxt.append(v)
        frontier = nxt
    return parent, dist


def root_at_centre(edges: list[tuple[int, int]], D: int) -> np.ndarray:
    """Parent indices (root -1) of the tree with these edges, rooted at its centre.

    >>> root_at_centre([(0, 1), (1, 2), (2, 3), (3, 4)], 5).tolist()   # a path: the middle node
    [1, 2, -1, 2, 3]
    """
    adjacency: list[list[int]] = [[] for _ in range(D)]
    for u, v in edges:
        adjacency[u].append(v)
        adjacency[v].append(u)
    _, dist = _bfs(adjacency, 0)
    a = int(np.argmax(dist))                      # one end of a longest path
    back, dist = _bfs(adjacency, a)
    b = int(np.argmax(dist))                      # the other end
    path = [b]
    while path[-1] != a:
        path.append(int(back[path[-1]]))
    parent, _ = _bfs(adjacency, path[len(path) // 2])
    return parent


def chow_liu_tree(X: np.ndarray, K: int, bits: int = 3, samples: int = 10_000,
                  seed: int = 0) -> np.ndarray:
    """Parent indices of the Chow-Liu tree of the columns of X, rooted at the tree centre."""
    X = np.asarray(X)
    D = X.shape[1]
    if D == 1:
        return np.array([-1])
    edges = max_spanning_tree(mutual_information(X, K, bits, samples, seed))
    return root_at_centre(edges, D)
