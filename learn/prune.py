"""Pruning an HCLT's latent states by their posterior flow (as sparse PCs are pruned).

A state's *flow* is its expected count, sum over training records of p(Z_v = m | x):
how much of the data it explains.  :func:`prune` keeps, per variable, the fewest states
whose flow reaches a share ``keep`` of the variable's total, renumbered so that the kept
ones come first (most flow first), and renormalises: variable v then uses states
``0 .. states[v] - 1`` (:mod:`pcz.learn.states`, the version 3 model file).  The
transition products of coding shrink from M x M to states[parent] x states[v] per edge.

>>> import numpy as np
>>> n_kept(np.array([[0.6, 0.3, 0.1], [0.98, 0.01, 0.01]]), 0.85).tolist()
[2, 1]
"""
import numpy as np

FLOW_RECORDS = 10_000   # records (evenly spaced) whose posterior flow decides what pruning keeps


def state_flow(parent: np.ndarray, params, X: np.ndarray) -> np.ndarray:
    """(D, M): each variable's posterior state flow over the records X (coded symbols),
    normalised to sum 1 per variable."""
    from pcz.learn.em import Trainer
    trainer = Trainer(parent, min(512, len(X)), 1.0)
    (_, _, c_emit), _ = trainer.sum_counts(trainer.to_device(*params), X)
    flow = np.zeros((len(parent), len(params[0])))
    flow[trainer.layout.perm] = np.asarray(c_emit, np.float64).sum(-1)
    return flow / np.maximum(flow.sum(-1, keepdims=True), 1e-300)


def n_kept(flow: np.ndarray, keep: float) -> np.ndarray:
    """Per row of ``flow`` (each summing to 1): the fewest largest states whose flow reaches ``keep``."""
    cum = np.cumsum(-np.sort(-flow, 1), 1)
    return np.minimum((cum < keep).sum(1) + 1, flow.shape[1])


def prune(parent: np.ndarray, params, X: np.ndarray, keep: float, states=None):
    """((prior, transitions, emissions), states): ``params`` (float, M wide) with each
    variable's states sorted by their flow over the records X (at most ``FLOW_RECORDS`` of
    them, evenly spaced), the least used ones dropped
    (the kept ones carry a share ``keep`` of the flow) and the rows renormalised; M becomes
    the largest number kept.  ``states``: the model's own (a pruned model stays pruned).

    >>> rng = np.random.default_rng(0)
    >>> parent = np.array([-1, 0])
    >>> prior, T, E = np.array([0.99, 0.01]), np.array([np.eye(2)] * 2), np.array([np.eye(2)] * 2)
    >>> X = np.zeros((50, 2), np.int64)               # state 1 explains none of them
    >>> (p, T2, E2), states = prune(parent, (prior, T, E), X, 0.99)
    >>> states.tolist(), p.tolist(), T2.shape
    ([1, 1], [1.0], (2, 1, 1))
    """
    if not 0 < keep <= 1:
        raise ValueError("the share of the flow to keep must be in (0, 1]")
    parent = np.asarray(parent)
    prior, trans, emit = (np.asarray(a, np.float64) for a in params)
    M = len(prior)
    flow = state_flow(parent, params, X[::max(1, len(X) // FLOW_RECORDS)])
    if states is not None:                       # states a model does not use stay unused
        flow[np.arange(M) >= np.asarray(states)[:, None]] = 0.0
    order = np.argsort(-flow, 1, kind="stable")
    kept = n_kept(np.take_along_axis(flow, order, 1), keep)
    rows = np.where(parent[:, None] >= 0, order[np.maximum(parent, 0)], np.arange(M))
    trans = trans[np.arange(len(parent))[:, None, None], rows[:, :, None], order[:, None, :]]
    emit = np.take_along_axis(emit, order[:, :, None], 1)
    root = int(np.flatnonzero(parent < 0)[0])
    prior = prior[order[root]]
    top = int(kept.max())
    used = np.arange(top) < kept[:, None]
    prior = prior[:top] * used[root]
    trans = trans[:, :top, :top] * used[:, None, :]
    return (prior / prior.sum(), _rows(trans, used, kept), emit[:, :top]), kept


def widen(parent: np.ndarray, params, states, factor: float, cap: int, seed: int = 0, noise: float = 0.1):
    """((prior, transitions, emissions), states): each variable's states multiplied by
    ``factor`` (at most ``cap``) by copying its most used ones (the first, as :func:`prune`
    orders them), the probability flowing into a copied state shared among its copies, and a
    little noise on the copies' rows to break the symmetry: before the noise, the same
    distribution (grow by copying, then train and :func:`prune`: the sparse-PC cycle).

    >>> parent = np.array([-1, 0])
    >>> prior, T, E = np.array([0.6, 0.4]), np.array([np.eye(2), [[1, 0], [1, 0]]]), np.full((2, 2, 3), 1 / 3)
    >>> (p, T2, E2), states = widen(parent, (prior, T, E), np.array([2, 1]), 1.5, 8, noise=0.0)
    >>> states.tolist(), p.round(2).tolist(), T2[1].round(2).tolist()
    ([3, 2], [0.3, 0.4, 0.3], [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    """
    rng = np.random.default_rng(seed)
    parent = np.asarray(parent)
    states = np.asarray(states, dtype=np.int64)
    prior, trans, emit = (np.asarray(a, np.float64) for a in params)
    new = np.minimum(np.maximum(states, np.ceil(states * factor).astype(np.int64)), cap)
    top = int(new.max())
    # new state j of variable v copies its old state j for j < states[v], else state j - states[v] mod states[v]
    j = np.arange(top)
    src = np.where(j < states[:, None], j, (j - states[:, None]) % states[:, None])
    used = j < new[:, None]
    copies = np.stack([np.bincount(src[v, used[v]], minlength=top) for v in range(len(parent))])
    share = np.where(used, 1.0 / np.maximum(np.take_along_axis(copies, src, 1), 1), 0.0)   # (D, top)
    root = int(np.flatnonzero(parent < 0)[0])
    rows = np.where(parent[:, None] >= 0, src[np.maximum(parent, 0)], src[root])
    D = len(parent)
    trans = trans[np.arange(D)[:, None, None], rows[:, :, None], src[:, None, :]] * share[:, None, :]
    trans *= rng.lognormal(0.0, noise, trans.shape)
    emit = np.take_along_axis(emit, src[:, :, None], 1) * rng.lognormal(0.0, noise, (D, top, emit.shape[2]))
    prior = prior[src[root]] * share[root]
    return (prior / prior.sum(), _rows(trans, used, new), emit / emit.sum(-1, keepdims=True)), new


def _rows(trans, used, states):
    """Transition rows renormalised; a row with no mass left on the used states (never
    reached: a parent state the variable does not use) becomes uniform over them."""
    sums = trans.sum(-1, keepdims=True)
    return np.where(sums > 0, trans / np.where(sums > 0, sums, 1), used[:, None, :] / states[:, None, None])
