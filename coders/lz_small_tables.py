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
        m = max((s + 1 for s in range(256) if row[s] > 0), default=0)
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
