"""Lockstep pre-order coding of records with a tree-shaped latent PC and a numba rANS coder.

A batch of B records advances node by node in the tree's pre-order (as in
:mod:`pcz.coders.tree_pc`), but the whole walk runs inside one numba call and
the conditional of X_v is never built over all K values.  With cumulative
emissions ``C_v[m, k] = sum_{j<k} E_v[m, j]`` the conditional CDF is
``CDF(k) = down_v . C_v[:, k]``, O(M) per value, so

- encoding needs CDF(x) and CDF(x + 1): O(M) per symbol;
- decoding finds the symbol by binary search over k: O(M log K) per symbol;

instead of O(M K).  The CDF is quantised to P = 24 bits as
``cdf(k) = min(floor(CDF(k) * (2^P - K)), 2^P - K) + k`` (down_v is normalised),
which is strictly increasing (every symbol has width >= 1) because each term
of the fixed-order float64 sum is non-decreasing in k.  Encoder and decoder run the
same function (:func:`_walk`), so they compute identical floats; the encoder
records (start, width) per symbol and then runs rANS (64-bit state, 32-bit
words) backwards, the decoder decodes forwards as it walks.

Determinism: float64, fastmath off, fixed loop order, dot products with four
explicitly ordered partial sums, no exp/log, no BLAS.

>>> import numpy as np
>>> parent = np.array([-1, 0, 0])
>>> prior = np.array([0.5, 0.5])
>>> T = np.array([[[0.9, 0.1], [0.2, 0.8]]] * 3)
>>> E = np.array([[[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]] * 3)
>>> coder = TreeCoder(parent, prior, T, E)
>>> X = np.array([[0, 0, 1], [2, 2, 2]], dtype=np.uint8)
>>> words = coder.encode(X)
>>> coder.decode(words, 2).tolist()
[[0, 0, 1], [2, 2, 2]]
"""
import math

import numba
import numpy as np

from pcz.coders.tree_pc import preorder

PRECISION = 24
ONE = 1 << PRECISION
RANS_L = 1 << 31
WORD = 0xFFFFFFFF
OK, ERR_TRUNCATED = 0, 1
GROUP_VALUES = 1 << 21      # float64 values in each message array (down, beta) of a group
GROUP_RECORDS = 4096


@numba.njit(cache=True, nogil=True, inline="always")
def _dot(a, w):
    """sum_m a[m] * w[m] with four partial sums combined in a fixed order."""
    M = a.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    m = 0
    while m + 4 <= M:
        s0 += a[m] * w[m]
        s1 += a[m + 1] * w[m + 1]
        s2 += a[m + 2] * w[m + 2]
        s3 += a[m + 3] * w[m + 3]
        m += 4
    while m < M:
        s0 += a[m] * w[m]
        m += 1
    return (s0 + s1) + (s2 + s3)


@numba.njit(cache=True, nogil=True, inline="always")
def _normalise(vec):
    """Scale vec to sum 1 (the sum taken as four partial sums in a fixed order)."""
    M = vec.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    m = 0
    while m + 4 <= M:
        s0 += vec[m]
        s1 += vec[m + 1]
        s2 += vec[m + 2]
        s3 += vec[m + 3]
        m += 4
    while m < M:
        s0 += vec[m]
        m += 1
    r = 1.0 / ((s0 + s1) + (s2 + s3))
    for i in range(M):
        vec[i] *= r


@numba.njit(cache=True, nogil=True, inline="always")
def _matvec(w, A, out):
    """out[m] = sum_k w[k] * A[k, m], rows taken four at a time in a fixed order."""
    R, M = A.shape
    for m in range(M):
        out[m] = 0.0
    k = 0
    while k + 4 <= R:
        w0, w1, w2, w3 = w[k], w[k + 1], w[k + 2], w[k + 3]
        A0, A1, A2, A3 = A[k], A[k + 1], A[k + 2], A[k + 3]
        for m in range(M):
            out[m] += (w0 * A0[m] + w1 * A1[m]) + (w2 * A2[m] + w3 * A3[m])
        k += 4
    while k < R:
        wk, Ak = w[k], A[k]
        for m in range(M):
            out[m] += wk * Ak[m]
        k += 1


@numba.njit(cache=True, nogil=True, inline="always")
def _cdf(down, Cv, k, K):
    """Quantised CDF at k (0 <= k <= K) of the conditional given by down (which sums to 1
    up to rounding; the clamp keeps the result valid whatever the rounding)."""
    if k == 0:
        return 0
    if k == K:
        return ONE
    q = int(_dot(down, Cv[k]) * (ONE - K))
    if q > ONE - K:
        q = ONE - K
    return q + k


@numba.njit(cache=True, nogil=True, inline="always")
def _search(dv, Cv, K, slot, guess):
    """The symbol x with cdf(x) <= slot < cdf(x + 1), and those two bounds.

    Gallops from the guess (the parent's value: neighbours are alike), then
    bisects; any search order finds the same x, so this only affects speed.
    """
    x, hi_k = guess, guess + 1
    lo, hi = _cdf(dv, Cv, x, K), _cdf(dv, Cv, hi_k, K)
    step = 1
    while hi <= slot:                       # the symbol lies above: gallop up
        x, lo = hi_k, hi
        step *= 2
        hi_k = min(K, x + step)
        hi = _cdf(dv, Cv, hi_k, K)
    while lo > slot:                        # the symbol lies below: gallop down
        hi_k, hi = x, lo
        step *= 2
        x = max(0, hi_k - step)
        lo = _cdf(dv, Cv, x, K)
    while hi_k - x > 1:                     # bisect the bracket
        mid = (x + hi_k) >> 1
        c = _cdf(dv, Cv, mid, K)
        if c <= slot:
            x, lo = mid, c
        else:
            hi_k, hi = mid, c
    return x, lo, hi


@numba.njit(cache=True, nogil=True)
def _walk(encoding, X, order, depth, parent, prior, T, Tt, C, down, beta, starts, widths, words, io):
    """Code the (B, D) records X (one lockstep group) in pre-order.

    encoding: fill starts/widths from X, from symbol index io[0] on.  Decoding:
    fill X from the rANS words, with the decoder state io[1] and word position
    io[2].  io is updated for the next group.  Returns a status (OK or an error).
    """
    B = X.shape[0]
    D = order.shape[0]
    M = prior.shape[0]
    K = C.shape[1] - 1
    tmp = np.empty(M)
    node_at = np.zeros(down.shape[0], dtype=np.int64)
    top = -1
    n, state, pos = io[0], io[1], io[2]
    for i in range(D):
        v = order[i]
        d = depth[v]
        # fold the subtrees finished since the last node into their parents
        for j in range(top, d - 1, -1):
            if j >= 1:
                Tu = Tt[node_at[j]]                     # Tt[u][m_child, m_parent]
                for b in range(B):
                    _matvec(beta[j, b], Tu, tmp)
                    for m in range(M):
                        beta[j - 1, b, m] *= tmp[m]
                    _normalise(beta[j - 1, b])
        Cv = C[v]
        Tv = T[v]
        for b in range(B):
            dv = down[d, b]
            if d == 0:
                for m in range(M):
                    dv[m] = prior[m]
            else:
                for m in range(M):
                    tmp[m] = down[d - 1, b, m] * beta[d - 1, b, m]
                _matvec(tmp, Tv, dv)
                _normalise(dv)
            if encoding:
                x = np.int64(X[b, v])
                lo = _cdf(dv, Cv, x, K)
                starts[n] = lo
                widths[n] = _cdf(dv, Cv, x + 1, K) - lo
                n += 1
            else:
                slot = state & (ONE - 1)
                x, lo, hi = _search(dv, Cv, K, slot, np.int64(X[b, parent[v]]) if d else 0)
                state = (hi - lo) * (state >> PRECISION) + slot - lo
                if state < RANS_L:
                    if pos >= words.shape[0]:
                        return ERR_TRUNCATED
                    state = (state << 32) | np.int64(words[pos])
                    pos += 1
                X[b, v] = x
            bv = beta[d, b]            # E_v[:, x], exact; renormalised when folded into the parent
            for m in range(M):
                bv[m] = Cv[x + 1, m] - Cv[x, m]
        node_at[d] = v
        top = d
    io[0], io[1], io[2] = n, state, pos
    return OK


@numba.njit(cache=True, nogil=True)
def _rans_encode(starts, widths):
    """rANS-encode the symbols (start, width) in reverse; returns the 32-bit words."""
    n = starts.shape[0]
    out = np.empty(n + 2, dtype=np.uint32)
    pos = n + 2
    state = np.int64(RANS_L)
    bound = np.int64((RANS_L >> PRECISION) << 32)
    for i in range(n - 1, -1, -1):
        s = np.int64(starts[i])
        f = np.int64(widths[i])
        if state >= bound * f:
            pos -= 1
            out[pos] = state & WORD
            state >>= 32
        state = ((state // f) << PRECISION) + (state % f) + s
    pos -= 2
    out[pos] = state & WORD
    out[pos + 1] = state >> 32
    return out[pos:]


def least_bits(K: int) -> float:
    """The least a symbol costs: every other of the K values keeps a width of at least one,
    so a symbol's width is at most 2**24 - (K - 1).  A stream of symbols carrying I bits is
    at least I bits long: the state starts at 2**31 and grows by the symbols' bits, every word
    moved out of it to the stream takes 32 of them, and its final 63 bits end in two words.

    >>> least_bits(2) > 8e-8
    True
    """
    return -math.log2(1 - (K - 1) / ONE)


def lockstep_group(levels: int, M: int) -> int:
    """Records walked in lockstep at once: the message state (2 x levels x M float64 per
    record) stays within 2 x 16 MiB whatever the model, and groups hold at most 4096.

    >>> lockstep_group(51, 32), lockstep_group(1 << 20, 1024)
    (1285, 1)
    """
    return max(1, min(GROUP_RECORDS, GROUP_VALUES // (levels * M)))


class TreeCoder:
    """Encode and decode (B, D) uint8 record batches under a tree-shaped latent PC.

    ``T[v]`` is node v's transition (rows: parent state), ``E[v]`` its
    emission (M, K); the root's T is ignored.  Records are walked in lockstep
    groups of :attr:`group` (from :func:`lockstep_group`), one rANS stream for all.
    """

    def __init__(self, parent, prior, T, E, order=None, depth=None):
        parent = np.asarray(parent)
        if order is None or depth is None:
            order, depth = preorder(parent)
        self.parent = parent.astype(np.int64)
        self.order = np.asarray(order, dtype=np.int64)
        self.depth = np.asarray(depth, dtype=np.int64)
        self.prior = np.ascontiguousarray(prior, dtype=np.float64)
        self.T = np.ascontiguousarray(T, dtype=np.float64)
        self.Tt = np.ascontiguousarray(np.swapaxes(self.T, 1, 2))
        E = np.asarray(E, dtype=np.float64)
        D, M, K = E.shape
        C = np.zeros((D, K + 1, M))
        C[:, 1:] = np.cumsum(np.swapaxes(E, 1, 2), axis=1)
        C[:, K] = 1.0                  # exact: a row of quantised emissions sums to one
        # float32 halves the memory and is exact for quantised emissions (multiples of
        # 2^-qbits in [0, 1], qbits <= 24: at most 24 significant bits); for any other
        # input the rounding is monotone, so the CDF stays valid
        self.C = C.astype(np.float32)
        self.levels = int(self.depth.max()) + 1
        self.group = lockstep_group(self.levels, self.prior.shape[0])

    def _walk_groups(self, encoding: bool, X: np.ndarray, starts, widths, words, io) -> int:
        M = self.prior.shape[0]
        down = beta = np.zeros(0)
        for g in range(0, len(X), self.group):
            part = X[g:g + self.group]
            if down.shape[1:2] != (len(part),):          # C-contiguous message arrays
                down = beta = np.zeros(0)                  # one group's messages at a time
                down = np.zeros((self.levels, len(part), M))
                beta = np.zeros_like(down)
            status = _walk(encoding, part, self.order, self.depth, self.parent, self.prior, self.T,
                           self.Tt, self.C, down, beta, starts, widths, words, io)
            if status != OK:
                return status
        return OK

    def encode(self, X: np.ndarray) -> np.ndarray:
        """The rANS words (uint32) coding the records X (B, D) with values < K."""
        X = np.array(X, dtype=np.uint8, order="C")      # writable: _walk's decode branch writes X
        starts = np.empty(X.size, dtype=np.uint32)
        widths = np.empty(X.size, dtype=np.uint32)
        self._walk_groups(True, X, starts, widths, np.zeros(0, dtype=np.uint32),
                          np.zeros(3, dtype=np.int64))
        return _rans_encode(starts, widths)

    def decode(self, words: np.ndarray, B: int) -> np.ndarray:
        """B records decoded from rANS words; ValueError when the words are not a valid stream."""
        words = np.array(words, dtype=np.uint32)     # a writable copy: one numba specialisation
        if len(words) < 2:
            raise ValueError("coded records are truncated")
        state = int(words[0]) | (int(words[1]) << 32)
        if not RANS_L <= state < 1 << 63:                 # every encoder ends in this range
            raise ValueError("coded records start with an invalid coder state")
        X = np.zeros((B, len(self.order)), dtype=np.uint8)
        io = np.array([0, state, 2], dtype=np.int64)
        empty = np.zeros(0, dtype=np.uint32)
        status = self._walk_groups(False, X, empty, empty, words, io)
        if status != OK:
            raise ValueError("coded records are truncated")
        if io[1] != RANS_L or io[2] != len(words):
            raise ValueError("coded records do not end where the stream does")
        return X
