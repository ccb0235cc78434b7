"""The fixed-order float64 arithmetic of the HCLT walk (:mod:`pcz.coders.tree_rans`).

Encoder and decoder must compute the same floats on every machine, so every sum
here has a fixed association: dot products and normalising sums as four partial
sums combined as (s0 + s1) + (s2 + s3); products with a transition matrix rows
four at a time, ``out += (w0 A0 + w1 A1) + (w2 A2 + w3 A3)``.  No fastmath (so no
FMA contraction, no reassociation), no BLAS.  :func:`_matmul` is the batched form:
the product for many records at once, each element computed by the very
operations :func:`_matvec` does, so the bits are the same; it only reads each
row of the matrix once per four records.

A node of a pruned model uses only a prefix of the M latent states: :func:`_dot`,
:func:`_normalise`, :func:`_cdf` and :func:`_search` work on the length of the vector
given (a 1D slice ``v[:m]`` keeps its C layout), :func:`_matvec` and :func:`_matmul` on the
top-left R x M block of their matrix, the lengths given as arguments.  Full lengths give
the operations, so the bits, of the unpruned walk.

The quantised CDF of a conditional is ``cdf(k) = min(floor(down . C[k] * (2^24 - K)),
2^24 - K) + k`` with C the cumulative emissions (rows k = 0..K), strictly increasing.

>>> import numpy as np
>>> W = np.array([[0.25, 0.75], [1.0, 0.0], [0.5, 0.5], [0.1, 0.9], [0.3, 0.7]])
>>> A = np.array([[0.9, 0.1], [0.2, 0.8]])
>>> out, one = np.zeros((5, 2)), np.zeros(2)
>>> _matmul(W, A, out, 4, 2, 2)
>>> _matvec(W[4], A, one, 2, 2)
>>> bool(np.array_equal(out[4], one)), out[1].tolist()
(True, [0.9, 0.1])
>>> C = np.array([[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]], dtype=np.float32)   # K = 2
>>> down = np.array([0.5, 0.5])
>>> _cdf(down, C, 1, 2), _search(down, C, 2, 7_000_000, 0)
(6291456, (1, 6291456, 16777216))
"""
import numba

PRECISION = 24
ONE = 1 << PRECISION
TILE = 4            # records per pass of _matmul over a matrix (1: one record at a time)


@numba.njit(cache=True, nogil=True, inline="always")
def _dot(a, w):
    """sum_m a[m] * w[m] over the length of a (w may be longer), with four partial sums
    combined in a fixed order."""
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
def _normalise_rows(A, B, M):
    """_normalise(A[b, :M]) for every row b < B, two rows per pass (the same operations on
    each row, so the same values; the two chains of additions overlap)."""
    b = 0
    while b + 2 <= B:
        u, v = A[b], A[b + 1]
        s0 = s1 = s2 = s3 = t0 = t1 = t2 = t3 = 0.0
        m = 0
        while m + 4 <= M:
            s0 += u[m]
            s1 += u[m + 1]
            s2 += u[m + 2]
            s3 += u[m + 3]
            t0 += v[m]
            t1 += v[m + 1]
            t2 += v[m + 2]
            t3 += v[m + 3]
            m += 4
        while m < M:
            s0 += u[m]
            t0 += v[m]
            m += 1
        ru = 1.0 / ((s0 + s1) + (s2 + s3))
        rv = 1.0 / ((t0 + t1) + (t2 + t3))
        for i in range(M):
            u[i] *= ru
            v[i] *= rv
        b += 2
    if b < B:
        _normalise(A[b, :M])


@numba.njit(cache=True, nogil=True, inline="always")
def _matvec(w, A, out, R, M):
    """out[m] = sum_{k<R} w[k] * A[k, m] for m < M (the R x M top-left block of A), rows
    taken four at a time in a fixed order."""
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
def _cdf2(down, Cv, k, K):
    """(_cdf(down, Cv, k, K), _cdf(down, Cv, k + 1, K)) for 0 <= k < K: the two dot products in
    one pass over down, each by :func:`_dot`'s operations in its order (so the same values),
    their chains of additions overlapping."""
    w0, w1 = Cv[k], Cv[k + 1]
    M = down.shape[0]
    s0 = s1 = s2 = s3 = t0 = t1 = t2 = t3 = 0.0
    m = 0
    while m + 4 <= M:
        a0, a1, a2, a3 = down[m], down[m + 1], down[m + 2], down[m + 3]
        s0 += a0 * w0[m]
        s1 += a1 * w0[m + 1]
        s2 += a2 * w0[m + 2]
        s3 += a3 * w0[m + 3]
        t0 += a0 * w1[m]
        t1 += a1 * w1[m + 1]
        t2 += a2 * w1[m + 2]
        t3 += a3 * w1[m + 3]
        m += 4
    while m < M:
        s0 += down[m] * w0[m]
        t0 += down[m] * w1[m]
        m += 1
    return _quantise((s0 + s1) + (s2 + s3), k, K), _quantise((t0 + t1) + (t2 + t3), k + 1, K)


@numba.njit(cache=True, nogil=True, inline="always")
def _quantise(s, k, K):
    """cdf(k) from s, the dot product of down with C[k] (:func:`_cdf`)."""
    if k == 0:
        return 0
    if k == K:
        return ONE
    q = int(s * (ONE - K))
    if q > ONE - K:
        q = ONE - K
    return q + k


@numba.njit(cache=True, nogil=True, inline="always")
def _cdf(down, Cv, k, K):
    """Quantised CDF at k (0 <= k <= K) of the conditional given by down (which sums to 1
    up to rounding; the clamp keeps the result valid whatever the rounding); only the
    first len(down) columns of Cv are read."""
    if k == 0 or k == K:
        return _quantise(0.0, k, K)
    return _quantise(_dot(down, Cv[k]), k, K)


@numba.njit(cache=True, nogil=True, inline="always")
def _search(dv, Cv, K, slot, guess):
    """The symbol x with cdf(x) <= slot < cdf(x + 1), and those two bounds.

    Gallops from the guess (the parent's value: neighbours are alike), then
    bisects; any search order finds the same x, so this only affects speed.
    """
    x, hi_k = guess, guess + 1
    lo, hi = _cdf2(dv, Cv, x, K)
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


@numba.njit(cache=True, nogil=True, inline="always")
def _matmul(W, A, out, tile, R, M):
    """out[b, :M] = _matvec(W[b], A, ..., R, M) for every row b of W, with the same operations
    in the same order for every element (so the same bits), four rows of W at a time with
    ``tile`` 4: each row of A (a transition) is loaded once for four records instead of once
    per record (``tile`` 1: record by record, as before batching; for comparisons).  The last
    R mod 4 rows are added one after another, as :func:`_matvec` adds them, in one pass over
    out (not one pass each).

    Only the R x M top-left block of A, the first R columns of W and the first M of out are
    touched (a node with fewer latent states than the arrays are wide), and the lengths
    are arguments, not slices, so every array keeps its C layout: the loops over m stay
    vectorised.  With R, M the full widths this is the product of the whole matrices."""
    B = W.shape[0]
    b = 0
    while tile == 4 and b + 4 <= B:
        for i in range(4):
            for m in range(M):
                out[b + i, m] = 0.0
        k = 0
        while k + 4 <= R:
            A0, A1, A2, A3 = A[k], A[k + 1], A[k + 2], A[k + 3]
            p0, p1, p2, p3 = W[b, k], W[b, k + 1], W[b, k + 2], W[b, k + 3]
            q0, q1, q2, q3 = W[b + 1, k], W[b + 1, k + 1], W[b + 1, k + 2], W[b + 1, k + 3]
            r0, r1, r2, r3 = W[b + 2, k], W[b + 2, k + 1], W[b + 2, k + 2], W[b + 2, k + 3]
            s0, s1, s2, s3 = W[b + 3, k], W[b + 3, k + 1], W[b + 3, k + 2], W[b + 3, k + 3]
            for m in range(M):
                a0, a1, a2, a3 = A0[m], A1[m], A2[m], A3[m]
                out[b, m] += (p0 * a0 + p1 * a1) + (p2 * a2 + p3 * a3)
                out[b + 1, m] += (q0 * a0 + q1 * a1) + (q2 * a2 + q3 * a3)
                out[b + 2, m] += (r0 * a0 + r1 * a1) + (r2 * a2 + r3 * a3)
                out[b + 3, m] += (s0 * a0 + s1 * a1) + (s2 * a2 + s3 * a3)
            k += 4
        if R - k == 1:              # the last rows, added one after another, in one pass over out
            A0 = A[k]
            p0, q0, r0, s0 = W[b, k], W[b + 1, k], W[b + 2, k], W[b + 3, k]
            for m in range(M):
                a0 = A0[m]
                out[b, m] += p0 * a0
                out[b + 1, m] += q0 * a0
                out[b + 2, m] += r0 * a0
                out[b + 3, m] += s0 * a0
        elif R - k == 2:
            A0, A1 = A[k], A[k + 1]
            p0, q0, r0, s0 = W[b, k], W[b + 1, k], W[b + 2, k], W[b + 3, k]
            p1, q1, r1, s1 = W[b, k + 1], W[b + 1, k + 1], W[b + 2, k + 1], W[b + 3, k + 1]
            for m in range(M):
                a0, a1 = A0[m], A1[m]
                out[b, m] = (out[b, m] + p0 * a0) + p1 * a1
                out[b + 1, m] = (out[b + 1, m] + q0 * a0) + q1 * a1
                out[b + 2, m] = (out[b + 2, m] + r0 * a0) + r1 * a1
                out[b + 3, m] = (out[b + 3, m] + s0 * a0) + s1 * a1
        elif R - k == 3:
            A0, A1, A2 = A[k], A[k + 1], A[k + 2]
            p0, q0, r0, s0 = W[b, k], W[b + 1, k], W[b + 2, k], W[b + 3, k]
            p1, q1, r1, s1 = W[b, k + 1], W[b + 1, k + 1], W[b + 2, k + 1], W[b + 3, k + 1]
            p2, q2, r2, s2 = W[b, k + 2], W[b + 1, k + 2], W[b + 2, k + 2], W[b + 3, k + 2]
            for m in range(M):
                a0, a1, a2 = A0[m], A1[m], A2[m]
                out[b, m] = ((out[b, m] + p0 * a0) + p1 * a1) + p2 * a2
                out[b + 1, m] = ((out[b + 1, m] + q0 * a0) + q1 * a1) + q2 * a2
                out[b + 2, m] = ((out[b + 2, m] + r0 * a0) + r1 * a1) + r2 * a2
                out[b + 3, m] = ((out[b + 3, m] + s0 * a0) + s1 * a1) + s2 * a2
        b += 4
    while b < B:
        _matvec(W[b], A, out[b], R, M)
        b += 1
