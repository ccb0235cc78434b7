"""A fast LZ77 parse in numba: a chunk becomes a stream of coded symbols.

The parse finds matches of at least :data:`MIN_MATCH` bytes anywhere earlier in
the chunk through a hash table of 4-byte sequences in buckets of
the :data:`WAYS` newest positions (greedy matching, like zstd's fast strategy), and
tries the last offset used first (a *repeat*); matches are at most :data:`MAX_MATCH`
bytes, and far ones must be longer (:data:`FAR`).  Its output is what the entropy coder
(:mod:`pcz.coders.lz_rans`) codes: symbols, each with the table that codes it,
and extra bits.  The chunk is a list of sequences, each

- a literal-run length (table :data:`T_LL`), its extra bits, the literals (each in
  the table ``T_LIT + context[previous byte]``, the previous byte of the chunk,
  0 before its start);
- then, unless the chunk ends there, a match length minus 4 (table :data:`T_ML`)
  with its extra bits and an offset (table :data:`T_OF`) with its extra bits;
  offset symbol 0 repeats the previous offset (1 before the first match).

Lengths v code as v below 16, else as 12 + k with k = floor(log2 v) and the k
low bits of v as extra bits (:func:`length_code`); an offset o >= 1 as 1 + k with
k = floor(log2 o) and the k low bits of o.  Integers only: the same parse on every
machine.

>>> import numpy as np
>>> data = np.frombuffer(b"abcdabcdabcdabcd!", dtype=np.uint8)
>>> syms, tabs, ev, en, counts = parse(data, np.zeros(256, dtype=np.uint8))
>>> syms.tolist(), tabs.tolist()      # 4 literals, a match of 12 at offset 4, then "!"
([4, 97, 98, 99, 100, 8, 3, 1, 33], [0, 3, 3, 3, 3, 1, 2, 0, 3])
"""
import numba
import numpy as np
from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros

# the parse's constants, shared with its plain-Python copy (pcz.coders.lz_small, no numba):
# MIN_MATCH, MAX_MATCH (the payload floor depends on it), HASH_BITS, the tables T_*, FAR (offsets
# from which matches must be 5, 6, 7 bytes long), SKIP_SHIFT (after 2**6 positions without a
# match the parse steps faster)
from pcz.coders.lz_small import FAR, HASH_BITS, MAX_MATCH, MIN_MATCH, SKIP_SHIFT, T_LIT, T_LL, T_ML, T_OF  # noqa: F401

WAYS = 2                        # positions kept per hash bucket (candidates tried per position)
LEN_SYMBOLS = 44                # length symbols 0..43 (lengths below 2**32)
OFFSET_SYMBOLS = 33             # offset symbols 0..32


@numba.njit(cache=True, nogil=True, inline="always")
def _log2(v):
    """floor(log2(v)) of an integer 1 <= v < 2**63."""
    return 63 - np.int64(leading_zeros(np.uint64(v)))


@numba.njit(cache=True, nogil=True, inline="always")
def length_code(v):
    """(symbol, extra bits, number of extra bits) of a length ``v`` >= 0."""
    if v < 16:
        return v, 0, 0
    k = _log2(v)
    return 12 + k, v - (1 << k), k


@numba.njit(cache=True, nogil=True, inline="always")
def _hash(v):
    return np.int64(((np.uint64(v) * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)) >> np.uint64(32 - HASH_BITS))


@numba.njit(cache=True, nogil=True, inline="always")
def _word(buf, p):
    """The bytes p..p+7 of ``buf`` as a little-endian integer, built with shifts."""
    return (np.uint64(buf[p]) | (np.uint64(buf[p + 1]) << np.uint64(8)) | (np.uint64(buf[p + 2]) << np.uint64(16))
            | (np.uint64(buf[p + 3]) << np.uint64(24)) | (np.uint64(buf[p + 4]) << np.uint64(32))
            | (np.uint64(buf[p + 5]) << np.uint64(40)) | (np.uint64(buf[p + 6]) << np.uint64(48))
            | (np.uint64(buf[p + 7]) << np.uint64(56)))


@numba.njit(cache=True, nogil=True, inline="always")
def _extend(padded, data, a, i, limit):
    """The length of the match of i at a < i, at most ``limit`` (i + limit <= n): 8 bytes at
    a time while they all lie in the chunk, the first differing byte from the lowest set bit
    of the difference, then byte by byte."""
    m = 0
    while m + 8 <= limit:
        x = _word(padded, a + m) ^ _word(padded, i + m)
        if x != np.uint64(0):
            return m + (np.int64(trailing_zeros(x)) >> 3)
        m += 8
    while m < limit and data[a + m] == data[i + m]:
        m += 1
    return m


@numba.njit(cache=True, nogil=True, inline="always")
def _least_length(off):
    """The shortest match worth coding at this offset: a far one costs more extra bits than
    a few literals (about 4-5 bits each in text)."""
    return 4 if off < FAR[0] else 5 if off < FAR[1] else 6 if off < FAR[2] else 7


@numba.njit(cache=True, nogil=True)
def _parse(data, context, ways, syms, tabs, ev, en, counts):
    """The parse, written out in one function: helpers that take arrays would cost two
    atomic reference-count updates per call in the inner loop (those here are inlined)."""
    n = data.shape[0]
    # each bucket holds the newest positions (+ 1; 0 is empty) with its hash
    table = np.zeros((1 << HASH_BITS, ways), dtype=np.uint32)
    # the chunk and 8 zeros: 8 bytes read at once anywhere (_word)
    padded = np.zeros(n + 8, dtype=np.uint8)
    padded[:n] = data
    ns = 0
    ne = 0
    anchor = 0
    i = 0
    rep = 1
    last = n - MIN_MATCH
    while True:
        length, off = 0, 0
        while i <= last:
            # the best match at i: the repeat offset, then the bucket's positions
            limit = min(n - i, MAX_MATCH)
            wi = _word(padded, i)
            if rep <= i and ((_word(padded, i - rep) ^ wi) & np.uint64(0xFFFFFFFF)) == 0:
                length = _extend(padded, data, i - rep, i, limit)
            h = _hash(wi & np.uint64(0xFFFFFFFF))
            for k in range(ways):
                a = np.int64(table[h, k]) - 1
                if a < 0 or length >= limit:
                    break
                # the first 8 bytes at once; a match is worth it from `least` bytes on
                # (trailing_zeros: LLVM cttz with zero defined, 64 for 0: 8 bytes all equal)
                m = min(np.int64(trailing_zeros(_word(padded, a) ^ wi)) >> 3, limit)
                if m == 8:
                    m = _extend(padded, data, a, i, limit)
                least = max(length + 1, _least_length(i - a))
                take = m >= least
                length = m if take else length
                off = i - a if take else off
            for k in range(ways - 1, 0, -1):
                table[h, k] = table[h, k - 1]
            table[h, 0] = i + 1
            if length >= MIN_MATCH:
                break
            i += 1 + ((i - anchor) >> SKIP_SHIFT)
        if i > last:
            break
        # the sequence: literal run anchor..i, then the match
        s, x, k = length_code(i - anchor)
        syms[ns] = s
        tabs[ns] = T_LL
        counts[T_LL, s] += 1
        ns += 1
        ev[ne] = x
        en[ne] = k
        ne += 1
        prev = data[anchor - 1] if anchor > 0 else 0
        for j in range(anchor, i):
            b = data[j]
            t = T_LIT + context[prev]
            syms[ns] = b
            tabs[ns] = t
            counts[t, b] += 1
            prev = b
            ns += 1
        s, x, k = length_code(length - MIN_MATCH)
        syms[ns] = s
        tabs[ns] = T_ML
        counts[T_ML, s] += 1
        ns += 1
        ev[ne] = x
        en[ne] = k
        ne += 1
        if off == 0:
            syms[ns] = 0
            counts[T_OF, 0] += 1
            ev[ne] = 0
            en[ne] = 0
        else:
            k = _log2(off)
            syms[ns] = 1 + k
            counts[T_OF, 1 + k] += 1
            ev[ne] = off - (1 << k)
            en[ne] = k
            rep = off
        tabs[ns] = T_OF
        ns += 1
        ne += 1
        end = i + length
        for j in range(i + 1, min(end, last + 1)):     # the matched positions join the buckets
            h = _hash(_word(padded, j) & np.uint64(0xFFFFFFFF))
            for k in range(ways - 1, 0, -1):
                table[h, k] = table[h, k - 1]
            table[h, 0] = j + 1
        i = end
        anchor = end
    s, x, k = length_code(n - anchor)
    syms[ns] = s
    tabs[ns] = T_LL
    counts[T_LL, s] += 1
    ns += 1
    ev[ne] = x
    en[ne] = k
    ne += 1
    prev = data[anchor - 1] if anchor > 0 else 0
    for j in range(anchor, n):
        b = data[j]
        t = T_LIT + context[prev]
        syms[ns] = b
        tabs[ns] = t
        counts[t, b] += 1
        prev = b
        ns += 1
    return ns, ne


@numba.njit(cache=True, nogil=True)
def _byte_counts(data, counts):
    for j in range(data.shape[0]):
        counts[data[j]] += 1


def byte_counts(data: np.ndarray) -> np.ndarray:
    """How often each byte value occurs in ``data`` (uint8), as int64 (np.bincount without
    its int64 copy of the data).

    >>> byte_counts(np.frombuffer(b"abca", dtype=np.uint8))[97:100].tolist()
    [2, 1, 1]
    """
    counts = np.zeros(256, dtype=np.int64)
    _byte_counts(np.ascontiguousarray(data, dtype=np.uint8), counts)
    return counts


def parse(data: np.ndarray, context: np.ndarray, ways: int = WAYS):
    """The symbol stream of ``data`` (uint8): (symbols, tables, extra bit values, their
    numbers of bits, the count of each symbol in each table); literals use table
    ``T_LIT + context[previous byte]``."""
    data = np.ascontiguousarray(data, dtype=np.uint8)
    n = len(data)
    seqs = n // MIN_MATCH + 1
    syms = np.empty(n + 3 * seqs, dtype=np.uint8)
    tabs = np.empty(n + 3 * seqs, dtype=np.uint8)
    ev = np.empty(3 * seqs, dtype=np.uint32)
    en = np.empty(3 * seqs, dtype=np.uint8)
    context = np.ascontiguousarray(context, dtype=np.uint8)
    counts = np.zeros((T_LIT + int(context.max()) + 1, 256), dtype=np.int64)
    ns, ne = _parse(data, context, ways, syms, tabs, ev, en, counts)
    return syms[:ns], tabs[:ns], ev[:ne], en[:ne], counts
