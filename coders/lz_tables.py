"""The LZ coder's tables in numba: size estimates, normalisation, serialisation.

A chunk's symbol counts (one row of 256 per table) become frequencies summing to
exactly 2**12 (every present symbol at least 1, none above 4095), written as: the
number m of symbols the table covers (LEB128; 0 for an empty table), a bitmap of
ceil(m / 8) bytes of the present symbols (least significant bit first), and each
present symbol's frequency (LEB128).  Estimates use a fixed-point log2 computed with
integers only, so the encoder decides the same way on every machine.  Compact tables
(:func:`write_compact`) store each present symbol's frequency as one of 16 weights instead,
in 4 bits: the encoder takes them when it estimates them smaller, the symbols they code
included (chunks whose tables are a large part of the payload).

>>> import numpy as np
>>> counts = np.zeros((2, 256), dtype=np.int64); counts[0, :3] = [5, 0, 3]
>>> freq = normalise_rows(counts, np.array([44, 256]))
>>> freq[0, :3].tolist(), int(freq[1].sum())
([2560, 0, 1536], 0)
>>> buf = np.zeros(64, dtype=np.uint8); n = write_tables(freq, buf); buf[:n].tolist()
[3, 5, 128, 20, 128, 12, 0]
>>> back = np.zeros((2, 256), dtype=np.int64)
>>> read_tables(buf[:n], 0, np.array([44, 256]), back), bool((back == freq).all())
(7, True)
"""
import numba
import numpy as np

# the constants, shared with the plain-Python copy of these kernels (which imports no numba)
from pcz.coders.lz_small_tables import ERR_TABLE, FRAC, LEVEL_BITS, PROB_BITS, TABLE_BYTES, TOTAL, WEIGHTS  # noqa: F401

_WEIGHTS = np.array(WEIGHTS, dtype=np.int64)


@numba.njit(cache=True, nogil=True)
def log2_fixed(x):
    """floor(log2(x) * 2**FRAC) for an integer x >= 1, by repeated squaring (integers only)."""
    k = 0
    while (x >> (k + 1)) > 0:
        k += 1
    # y = x / 2**k in [1, 2) as a 1.31 fixed-point number
    y = np.uint64(x << (31 - k)) if k <= 31 else np.uint64(x >> (k - 31))
    result = k << FRAC
    for b in range(FRAC - 1, -1, -1):
        y = (y * y) >> np.uint64(31)
        if y >= np.uint64(1 << 32):
            y >>= np.uint64(1)
            result += 1 << b
    return result


@numba.njit(cache=True, nogil=True)
def row_cost(row):
    """Estimated size of a row of counts coded with its own table, in 2**-FRAC bits."""
    total = 0
    present = 0
    for s in range(256):
        total += row[s]
        present += row[s] > 0
    if total == 0:
        return 8 << FRAC
    lt = log2_fixed(total)
    cost = 0
    for s in range(256):
        if row[s] > 0:
            cost += row[s] * (lt - log2_fixed(row[s]))
    return cost + ((16 + 12 * present) << FRAC)


@numba.njit(cache=True, nogil=True)
def normalise_rows(counts, alphabets):
    """Each row of counts scaled to sum to TOTAL (empty rows stay zero), in a fixed integer way:
    rounded shares, present symbols at least 1, the difference taken from or given to the
    largest; a lone symbol gets TOTAL - 1 and a neighbour within the row's alphabet 1."""
    ntab = counts.shape[0]
    freq = np.zeros((ntab, 256), dtype=np.int64)
    for t in range(ntab):
        total = 0
        for s in range(256):
            total += counts[t, s]
        if total == 0:
            continue
        acc = 0
        for s in range(256):
            c = counts[t, s]
            if c > 0:
                f = (c * TOTAL + total // 2) // total
                freq[t, s] = f if f > 0 else 1
                acc += freq[t, s]
        diff = TOTAL - acc
        while diff != 0:
            top = 0
            for s in range(256):
                if freq[t, s] > freq[t, top]:
                    top = s
            if diff > 0:
                freq[t, top] += diff
                diff = 0
            else:
                take = min(-diff, freq[t, top] - 1)
                freq[t, top] -= take
                diff += take
        for s in range(256):
            if freq[t, s] == TOTAL:
                freq[t, s] = TOTAL - 1
                other = s + 1 if s + 1 < alphabets[t] else s - 1
                freq[t, other] = 1
    return freq


@numba.njit(cache=True, nogil=True, inline="always")
def _put_varint(buf, n, v):
    while v >= 0x80:
        buf[n] = (v & 0x7F) | 0x80
        n += 1
        v >>= 7
    buf[n] = v
    return n + 1


@numba.njit(cache=True, nogil=True, inline="always")
def _covered(row):
    """The number of symbols a table row covers: its last present symbol plus one."""
    m = 0
    for s in range(256):
        if row[s] > 0:
            m = s + 1
    return m


@numba.njit(cache=True, nogil=True)
def write_tables(freq, buf):
    """Write the rows of ``freq`` into ``buf`` (at least TABLE_BYTES a row); returns the length."""
    n = 0
    for t in range(freq.shape[0]):
        m = _covered(freq[t])
        n = _put_varint(buf, n, m)
        for b in range((m + 7) // 8):
            byte = 0
            for j in range(8):
                s = 8 * b + j
                if s < m and freq[t, s] > 0:
                    byte |= 1 << j
            buf[n] = byte
            n += 1
        for s in range(m):
            if freq[t, s] > 0:
                n = _put_varint(buf, n, freq[t, s])
    return n


@numba.njit(cache=True, nogil=True, inline="always")
def _get_varint(buf, pos, limit):
    """(value, new position), or (-1, pos) if truncated, too long or above ``limit``."""
    v = 0
    shift = 0
    while True:
        if pos >= buf.shape[0] or shift > 14:
            return -1, pos
        b = np.int64(buf[pos])
        pos += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
    return (v, pos) if v <= limit else (-1, pos)


@numba.njit(cache=True, nogil=True)
def read_tables(buf, pos, alphabets, freq):
    """Read len(alphabets) tables from ``buf`` at ``pos`` into ``freq``; returns the position
    after them or ERR_TABLE (truncated, a table wider than its alphabet, a zero or too large
    frequency, a non-empty table not summing to TOTAL)."""
    for t in range(alphabets.shape[0]):
        m, pos = _get_varint(buf, pos, alphabets[t])
        if m < 0:
            return ERR_TABLE
        nb = (m + 7) // 8
        if pos + nb > buf.shape[0]:
            return ERR_TABLE
        start = pos
        pos += nb
        total = 0
        for s in range(m):
            if (buf[start + (s >> 3)] >> (s & 7)) & 1:
                f, pos = _get_varint(buf, pos, TOTAL - 1)
                if f <= 0:
                    return ERR_TABLE
                freq[t, s] = f
                total += f
        if total != 0 and total != TOTAL:
            return ERR_TABLE
    return pos


@numba.njit(cache=True, nogil=True)
def mode_costs(counts, lit):
    """Estimated sizes (2**-FRAC bits) of the rows ``counts`` with the literal rows from
    ``lit`` on kept apart (mode 1) and merged into one (mode 0)."""
    merged = np.zeros(256, dtype=np.int64)
    fixed = 0
    apart = 0
    for t in range(counts.shape[0]):
        if t < lit:
            fixed += row_cost(counts[t])
        else:
            apart += row_cost(counts[t])
            for s in range(256):
                merged[s] += counts[t, s]
    return fixed + row_cost(merged), fixed + apart


@numba.njit(cache=True, nogil=True)
def _log2_table():
    out = np.empty(TOTAL + 1, dtype=np.int64)
    out[0] = 0
    for f in range(1, TOTAL + 1):
        out[f] = log2_fixed(f)
    return out


_LOG2 = _log2_table()          # log2_fixed of 0..TOTAL (0: unused), a constant of code_cost


@numba.njit(cache=True, nogil=True)
def code_cost(counts, freq):
    """The symbols ``counts`` cost coded with the tables ``freq`` (each at most TOTAL), in
    2**-FRAC bits."""
    logs = _LOG2
    cost = 0
    for t in range(counts.shape[0]):
        for s in range(256):
            if counts[t, s] > 0:
                cost += counts[t, s] * (logs[TOTAL] - logs[freq[t, s]])
    return cost


@numba.njit(cache=True, nogil=True)
def compact_rows(freq):
    """Each present frequency replaced by the weight nearest it on a log scale (the larger of two
    when f*f reaches their product): the rows a compact table stores."""
    weights = np.zeros((freq.shape[0], 256), dtype=np.int64)
    for t in range(freq.shape[0]):
        for s in range(256):
            f = freq[t, s]
            if f > 0:
                level = 0
                while level < _WEIGHTS.shape[0] - 1 and f * f >= _WEIGHTS[level] * _WEIGHTS[level + 1]:
                    level += 1
                weights[t, s] = _WEIGHTS[level]
    return weights


@numba.njit(cache=True, nogil=True, inline="always")
def _width(alphabet):
    w = 0
    while (alphabet >> w) > 0:
        w += 1
    return w


@numba.njit(cache=True, nogil=True, inline="always")
def _put_bits(buf, p, value, k):
    for i in range(k):
        if (value >> i) & 1:
            buf[p >> 3] |= np.uint8(1 << (p & 7))
        p += 1
    return p


@numba.njit(cache=True, nogil=True)
def write_compact(weights, alphabets, buf):
    """Write rows of WEIGHTS (0: absent) as compact tables into ``buf`` (zeroed, at least
    TABLE_BYTES a row); returns the length.  Bits least significant first: per table its m in as
    many bits as its alphabet's size has, then per symbol below m a presence bit and, if present,
    its level in LEVEL_BITS bits; zero-padded to a whole byte."""
    p = 0
    for t in range(weights.shape[0]):
        m = _covered(weights[t])
        p = _put_bits(buf, p, m, _width(alphabets[t]))
        for s in range(m):
            if weights[t, s] > 0:
                level = 0
                while _WEIGHTS[level] != weights[t, s]:
                    level += 1
                p = _put_bits(buf, p, 1 | (level << 1), 1 + LEVEL_BITS)
            else:
                p += 1
    return (p + 7) >> 3


@numba.njit(cache=True, nogil=True, inline="always")
def _get_bits(buf, p, k, end):
    """(value, p + k), or (-1, p) when the k bits are not all before bit ``end``."""
    if p + k > end:
        return -1, p
    v = 0
    for i in range(k):
        v |= ((buf[(p + i) >> 3] >> ((p + i) & 7)) & 1) << i
    return v, p + k


@numba.njit(cache=True, nogil=True)
def read_compact(buf, pos, alphabets, weights):
    """Read len(alphabets) compact tables from ``buf`` at ``pos`` into ``weights``; returns the
    position after them, or ERR_TABLE (truncated, a table wider than its alphabet, nonzero
    padding)."""
    end = 8 * buf.shape[0]
    p = 8 * pos
    for t in range(alphabets.shape[0]):
        m, p = _get_bits(buf, p, _width(alphabets[t]), end)
        if m < 0 or m > alphabets[t]:
            return ERR_TABLE
        for s in range(m):
            present, p = _get_bits(buf, p, 1, end)
            level = 0
            if present == 1:
                level, p = _get_bits(buf, p, LEVEL_BITS, end)
            if present < 0 or level < 0:
                return ERR_TABLE
            weights[t, s] = _WEIGHTS[level] if present == 1 else 0
    while p & 7:
        bit, p = _get_bits(buf, p, 1, end)
        if bit != 0:
            return ERR_TABLE
    return p >> 3
