"""The LZ coder's kernels in plain Python, for short chunks: the same bytes as the numba kernels
of :mod:`pcz.coders.lz_parse`, :mod:`pcz.coders.lz_tables` and :mod:`pcz.coders.lz_rans`,
without importing numba.

Importing numba and loading the LZ kernels costs over a second per process, far more than
parsing and coding a chunk of a few KiB in Python takes (a few microseconds a byte), so
chunks under :data:`LIMIT` bytes are coded here, both ways (:mod:`pcz.methods.lz` chooses),
and a short file at level 1 never loads numba.  Each function here has the signature and the
results of the kernel function of the same name: the same greedy parse (hash buckets of two
positions, the repeat offset first, the same skipping) with its extra bits packed the same
way (:func:`pack_bits`, which the numba parse does as it goes), the same integer cost
estimates and tables (:mod:`pcz.coders.lz_small_tables`), rANS words, and a decoder with the
same checks in the same order (the same error for the same damaged stream).  The arithmetic
is the kernels', on Python integers: every value they keep fits their types (states below
2**32, products below 2**64), so nothing wraps there that does not wrap here.  Tests compare
the two on many inputs.

>>> import numpy as np
>>> data = np.frombuffer(b"abcdabcdabcdabcd!", dtype=np.uint8)
>>> syms, tabs, bits, nbits, counts = parse(data, np.zeros(256, dtype=np.uint8))
>>> syms.tolist(), tabs.tolist()      # 4 literals, a match of 12 at offset 4, then "!"
([4, 97, 98, 99, 100, 8, 3, 1, 33], [0, 3, 3, 3, 3, 1, 2, 0, 3])
>>> freq = normalise_rows(counts, np.array([44, 44, 33, 256]))
>>> words, x0, x1 = encode(syms, tabs, freq)
>>> bytes(decode(words, x0, x1, bits, freq, np.zeros(256, dtype=np.uint8), 17))
b'abcdabcdabcdabcd!'
"""
import numpy as np

from pcz.coders.errors import CodingError
# the tables' functions (pcz.coders.lz_small_tables) under this module too: pcz.methods.lz takes
# parse, tables and rANS from one module here, from three numba ones
from pcz.coders.lz_small_tables import (ERR_TABLE, FRAC, PROB_BITS, TABLE_BYTES, TOTAL, code_cost,  # noqa: F401
                                        compact_rows, log2_fixed, mode_costs, normalise_rows, read_compact,
                                        read_tables, row_cost, write_compact, write_tables)

LIMIT = 1 << 16                 # longest chunk coded here
# the kernels' constants, defined here (no numba) and imported by lz_parse and lz_rans;
# RANS_L is rans_order0's (a numba module; a test compares them)
MIN_MATCH, MAX_MATCH, HASH_BITS = 4, 1 << 16, 16
T_LL, T_ML, T_OF, T_LIT = 0, 1, 2, 3
FAR = (1 << 8, 1 << 13, 1 << 17)
SKIP_SHIFT = 6
RANS_L = 1 << 16
(OK, ERR_TRUNCATED, ERR_STATE, ERR_TRAILING, ERR_NO_TABLE, ERR_LENGTH, ERR_OFFSET,
 ERR_BITS, ERR_SYMBOL) = range(9)
MESSAGES = {ERR_TRUNCATED: "LZ rANS stream is truncated", ERR_STATE: "LZ rANS stream does not end where it began",
            ERR_TRAILING: "LZ rANS stream has words left over", ERR_NO_TABLE: "LZ symbol from a table the chunk lacks",
            ERR_LENGTH: "LZ literal run or match goes past the chunk's end or is too long",
            ERR_OFFSET: "LZ match offset before the chunk's start",
            ERR_BITS: "LZ extra bits are truncated or left over", ERR_SYMBOL: "LZ length or offset symbol out of range"}


def _check_size(n: int) -> None:
    if n > LIMIT:
        raise ValueError(f"lz_small codes at most {LIMIT} bytes, not {n}")


def length_code(v: int) -> tuple[int, int, int]:
    """(symbol, extra bits, number of extra bits) of a length ``v`` >= 0.

    >>> length_code(7), length_code(100)
    ((7, 0, 0), (18, 36, 6))
    """
    if v < 16:
        return v, 0, 0
    k = v.bit_length() - 1
    return 12 + k, v - (1 << k), k


def _lcp(buf: bytes, a: int, i: int, limit: int) -> int:
    """How many bytes from a and from i > a agree, at most ``limit`` (i + limit <= len(buf)):
    blocks of growing size compared at once, then byte by byte in the first that differs."""
    m, step = 0, 8
    while m < limit:
        s = min(step, limit - m)
        if buf[a + m:a + m + s] != buf[i + m:i + m + s]:
            while buf[a + m] == buf[i + m]:
                m += 1
            return m
        m += s
        step = min(step << 1, 4096)
    return limit


def parse(data, context):
    """The symbol stream of ``data`` (uint8, at most :data:`LIMIT` bytes), as
    :func:`pcz.coders.lz_parse.parse` returns it (two positions a hash bucket; the extra
    bits packed by :func:`pack_bits`)."""
    buf = np.ascontiguousarray(data, dtype=np.uint8).tobytes()
    n = len(buf)
    _check_size(n)
    ctx = [T_LIT + int(c) for c in np.asarray(context, dtype=np.uint8)]
    cnt = [0] * (256 * max(ctx) + 256)
    syms, tabs, ev, en = [], [], [], []
    b = np.frombuffer(buf, dtype=np.uint8).astype(np.uint64)
    words = b[:-3] | (b[1:-2] << 8) | (b[2:-1] << 16) | (b[3:] << 24) if n >= 4 else b[:0]
    hashes = (((words * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)) >> np.uint64(32 - HASH_BITS)).tolist()
    t0, t1 = [0] * (1 << HASH_BITS), [0] * (1 << HASH_BITS)

    def literals(start, end):
        s, x, k = length_code(end - start)
        syms.append(s), tabs.append(T_LL), ev.append(x), en.append(k)
        cnt[s] += 1
        prev = buf[start - 1] if start > 0 else 0
        for j in range(start, end):
            c = buf[j]
            t = ctx[prev]
            syms.append(c), tabs.append(t)
            cnt[t * 256 + c] += 1
            prev = c

    anchor = i = 0
    rep = 1
    last = n - MIN_MATCH
    while True:
        length = off = 0
        while i <= last:
            limit = min(n - i, MAX_MATCH)
            w = buf[i:i + 4]
            if rep <= i and buf[i - rep:i - rep + 4] == w:
                length = _lcp(buf, i - rep, i, limit)
            h = hashes[i]
            for a in (t0[h] - 1, t1[h] - 1):
                if a < 0 or length >= limit:
                    break
                if buf[a:a + 4] == w:          # else fewer than 4 bytes agree: never taken
                    m = _lcp(buf, a, i, limit)
                    d = i - a
                    least = 4 if d < FAR[0] else 5 if d < FAR[1] else 6 if d < FAR[2] else 7
                    if m >= max(length + 1, least):
                        length, off = m, d
            t1[h], t0[h] = t0[h], i + 1
            if length >= MIN_MATCH:
                break
            i += 1 + ((i - anchor) >> SKIP_SHIFT)
        if i > last:
            break
        literals(anchor, i)
        s, x, k = length_code(length - MIN_MATCH)
        syms.append(s), tabs.append(T_ML), ev.append(x), en.append(k)
        cnt[256 * T_ML + s] += 1
        if off == 0:
            s, x, k = 0, 0, 0
        else:
            k = off.bit_length() - 1
            s, x = 1 + k, off - (1 << k)
            rep = off
        syms.append(s), tabs.append(T_OF), ev.append(x), en.append(k)
        cnt[256 * T_OF + s] += 1
        end = i + length
        for j in range(i + 1, min(end, last + 1)):     # the matched positions join the buckets
            h = hashes[j]
            t1[h], t0[h] = t0[h], j + 1
        i = anchor = end
    literals(anchor, n)
    return (np.array(syms, dtype=np.uint8), np.array(tabs, dtype=np.uint8), pack_bits(ev, en), sum(en),
            np.array(cnt, dtype=np.int64).reshape(-1, 256))


def byte_counts(data) -> np.ndarray:
    """How often each byte value occurs in ``data`` (uint8), as int64.

    >>> byte_counts(np.frombuffer(b"abca", dtype=np.uint8))[97:100].tolist()
    [2, 1, 1]
    """
    return np.bincount(np.asarray(data, dtype=np.uint8), minlength=256).astype(np.int64)


def encode(syms, tabs, freq) -> tuple[np.ndarray, int, int]:
    """(words in decoding order, state 0, state 1) of the symbols under the tables ``freq``,
    as :func:`pcz.coders.lz_rans.encode`: symbol i through state i mod 2, the last one first."""
    freq = np.asarray(freq, dtype=np.int64)
    fs = freq.ravel().tolist()
    starts = (np.cumsum(freq, axis=1) - freq).ravel().tolist()
    keys = (np.asarray(tabs, dtype=np.int64) * 256 + np.asarray(syms, dtype=np.int64)).tolist()
    if any(fs[key] == 0 for key in keys):
        raise ValueError("lz_small.encode: a symbol with frequency 0")
    states = [RANS_L, RANS_L]
    out = []
    for i in range(len(keys) - 1, -1, -1):
        key = keys[i]
        f = fs[key]
        xs = states[i & 1]
        while xs >= f << (32 - PROB_BITS):
            out.append(xs & 0xFFFF)
            xs >>= 16
        q = xs // f
        states[i & 1] = (q << PROB_BITS) + (xs - q * f) + starts[key]
    return np.array(out[::-1], dtype=np.uint16), states[0], states[1]


def pack_bits(ev, en) -> bytes:
    """The extra bits ``ev`` (``en`` bits each, at most 31) as bytes, least significant first,
    as :func:`pcz.coders.lz_parse.parse` packs them.

    >>> pack_bits(np.array([5, 1]), np.array([3, 6])).hex()
    '0d00'
    """
    out = bytearray()
    acc = nacc = 0
    for v, k in zip(np.asarray(ev).tolist(), np.asarray(en).tolist()):
        acc |= v << nacc
        nacc += k
        while nacc >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nacc -= 8
    if nacc > 0:
        out.append(acc & 0xFF)
    return bytes(out)


def _decode(words, x0, x1, bits, fs, cum, sym, valid, littab, out) -> int:
    """Rebuild ``out`` step for step as :func:`pcz.coders.lz_rans._decode`; the error code."""
    n, nw, nbits = len(out), len(words), len(bits)
    wp = acc = held = bp = pos = prev = 0
    rep = 1

    def symbol(t, xs, wp):
        slot = xs & (TOTAL - 1)
        s = sym[t][slot]
        xs = fs[t][s] * (xs >> PROB_BITS) + slot - cum[t][s]
        while xs < RANS_L:
            if wp >= nw:
                return -ERR_TRUNCATED, xs, wp
            xs = (xs << 16) | words[wp]
            wp += 1
        return s, xs, wp

    def extra(k, acc, held, bp):
        while held < k:
            if bp >= nbits:
                return -ERR_BITS, acc, held, bp
            acc |= bits[bp] << held
            held += 8
            bp += 1
        return acc & ((1 << k) - 1), acc >> k, held - k, bp

    if not (valid[T_LL] and valid[T_ML] and valid[T_OF]):
        return ERR_NO_TABLE
    while True:
        for t in (T_LL, T_ML):
            s, xs, wp = symbol(t, x0, wp)
            x0, x1 = x1, xs
            if s < 0:
                return -s
            v = s
            if s >= 16:
                if s - 12 > 31:
                    return ERR_SYMBOL
                v, acc, held, bp = extra(s - 12, acc, held, bp)
                if v < 0:
                    return -v
                v += 1 << (s - 12)
            if t == T_LL:
                if v > n - pos:
                    return ERR_LENGTH
                for _ in range(v):
                    s, xs, wp = symbol(littab[prev], x0, wp)
                    x0, x1 = x1, xs
                    if s < 0:
                        return -s
                    out[pos] = prev = s
                    pos += 1
                if pos == n:
                    break
        else:
            ml = v + MIN_MATCH
            if ml > n - pos or ml > MAX_MATCH:
                return ERR_LENGTH
            s, xs, wp = symbol(T_OF, x0, wp)
            x0, x1 = x1, xs
            if s < 0:
                return -s
            if s > 0:
                if s - 1 > 31:
                    return ERR_SYMBOL
                v, acc, held, bp = extra(s - 1, acc, held, bp)
                if v < 0:
                    return -v
                rep = (1 << (s - 1)) + v
            if rep > pos:
                return ERR_OFFSET
            src = pos - rep
            piece = out[src:pos] if rep < ml else out[src:src + ml]
            out[pos:pos + ml] = (piece * (ml // len(piece) + 1))[:ml]
            pos += ml
            prev = out[pos - 1]
            continue
        break
    if x0 != RANS_L or x1 != RANS_L:
        return ERR_STATE
    if wp != nw:
        return ERR_TRAILING
    if bp != nbits or acc != 0:
        return ERR_BITS
    return OK


def decode(words, x0: int, x1: int, bits: bytes, freq, context, size: int) -> np.ndarray:
    """The ``size`` bytes (at most :data:`LIMIT`) coded in ``words``/``bits``, as
    :func:`pcz.coders.lz_rans.decode` returns them; CodingError if the stream is damaged."""
    _check_size(size)
    freq = np.asarray(freq, dtype=np.int64)
    ntab = freq.shape[0] if freq.ndim == 2 else 0
    context = np.asarray(context, dtype=np.int64)
    if freq.ndim != 2 or freq.shape[1] != 256 or ntab < T_LIT + 1 or int(context.max()) >= ntab - T_LIT:
        raise CodingError("LZ tables do not match the literal contexts")
    sums = freq.sum(axis=1)
    valid = (sums == TOTAL).tolist()
    if not np.all((sums == TOTAL) | (sums == 0)) or int(freq.max()) >= TOTAL or int(freq.min()) < 0:
        raise CodingError("LZ table does not sum to 4096 with every value below it")
    if not (RANS_L <= x0 < RANS_L << 16 and RANS_L <= x1 < RANS_L << 16):
        raise CodingError("LZ rANS stream has a bad start state")
    zero = bytes(TOTAL)
    sym = [np.repeat(np.arange(256, dtype=np.uint8), row).tobytes() if ok else zero
           for row, ok in zip(freq, valid)]
    cum = np.zeros((ntab, 257), dtype=np.int64)
    cum[:, 1:] = np.cumsum(freq, axis=1)
    out = bytearray(size)
    code = _decode(np.asarray(words, dtype=np.uint16).tolist(), int(x0), int(x1), bytes(bits), freq.tolist(),
                   cum.tolist(), sym, valid, (T_LIT + context).tolist(), out)
    if code != OK:
        raise CodingError(MESSAGES[code])
    return np.frombuffer(bytes(out), dtype=np.uint8)
