"""A static order-0 rANS coder in numba: two interleaved 32-bit states, 16-bit words.

The model is a table of 256 frequencies summing to exactly ``2**PROB_BITS``
(:func:`normalise`: every byte value present gets at least 1).  Symbols at even
positions go through state 0, odd ones through state 1, so the decoder's two
dependency chains overlap.  The encoder runs backwards and the stream is stored
forwards: the two final states (4 bytes each, little-endian), then the 16-bit
words in the order the decoder reads them.  Decoding checks every read against
the stream's end and that both states return to their initial value, so a
damaged stream is reported, not silently decoded to garbage (checksums still
guard the content).

Integers only: the same bytes on every machine.

>>> import numpy as np
>>> data = np.frombuffer(b"abracadabra" * 3, dtype=np.uint8)
>>> freq = normalise(np.bincount(data, minlength=256))
>>> blob = encode(data, freq)
>>> bytes(decode(blob, freq, len(data))) == data.tobytes()
True
"""
import numpy as np

from pcz.coders.jit import numba
from pcz.coders.errors import CodingError

PROB_BITS = 12
TOTAL = 1 << PROB_BITS
RANS_L = 1 << 16            # states live in [RANS_L, RANS_L << 16)
OK, ERR_TRUNCATED, ERR_STATE, ERR_TRAILING = 0, 1, 2, 3


def normalise(counts: np.ndarray) -> np.ndarray:
    """Frequencies summing to exactly TOTAL, each present value >= 1, none above TOTAL - 1
    (so every symbol costs some bits: decoding work is bounded by the payload), in a fixed
    integer way.  A single present value leaves 1 to the next value.

    >>> normalise(np.array([1, 0, 3] + [0] * 253))[:3].tolist()
    [1024, 0, 3072]
    >>> normalise(np.array([0, 5] + [0] * 254))[:3].tolist()
    [0, 4095, 1]
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    freq = np.zeros(256, dtype=np.int64)
    if total == 0:
        return freq
    freq[:] = (counts * TOTAL) // total
    freq[(counts > 0) & (freq == 0)] = 1
    diff = TOTAL - int(freq.sum())
    order = np.argsort(-freq, kind="stable")      # largest first, ties by value: deterministic
    i = 0
    while diff != 0:
        s = order[i % 256]
        if diff > 0 and counts[s] > 0:
            freq[s] += 1
            diff -= 1
        elif diff < 0 and freq[s] > 1:
            freq[s] -= 1
            diff += 1
        i += 1
    top = int(np.argmax(freq))
    if freq[top] == TOTAL:
        freq[top] -= 1
        freq[(top + 1) % 256] = 1
    return freq


def _tables(freq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    freq = np.asarray(freq, dtype=np.int64)
    if freq.shape != (256,) or freq.min() < 0 or int(freq.sum()) != TOTAL or int(freq.max()) >= TOTAL:
        raise CodingError("order-0 frequencies must be 256 values in [0, 4095] summing to 4096")
    cum = np.zeros(257, dtype=np.int64)
    cum[1:] = np.cumsum(freq)
    sym = np.repeat(np.arange(256, dtype=np.uint8), freq)
    return freq.astype(np.uint32), cum.astype(np.uint32), sym


@numba.njit(cache=True, nogil=True)
def _encode(data, freq, cum, words):
    """Encode data backwards into words (reversed afterwards); returns (n words, x0, x1)."""
    x = np.empty(2, dtype=np.uint64)
    x[0] = RANS_L
    x[1] = RANS_L
    n = 0
    for i in range(data.shape[0] - 1, -1, -1):
        s = data[i]
        f = np.uint64(freq[s])
        j = i & 1
        xs = x[j]
        limit = f << np.uint64(32 - PROB_BITS)     # ((RANS_L >> PROB_BITS) << 16) * f
        while xs >= limit:
            words[n] = np.uint16(xs & np.uint64(0xFFFF))
            n += 1
            xs >>= np.uint64(16)
        x[j] = ((xs // f) << np.uint64(PROB_BITS)) + (xs % f) + np.uint64(cum[s])
    return n, x[0], x[1]


@numba.njit(cache=True, nogil=True)
def _decode(words, x0, x1, freq, cum, sym, out):
    """Decode len(out) symbols; returns an error code (OK when the stream is exactly used)."""
    x = np.empty(2, dtype=np.uint64)
    x[0] = x0
    x[1] = x1
    pos = 0
    nw = words.shape[0]
    mask = np.uint64(TOTAL - 1)
    for i in range(out.shape[0]):
        j = i & 1
        xs = x[j]
        slot = xs & mask
        s = sym[slot]
        out[i] = s
        xs = np.uint64(freq[s]) * (xs >> np.uint64(PROB_BITS)) + slot - np.uint64(cum[s])
        while xs < RANS_L:
            if pos >= nw:
                return ERR_TRUNCATED
            xs = (xs << np.uint64(16)) | np.uint64(words[pos])
            pos += 1
        x[j] = xs
    if x[0] != RANS_L or x[1] != RANS_L:
        return ERR_STATE
    return OK if pos == nw else ERR_TRAILING


def encode(data: np.ndarray, freq: np.ndarray) -> bytes:
    """The rANS stream of data (uint8) under the frequencies ``freq`` (from :func:`normalise`)."""
    freq, cum, _ = _tables(freq)
    data = np.ascontiguousarray(data, dtype=np.uint8)
    words = np.empty(2 * len(data) + 4, dtype=np.uint16)
    n, x0, x1 = _encode(data, freq, cum, words)
    head = np.array([x0, x1], dtype="<u4").tobytes()
    return head + words[:n][::-1].astype("<u2").tobytes()


def decode(blob: bytes, freq: np.ndarray, size: int) -> np.ndarray:
    """``size`` symbols decoded from a stream made by :func:`encode`; CodingError if damaged."""
    freq, cum, sym = _tables(freq)
    if len(blob) < 8 or len(blob) % 2:
        raise CodingError("order-0 rANS stream has a bad length")
    x0, x1 = (int(v) for v in np.frombuffer(blob, dtype="<u4", count=2))
    if not (RANS_L <= x0 < RANS_L << 16 and RANS_L <= x1 < RANS_L << 16):
        raise CodingError("order-0 rANS stream has a bad start state")
    words = np.frombuffer(blob, dtype="<u2", offset=8).astype(np.uint16)
    out = np.empty(size, dtype=np.uint8)
    code = _decode(words, np.uint64(x0), np.uint64(x1), freq, cum, sym, out)
    if code != OK:
        raise CodingError({ERR_TRUNCATED: "order-0 rANS stream is truncated",
                           ERR_STATE: "order-0 rANS stream does not end where it began",
                           ERR_TRAILING: "order-0 rANS stream has words left over"}[code])
    return out
