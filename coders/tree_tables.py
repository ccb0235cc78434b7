"""The tables of the HCLT coder (:mod:`pcz.coders.tree_rans`): the transitions and the
cumulative emissions, and the number of latent states each node uses.

A pruned model's node v uses only its first ``states[v]`` latent states.  The tables hold
only the blocks the walk reads, packed node after node (a node's block is a contiguous
span, at an offset), so they take memory in proportion to the used parameters, not to
D M^2 and D M K; the model's own arrays, M wide, are read block by block and left as
they are (nothing outside the used blocks is read).
"""
import numpy as np


def offsets(sizes) -> np.ndarray:
    """Where each node's block starts in a packed table (D + 1 entries, the last the total).

    >>> offsets([0, 6, 4]).tolist()
    [0, 0, 6, 10]
    """
    out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(np.asarray(sizes, dtype=np.int64), out=out[1:])
    return out


LANES = 8           # a transition block's rows are padded with zeros to a multiple of this
GROUP_VALUES = 1 << 21      # float64 values in each message array (down, beta) of a lockstep group
GROUP_RECORDS = 4096        # and records (pcz.coders.tree_rans.lockstep_group)


def padded(m):
    """A row's stored length for m used states: m rounded up to a multiple of :data:`LANES`.

    >>> padded(1), padded(8), padded(61)
    (8, 8, 64)
    """
    return (m + LANES - 1) // LANES * LANES


def transitions(parent, states, T, scale=1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The used blocks of the transitions, packed node after node: (Tp, Ttp, start, tstart),
    float64.  Node v's block ``T[v][:m_p, :m_v]`` (m = states, p its parent; none for the root)
    is ``Tp[start[v]:start[v + 1]]`` as (m_p, padded(m_v)), its transpose
    ``Ttp[tstart[v]:tstart[v + 1]]`` as (m_v, padded(m_p)): each row padded with zeros to a
    multiple of :data:`LANES`, so the walk's products run over whole SIMD vectors (the padding
    only adds zero columns to a product: the used columns' floats, so the bits, are those of
    the unpadded block).  T: an array (D, M, M) or a sequence of each node's block (at least
    m_p x m_v; the root's is not read); it may hold quantised integer rows with
    ``scale = 2^-qbits`` (each entry then scaled exactly).

    >>> T = np.arange(18.0).reshape(2, 3, 3)
    >>> Tp, Ttp, start, tstart = transitions([-1, 0], [2, 1], T)
    >>> Tp.reshape(2, 8)[:, :1].tolist(), Ttp.reshape(1, 8)[:, :2].tolist(), start.tolist(), tstart.tolist()
    ([[9.0], [12.0]], [[9.0, 12.0]], [0, 0, 16], [0, 0, 8])
    >>> float(Tp.reshape(2, 8)[:, 1:].sum()), float(Ttp.reshape(1, 8)[:, 2:].sum())
    (0.0, 0.0)
    """
    parent = np.asarray(parent)
    states = np.asarray(states, dtype=np.int64)
    rows = np.where(parent >= 0, states[np.maximum(parent, 0)], 0)
    start = offsets(rows * padded(states))           # the root's rows are 0: no block
    tstart = offsets(states * padded(rows))
    Tp = np.zeros(int(start[-1]), dtype=np.float64)
    Ttp = np.zeros(int(tstart[-1]), dtype=np.float64)
    for v in np.flatnonzero(parent >= 0):
        block = np.multiply(T[v][:rows[v], :states[v]], float(scale), dtype=np.float64)
        Tp[start[v]:start[v + 1]].reshape(rows[v], -1)[:, :states[v]] = block
        Ttp[tstart[v]:tstart[v + 1]].reshape(states[v], -1)[:, :rows[v]] = block.T
    return Tp, Ttp, start, tstart


def cumulative(E, scale=1.0, states=None) -> tuple[np.ndarray, np.ndarray]:
    """The coder's cumulative emissions, packed node after node: (Cp, start), float32.
    Node v's table, ``Cp[start[v]:start[v + 1]]`` as (K + 1, m_v) (m_v = states[v], all M
    when None), is ``C[k, m] = scale * sum_{j<k} E[v][m, j]`` with ``C[K] = 1``; only the
    rows ``E[v][:m_v]`` are read (E: an array (D, M, K) or a sequence of each node's rows).
    E may hold a quantised model's integer rows with ``scale = 2^-qbits``: every partial sum
    is then a multiple of 2^-qbits in [0, 1], exact in float64 and in float32 (qbits <= 24),
    so the table is the same whichever form E comes in; for any other input the float32
    rounding is monotone, so each CDF stays valid.

    int32 rows whose sums int32 holds are summed as int32 (exact, and what the float64 sums
    give), then scaled in float64 and rounded to float32 as the float path does: the same
    table, built in about two thirds of the time.

    >>> Cp, start = cumulative(np.array([[[1, 2, 1]]]), 0.25)
    >>> Cp.tolist(), start.tolist()
    ([0.0, 0.25, 0.75, 1.0], [0, 4])
    >>> E = np.array([[[3, 1, 4, 8], [1, 5, 9, 1]]], np.int32)
    >>> bool(np.all(cumulative(E, 0.1)[0] == cumulative(E.astype(np.float64), 0.1)[0]))
    True
    >>> Cp, start = cumulative(np.array([[[1, 3], [-9, 99]]]), 0.25, states=[1])
    >>> Cp.reshape(3, 1).tolist()
    [[0.0], [0.25], [1.0]]
    """
    D, K = len(E), np.shape(E[0])[-1]
    states = np.full(D, len(E[0]), dtype=np.int64) if states is None else np.asarray(states, dtype=np.int64)
    start = offsets((K + 1) * states)
    Cp = np.empty(int(start[-1]), dtype=np.float32)
    sums = np.empty((K, int(states.max())), dtype=np.int32)
    for v in range(D):
        m = int(states[v])
        Ev, Cv = np.asarray(E[v][:m]), Cp[start[v]:start[v + 1]].reshape(K + 1, m)
        if _sums_fit_int32(Ev):
            np.cumsum(Ev.T, axis=0, out=sums[:, :m])
            np.multiply(sums[:, :m], float(scale), out=Cv[1:])     # in float64, rounded once to float32
        else:
            Cv[1:] = np.cumsum(np.asarray(Ev, dtype=np.float64).T, axis=0) * scale
        Cv[0] = 0.0
        Cv[K] = 1.0                    # exact: a row of quantised emissions sums to one
    return Cp, start


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
