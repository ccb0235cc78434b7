"""A binary arithmetic coder in numba, for models that predict one bit at a time.

Carry-less 32-bit coder in the style of paq/lpaq: the interval is ``[x1, x2]``;
a bit with probability ``p1 / 2**16`` of being 1 takes the lower part;
leading bytes on which x1 and x2 agree are shifted out.  All arithmetic is on
integers, so encoder and decoder agree on every machine.  The stream ends with
the four bytes of x1; the decoder reads zeros past the end.

Every decision is coded with ``p1`` clamped to ``[1, 2**16 - 1]``, so none is free:
:data:`LEAST_BITS` is the least a decision can add to the stream, and a stream
of n decisions is at least ``(n * LEAST_BITS + 1) / 8`` bytes long
(:func:`least_stream_bits`), which lets a decoder refuse a payload too short for
the size it claims before decoding it.

The functions work on a small state array so that fused numba kernels (model +
coder in one loop) can call them; :func:`encode_bits` / :func:`decode_bits`
wrap them for tests and examples.

>>> import numpy as np
>>> bits = np.array([1, 0, 1, 1, 0, 0, 0, 1], dtype=np.uint8)
>>> p1 = np.full(8, 40000, dtype=np.int64)
>>> blob = encode_bits(bits, p1)
>>> decode_bits(blob, p1).tolist() == bits.tolist()
True
"""
import math

import numpy as np

from pcz.coders.jit import numba

PROB_BITS = 16
PROB_ONE = 1 << PROB_BITS
MASK32 = 0xFFFFFFFF
TOP = 0xFF000000
FLUSH_BYTES = 4
# The least one decision costs.  Before a decision the interval holds w = x2 - x1 + 1 >= 2
# values; each side keeps at least one, and at least (w - 1) / 2**16 (p1 >= 1 and
# 2**16 - p1 >= 1), so the side coded keeps at most a fraction 1 - 2**-16 + 2**-32 of w
# (w > 2**16) or 1 - 1/w <= 1 - 2**-16 (w <= 2**16).  Shifting a byte out multiplies w by 256.
LEAST_BITS = -math.log2(1 - 2.0 ** -16 + 2.0 ** -32)


@numba.njit(cache=True, nogil=True, inline="always")
def quantise(p1):
    """A probability of 1 (float) as an integer in [1, 2**16 - 1]; NaN and values
    outside [0, 1] are clamped before any float-to-integer conversion."""
    if not p1 > 0.0:
        return np.int64(1)
    if p1 >= 1.0:
        return np.int64(PROB_ONE - 1)
    q = np.int64(p1 * PROB_ONE + 0.5)
    if q < 1:
        return np.int64(1)
    if q > PROB_ONE - 1:
        return np.int64(PROB_ONE - 1)
    return q


@numba.njit(cache=True, nogil=True, inline="always")
def _mid(x1, x2, p1):
    r = x2 - x1
    return x1 + (r >> PROB_BITS) * p1 + (((r & (PROB_ONE - 1)) * p1) >> PROB_BITS)


@numba.njit(cache=True, nogil=True)
def enc_bit(state, out, bit, p1):
    """Code ``bit``; state = [x1, x2, bytes written].  Bytes past the end of out are
    counted but not stored, so a caller detects overflow by comparing the count."""
    x1, x2, pos = state[0], state[1], state[2]
    xmid = _mid(x1, x2, p1)
    if bit:
        x2 = xmid
    else:
        x1 = xmid + 1
    while ((x1 ^ x2) & TOP) == 0:
        if pos < out.shape[0]:
            out[pos] = x2 >> 24
        pos += 1
        x1 = (x1 << 8) & MASK32
        x2 = ((x2 << 8) & MASK32) | 255
    state[0], state[1], state[2] = x1, x2, pos


@numba.njit(cache=True, nogil=True)
def enc_flush(state, out):
    """Write the final bytes (x1, big-endian); returns the stream length (which may
    exceed len(out): then the stream did not fit)."""
    pos = state[2]
    for i in range(FLUSH_BYTES):
        if pos + i < out.shape[0]:
            out[pos + i] = (state[0] >> (24 - 8 * i)) & 255
    return pos + FLUSH_BYTES


@numba.njit(cache=True, nogil=True)
def dec_init(state, data):
    """state = [x1, x2, read position, x]; reads the first four bytes."""
    x = 0
    for i in range(4):
        x = (x << 8) | (data[i] if i < data.shape[0] else 0)
    state[0], state[1], state[2], state[3] = 0, MASK32, 4, x


@numba.njit(cache=True, nogil=True)
def dec_bit(state, data, p1):
    """Decode one bit coded with probability p1 / 2**16 of being 1."""
    x1, x2, pos, x = state[0], state[1], state[2], state[3]
    xmid = _mid(x1, x2, p1)
    bit = 1 if x <= xmid else 0
    if bit:
        x2 = xmid
    else:
        x1 = xmid + 1
    while ((x1 ^ x2) & TOP) == 0:
        x1 = (x1 << 8) & MASK32
        x2 = ((x2 << 8) & MASK32) | 255
        x = ((x << 8) & MASK32) | (data[pos] if pos < data.shape[0] else 0)
        pos += 1
    state[0], state[1], state[2], state[3] = x1, x2, pos, x
    return bit


def least_stream_bits(n_decisions: int) -> float:
    """The fewest bits (8 x bytes) a stream of n decisions can have, flush included.

    After n decisions the interval, as a fraction of the start, is at most
    ``2**(-n * LEAST_BITS)``, and it is ``w * 2**-32 * 256**-pos`` with w >= 2 after
    ``pos`` bytes were shifted out: so ``8 * pos >= n * LEAST_BITS - 31``, and the
    four flush bytes follow.

    >>> bits = np.ones(80000, dtype=np.uint8)
    >>> 8 * len(encode_bits(bits, np.full(80000, PROB_ONE - 1))) >= least_stream_bits(80000)
    True
    """
    return n_decisions * LEAST_BITS + 1


def new_encoder() -> np.ndarray:
    """Fresh encoder state [x1, x2, bytes written]."""
    return np.array([0, MASK32, 0], dtype=np.int64)


def max_stream_bytes(n_bits: int) -> int:
    """Room that always suffices for n_bits coded bits: a bit narrows the interval by at
    most 2**17, so it shifts out at most 3 bytes; plus the flush."""
    return 3 * n_bits + FLUSH_BYTES


@numba.njit(cache=True, nogil=True)
def _encode_all(bits, p1, out):
    state = np.zeros(3, dtype=np.int64)
    state[1] = MASK32
    for i in range(bits.shape[0]):
        enc_bit(state, out, bits[i], p1[i])
    return enc_flush(state, out)


@numba.njit(cache=True, nogil=True)
def _decode_all(data, p1, out):
    state = np.zeros(4, dtype=np.int64)
    dec_init(state, data)
    for i in range(out.shape[0]):
        out[i] = dec_bit(state, data, p1[i])


def encode_bits(bits: np.ndarray, p1: np.ndarray) -> bytes:
    """Code bits[i] with probability p1[i] / 2**16 of a 1 (integers in [1, 65535])."""
    out = np.zeros(max_stream_bytes(len(bits)), dtype=np.uint8)
    n = _encode_all(np.ascontiguousarray(bits, dtype=np.uint8), np.ascontiguousarray(p1, dtype=np.int64), out)
    return out[:n].tobytes()


def decode_bits(blob: bytes, p1: np.ndarray) -> np.ndarray:
    """Inverse of :func:`encode_bits` for len(p1) bits."""
    out = np.zeros(len(p1), dtype=np.uint8)
    _decode_all(np.frombuffer(blob, dtype=np.uint8), np.ascontiguousarray(p1, dtype=np.int64), out)
    return out
