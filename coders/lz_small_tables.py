"""The LZ coder's tables in plain Python: :mod:`pcz.coders.lz_tables` without numba.

The same integer size estimates, normalisation and serialisation as the numba kernels, each
function with the signature and the results of the kernel of the same name, for the short
chunks :mod:`pcz.coders.lz_small` codes (tests compare the two).

>>> import numpy as np
>>> counts = np.zeros((2, 256), dtype=np.int64); counts[0, :3] = [5, 0, 3]
>>> freq = normalise_rows(counts, np.array([44, 256]))
>>> buf = np.zeros(64, dtype=np.uint8); n = write_tables(freq, buf); buf[:n].tolist()
[3, 5, 128, 20, 128, 12, 0]
>>> back = np.zeros((2, 256), dtype=np.int64)
>>> read_tables(buf[:n], 0, np.array([44, 256]), back), bool((back == freq).all())
(7, True)
"""
from functools import lru_cache

import numpy as np

PROB_BITS = 12
TOTAL = 1 << PROB_BITS
FRAC = 16                       # fractional bits of the fixed-point log2
ERR_TABLE = -1                  # read_tables: a damaged table
# the most bytes a table takes: m (2 bytes), the bitmap (32), a byte per symbol and a second
# one for each frequency of 128 or more (at most 4096 / 128 of them)
TABLE_BYTES = 2 + 32 + 256 + TOTAL // 128
# compact tables (lz-rans mode byte bit 1): a present symbol's weight is one of these 16, 2**(12 L / 15)
# rounded, written as its level L in LEVEL_BITS bits; normalise_rows scales the weights to TOTAL
WEIGHTS = (1, 2, 3, 5, 9, 16, 28, 49, 84, 147, 256, 446, 776, 1351, 2353, 4096)
LEVEL_BITS = 4


@lru_cache(maxsize=None)
def log2_fixed(x: int) -> int:
    """floor(log2(x) * 2**FRAC) for an integer x >= 1, by repeated squaring (integers only).

    >>> log2_fixed(1), log2_fixed(8), log2_fixed(3)
    (0, 196608, 103872)
    """
    k = x.bit_length() - 1
    y = x << (31 - k) if k <= 31 else x >> (k - 31)
    result = k << FRAC
    for b in range(FRAC - 1, -1, -1):
        y = (y * y) >> 31
        if y >= 1 << 32:
            y >>= 1
            result += 1 << b
    return result


def row_cost(row) -> int:
    """Estimated size of a row of counts coded with its own table, in 2**-FRAC bits.

    >>> row_cost(np.zeros(256, dtype=np.int64)) == 8 << FRAC
    True
    """
    row = [int(c) for c in row if c > 0]
    if not row:
        return 8 << FRAC
    lt = log2_fixed(sum(row))
    return sum(c * (lt - log2_fixed(c)) for c in row) + ((16 + 12 * len(row)) << FRAC)


def mode_costs(counts, lit: int) -> tuple[int, int]:
    """Estimated sizes of the rows ``counts`` with the literal rows from ``lit`` on merged into
    one (mode 0) and kept apart (mode 1).

    >>> a, b = mode_costs(np.ones((5, 256), dtype=np.int64), 3); a < b
    True
    """
    counts = np.asarray(counts, dtype=np.int64)
    fixed = sum(row_cost(r) for r in counts[:lit])
    return (fixed + row_cost(counts[lit:].sum(axis=0)), fixed + sum(row_cost(r) for r in counts[lit:]))


def normalise_rows(counts, alphabets) -> np.ndarray:
    """Each row of counts scaled to sum to TOTAL, as :func:`pcz.coders.lz_tables.normalise_rows`.

    >>> normalise_rows(np.array([[5, 0, 3] + [0] * 253]), np.array([44]))[0, :3].tolist()
    [2560, 0, 1536]
    """
    rows = np.asarray(counts, dtype=np.int64).tolist()
    freq = np.zeros((len(rows), 256), dtype=np.int64)
    for t, row in enumerate(rows):
        total = sum(row)
        if total == 0:
            continue
        f = [max(1, (c * TOTAL + total // 2) // total) if c > 0 else 0 for c in row]
        diff = TOTAL - sum(f)
        while diff != 0:
            top = f.index(max(f))
            take = diff if diff > 0 else -min(-diff, f[top] - 1)
            f[top] += take
            diff -= take
        for s in range(256):
            if f[s] == TOTAL:
                f[s] = TOTAL - 1
                f[s + 1 if s + 1 < alphabets[t] else s - 1] = 1
        freq[t] = f
    return freq


def code_cost(counts, freq) -> int:
    """The symbols ``counts`` cost coded with the tables ``freq``, in 2**-FRAC bits.

    >>> code_cost(np.array([[3, 1] + [0] * 254]), np.array([[2048, 2048] + [0] * 254])) == 4 << FRAC
    True
    """
    top = log2_fixed(TOTAL)
    return sum(c * (top - log2_fixed(f)) for cs, fs in zip(np.asarray(counts).tolist(), np.asarray(freq).tolist())
               for c, f in zip(cs, fs) if c > 0)


def _level(f: int) -> int:
    """The level of the weight nearest ``f`` on a log scale (the larger of two when f*f reaches
    their product)."""
    level = 0
    while level < len(WEIGHTS) - 1 and f * f >= WEIGHTS[level] * WEIGHTS[level + 1]:
        level += 1
    return level


def compact_rows(freq) -> np.ndarray:
    """Each present frequency replaced by its nearest weight (:data:`WEIGHTS`): the rows a compact
    table stores; ``normalise_rows`` of them is what is coded with.

    >>> compact_rows(np.array([[4000, 90, 6] + [0] * 253]))[0, :4].tolist()
    [4096, 84, 5, 0]
    """
    rows = np.asarray(freq, dtype=np.int64).tolist()
    return np.array([[WEIGHTS[_level(f)] if f > 0 else 0 for f in row] for row in rows], dtype=np.int64)


def _covered(row: list) -> int:
    """The number of symbols a table row covers: its last present symbol plus one."""
    return max((s + 1 for s in range(256) if row[s] > 0), default=0)


def _width(alphabet: int) -> int:
    return int(alphabet).bit_length()


def write_compact(weights, alphabets, buf) -> int:
    """Write rows of :data:`WEIGHTS` (0: absent) as compact tables into ``buf``; returns the
    length.  Bits least significant first: per table its m (the symbols it covers) in as many
    bits as its alphabet's size has, then per symbol below m a presence bit and, if present, its
    level in LEVEL_BITS bits; zero-padded to a whole byte.

    >>> buf = np.zeros(8, dtype=np.uint8); n = write_compact(np.array([[16, 0, 1] + [0] * 253]), [44], buf)
    >>> buf[:n].tolist()
    [195, 18, 0]
    """
    value = nbits = 0
    for t, row in enumerate(np.asarray(weights, dtype=np.int64).tolist()):
        m = _covered(row)
        value |= m << nbits
        nbits += _width(alphabets[t])
        for s in range(m):
            if row[s] > 0:
                value |= (1 | WEIGHTS.index(row[s]) << 1) << nbits
                nbits += 1 + LEVEL_BITS
            else:
                nbits += 1
    n = (nbits + 7) // 8
    buf[:n] = np.frombuffer(value.to_bytes(n, "little"), dtype=np.uint8)
    return n


def read_compact(buf, pos: int, alphabets, weights) -> int:
    """Read len(alphabets) compact tables from ``buf`` at ``pos`` into ``weights``; returns the
    position after them, or ERR_TABLE (truncated, a table wider than its alphabet, nonzero
    padding), as :func:`pcz.coders.lz_tables.read_compact`.

    >>> w = np.zeros((1, 256), dtype=np.int64)
    >>> read_compact(np.array([195, 18, 0], dtype=np.uint8), 0, [44], w), w[0, :3].tolist()
    (3, [16, 0, 1])
    >>> read_compact(np.array([195, 18], dtype=np.uint8), 0, [44], w)
    -1
    """
    most = sum(_width(a) + int(a) * (1 + LEVEL_BITS) for a in alphabets) // 8 + 1
    data = np.asarray(buf, dtype=np.uint8)[pos:pos + most].tobytes()
    value, have, p = int.from_bytes(data, "little"), 8 * len(data), 0

    def take(k):
        nonlocal p
        p += k
        return (value >> (p - k)) & ((1 << k) - 1) if p <= have else -1

    for t in range(len(alphabets)):
        m = take(_width(alphabets[t]))
        if m < 0 or m > alphabets[t]:
            return ERR_TABLE
        for s in range(m):
            present = take(1)
            level = take(LEVEL_BITS) if present == 1 else 0
            if present < 0 or level < 0:
                return ERR_TABLE
            weights[t, s] = WEIGHTS[level] if present else 0
    n = (p + 7) // 8
    return pos + n if (value >> p) & ((1 << (8 * n - p)) - 1) == 0 else ERR_TABLE


def _varint(out: bytearray, v: int) -> None:
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def write_tables(freq, buf) -> int:
    """Write the rows of ``freq`` into ``buf`` (uint8, at least TABLE_BYTES a row); returns
    the length.

    >>> buf = np.zeros(400, dtype=np.uint8); n = write_tables(np.array([[5, 0, 3] + [0] * 253]), buf)
    >>> buf[:n].tolist()
    [3, 5, 5, 3]
    """
    out = bytearray()
    for row in np.asarray(freq, dtype=np.int64).tolist():
        m = _covered(row)
        _varint(out, m)
        for b in range((m + 7) // 8):
            out.append(sum(1 << j for j in range(8) if 8 * b + j < m and row[8 * b + j] > 0))
        for s in range(m):
            if row[s] > 0:
                _varint(out, row[s])
    buf[:len(out)] = np.frombuffer(bytes(out), dtype=np.uint8)
    return len(out)


def _get_varint(buf: bytes, pos: int, limit: int) -> tuple[int, int]:
    """(value, new position), or (-1, pos) if truncated, too long or above ``limit``."""
    v = shift = 0
    while True:
        if pos >= len(buf) or shift > 14:
            return -1, pos
        b = buf[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
    return (v, pos) if v <= limit else (-1, pos)


def read_tables(buf, pos: int, alphabets, freq) -> int:
    """Read len(alphabets) tables from ``buf`` at ``pos`` into ``freq``; returns the position
    after them or ERR_TABLE, as :func:`pcz.coders.lz_tables.read_tables`.

    >>> freq = np.zeros((1, 256), dtype=np.int64)
    >>> read_tables(np.array([3, 5, 128, 20, 128, 12], dtype=np.uint8), 0, np.array([44]), freq), freq[0, :3].tolist()
    (6, [2560, 0, 1536])
    >>> read_tables(np.array([3, 5, 1, 1], dtype=np.uint8), 0, np.array([44]), freq)
    -1
    """
    buf = np.asarray(buf, dtype=np.uint8).tobytes()
    for t in range(len(alphabets)):
        m, pos = _get_varint(buf, pos, int(alphabets[t]))
        if m < 0:
            return ERR_TABLE
        nb = (m + 7) // 8
        if pos + nb > len(buf):
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
