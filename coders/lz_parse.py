"""A fast LZ77 parse in numba: a chunk becomes a stream of coded symbols and extra bits.

The parse finds matches of at least :data:`MIN_MATCH` bytes anywhere earlier in
the chunk through a hash table of 4-byte sequences in buckets of
the :data:`WAYS` newest positions (greedy matching, like zstd's fast strategy), and
tries the last offset used first (a *repeat*); matches are at most :data:`MAX_MATCH`
bytes, and far ones must be longer (:data:`FAR`).  Its output is what the entropy coder
(:mod:`pcz.coders.lz_rans`) codes: symbols, each with the table that codes it,
and the extra bits, already packed.  The chunk is a list of sequences, each

- a literal-run length (table :data:`T_LL`), its extra bits, the literals (each in
  the table ``T_LIT + context[previous byte]``, the previous byte of the chunk,
  0 before its start);
- then, unless the chunk ends there, a match length minus 4 (table :data:`T_ML`)
  with its extra bits and an offset (table :data:`T_OF`) with its extra bits;
  offset symbol 0 repeats the previous offset (1 before the first match).

Lengths v code as v below 16, else as 12 + k with k = floor(log2 v) and the k
low bits of v as extra bits (:func:`length_code`); an offset o >= 1 as 1 + k with
k = floor(log2 o) and the k low bits of o.  The extra bits are one byte stream, values
in stream order, least significant bit first, zero-padded to a whole byte.  Integers
only: the same parse on every machine.

>>> import numpy as np
>>> data = np.frombuffer(b"abcdabcdabcdabcd!", dtype=np.uint8)
>>> syms, tabs, bits, nbits, counts = parse(data, np.zeros(256, dtype=np.uint8))
>>> syms.tolist(), tabs.tolist()      # 4 literals, a match of 12 at offset 4, then "!"
([4, 97, 98, 99, 100, 8, 3, 1, 33], [0, 3, 3, 3, 3, 1, 2, 0, 3])
>>> bits, nbits                       # offset 4 = 2**2 + 0: two extra bits, both 0
(b'\\x00', 2)
"""
import sys
import threading

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros
from numba.extending import intrinsic

# the parse's constants, shared with its plain-Python copy (pcz.coders.lz_small, no numba):
# MIN_MATCH, MAX_MATCH (the payload floor depends on it), HASH_BITS, the tables T_*, FAR (offsets
# from which matches must be 5, 6, 7 bytes long), SKIP_SHIFT (after 2**6 positions without a
# match the parse steps faster)
from pcz.coders.lz_small import FAR, HASH_BITS, MAX_MATCH, MIN_MATCH, SKIP_SHIFT, T_LIT, T_LL, T_ML, T_OF  # noqa: F401

WAYS = 2                        # positions kept per hash bucket (candidates tried per position)
LEN_SYMBOLS = 44                # length symbols 0..43 (lengths below 2**32)
OFFSET_SYMBOLS = 33             # offset symbols 0..32
PAD = 16                        # zero bytes after the chunk's copy: 16 bytes read at once anywhere
KEEP = 1 << 22                  # a thread keeps its parse's working memory for chunks up to 4 MiB
U = np.uint64                   # indices cast to unsigned: numba then adds no negative-index wraparound,
                                # and LLVM merges the byte loads of _word into one load


@intrinsic
def _store8(typingctx, buf, at, value):
    """Store the uint64 ``value`` at byte ``at`` of the uint8 array ``buf``, little-endian,
    unaligned and unchecked (the caller keeps at + 8 <= len(buf))."""
    if not (isinstance(buf, types.Array) and buf.dtype == types.uint8 and buf.layout == "C"):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        v = builder.bswap(args[2]) if sys.byteorder == "big" else args[2]
        builder.store(v, builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(64).as_pointer())).align = 1
        return context.get_dummy_value()
    return types.void(buf, types.uint64, types.uint64), codegen


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
    return ((v * U(2654435761)) & U(0xFFFFFFFF)) >> U(32 - HASH_BITS)


@numba.njit(cache=True, nogil=True, inline="always")
def _word(buf, p):
    """The bytes p..p+7 of ``buf`` as a little-endian integer, built with shifts."""
    q = U(p)
    return (U(buf[q]) | (U(buf[q + U(1)]) << U(8)) | (U(buf[q + U(2)]) << U(16))
            | (U(buf[q + U(3)]) << U(24)) | (U(buf[q + U(4)]) << U(32))
            | (U(buf[q + U(5)]) << U(40)) | (U(buf[q + U(6)]) << U(48))
            | (U(buf[q + U(7)]) << U(56)))


@numba.njit(cache=True, nogil=True, inline="always")
def _first16(padded, a, wi, wi8):
    """How many of the 16 bytes from a agree with ``wi``, ``wi8`` (the 16 bytes from i):
    the first differing byte from the lowest set bit of the difference, without a branch
    (trailing_zeros: LLVM cttz with zero defined, 64 for 0: 8 bytes all equal)."""
    m0 = np.int64(trailing_zeros(_word(padded, a) ^ wi)) >> 3
    m1 = 8 + (np.int64(trailing_zeros(_word(padded, a + 8) ^ wi8)) >> 3)
    return m1 if m0 == 8 else m0


@numba.njit(cache=True, nogil=True, inline="always")
def _extend(padded, a, i, m, limit):
    """The length of the match of i at a < i, at most ``limit`` (i + limit <= n), given that
    its first m bytes agree: 8 bytes at a time while they all lie in the chunk, then byte by
    byte."""
    while m + 8 <= limit:
        x = _word(padded, a + m) ^ _word(padded, i + m)
        if x != U(0):
            return m + (np.int64(trailing_zeros(x)) >> 3)
        m += 8
    while m < limit and padded[U(a + m)] == padded[U(i + m)]:
        m += 1
    return m


@numba.njit(cache=True, nogil=True, inline="always")
def _least_length(off):
    """The shortest match worth coding at this offset: a far one costs more extra bits than
    a few literals (about 4-5 bits each in text)."""
    return 4 + np.int64(off >= FAR[0]) + np.int64(off >= FAR[1]) + np.int64(off >= FAR[2])


@numba.njit(cache=True, nogil=True, inline="always")
def _put_bits(bits, at, acc, held, v, k):
    """Append the k <= 31 bits of v to the bit writer (bytes written, pending bits, their
    number < 8): the 8 bytes from ``at`` are stored whole, ``at`` moves past the full ones."""
    acc |= U(v) << held
    held += U(k)
    _store8(bits, at, acc)
    full = held >> U(3)
    return at + full, acc >> (full << U(3)), held & U(7)


@numba.njit(cache=True, nogil=True)
def _parse(data, context, syms, tabs, bits, counts, table, padded):
    """The parse, written out in one function: helpers that take arrays would cost two
    atomic reference-count updates per call in the inner loop (those here are inlined).
    ``table`` and ``padded`` are working memory (any content, at least n + PAD bytes for
    ``padded``).  Returns the number of symbols, of bytes of extra bits and of extra bits."""
    n = data.shape[0]
    # each bucket: the newest position + 1 in its low 32 bits, the one before in its high
    # 32 bits (0: empty); a slot 1 is never filled before its slot 0
    table[:] = 0
    for j in range(n):
        padded[j] = data[j]
    for j in range(n, n + PAD):
        padded[j] = 0
    ns = 0
    at = U(0)
    acc = U(0)
    held = U(0)
    nbits = 0
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
            wi8 = _word(padded, i + 8)
            if rep <= i and ((_word(padded, i - rep) ^ wi) & U(0xFFFFFFFF)) == 0:
                length = _extend(padded, i - rep, i, MIN_MATCH, limit)
            h = _hash(wi & U(0xFFFFFFFF))
            pair = table[h]
            table[h] = (pair << U(32)) | U(i + 1)
            for a in (np.int64(pair & U(0xFFFFFFFF)) - 1, np.int64(pair >> U(32)) - 1):
                # an empty slot (a = -1) is judged on the chunk's start and refused by `take`:
                # the bitwise & keeps LLVM from branching on it (a branch it mispredicts often)
                c = max(a, 0)
                m = _first16(padded, c, wi, wi8)
                if m == 16:
                    m = _extend(padded, c, i, 16, limit)
                m = min(m, limit)
                take = (a >= 0) & (m >= max(length + 1, _least_length(i - a)))
                length = m if take else length
                off = i - a if take else off
            if length >= MIN_MATCH:
                break
            i += 1 + ((i - anchor) >> SKIP_SHIFT)
        if i > last:
            break
        # the sequence: literal run anchor..i, then the match
        s, x, k = length_code(i - anchor)
        syms[U(ns)] = s
        tabs[U(ns)] = T_LL
        counts[T_LL, s] += 1
        ns += 1
        at, acc, held = _put_bits(bits, at, acc, held, x, k)
        nbits += k
        prev = data[anchor - 1] if anchor > 0 else 0
        for j in range(anchor, i):
            b = data[j]
            t = T_LIT + context[prev]
            syms[U(ns)] = b
            tabs[U(ns)] = t
            counts[t, b] += 1
            prev = b
            ns += 1
        s, x, k = length_code(length - MIN_MATCH)
        syms[U(ns)] = s
        tabs[U(ns)] = T_ML
        counts[T_ML, s] += 1
        ns += 1
        at, acc, held = _put_bits(bits, at, acc, held, x, k)
        nbits += k
        if off == 0:
            syms[U(ns)] = 0
            counts[T_OF, 0] += 1
        else:
            k = _log2(off)
            syms[U(ns)] = 1 + k
            counts[T_OF, 1 + k] += 1
            at, acc, held = _put_bits(bits, at, acc, held, off - (1 << k), k)
            nbits += k
            rep = off
        tabs[U(ns)] = T_OF
        ns += 1
        end = i + length
        for j in range(i + 1, min(end, last + 1)):     # the matched positions join the buckets
            h = _hash(_word(padded, j) & U(0xFFFFFFFF))
            table[h] = (table[h] << U(32)) | U(j + 1)
        i = end
        anchor = end
    s, x, k = length_code(n - anchor)
    syms[U(ns)] = s
    tabs[U(ns)] = T_LL
    counts[T_LL, s] += 1
    ns += 1
    at, acc, held = _put_bits(bits, at, acc, held, x, k)
    nbits += k
    prev = data[anchor - 1] if anchor > 0 else 0
    for j in range(anchor, n):
        b = data[j]
        t = T_LIT + context[prev]
        syms[U(ns)] = b
        tabs[U(ns)] = t
        counts[t, b] += 1
        prev = b
        ns += 1
    if held > U(0):
        _store8(bits, at, acc)
        at += U(1)
    return ns, np.int64(at), nbits


@numba.njit(cache=True, nogil=True)
def _byte_counts(data, counts):
    """Four histograms, one for each position mod 4: no increment waits for the one before."""
    part = np.zeros((4, 256), dtype=np.int64)
    whole = data.shape[0] & ~3
    for j in range(0, whole, 4):
        part[0, data[j]] += 1
        part[1, data[j + 1]] += 1
        part[2, data[j + 2]] += 1
        part[3, data[j + 3]] += 1
    for j in range(whole, data.shape[0]):
        part[0, data[j]] += 1
    for s in range(256):
        counts[s] = part[0, s] + part[1, s] + part[2, s] + part[3, s]


def byte_counts(data: np.ndarray) -> np.ndarray:
    """How often each byte value occurs in ``data`` (uint8), as int64 (np.bincount without
    its int64 copy of the data).

    >>> byte_counts(np.frombuffer(b"abcab", dtype=np.uint8))[97:100].tolist()
    [2, 2, 1]
    """
    counts = np.zeros(256, dtype=np.int64)
    _byte_counts(np.ascontiguousarray(data, dtype=np.uint8), counts)
    return counts


class _Workspace(threading.local):
    """The parse's hash table and padded copy of the chunk, kept by each thread for its next
    chunk: fresh memory for them costs page faults on every chunk (10-15 % of the encoding
    time, the memory allocator handing the pages back between chunks).  A thread keeps at
    most 512 KiB + KEEP + PAD bytes; :func:`_parse` clears the table for each chunk."""

    def __init__(self) -> None:
        self.table = np.zeros(1 << HASH_BITS, dtype=np.uint64)
        self.padded = np.zeros(0, dtype=np.uint8)

    def padded_for(self, n: int) -> np.ndarray:
        """An array of at least n + PAD bytes: the kept one if long enough, else a new one,
        kept in its place when n <= KEEP."""
        if len(self.padded) >= n + PAD:
            return self.padded
        padded = np.empty(n + PAD, dtype=np.uint8)
        if n <= KEEP:
            self.padded = padded
        return padded


_WORK = _Workspace()


def parse(data: np.ndarray, context: np.ndarray):
    """The symbol stream of ``data`` (uint8): (symbols, tables, the extra bits as bytes, their
    number, the count of each symbol in each table); literals use table
    ``T_LIT + context[previous byte]``."""
    data = np.ascontiguousarray(data, dtype=np.uint8)
    n = len(data)
    seqs = n // MIN_MATCH + 1          # at most; each has at most 3 * 31 extra bits
    # 3 symbols a match of >= 4 bytes, 1 a literal, 1 more at the end: at most n + 1
    syms = np.empty(n + 1, dtype=np.uint8)
    tabs = np.empty(n + 1, dtype=np.uint8)
    bits = np.empty(12 * seqs + 8, dtype=np.uint8)     # + 8: the writer stores 8 bytes at a time
    context = np.ascontiguousarray(context, dtype=np.uint8)
    counts = np.zeros((T_LIT + int(context.max()) + 1, 256), dtype=np.int64)
    ns, nb, nbits = _parse(data, context, syms, tabs, bits, counts, _WORK.table, _WORK.padded_for(n))
    return syms[:ns], tabs[:ns], bits[:nb].tobytes(), nbits, counts
