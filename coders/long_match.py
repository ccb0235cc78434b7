"""Long-range match kernels (numba): finding repeats of earlier chunks in a chunk, packing
and parsing the match list, and rebuilding a chunk from its matches and literals.

The finder keeps a hash table of the absolute positions of sampled :data:`HASH_LEN`-byte
windows of earlier chunks (one every :data:`STEP` bytes, the latest wins).  A chunk is
scanned at every byte with a rolling hash; a candidate is extended forwards (to the
chunk's end; the source may run on into the chunk itself, so sources may overlap their
destination) and backwards (to the chunk's start or the previous match), and kept when
at least ``min_len`` bytes long.  Every repeat of at least ``HASH_LEN + STEP - 1``
bytes has a sampled window in it, so is found unless a later window with the same hash
replaced it.  Only the encoder runs the finder; its output is the same for any number of
processes (one serial pass).

A match list, as stored (pcz/methods/long.py): for each match, LEB128 of the literal
bytes before it (since the previous match's end), of its distance minus 1 (destination
minus source, in the whole content) and of its length minus 1.

>>> import numpy as np
>>> matches = np.array([[5, 100, 70], [80, 3, 20]], dtype=np.int64)   # gap, distance, length
>>> blob = pack(matches)
>>> out, used = parse(np.frombuffer(blob, dtype=np.uint8), 2, 1000)
>>> out.tolist(), used == len(blob)
([[5, 100, 70], [80, 3, 20]], True)
"""
import numba
import numpy as np

from pcz.coders.errors import CodingError

HASH_LEN = 32                 # bytes hashed per window
STEP = 16                     # a window is sampled at every STEP-th absolute position
_MUL = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def table_bits(window: int) -> int:
    """log2 of the hash table's entries for a window of ``window`` bytes (two per sample,
    4096 to 2**22 entries, so at most 32 MiB)."""
    return max(12, min(22, (max(window, 1) // STEP * 2 - 1).bit_length()))


@numba.njit(cache=True)
def _power() -> np.uint64:
    p = np.uint64(1)
    for _ in range(HASH_LEN - 1):
        p = p * _MUL
    return p


@numba.njit(cache=True)
def _hash_at(buf, i) -> np.uint64:
    h = np.uint64(0)
    for k in range(HASH_LEN):
        h = h * _MUL + np.uint64(buf[i + k])
    return h


@numba.njit(cache=True)
def _slot(h, shift) -> np.int64:
    return np.int64((h * _MIX) >> np.uint64(shift))


@numba.njit(cache=True)
def find(buf, start, end, base, table, shift, min_len, window):
    """Matches for the chunk ``buf[start:end]`` against earlier positions in ``table``
    (absolute; ``buf[0]`` is at absolute position ``base``): an int64 array of rows
    (destination index in the chunk, absolute source, length), in order, not overlapping."""
    out = np.empty((max(1, (end - start) // max(min_len, 1) + 1), 3), dtype=np.int64)
    count = 0
    top = _power()
    last = start          # the end of the previous match (no match may start before it)
    i = start
    if end - start < HASH_LEN:
        return out[:0]
    h = _hash_at(buf, i)
    while i + HASH_LEN <= end:
        cand = table[_slot(h, shift)]
        dest_abs = base + i
        if cand >= base and cand < base + start and dest_abs - cand <= window:
            c = cand - base
            f = 0
            while i + f < end and buf[c + f] == buf[i + f]:
                f += 1
            b = 0
            while i - b - 1 >= last and c - b - 1 >= 0 and buf[c - b - 1] == buf[i - b - 1] \
                    and dest_abs - cand <= window:
                b += 1
            if b + f >= min_len:
                out[count, 0] = i - b - start
                out[count, 1] = cand - b
                out[count, 2] = b + f
                count += 1
                i += f
                last = i
                if i + HASH_LEN <= end:
                    h = _hash_at(buf, i)
                continue
        if i + HASH_LEN < end:
            h = (h - np.uint64(buf[i]) * top) * _MUL + np.uint64(buf[i + HASH_LEN])
        i += 1
    return out[:count]


@numba.njit(cache=True)
def insert(buf, start, end, base, table, shift) -> None:
    """Enter the sampled windows that lie wholly in ``buf[start:end]`` into ``table``."""
    if end - start < HASH_LEN:
        return
    top = _power()
    h = _hash_at(buf, start)
    for i in range(start, end - HASH_LEN + 1):
        if (base + i) % STEP == 0:
            table[_slot(h, shift)] = base + i
        if i + HASH_LEN < end:
            h = (h - np.uint64(buf[i]) * top) * _MUL + np.uint64(buf[i + HASH_LEN])


def pack(matches: np.ndarray) -> bytes:
    """The stored match list of rows (literals before, distance, length)."""
    out = bytearray()
    for gap, distance, length in matches.tolist():
        for v in (gap, distance - 1, length - 1):
            while v >= 0x80:
                out.append((v & 0x7F) | 0x80)
                v >>= 7
            out.append(v)
    return bytes(out)


@numba.njit(cache=True)
def _parse(data, count, size, out):
    pos = 0
    total = 0
    for m in range(count):
        for k in range(3):
            v = 0
            shift = 0
            while True:
                if pos >= len(data) or shift > 35:
                    return -1
                byte = data[pos]
                pos += 1
                v |= np.int64(byte & 0x7F) << shift
                shift += 7
                if byte < 0x80:
                    break
            out[m, k] = v + (0 if k == 0 else 1)
        total += out[m, 0] + out[m, 2]
        if total > size:
            return -2
    return pos


def parse(data: np.ndarray, count: int, size: int) -> tuple[np.ndarray, int]:
    """``count`` matches from the start of ``data`` for a chunk of ``size`` bytes: (rows of
    (literals before, distance, length), bytes read); CodingError when the list is cut
    short, a number is too large or the matches and literals overrun the chunk."""
    if count > len(data) // 3 or count > size:
        raise CodingError("long-range match list is longer than its chunk allows")
    out = np.empty((count, 3), dtype=np.int64)
    used = _parse(data, count, size, out)
    if used == -1:
        raise CodingError("long-range match list is cut short or holds a number out of range")
    if used == -2:
        raise CodingError("long-range matches overrun their chunk")
    return out, used


@numba.njit(cache=True)
def _apply(buf, at, size, matches, literals):
    pos = at
    lit = 0
    for m in range(matches.shape[0]):
        gap, distance, length = matches[m, 0], matches[m, 1], matches[m, 2]
        buf[pos:pos + gap] = literals[lit:lit + gap]
        lit += gap
        pos += gap
        src = pos - distance
        for k in range(length):
            buf[pos + k] = buf[src + k]
        pos += length
    buf[pos:at + size] = literals[lit:]


def apply(buf: np.ndarray, at: int, size: int, matches: np.ndarray, literals: np.ndarray, lowest: int) -> None:
    """Write a chunk of ``size`` bytes at ``buf[at:]`` from its matches (as :func:`parse`
    gives them) and literals; every source must lie at or after ``buf[lowest]``
    (CodingError otherwise, before anything is written).

    >>> buf = np.zeros(12, dtype=np.uint8); buf[:2] = (1, 2)
    >>> apply(buf, 2, 10, np.array([[1, 3, 6]]), np.array([7, 9, 9, 9], dtype=np.uint8), 0)
    >>> buf.tolist()
    [1, 2, 7, 1, 2, 7, 1, 2, 7, 9, 9, 9]
    """
    if at + size > len(buf) or len(literals) != size - int(matches[:, 2].sum()):
        raise CodingError("long-range chunk does not add up to its size")
    if len(matches):
        ends = np.cumsum(matches[:, 0] + matches[:, 2])
        dests = at + ends - matches[:, 2]
        if int((dests - matches[:, 1]).min()) < lowest:
            raise CodingError("long-range match reaches before the data it may copy from")
    _apply(buf, at, size, matches, literals)
