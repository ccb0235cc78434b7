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

Each node's transition multiplies the messages of the whole group, four records per
pass over the matrix (:func:`pcz.coders.tree_ops._matmul`: an M x M by M x B product
whose every element is computed as the one-record product computes it, so batching
leaves the bits unchanged).

A pruned model (``states``) gives each node v its own number of latent states
m_v = states[v] <= M, its first m_v: the coder keeps only the m_p x m_v block of v's
transition (p its parent), its transpose and the m_v columns of C_v, packed node after
node (:mod:`pcz.coders.tree_tables`; each block a C-contiguous span, viewed as a matrix),
and the walk reads the first m_v entries of the M-wide messages, so an edge costs m_p m_v
products and a CDF m_v.  The message lengths are passed to the kernels, the messages are
not sliced (they keep their C layout, so the loops stay vectorised), and with every
m_v = M the operations, and the words, are those of the dense walk.  Records can also be
coded one rANS stream each (:meth:`TreeCoder.encode_each`), for random access to single
records.

Determinism (:mod:`pcz.coders.tree_ops`): float64, fastmath off, fixed loop order, dot
products with four explicitly ordered partial sums, no exp/log, no BLAS.

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

from pcz.coders.tree_ops import ONE, PRECISION, TILE, _cdf2, _matmul, _normalise_rows, _search
from pcz.coders.tree_pc import preorder
from pcz.coders.tree_tables import GROUP_RECORDS, GROUP_VALUES, check_states, cumulative, padded, transitions

RANS_L = 1 << 31
WORD = 0xFFFFFFFF
OK, ERR_TRUNCATED = 0, 1
_NONE = np.zeros(0, dtype=np.uint32)


@numba.njit(cache=True, nogil=True)
def _walk(encoding, tile, X, order, depth, parent, states, stride, prior, Tp, Ttp, ts, tts, Cp, cs, K, down, beta,
          starts, widths, words, state, pos, end):
    """Code the (B, D) records X (one lockstep group) in pre-order, node-major.

    Encoding: fill starts/widths from X, symbol i of record b at pos[0] + i * B + b
    (pos[0] is advanced).  Decoding: fill X from rANS streams of words, each with its
    state, position and end: one stream for all records (arrays of length 1) or one per
    record (length B).  tile: records per pass over a transition (:func:`_matmul`).
    Node v uses its first states[v] latent states: of the M-wide messages only those
    prefixes are read; its transition (rows: the parent's states) and its transpose are
    the spans ts[v]:ts[v + 1] of Tp and tts[v]:tts[v + 1] of Ttp, a row with node u's states
    padded with zeros to stride[u] (so are the products: their padding comes out 0), its
    cumulative emissions (K + 1 rows) the span cs[v]:cs[v + 1] of Cp (:mod:`pcz.coders.tree_tables`).
    Returns OK or ERR_TRUNCATED (a stream ended too early); the caller checks the ends.
    """
    B = X.shape[0]
    D = order.shape[0]
    tmp = np.empty((B, down.shape[2]))
    node_at = np.zeros(down.shape[0], dtype=np.int64)
    top = -1
    n = pos[0]
    for i in range(D):
        v = order[i]
        d = depth[v]
        mv = states[v]
        # fold the subtrees finished since the last node into their parents
        for j in range(top, d - 1, -1):
            if j >= 1:
                u = node_at[j]
                mu, mp = states[u], states[node_at[j - 1]]
                wp = stride[node_at[j - 1]]
                Ttu = Ttp[tts[u]:tts[u + 1]].reshape((mu, wp))   # [m_child, m_parent]
                _matmul(beta[j], Ttu, tmp, tile, mu, wp)
                for b in range(B):
                    for m in range(mp):
                        beta[j - 1, b, m] *= tmp[b, m]
                _normalise_rows(beta[j - 1], B, mp)
        Cv = Cp[cs[v]:cs[v + 1]].reshape((K + 1, mv))
        if d == 0:
            for b in range(B):
                for m in range(mv):
                    down[0, b, m] = prior[m]
        else:
            mp = states[parent[v]]
            for b in range(B):
                for m in range(mp):
                    tmp[b, m] = down[d - 1, b, m] * beta[d - 1, b, m]
            wv = stride[v]
            _matmul(tmp, Tp[ts[v]:ts[v + 1]].reshape((mp, wv)), down[d], tile, mp, wv)
        if d > 0:
            _normalise_rows(down[d], B, mv)
        for b in range(B):
            dv = down[d, b, :mv]
            if encoding:
                x = np.int64(X[b, v])
                lo, hi = _cdf2(dv, Cv, x, K)
                starts[n] = lo
                widths[n] = hi - lo
                n += 1
            else:
                r = b if state.shape[0] > 1 else 0
                s = state[r]
                slot = s & (ONE - 1)
                x, lo, hi = _search(dv, Cv, K, slot, np.int64(X[b, parent[v]]) if d else 0)
                s = (hi - lo) * (s >> PRECISION) + slot - lo
                if s < RANS_L:
                    if pos[r] >= end[r]:
                        return ERR_TRUNCATED
                    s = (s << 32) | np.int64(words[pos[r]])
                    pos[r] += 1
                state[r] = s
                X[b, v] = x
            bv = beta[d, b]            # E_v[:, x], exact; renormalised when folded into the parent
            for m in range(mv):
                bv[m] = Cv[x + 1, m] - Cv[x, m]
        node_at[d] = v
        top = d
    if encoding:
        pos[0] = n
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


@numba.njit(cache=True, nogil=True)
def _encode_records(starts, widths, B, D, words, lengths, first, pos):
    """rANS-encode each of the B records of a group (symbol i of record b at i * B + b) as its
    own stream, appended to words from pos; returns the new end position."""
    tmp = np.empty(D + 2, dtype=np.uint32)
    bound = np.int64((RANS_L >> PRECISION) << 32)
    for b in range(B):
        state = np.int64(RANS_L)
        p = D + 2
        for i in range(D - 1, -1, -1):
            s = np.int64(starts[i * B + b])
            f = np.int64(widths[i * B + b])
            if state >= bound * f:
                p -= 1
                tmp[p] = state & WORD
                state >>= 32
            state = ((state // f) << PRECISION) + (state % f) + s
        p -= 2
        tmp[p] = state & WORD
        tmp[p + 1] = state >> 32
        n = D + 2 - p
        words[pos:pos + n] = tmp[p:]
        lengths[first + b] = n
        pos += n
    return pos


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
    groups of :attr:`group` (from :func:`lockstep_group`), one rANS stream for all
    (:meth:`encode`) or one per record (:meth:`encode_each`).  :attr:`tile` is how many
    records share a pass over each transition (4; 1 walks them one by one, as before
    batching: the same bits, slower).

    ``states`` (D,) ints in 1..M, for a pruned model: node v uses only its first
    ``states[v]`` latent states (None: all M, the same words as without it).  Only
    ``prior[:states[root]]`` (summing to one), ``T[v, :states[parent[v]], :states[v]]``
    (rows summing to one) and ``E[v, :states[v]]`` are read, anything else in them is
    ignored; the coder keeps only those blocks (:mod:`pcz.coders.tree_tables`), so its
    tables take memory in proportion to the used parameters, and each transition costs
    states[parent] x states[v] products.  T and E may hold quantised integer rows, with
    ``t_scale`` and ``scale`` 2^-qbits (exact: the same tables as the dequantised floats),
    and may be sequences of each node's block and rows (a model's stored parameters).

    >>> T = np.full((2, 3, 3), np.nan)
    >>> T[1, :2, :1] = 1.0                                    # node 1 keeps one state
    >>> coder = TreeCoder([-1, 0], [0.5, 0.5, np.nan], T, np.full((2, 3, 2), 0.5), states=[2, 1])
    >>> coder.decode(coder.encode([[0, 1], [1, 1]]), 2).tolist()
    [[0, 1], [1, 1]]
    """

    tile = TILE

    def __init__(self, parent, prior, T, E, order=None, depth=None, scale=1.0, states=None, t_scale=1.0):
        parent = np.asarray(parent)
        if order is None or depth is None:
            order, depth = preorder(parent)
        self.parent = parent.astype(np.int64)
        self.order = np.asarray(order, dtype=np.int64)
        self.depth = np.asarray(depth, dtype=np.int64)
        self.prior = np.ascontiguousarray(prior, dtype=np.float64)
        M = self.prior.shape[0]
        self.states = check_states(states, len(self.parent), M)
        self.stride = padded(self.states)
        self.Tp, self.Ttp, self.ts, self.tts = transitions(self.parent, self.states, T, t_scale)
        self.Cp, self.cs = cumulative(E, scale, self.states)
        self.K = np.shape(E[0])[-1]
        self.levels = int(self.depth.max()) + 1
        self.group = lockstep_group(self.levels, M)

    def _walk_groups(self, X: np.ndarray, starts=_NONE, widths=_NONE, words=_NONE, state=None,
                     pos=None, end=None) -> None:
        """Walk X group by group: encoding when ``state`` is None, else decoding the streams
        (one for all records, or one per record: ``state``, ``pos``, ``end`` of length B)."""
        encoding = state is None
        each = not encoding and len(state) > 1
        if encoding:
            pos = np.zeros(1, dtype=np.int64)
            state = end = pos
        M = self.prior.shape[0]
        down = beta = np.zeros(0)
        for g in range(0, len(X), self.group):
            part = X[g:g + self.group]
            if down.shape[1:2] != (len(part),):          # C-contiguous message arrays
                down = beta = np.zeros(0)                  # one group's messages at a time
                down = np.zeros((self.levels, len(part), padded(M)))
                beta = np.zeros_like(down)
            streams = slice(g, g + len(part)) if each else slice(None)
            s, p = state[streams], pos[streams]        # views: the walk advances them in place
            if _walk(encoding, self.tile, part, self.order, self.depth, self.parent, self.states, self.stride,
                     self.prior, self.Tp, self.Ttp, self.ts, self.tts, self.Cp, self.cs, self.K, down, beta,
                     starts, widths, words, s, p, end[streams]) != OK:
                raise ValueError("coded records are truncated")

    def encode(self, X: np.ndarray) -> np.ndarray:
        """The rANS words (uint32) coding the records X (B, D) with values < K."""
        starts, widths = self._symbols(X)
        return _rans_encode(starts, widths)

    def _symbols(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = np.array(X, dtype=np.uint8, order="C")      # writable: one numba specialisation
        starts = np.empty(X.size, dtype=np.uint32)
        widths = np.empty(X.size, dtype=np.uint32)
        self._walk_groups(X, starts, widths)
        return starts, widths

    def decode(self, words: np.ndarray, B: int) -> np.ndarray:
        """B records decoded from rANS words; ValueError when the words are not a valid stream."""
        words = np.array(words, dtype=np.uint32)     # a writable copy: one numba specialisation
        if len(words) < 2:
            raise ValueError("coded records are truncated")
        state = int(words[0]) | (int(words[1]) << 32)
        if not RANS_L <= state < 1 << 63:                 # every encoder ends in this range
            raise ValueError("coded records start with an invalid coder state")
        X = np.zeros((B, len(self.order)), dtype=np.uint8)
        state, pos, end = np.array([state]), np.array([2]), np.array([len(words)])
        self._walk_groups(X, words=words, state=state, pos=pos, end=end)
        if state[0] != RANS_L or pos[0] != len(words):
            raise ValueError("coded records do not end where the stream does")
        return X

    def encode_each(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Code each record of X (B, D) as its own rANS stream, exactly the words :meth:`encode`
        gives for it alone: (all words, words per record).  Any subset of the records decodes
        without the others (:meth:`decode_each`); each stream ends with a 64-bit state and
        whole words, about 6 bytes per record.

        >>> coder = TreeCoder(np.array([-1, 0]), np.array([0.5, 0.5]), np.full((2, 2, 2), 0.5),
        ...                   np.array([[[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]] * 2))
        >>> X = np.array([[0, 0], [2, 1], [1, 2]], dtype=np.uint8)
        >>> words, lengths = coder.encode_each(X)
        >>> lengths.tolist(), bool(np.all(words[:lengths[0]] == coder.encode(X[:1])))
        ([2, 2, 2], True)
        >>> coder.decode_each(words, lengths).tolist()
        [[0, 0], [2, 1], [1, 2]]
        """
        B, D = np.shape(X)
        words = np.empty(B * (D + 2), dtype=np.uint32)      # a symbol adds at most one word
        lengths = np.zeros(B, dtype=np.int64)
        pos = 0
        for g in range(0, B, self.group):                  # the symbols of one group at a time
            starts, widths = self._symbols(X[g:g + self.group])
            pos = _encode_records(starts, widths, len(starts) // D, D, words, lengths, g, pos)
        return words[:pos].copy(), lengths

    def decode_each(self, words: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The records coded by :meth:`encode_each`, record b from its ``lengths[b]`` words;
        ValueError when the words are not valid streams."""
        words = np.ascontiguousarray(words, dtype=np.uint32)
        lengths = np.asarray(lengths, dtype=np.int64)
        if np.any(lengths < 2) or int(lengths.sum()) != len(words):
            raise ValueError("coded records do not fill their words")
        end = np.cumsum(lengths)
        pos = end - lengths
        state = words[pos].astype(np.int64) | (words[pos + 1].astype(np.int64) << 32)
        if np.any(state < RANS_L):                         # negative (the top bit set) included
            raise ValueError("coded records do not start or end in a valid coder state")
        pos += 2
        X = np.zeros((len(lengths), len(self.order)), dtype=np.uint8)
        if len(X) == 1:         # one stream for one record: the same walk as :meth:`decode`
            state, pos, end = state[:1], pos[:1], end[:1]
        self._walk_groups(X, words=words, state=state, pos=pos, end=end)
        if np.any(state != RANS_L) or np.any(pos != end):
            raise ValueError("coded records do not start or end in a valid coder state")
        return X
