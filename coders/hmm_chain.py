"""Fused numba kernels: the HMM forward recursion driving the binary coders.

This is :mod:`pcz.coders.tree_pc`'s pre-order recursion specialised to a chain
whose nodes take their parameters from shared slots (an HMM):
``down_t = alpha_{t-1} T``, ``alpha_t = down_t * E[:, x_t]`` (renormalised).  It
is a separate kernel because a chain needs no stack of subtree messages and
because the model and the coder run in one compiled loop, with no Python call
per symbol: about 5 us per byte with coding against 21 us for TreeWalk's
conditionals alone at H = 128 (bench/text_canterbury.py); tests check that both
give the same conditionals.

Each byte is coded as 8 binary decisions down a bit tree: with
``S[n] = sum of E[:, k] over the bytes k under tree node n`` (see
:func:`pcz.models.hmm.bit_tree`), ``P(next bit = 1) = (down . S[2n+1]) / mass(n)``.  That is
O(8 H) per byte instead of O(256 H) for the full distribution; the transition
costs O(H^2).

Parameter slots: ``T`` is (C, H, H), ``S`` is (C, 512, H); step t (the move into
z_t and the emission of x_t) uses slot ``cls[x_{t-1}]``, slot 0 at the start
(:mod:`pcz.models.hmm`).  C = 1 is a plain HMM.

Determinism: float64, fastmath off, fixed loop order (``out[m] += w * A[k, m]``,
k outer), divisions and comparisons only; probabilities are quantised to 16 bits
before they reach the integer coders.
"""
import numpy as np

from pcz.coders.jit import numba
from pcz.coders import window_coder as wc
from pcz.coders.binary_coder import dec_bit, dec_init, enc_bit, enc_flush, quantise


@numba.njit(cache=True, nogil=True, inline="always")
def _dot(a, b):
    s = 0.0
    for m in range(a.shape[0]):
        s += a[m] * b[m]
    return s


@numba.njit(cache=True, nogil=True)
def advance(down, alpha, T, leaf):
    """Condition on the byte whose emission column is ``leaf`` (E[:, x]), then step the
    chain: alpha = normalise(down * leaf); down = alpha @ T."""
    H = down.shape[0]
    s = 0.0
    for m in range(H):
        alpha[m] = down[m] * leaf[m]
        s += alpha[m]
    for m in range(H):
        alpha[m] = alpha[m] / s
        down[m] = 0.0
    for k in range(H):
        w = alpha[k]
        row = T[k]
        for m in range(H):
            down[m] += w * row[m]


@numba.njit(cache=True, nogil=True, inline="always")
def bit_p1(down, S, node, mass):
    """(P(bit = 1) quantised, mass of the 1 child) at tree node ``node``."""
    m1 = _dot(down, S[2 * node + 1])
    return quantise(m1 / mass), m1


@numba.njit(cache=True, nogil=True)
def _weights(down, total, w):
    """w = down / total: the state posterior divided by each state's emission mass, so
    that dot products with unnormalised (adapted) masses give normalised mixtures."""
    for m in range(down.shape[0]):
        w[m] = down[m] / total[m]
    return _dot(w, total)


@numba.njit(cache=True, nogil=True)
def _learn(St, node, alpha, rate):
    """Adaptation: add rate * posterior to the masses of every tree node on x's path."""
    while node >= 1:
        row = St[node]
        for m in range(alpha.shape[0]):
            row[m] += rate * alpha[m]
        node >>= 1


@numba.njit(cache=True, nogil=True)
def _start(prior, S, rate):
    """(masses, ready, down, alpha, w) at the start of a chunk.  Masses that adapt are
    copied slot by slot on first use (:func:`_slot_masses`; short chunks touch few slots)."""
    H = prior.shape[0]
    if rate > 0:
        Sa, ready = np.empty_like(S), np.zeros(S.shape[0], dtype=np.uint8)
    else:
        Sa, ready = S, np.ones(S.shape[0], dtype=np.uint8)
    return Sa, ready, prior.copy(), np.empty(H), np.empty(H)


@numba.njit(cache=True, nogil=True, inline="always")
def _slot_masses(Sa, S, ready, slot):
    """The (adapting) tree masses of a slot, copied from the model's on first use."""
    if not ready[slot]:
        Sa[slot] = S[slot]
        ready[slot] = 1
    return Sa[slot]


@numba.njit(cache=True, nogil=True)
def _after_byte(x, St, node, T, cls, rate, down, alpha, w):
    """Condition on byte x (tree leaf ``node`` of slot masses St), adapt, step; returns the next slot."""
    slot = cls[x]
    advance(w, alpha, T[slot], St[node])
    down[:] = w
    if rate > 0:
        _learn(St, node, alpha, rate)
    return slot


@numba.njit(cache=True, nogil=True)
def encode_stream(data, prior, T, S, cls, out, rate):
    """Code every byte of data; returns the stream length (> len(out) means it did not fit).

    rate > 0 adapts the emissions while coding (S is copied first): after each byte,
    ``rate * P(z_t | x_<=t)`` is added to the tree masses of that byte in its slot,
    i.e. each state's emission row starts as the model's with weight 1 and gathers
    the posterior-weighted counts of this chunk (online EM on the emissions).
    """
    Sa, ready, down, alpha, w = _start(prior, S, rate)
    state = np.zeros(3, dtype=np.int64)
    state[1] = 0xFFFFFFFF
    slot = 0
    for t in range(data.shape[0]):
        x = np.int64(data[t])
        St = _slot_masses(Sa, S, ready, slot)
        node = 1
        mass = _weights(down, St[1], w)
        for level in range(8):
            bit = (x >> (7 - level)) & 1
            p1, m1 = bit_p1(w, St, node, mass)
            enc_bit(state, out, bit, p1)
            node = 2 * node + bit
            mass = m1 if bit else mass - m1
        slot = _after_byte(x, St, node, T, cls, rate, down, alpha, w)
        if state[2] > out.shape[0]:
            return state[2]
    return enc_flush(state, out)


@numba.njit(cache=True, nogil=True)
def decode_stream(payload, prior, T, S, cls, out, rate):
    """Decode len(out) bytes coded by :func:`encode_stream` with the same rate."""
    Sa, ready, down, alpha, w = _start(prior, S, rate)
    state = np.zeros(4, dtype=np.int64)
    dec_init(state, payload)
    slot = 0
    for t in range(out.shape[0]):
        St = _slot_masses(Sa, S, ready, slot)
        node = 1
        mass = _weights(down, St[1], w)
        for level in range(8):
            p1, m1 = bit_p1(w, St, node, mass)
            bit = dec_bit(state, payload, p1)
            node = 2 * node + bit
            mass = m1 if bit else mass - m1
        x = node - 256
        out[t] = x
        slot = _after_byte(x, St, node, T, cls, rate, down, alpha, w)


@numba.njit(cache=True, nogil=True)
def encode_windows(data, W, prior, T, S, cls, out):
    """Cut data into W-bit windows (rows of out, W/8 bytes each); returns the window count.

    Coder and model restart at every window (window_coder's parsing rule)."""
    H = prior.shape[0]
    down = np.empty(H)
    alpha = np.empty(H)
    lo = np.zeros(W // 32 + 2, dtype=np.int64)
    saved = np.zeros_like(lo)
    n = data.shape[0]
    t = 0
    nw = 0
    while t < n:
        down[:] = prior
        lo[:] = 0
        R, e = wc.start_range(W)
        slot = 0
        count = 0
        while t < n:
            saved[:] = lo
            R0, e0 = R, e
            if count:
                R -= 1
            x = np.int64(data[t])
            St = S[slot]
            node = 1
            mass = _dot(down, St[1])
            fits = True
            for level in range(8):
                bit = (x >> (7 - level)) & 1
                p1, m1 = bit_p1(down, St, node, mass)
                r1 = wc.split(R, p1, count == 0, level)
                if bit:
                    if r1 == 0:
                        fits = False
                        break
                    R = r1
                else:
                    if r1 == R:
                        fits = False
                        break
                    wc.add_shifted(lo, r1, e)
                    R -= r1
                while R < wc.HALF and e > 0:
                    R <<= 1
                    e -= 1
                node = 2 * node + bit
                mass = m1 if bit else mass - m1
            if not fits:
                lo[:] = saved
                R, e = R0, e0
                break
            slot = cls[x]
            advance(down, alpha, T[slot], St[node])
            count += 1
            t += 1
        wc.write_window(lo, R, e, out[nw])
        nw += 1
    return nw


@numba.njit(cache=True, nogil=True)
def decode_window(row, prior, T, S, cls, out, start):
    """Decode one window into out[start:]; returns the new end, or -1 if out is too short."""
    H = prior.shape[0]
    W = 8 * row.shape[0]
    down = prior.copy()
    alpha = np.empty(H)
    R, e = wc.start_range(W)
    D = wc.read_top(row, e)
    slot = 0
    pos = start
    while True:
        if pos > start:
            if D >= R - 1:
                return pos
            R -= 1
        if pos >= out.shape[0]:
            return -1
        St = S[slot]
        node = 1
        mass = _dot(down, St[1])
        for level in range(8):
            p1, m1 = bit_p1(down, St, node, mass)
            r1 = wc.split(R, p1, pos == start, level)
            if D < r1:
                bit = 1
                R = r1
            else:
                bit = 0
                D -= r1
                R -= r1
            while R < wc.HALF and e > 0:
                R <<= 1
                e -= 1
                D = (D << 1) | wc.window_bit(row, e)
            node = 2 * node + bit
            mass = m1 if bit else mass - m1
        x = node - 256
        out[pos] = x
        pos += 1
        slot = cls[x]
        advance(down, alpha, T[slot], St[node])


@numba.njit(cache=True, nogil=True)
def decode_windows(rows, prior, T, S, cls, out, ends):
    """Decode every window (rows of W/8 bytes) into out; ends[i] is where window i stops.
    Returns the total decoded, or -1 if out is too short."""
    pos = 0
    for i in range(rows.shape[0]):
        pos = decode_window(rows[i], prior, T, S, cls, out, pos)
        if pos < 0:
            return -1
        ends[i] = pos
    return pos


@numba.njit(cache=True, nogil=True)
def predictive(data, prior, T, E, cls):
    """P(x_t = k | x_<t) for every t (rows), by the same recursion (tests, analysis)."""
    H = prior.shape[0]
    K = E.shape[2]
    n = data.shape[0]
    probs = np.zeros((n, K))
    down = prior.copy()
    alpha = np.empty(H)
    leaf = np.empty(H)
    slot = 0
    for t in range(n):
        Et = E[slot]
        for m in range(H):
            w = down[m]
            for k in range(K):
                probs[t, k] += w * Et[m, k]
        x = data[t]
        for m in range(H):
            leaf[m] = Et[m, x]
        slot = cls[x]
        advance(down, alpha, T[slot], leaf)
    return probs
