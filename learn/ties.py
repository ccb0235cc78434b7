"""Tied parameters: one emission table per kind of pixel, one transition per kind of edge.

A prediction transform (:mod:`pcz.models.predict`) turns image records into residuals that
are alike at every position, yet an HCLT gives each of the D variables its own emission
rows and each edge its own transition.  On few records these overfit: 1 664 photo patches
of 16x16x3 give each of 768 x M emission rows a few dozen expected counts.  Tying shares
them where the residuals are alike, a translation-invariant model:

- **emissions** by the pixel's channel and where its prediction comes from (the origin,
  the first row: the left neighbour, the first column: the one above, elsewhere: MED), so
  a colour image has 12 emission tables, whatever its size;
- **transitions** by the edge's kind: the emission groups at its two ends and the offset
  from parent to child (rows, columns, images), the root on its own.

The M step then pools the expected counts of each group (:func:`pool`) before it
normalises them, so every member gets the group's parameters: EM for the tied model.  The
model file does not change (each variable keeps its copy of its group's tables) nor does
coding.  Tied models start tied (:func:`tied_init`, a ladder of activity), and stay tied when
grown (:func:`pcz.learn.train.grow` draws the copies' noise per group).  The latent states of
two variables of a group then mean the same, so a tied model is not pruned per variable
(step 7 of :mod:`pcz.learn.auto` is skipped).

>>> ties = image_ties((2, 2), np.array([-1, 0, 0, 1]))
>>> ties.emit.tolist(), ties.trans.tolist()
([0, 1, 2, 3], [0, 1, 2, 3])
>>> ties = image_ties((1, 4), np.array([-1, 0, 1, 2]))     # a row: each edge one step right
>>> ties.emit.tolist(), ties.trans.tolist(), ties.groups
([0, 1, 1, 1], [0, 1, 2, 2], (2, 3))
"""
from dataclasses import dataclass

import numpy as np

from pcz.models import predict

ORIGIN, FIRST_ROW, FIRST_COLUMN, INSIDE = range(4)
STAY = 0.9          # a tied start's transitions keep the latent state with at least this probability


@dataclass(frozen=True)
class Ties:
    """Group ids per variable (D,): ``emit`` for its emission rows, ``trans`` for the
    transition into it from its parent."""
    emit: np.ndarray
    trans: np.ndarray

    @property
    def groups(self) -> tuple[int, int]:
        return int(self.emit.max()) + 1, int(self.trans.max()) + 1


def image_ties(shape, parent: np.ndarray) -> Ties:
    """The groups of the variables of image records of ``shape`` (one variable per element,
    :func:`pcz.models.predict.geometry`) under the tree ``parent``."""
    n, h, w, c = predict.geometry(shape)
    a, i, j, ch = np.unravel_index(np.arange(n * h * w * c), (n, h, w, c))
    where = np.where(i == 0, np.where(j == 0, ORIGIN, FIRST_ROW), np.where(j == 0, FIRST_COLUMN, INSIDE))
    emit = _numbered(np.stack([ch, where], 1))
    parent = np.asarray(parent, dtype=np.int64)
    p = np.where(parent >= 0, parent, 0)
    edge = np.stack([emit[p], emit, i - i[p], j - j[p], a - a[p]], 1)
    edge[parent < 0] = -1                    # the root's "transition" (unused) on its own
    return Ties(emit, _numbered(edge))


def _numbered(keys: np.ndarray) -> np.ndarray:
    """Each row's group: rows alike get one number, numbered in order of first appearance."""
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[inverse.ravel()]


def pool(counts, groups, n: int):
    """Each row of ``counts`` (D, ...) replaced by the sum of its group's rows (a JAX function;
    ``groups`` (D,) in the rows' order, ``n`` groups).

    >>> import jax.numpy as jnp
    >>> pool(jnp.array([[1.0], [2.0], [4.0]]), jnp.array([0, 1, 0]), 2).ravel().tolist()
    [5.0, 2.0, 5.0]
    """
    import jax
    return jax.ops.segment_sum(counts, groups, num_segments=n)[groups]


def group_sums(a: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The sum of the rows of ``a`` (D, ...) in each group (``groups`` (D,) numbered from 0).

    >>> group_sums(np.array([[1, 2], [3, 4], [5, 6]]), np.array([0, 1, 0])).tolist()
    [[6.0, 8.0], [3.0, 4.0]]
    """
    sums = np.zeros((int(groups.max()) + 1,) + a.shape[1:])
    np.add.at(sums, groups, a)
    return sums


def tied_init(rng: np.random.Generator, hist: np.ndarray, M: int, ties: Ties):
    """A tied start for residual symbols (the folded residuals of :mod:`pcz.models.predict`:
    symbol z has magnitude about z / 2), (prior, trans, emit).

    State m's emission rows are half its group's histogram (add-one smoothed), half a
    geometric distribution over the symbols whose mean goes from 1 to K / 4 as m goes from 0
    to M - 1: a ladder of activity, from flat areas to edges and texture; a little noise
    (lognormal, sigma 0.1) on top.  Transitions keep the state with probability 0.9 plus a
    share of a random row: neighbours are about as active.  On the photo patches (M = 8,
    4 mini-batch epochs) this start validated at 3.15 bits per value where a random one
    (each row a histogram times lognormal noise, rows drawn at random) was still at 3.68,
    an untied model at 3.49: tied states must agree on a meaning at every position, which
    random starts find slowly.

    >>> ties = Ties(np.zeros(3, np.int64), np.array([0, 1, 1]))
    >>> prior, T, E = tied_init(np.random.default_rng(0), np.ones((3, 16)), 4, ties)
    >>> bool(np.allclose(E[0], E[2]) and np.allclose(T[1], T[2])), E.shape, T.shape
    (True, (3, 4, 16), (3, 4, 4))
    >>> (np.diff(E[0] @ np.arange(16)) > 0).all()            # mean symbol grows with the state
    np.True_
    """
    G, T = ties.groups
    K = hist.shape[1]
    group_hist = group_sums(hist, ties.emit)
    marg = (group_hist + 1.0) / (group_hist + 1.0).sum(-1, keepdims=True)
    means = np.geomspace(1.0, max(1.0, K / 4), M)
    geometric = (means / (1.0 + means))[:, None] ** np.arange(K)[None, :]
    geometric /= geometric.sum(-1, keepdims=True)
    emit = (0.5 * marg[:, None, :] + 0.5 * geometric[None]) * rng.lognormal(0.0, 0.1, size=(G, M, K))
    emit /= emit.sum(-1, keepdims=True)
    trans = STAY * np.eye(M)[None] + (1 - STAY) * rng.dirichlet(np.ones(M), size=(T, M))
    return np.full(M, 1.0 / M), trans[ties.trans], emit[ties.emit]
