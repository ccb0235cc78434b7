"""Latent states per variable while training a pruned HCLT: variable v uses only its first
``states[v]`` states, so every transition into one of its other states (and the root prior
of the root's other states) is held at exactly 0 by masking each M step.

A masked M step keeps EM's guarantees within the smaller model: the expected count of a
0 parameter is 0, so only the pseudocount would revive it, and the mask takes it away.

>>> import numpy as np
>>> prior_keep, trans_keep = masks(np.array([-1, 0]), np.array([2, 1]), 2, np.array([0, 1]))
>>> prior_keep.tolist(), trans_keep[1].tolist()
([1.0, 1.0], [[1.0, 0.0], [1.0, 0.0]])
"""
import numpy as np


def masks(parent: np.ndarray, states: np.ndarray, M: int, perm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(prior (M,), transitions (D, M, M)) float32 masks, 1 where a parameter may be
    nonzero, nodes in the trainer's ``perm`` order: the root's used states, and in each
    node's transition the columns of its used states (every row: a row of an unused parent
    state is never reached, and stays a proper distribution)."""
    states = np.asarray(states)
    used = (np.arange(M) < states[:, None]).astype(np.float32)          # (D, M)
    root = int(np.flatnonzero(np.asarray(parent) < 0)[0])
    trans = np.broadcast_to(used[:, None, :], (len(states), M, M))[perm]
    return used[root].copy(), np.ascontiguousarray(trans)


def within(params, keep):
    """The parameters (prior, transitions, emissions) with the masked entries set to 0 and
    the rows renormalised (emissions unchanged: an unused state's emissions are never used)."""
    if keep is None:
        return params
    prior, trans, emit = params
    prior_keep, trans_keep = keep
    prior, trans = prior * prior_keep, trans * trans_keep
    return prior / prior.sum(-1, keepdims=True), trans / trans.sum(-1, keepdims=True), emit
