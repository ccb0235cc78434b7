"""Static multi-table rANS for the LZ symbol stream, and the fused LZ decoder, in numba.

Each symbol of :mod:`pcz.coders.lz_parse`'s stream is coded with its own table: a
row of 256 frequencies summing to exactly 2**12 (as in
:mod:`pcz.coders.rans_order0`).  Two interleaved 32-bit states with 16-bit words:
symbol i (counted over the whole stream) goes through state i mod 2.  The stream
is stored as the two final states (4 bytes each, little-endian), then the words in
decoding order.  Extra bits are a separate byte stream, least significant bit first,
values in stream order, zero-padded to a whole byte (the parse packs them).

:func:`decode` rebuilds the chunk while it decodes and checks everything a
hostile stream could get wrong: a symbol from a table the chunk has no table for,
a literal run or match past the chunk's end, an offset before its start, reads past
either stream's end, states that do not return to their start, words or bits left
over.  Integers only: the same bytes on every machine.

>>> import numpy as np
>>> from pcz.coders import lz_parse, lz_tables
>>> data = np.frombuffer(b"abcabcabcabc, abcabc!" * 5, dtype=np.uint8)
>>> context = np.zeros(256, dtype=np.uint8)
>>> syms, tabs, bits, nbits, counts = lz_parse.parse(data, context)
>>> freq = lz_tables.normalise_rows(counts, np.array([44, 44, 33, 256]))
>>> words, x0, x1 = encode(syms, tabs, freq)
>>> bytes(decode(words, x0, x1, bits, freq, context, len(data))) == data.tobytes()
True
"""
import numba
import numpy as np

from pcz.coders.errors import CodingError
from pcz.coders.lz_parse import MAX_MATCH, MIN_MATCH, T_LIT, T_LL, T_ML, T_OF
# the decoder's error codes and their messages, shared with its plain-Python copy
from pcz.coders.lz_small import (ERR_BITS, ERR_LENGTH, ERR_OFFSET, ERR_STATE, ERR_SYMBOL,  # noqa: F401
                                 ERR_TRAILING, ERR_TRUNCATED, MESSAGES, OK, ERR_NO_TABLE as ERR_TABLE)
from pcz.coders.rans_order0 import PROB_BITS, RANS_L, TOTAL


RCP_SHIFT = 44      # q = (x * (2**44 // f + 1)) >> 44 == x // f for x < 2**32, f < 2**12 (see _encode)


@numba.njit(cache=True, nogil=True)
def _encoder_table(freq):
    """Per (table, symbol): frequency, start, renormalisation limit and reciprocal, one row of
    four uint64 at index table * 256 + symbol."""
    enc = np.empty((freq.shape[0] * 256, 4), dtype=np.uint64)      # every entry is set below
    for t in range(freq.shape[0]):
        c = np.uint64(0)
        for s in range(256):
            f = np.uint64(freq[t, s])
            key = t * 256 + s
            enc[key, 0] = f
            enc[key, 1] = c
            enc[key, 2] = f << np.uint64(32 - PROB_BITS)
            enc[key, 3] = np.uint64(1 << RCP_SHIFT) // max(f, np.uint64(1)) + np.uint64(1)
            c += f
    return enc


@numba.njit(cache=True, nogil=True, inline="always")
def _put(xs, key, enc, words, n):
    """Encode the symbol at row ``key`` of ``enc`` into state xs; words fill ``words`` from the
    end (n: where they start).  A state below 2**32 leaves at most one word: x >= f * 2**20
    >= 2**20 becomes x >> 16 < 2**16, so the word is stored at n - 1 unconditionally and kept
    only when due, without a branch.  With x < f * 2**20 (after the renormalisation) and
    f < 2**12, x * r stays below 2**64 and floor(x * r / 2**44) = floor(x / f) exactly:
    r = 2**44 // f + 1 exceeds 2**44 / f by at most 1, an error of at most x / 2**44 < 1 / f,
    less than x / f is short of the next integer."""
    due = xs >= enc[key, 2]
    words[np.uint64(n - 1)] = np.uint16(xs & np.uint64(0xFFFF))
    n -= np.int64(due)
    xs = (xs >> np.uint64(16)) if due else xs
    f = enc[key, 0]
    q = (xs * enc[key, 3]) >> np.uint64(RCP_SHIFT)
    return (q << np.uint64(PROB_BITS)) + (xs - q * f) + enc[key, 1], n


@numba.njit(cache=True, nogil=True)
def _encode(syms, tabs, enc, words):
    """Symbols from the last to the first, symbol i through state i mod 2; returns the index in
    ``words`` where the words (in decoding order) start and the two states."""
    x0 = np.uint64(RANS_L)
    x1 = np.uint64(RANS_L)
    n = words.shape[0]
    i = syms.shape[0] - 1
    if i >= 0 and (i & 1) == 0:
        x0, n = _put(x0, np.int64(tabs[i]) * 256 + np.int64(syms[i]), enc, words, n)
        i -= 1
    while i > 0:
        x1, n = _put(x1, np.int64(tabs[i]) * 256 + np.int64(syms[i]), enc, words, n)
        x0, n = _put(x0, np.int64(tabs[i - 1]) * 256 + np.int64(syms[i - 1]), enc, words, n)
        i -= 2
    return n, x0, x1


def encode(syms: np.ndarray, tabs: np.ndarray, freq: np.ndarray) -> tuple[np.ndarray, int, int]:
    """(words in decoding order, state 0, state 1) of the symbols under the tables ``freq``."""
    freq = np.ascontiguousarray(freq, dtype=np.uint32)
    words = np.empty(len(syms) + 1, dtype=np.uint16)      # at most one a symbol (_put), + 1 for its store
    n, x0, x1 = _encode(syms, tabs, _encoder_table(freq), words)
    return words[n:], int(x0), int(x1)


@numba.njit(cache=True, nogil=True)
def _symbol(t, xs, wp, words, freq, cum, sym):
    """Decode one symbol from table t with state xs: (symbol or -error, new state, words read).
    An empty table (all zero) decodes garbage but stays in bounds; the callers check the
    length and offset tables, and a literal from an empty one fails the chunk's CRC."""
    slot = xs & np.uint64(TOTAL - 1)
    s = sym[t, slot]
    xs = np.uint64(freq[t, s]) * (xs >> np.uint64(PROB_BITS)) + slot - np.uint64(cum[t, s])
    while xs < RANS_L:
        if wp >= words.shape[0]:
            return -ERR_TRUNCATED, xs, wp
        xs = (xs << np.uint64(16)) | np.uint64(words[wp])
        wp += 1
    return np.int64(s), xs, wp


@numba.njit(cache=True, nogil=True)
def _bits(k, acc, held, bp, bits):
    """Read k <= 31 extra bits: (value or -error, accumulator, bits held, bytes read)."""
    while held < k:
        if bp >= bits.shape[0]:
            return -ERR_BITS, acc, held, bp
        acc |= np.uint64(bits[bp]) << np.uint64(held)
        held += 8
        bp += 1
    v = np.int64(acc & ((np.uint64(1) << np.uint64(k)) - np.uint64(1)))
    return v, acc >> np.uint64(k), held - k, bp


@numba.njit(cache=True, nogil=True)
def _decode(words, x0, x1, bits, freq, cum, sym, valid, littab, out):
    """Rebuild out; the symbol stream alternates states, so decode from x0 and swap."""
    n = out.shape[0]
    wp = 0
    acc = np.uint64(0)
    held = 0
    bp = 0
    pos = 0
    rep = 1
    prev = 0
    if not (valid[T_LL] and valid[T_ML] and valid[T_OF]):
        return ERR_TABLE
    while True:
        s, xs, wp = _symbol(T_LL, x0, wp, words, freq, cum, sym)
        x0, x1 = x1, xs
        if s < 0:
            return -s
        ll = s
        if s >= 16:
            k = s - 12
            if k > 31:
                return ERR_SYMBOL
            v, acc, held, bp = _bits(k, acc, held, bp, bits)
            if v < 0:
                return -v
            ll = (np.int64(1) << k) + v
        if ll > n - pos:
            return ERR_LENGTH
        end = pos + ll
        while pos < end:
            s, xs, wp = _symbol(littab[prev], x0, wp, words, freq, cum, sym)
            x0, x1 = x1, xs
            if s < 0:
                return -s
            out[pos] = s
            prev = s
            pos += 1
        if pos == n:
            break
        s, xs, wp = _symbol(T_ML, x0, wp, words, freq, cum, sym)
        x0, x1 = x1, xs
        if s < 0:
            return -s
        ml = s
        if s >= 16:
            k = s - 12
            if k > 31:
                return ERR_SYMBOL
            v, acc, held, bp = _bits(k, acc, held, bp, bits)
            if v < 0:
                return -v
            ml = (np.int64(1) << k) + v
        ml += MIN_MATCH
        if ml > n - pos or ml > MAX_MATCH:
            return ERR_LENGTH
        s, xs, wp = _symbol(T_OF, x0, wp, words, freq, cum, sym)
        x0, x1 = x1, xs
        if s < 0:
            return -s
        if s > 0:
            k = s - 1
            if k > 31:
                return ERR_SYMBOL
            v, acc, held, bp = _bits(k, acc, held, bp, bits)
            if v < 0:
                return -v
            rep = (np.int64(1) << k) + v
        if rep > pos:
            return ERR_OFFSET
        src = pos - rep
        for j in range(ml):
            out[pos + j] = out[src + j]
        pos += ml
        prev = out[pos - 1]
    if x0 != RANS_L or x1 != RANS_L:
        return ERR_STATE
    if wp != words.shape[0]:
        return ERR_TRAILING
    if bp != bits.shape[0] or acc != 0:
        return ERR_BITS
    return OK


@numba.njit(cache=True, nogil=True)
def _decoder_tables(freq, valid, cum, sym):
    """Fill, per table: whether it is used (its row sums to TOTAL; an unused one is all zero),
    its cumulative frequencies and the symbol of each of its TOTAL slots (zero for an unused
    table).  False if a row is neither, or has a value of TOTAL or more."""
    for t in range(freq.shape[0]):
        c = 0
        for s in range(256):
            f = np.int64(freq[t, s])
            if f >= TOTAL:
                return False
            cum[t, s] = c
            c += f
        cum[t, 256] = c
        if c != TOTAL and c != 0:
            return False
        valid[t] = c == TOTAL
        if c == 0:
            sym[t, :] = 0
            continue
        for s in range(256):
            for k in range(np.int64(cum[t, s]), np.int64(cum[t, s + 1])):
                sym[t, k] = s
    return True


def decode(words: np.ndarray, x0: int, x1: int, bits: bytes, freq: np.ndarray, context: np.ndarray,
           size: int) -> np.ndarray:
    """The ``size`` bytes coded in ``words``/``bits`` under the tables ``freq`` (rows summing to
    TOTAL, or all zero for a table the chunk does not use) with literal tables
    ``T_LIT + context[previous byte]``; CodingError if the stream is damaged."""
    freq = np.ascontiguousarray(freq, dtype=np.uint32)
    ntab = freq.shape[0]
    if freq.ndim != 2 or freq.shape[1] != 256 or ntab < T_LIT + 1 or int(context.max()) >= ntab - T_LIT:
        raise CodingError("LZ tables do not match the literal contexts")
    valid = np.empty(ntab, dtype=np.bool_)
    cum = np.empty((ntab, 257), dtype=np.uint32)
    sym = np.empty((ntab, TOTAL), dtype=np.uint8)
    if not _decoder_tables(freq, valid, cum, sym):
        raise CodingError("LZ table does not sum to 4096 with every value below it")
    if not (RANS_L <= x0 < RANS_L << 16 and RANS_L <= x1 < RANS_L << 16):
        raise CodingError("LZ rANS stream has a bad start state")
    littab = (T_LIT + np.asarray(context, dtype=np.int64)).astype(np.uint8)
    out = np.empty(size, dtype=np.uint8)
    code = _decode(np.ascontiguousarray(words, dtype=np.uint16), np.uint64(x0), np.uint64(x1),
                   np.frombuffer(bits, dtype=np.uint8), freq, cum, sym, valid, littab, out)
    if code != OK:
        raise CodingError(MESSAGES[code])
    return out
