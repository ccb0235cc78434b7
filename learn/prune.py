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
    variable's states sorted by their flow over the records X, the least used ones dropped
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
    flow = state_flow(parent, params, X)
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
    sums = trans.sum(-1, keepdims=True)
    trans = np.where(sums > 0, trans / np.where(sums > 0, sums, 1), used[:, None, :] / kept[:, None, None])
    return (prior / prior.sum(), trans, emit[:, :top]), kept
