"""The tables of the HCLT coder (:mod:`pcz.coders.tree_rans`): the cumulative emissions
and the number of latent states each node uses.

A pruned model's node v uses only its first ``states[v]`` latent states; its arrays stay
M wide and everything outside the used blocks is left unread (here: the rows
``E[v, states[v]:]``; the table's columns past ``states[v]`` are zero).
"""
import numpy as np


def cumulative(E, scale=1.0, states=None) -> np.ndarray:
    """The coder's table C (D, K + 1, M), float32: ``C[v, k, m] = scale * sum_{j<k} E[v, m, j]``
    and ``C[v, K] = 1``, built one node at a time (no float64 copy of all the emissions).
    E may hold a quantised model's integer rows with ``scale = 2^-qbits``: every partial sum
    is then a multiple of 2^-qbits in [0, 1], exact in float64 and in float32 (qbits <= 24),
    so the table is the same whichever form E comes in; for any other input the float32
    rounding is monotone, so each CDF stays valid.  With ``states`` (D,) only the rows
    ``E[v, :states[v]]`` are read and the other columns of ``C[v]`` are zero.

    int32 rows whose sums int32 holds are summed as int32 (exact, and what the float64 sums
    give), then scaled in float64 and rounded to float32 as the float path does: the same
    table, built in about two thirds of the time.

    >>> cumulative(np.array([[[1, 2, 1]]]), 0.25)[0].ravel().tolist()
    [0.0, 0.25, 0.75, 1.0]
    >>> E = np.array([[[3, 1, 4, 8], [1, 5, 9, 1]]], np.int32)
    >>> bool(np.all(cumulative(E, 0.1) == cumulative(E.astype(np.float64), 0.1)))
    True
    >>> cumulative(np.array([[[1, 3], [-9, 99]]]), 0.25, states=[1])[0].tolist()
    [[0.0, 0.0], [0.25, 0.0], [1.0, 0.0]]
    """
    E = np.asarray(E)
    D, M, K = E.shape
    C = np.empty((D, K + 1, M), dtype=np.float32)
    sums = np.empty((K, M), dtype=np.int32)
    for v in range(D):
        m = M if states is None else int(states[v])
        Ev, Cv = E[v, :m], C[v, :, :m]
        if _sums_fit_int32(Ev):
            np.cumsum(Ev.T, axis=0, out=sums[:, :m])
            np.multiply(sums[:, :m], float(scale), out=Cv[1:])     # in float64, rounded once to float32
        else:
            Cv[1:] = np.cumsum(np.asarray(Ev, dtype=np.float64).T, axis=0) * scale
    C[:, 0] = 0.0
    C[:, K] = 1.0                      # exact: a row of quantised emissions sums to one
    if states is not None:
        for v in range(D):
            C[v, :, int(states[v]):] = 0.0
    return C


def _sums_fit_int32(E: np.ndarray) -> bool:
    """Whether E (M, K) is int32 with no negative entry and no row summing past int32 (then
    every partial sum is exact in int32 as in float64)."""
    if E.dtype != np.int32 or E.size == 0 or int(E.min()) < 0:
        return False
    return int(E.max()) * E.shape[1] < 1 << 31 or int(E.sum(axis=1, dtype=np.int64).max()) < 1 << 31


def check_states(states, D: int, M: int) -> np.ndarray:
    """The latent states used per node, (D,) int64 in 1..M (all M when states is None).

    >>> check_states([2, 1, 3], 3, 3).tolist()
    [2, 1, 3]
    >>> check_states([2, 0, 3], 3, 3)
    Traceback (most recent call last):
    ...
    ValueError: states must be D = 3 integers in 1..M = 3
    """
    if states is None:
        return np.full(D, M, dtype=np.int64)
    states = np.asarray(states)
    if (states.shape != (D,) or not np.issubdtype(states.dtype, np.integer)
            or (D and not 1 <= int(states.min()) <= int(states.max()) <= M)):
        raise ValueError(f"states must be D = {D} integers in 1..M = {M}")
    return states.astype(np.int64)
