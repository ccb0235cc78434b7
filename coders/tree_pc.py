"""Exact conditionals of a tree-shaped latent PC in depth-first pre-order (numba).

The model: hidden Z_v with M states for each of D nodes of a tree, observed
X_v in {0..K-1}.  Root prior ``prior[m]``; transitions
``T[tidx[v]][m_parent, m_v]``; emissions ``E[eidx[v]][m, k]``.  An HCLT has one
parameter slot per node; an HMM is a chain whose nodes all share slot 0.

Coding visits the nodes in pre-order (docs/ARCHITECTURE.md).  When v is reached,
``down_v = alpha_parent @ T_v`` is the posterior of Z_v given everything coded
so far, and ``P(X_v = k | past) = down_v @ E_v``.  After x_v is known,
``beta_v = E_v[:, x_v]``; when v's subtree is finished, ``up_v = T_v @ beta_v``
is multiplied into the parent's beta, and ``alpha_p = down_p * beta_p``.
Every node is touched a constant number of times: O(M^2 + M K) per node.

A batch of B samples advances in lockstep, one node at a time, so a decoder
can decode node v of every sample with one coder call.  Determinism rules:
float64, fastmath off, fixed loop order, sums written as ``out[k] += w * A[m, k]``
(m outer), no exp/log, no BLAS.  Vectors are renormalised to sum 1 as we go.

>>> import numpy as np
>>> parent = np.array([-1, 0, 0])               # a root with two children
>>> prior = np.array([0.5, 0.5])
>>> T = np.array([[[0.9, 0.1], [0.2, 0.8]]] * 3)
>>> E = np.array([[[0.7, 0.3], [0.1, 0.9]]] * 3)
>>> walk = TreeWalk(parent, prior, T, E, batch=1)
>>> p0 = walk.probs(0).copy()  # P(X_0)
>>> walk.observe(0, np.array([1]))
>>> p1 = walk.probs(1)                          # P(X_1 | X_0 = 1)
>>> bool(p1[0, 1] > p0[0, 1])
True
"""
import numba
import numpy as np


def preorder(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depth-first pre-order of a tree given by parent indices (root: -1), children
    visited in increasing index order; returns (order, depth).

    >>> preorder(np.array([-1, 0, 1, 0]))
    (array([0, 1, 2, 3], dtype=int32), array([0, 1, 2, 1], dtype=int32))
    """
    parent = np.asarray(parent, dtype=np.int64)
    n = len(parent)
    roots = np.flatnonzero(parent < 0)
    if n == 0 or len(roots) != 1:
        raise ValueError("a tree needs exactly one root")
    if np.any(parent >= n):
        raise ValueError("parent index out of range")
    children: list[list[int]] = [[] for _ in range(n)]
    for v in range(n):
        if parent[v] >= 0:
            children[parent[v]].append(v)
    order, depth = [], np.zeros(n, dtype=np.int32)
    stack = [int(roots[0])]
    while stack:
        v = stack.pop()
        order.append(v)
        for c in reversed(children[v]):
            depth[c] = depth[v] + 1
            stack.append(c)
    if len(order) != n:
        raise ValueError("parent indices do not form a tree (cycle or unreachable node)")
    return np.array(order, dtype=np.int32), depth


@numba.njit(cache=True, nogil=True)
def _normalise(vec):
    s = 0.0
    for i in range(vec.shape[0]):
        s += vec[i]
    for i in range(vec.shape[0]):
        vec[i] = vec[i] / s


@numba.njit(cache=True, nogil=True)
def _fold(b, j, node_at, tidx, Tt, beta, tmp):
    """Fold the finished subtree at stack level j into level j - 1 for sample b."""
    Tv = Tt[tidx[node_at[j]]]          # Tt[s][m_child, m_parent]
    M = tmp.shape[0]
    for m in range(M):
        tmp[m] = 0.0
    for mc in range(M):
        w = beta[b, j, mc]
        for mp in range(M):
            tmp[mp] += w * Tv[mc, mp]
    for m in range(M):
        beta[b, j - 1, m] *= tmp[m]
    _normalise(beta[b, j - 1])


@numba.njit(cache=True, nogil=True)
def node_probs(v, d, node_at, top, prior, T, Tt, E, tidx, eidx, down, beta, out):
    """Fold finished subtrees above depth d, compute down_v and P(X_v | past) into out (B, K).

    ``top[0]`` is the current stack top (-1 when empty); returns nothing.
    """
    B, _, M = down.shape
    K = out.shape[1]
    tmp = np.empty(M)
    Ev = E[eidx[v]]
    for b in range(B):
        for j in range(top[0], d - 1, -1):
            if j >= 1:
                _fold(b, j, node_at, tidx, Tt, beta, tmp)
        if d == 0:
            for m in range(M):
                down[b, 0, m] = prior[m]
        else:
            Tv = T[tidx[v]]
            for m in range(M):
                tmp[m] = down[b, d - 1, m] * beta[b, d - 1, m]
            for m in range(M):
                down[b, d, m] = 0.0
            for mp in range(M):
                w = tmp[mp]
                for m in range(M):
                    down[b, d, m] += w * Tv[mp, m]
            _normalise(down[b, d])
        for k in range(K):
            out[b, k] = 0.0
        for m in range(M):
            w = down[b, d, m]
            for k in range(K):
                out[b, k] += w * Ev[m, k]
    if top[0] >= d:
        top[0] = d - 1


@numba.njit(cache=True, nogil=True)
def node_observe(v, d, node_at, top, E, eidx, beta, x):
    """Record X_v = x[b] for every sample b: beta_v = E_v[:, x]."""
    B, _, M = beta.shape
    Ev = E[eidx[v]]
    for b in range(B):
        for m in range(M):
            beta[b, d, m] = Ev[m, x[b]]
        _normalise(beta[b, d])
    node_at[d] = v
    top[0] = d


class TreeWalk:
    """Lockstep pre-order walk over a batch of samples; call probs(i) then observe(i, x)
    for i = 0..D-1 (i indexes the pre-order, not the node id).  ``Tt``: the transposed
    transitions when the caller has them (else computed from T)."""

    def __init__(self, parent, prior, T, E, batch, tidx=None, eidx=None, order=None, depth=None, Tt=None):
        parent = np.asarray(parent)
        if order is None or depth is None:
            order, depth = preorder(parent)
        self.order, self.depth = order, depth
        n = len(parent)
        self.prior = np.ascontiguousarray(prior, dtype=np.float64)
        self.T = np.ascontiguousarray(T, dtype=np.float64)
        self.Tt = np.ascontiguousarray(np.swapaxes(self.T, 1, 2) if Tt is None else Tt, dtype=np.float64)
        E = np.asarray(E)      # float32 stays float32 (each value widens exactly in the products)
        self.E = np.ascontiguousarray(E, dtype=np.float32 if E.dtype == np.float32 else np.float64)
        self.tidx = np.arange(n, dtype=np.int32) if tidx is None else np.asarray(tidx, dtype=np.int32)
        self.eidx = np.arange(n, dtype=np.int32) if eidx is None else np.asarray(eidx, dtype=np.int32)
        M, K = self.E.shape[1], self.E.shape[2]
        levels = int(depth.max()) + 1
        self.down = np.zeros((batch, levels, M))
        self.beta = np.zeros((batch, levels, M))
        self.node_at = np.zeros(levels, dtype=np.int32)
        self.top = np.array([-1], dtype=np.int64)
        self.out = np.zeros((batch, K))

    def probs(self, i: int) -> np.ndarray:
        """P(X_v | everything observed so far) for the i-th node in pre-order, shape (B, K).
        The returned array is reused by the next call."""
        v = self.order[i]
        node_probs(v, self.depth[v], self.node_at, self.top, self.prior, self.T, self.Tt, self.E,
                   self.tidx, self.eidx, self.down, self.beta, self.out)
        return self.out

    def observe(self, i: int, x: np.ndarray) -> None:
        """Condition on X_v = x (one value per sample) for the i-th node in pre-order."""
        v = self.order[i]
        node_observe(v, self.depth[v], self.node_at, self.top, self.E, self.eidx, self.beta,
                     np.ascontiguousarray(x, dtype=np.int64))
