"""A lean context-mixing byte model (lpaq-style) fused with the binary arithmetic coder.

Each byte is coded as 8 binary decisions, most significant bit first, down the
byte's bit tree (:mod:`pcz.coders.binary_coder`, 16-bit probabilities).  At every
decision these models each give a prediction:

- six context models, one per entry of ``orders`` (the k previous bytes, k = 1..8,
  or the pseudo-order :data:`WORD`: the letters of the current word, case-folded,
  or between words the two bytes before the last, a sparse context): a hash table of 16-byte slots, one
  per (context, nibble), holding a check byte and the bit histories of the
  nibble's 15 tree nodes, so a model costs one cache line per nibble; a lookup
  tries 3 neighbouring slots and otherwise replaces the least used (order 1 is
  indexed directly).  A bit history is a count state ``(n0, n1)``, 0..15 each (a
  bit increments its count; the other count halves when above ``half``), mapped to
  a probability by an adaptive table per model (22-bit probability and a count:
  it moves by 2 / (2 count + 3), :func:`state_tables`);
- a match model: the byte that followed the last occurrence of the previous
  ``match_min`` bytes, while it keeps matching; its expected bit and the match
  length select an adaptive probability.

A small logistic mixer combines them: inputs are stretched probabilities
``st(p) = ln(p / (1 - p))`` (integers in 1/256, clamped to +-8) and a bias; one
weight set, selected by how many context models know their context, the match
state, the bit position and the previous byte's top 2 bits, gives
``d = sum w_i st_i``; ``squash(d)`` is refined by an adaptive probability map
(APM: 33 knots over d, by the partial byte and the previous byte's top 3 bits)
and the coded probability is ``(squash(d) + 3 apm) / 4``.  Weights are int32 in
1/65536 and learn by ``w += st_i * err * rate >> 16``.  Every table starts empty per
call (per chunk), so chunks decode independently.

Determinism: integers only on the coding path (no float, no exp/log): the squash and
stretch tables are built once from exact decimal arithmetic (:func:`squash_table`);
hashes are 32-bit integer arithmetic.  Memory is bounded whatever the input: six
tables of at most ``2**MAX_TABLE_BITS`` bytes (log2 of the chunk size + ``extra``
bits, so small chunks set up fast), a match table of at most 2**22 int32 positions,
the APM (2048 x 33 int32) and the mixer (7168 int32).

>>> import numpy as np
>>> src = np.frombuffer(b"abracadabra, abracadabra, abracadabra", dtype=np.uint8)
>>> blob = encode(src, 1)
>>> len(blob) < len(src)
True
>>> decode(blob, len(src), 1).tobytes()
b'abracadabra, abracadabra, abracadabra'
"""
import numpy as np

from pcz.coders.jit import numba
from pcz.coders.binary_coder import dec_bit, dec_init, enc_bit, enc_flush
from pcz.coders.cm_tables import (APM_ROWS, CONFIGS, M32, MATCH_MAX_BITS, MAX_TABLE_BITS,  # noqa: F401
                                  MIN_TABLE_BITS, N_MODELS, PROBE, W_SETS, WORD, squash_table, state_tables,
                                  stretch_table, tables)
from pcz.coders.cm_tables import bits as _bits, setup as _setup  # noqa: F401
from pcz.coders.errors import CodingError


@numba.njit(cache=True, nogil=True, inline="always")
def _hash(x, k):
    h = ((x & M32) * 0x9E3779B1 + k * 0x632BE5AB) & M32
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & M32
    return h ^ (h >> 13)


@numba.njit(cache=True, nogil=True, inline="always")
def _slot(T, k, h, mask, total):
    """Offset of the slot of hash h in table k: the one of 3 neighbours (same cache line)
    whose check byte matches, else the least used of them, cleared.  Branch-free selects:
    whether a context is known is unpredictable, and mispredictions cost more than the loads."""
    chk = h >> 24
    i = h & mask
    b0, b1, b2 = i << 4, (i ^ 1) << 4, (i ^ 2) << 4
    m0 = np.int64(T[k, np.uint64(b0)] == chk)      # (unsigned indices: no negative-index fix-up)
    m1 = np.int64(T[k, np.uint64(b1)] == chk)
    m2 = np.int64(T[k, np.uint64(b2)] == chk)
    if m0 | m1 | m2:
        return m0 * b0 + (1 - m0) * (m1 * b1 + (1 - m1) * b2)
    p0, p1, p2 = total[T[k, b0 + 1]], total[T[k, b1 + 1]], total[T[k, b2 + 1]]
    s0 = np.int64((p0 <= p1) & (p0 <= p2))
    s1 = np.int64(p1 <= p2)
    b = s0 * b0 + (1 - s0) * (s1 * b1 + (1 - s1) * b2)
    for q in range(1, 16):
        T[k, b + q] = 0
    T[k, b] = chk
    return b


@numba.njit(cache=True, nogil=True, inline="always")
def _learn(sm, q, y, limit, rate_t):
    """Move state map entry q (22-bit probability << 10 | count) towards bit y by 2 / (2 count + 3)."""
    v = sm[np.uint64(q)]
    n = v & 1023
    p = v >> 10
    p += (((y << 22) - p) * rate_t[np.uint64(n)]) >> 16
    sm[np.uint64(q)] = (p << 10) | (n + (n < limit))


@numba.njit(cache=True, nogil=True, inline="always")
def _apm(A, row, d, y, rate, update):
    """Interpolated APM output (16 bits) for stretch d at row; with update, moves the nearer knot to y."""
    s = d + 2048
    j, wt = s >> 7, s & 127
    r = row * 33 + j
    if update:
        k = np.uint64(r + (wt >> 6))
        A[k] += ((y << 16) - A[k]) >> rate
        return 0
    return (A[np.uint64(r)] * (128 - wt) + A[np.uint64(r + 1)] * wt) >> 7


@numba.njit(cache=True, nogil=True)
def _code(buf, n, stream, encoding, probe, orders, params, T, sm, W, A, MT, sq, st, nxt, total, rate_t):
    K = N_MODELS
    match_min, lr, boost, limit, apm_rate, share = params[0], params[1], params[2], params[3], params[4], params[5]
    tmask = (T.shape[1] >> 4) - 1
    mmask = MT.shape[0] - 1
    NI = K + 2
    state = np.zeros(4, dtype=np.int64)
    if encoding:
        state[1] = M32
    else:
        dec_init(state, stream)
    base = np.zeros(K, dtype=np.int64)
    hk = np.zeros(K, dtype=np.int64)
    x = np.zeros(NI, dtype=np.int64)
    sk = np.zeros(K, dtype=np.int64)
    sink = np.zeros(1, dtype=np.int64)   # keeps the prefetching loads from being optimised away
    c4, c8, wh = 0, 0, 0
    mlen, mptr, mi = 0, 0, 0
    for i in range(n):
        if i == probe and state[2] + 16 >= i:
            return -1            # incompressible so far: not worth the time
        # contexts of this byte
        c1 = c4 & 255
        for k in range(K):
            o = orders[k]
            if o == WORD:
                hk[k] = _hash(wh if wh else (c4 >> 8) & 0xFFFF, 0x5E3 + (wh == 0))   # between words: c2, c3
            elif o <= 4:
                hk[k] = _hash(c4 & ((1 << (8 * o)) - 1), o)
            else:
                hk[k] = _hash(c4 ^ _hash(c8 & ((1 << (8 * (o - 4))) - 1), o), o)
        mbyte = (buf[np.uint64(mptr)] | 256) if mlen > 0 else 0
        mb = 0 if mlen == 0 else (mlen if mlen < 16 else (16 + (mlen - 16) // 4 if mlen < 64 else 28))
        c0, j, y = 1, 1, 0
        byte = buf[i] if encoding else 0
        rate = lr + (boost << 16) // (i + 4096)       # the mixer learns faster at first
        for bit in range(8):
            if bit == 0 or bit == 4:
                if bit == 4:
                    for k in range(K):
                        hk[k] = _hash(hk[k] + c0 * 0x3C6EF372, 77)
                touch = 0
                for k in range(K):            # independent loads first: the cache misses overlap
                    touch += T[k, np.uint64((hk[k] & tmask) << 4)]
                sink[0] += touch
                for k in range(K):
                    if orders[k] == 1:
                        base[k] = (c1 * 17 + (0 if bit == 0 else c0 - 15)) << 4
                    else:
                        base[k] = _slot(T, k, hk[k], tmask, total)
                j = 1
            conf = 0
            for k in range(K):
                v = T[k, np.uint64(base[k] + j)]
                sk[k] = (k << 8) | v
                conf += v != 0
                x[k] = st[np.uint64(sm[np.uint64(sk[k])] >> 20)]
            expect = -1
            if mbyte and (mbyte >> (8 - bit)) == c0:
                expect = (mbyte >> (7 - bit)) & 1
                mi = (K << 8) + mb * 2 + expect
                x[K] = st[np.uint64(sm[np.uint64(mi)] >> 20)]
            else:
                x[K] = 0
            x[K + 1] = 256
            mstate = 0 if expect < 0 else (1 if mlen < 16 else (2 if mlen < 32 else 3))
            w1 = ((((conf + (K + 1) * mstate) << 3) + bit) * 4 + (c1 >> 6)) * NI
            d1 = 0
            for m in range(NI):
                d1 += x[m] * W[np.uint64(w1 + m)]
            d1 = min(2047, max(-2047, d1 >> 16))
            pm = sq[np.uint64(d1 + 2047)]
            r2 = c0 | ((c1 >> 5) << 8)
            p = ((4 - share) * pm + share * _apm(A, r2, d1, 0, 0, False)) >> 2
            p = min(65535, max(1, p))
            if encoding:
                y = (byte >> (7 - bit)) & 1
                enc_bit(state, stream, y, p)
            else:
                y = dec_bit(state, stream, p)
            # learn
            e1 = ((y << 12) - (pm >> 4)) * rate
            for m in range(NI):
                W[np.uint64(w1 + m)] += (x[m] * e1) >> 16
            _apm(A, r2, d1, y, apm_rate, True)
            for k in range(K):
                q = sk[k]
                _learn(sm, q, y, limit, rate_t)
                T[k, np.uint64(base[k] + j)] = nxt[np.uint64(q & 255), np.uint64(y)]
            if expect >= 0:
                _learn(sm, mi, y, limit, rate_t)
                if expect != y:
                    mlen = 0
            c0 = (c0 << 1) | y
            j = (j << 1) | y
            if j >= 16:
                j = 1
        c = c0 & 255
        if not encoding:
            buf[i] = c
        # after the byte: histories, word hash, match model
        c8 = ((c8 << 8) | (c4 >> 24)) & M32
        c4 = ((c4 << 8) | c) & M32
        lc = c | 32
        if 97 <= lc <= 122:
            wh = ((wh + lc + 1) * 0x3D4D51CB) & M32
        else:
            wh = 0
        if mlen > 0:
            mlen = mlen + 1 if mlen < 65535 else mlen
            mptr += 1
        if i + 1 >= match_min:
            hm = _hash(c4 ^ _hash(c8 & ((1 << (8 * max(0, match_min - 4))) - 1), 9), 11) & mmask
            if mlen == 0:
                cand = MT[np.uint64(hm)]
                if cand > 0:
                    L = 0
                    while L < 32 and cand - 1 - L >= 0 and buf[cand - 1 - L] == buf[i - L]:
                        L += 1
                    if L >= match_min:
                        mlen, mptr = L, cand
            MT[np.uint64(hm)] = i + 1
    if encoding:
        return enc_flush(state, stream)
    return state[2]


def encode(src: np.ndarray, mode: int, probe: bool = True) -> bytes | None:
    """Code the uint8 array ``src`` with configuration ``mode``; the coder's stream, or None
    when it is not shorter than ``src`` (with ``probe``, also when a chunk over 2 * PROBE
    bytes saves nothing on its first PROBE bytes: random or already compressed data).

    >>> encode(np.random.default_rng(0).integers(0, 256, 3 * PROBE, dtype=np.uint8), 1) is None
    True
    """
    n = len(src)
    out = np.zeros(n + 8, dtype=np.uint8)
    at = PROBE if probe and n >= 2 * PROBE else -1
    m = _code(np.array(src, dtype=np.uint8), n, out, True, at, *_setup(n, mode))
    return None if m < 0 or m >= n + 8 else out[:m].tobytes()


def decode(stream: bytes, n: int, mode: int) -> np.ndarray:
    """Decode n bytes coded with configuration ``mode``; CodingError when the stream does not
    end exactly where the coder's does (damaged or truncated).

    >>> blob = encode(np.frombuffer(b"to be or not to be, " * 9, dtype=np.uint8), 1)
    >>> decode(blob, 180, 1)[:12].tobytes()
    b'to be or not'
    >>> decode(blob[:-1], 180, 1)
    Traceback (most recent call last):
    ...
    pcz.coders.errors.CodingError: cm stream does not end where the coder does (damaged data)
    """
    if mode not in CONFIGS:
        raise CodingError(f"unknown cm mode {mode}")
    data = np.array(np.frombuffer(stream, dtype=np.uint8))   # writable: one compiled kernel both ways
    out = np.zeros(n, dtype=np.uint8)
    used = _code(out, n, data, False, -1, *_setup(n, mode))
    if used != len(data):
        raise CodingError("cm stream does not end where the coder does (damaged data)")
    return out
