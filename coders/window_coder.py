"""A bit-granular arithmetic coder for Equal-Info windows of exactly W bits (numba).

Each window is one W-bit integer v.  The coder keeps the exact interval
``[lo, lo + R * 2**e)`` of W-bit codewords that are still possible (R < 2**32,
and R >= 2**31 whenever e > 0), so a window can end at any bit.  Bytes are
coded as 8 binary decisions; a decision with probability ``p1 / 2**16`` of a 1
gives the 1 the lower ``(R * p1) >> 16`` units and the 0 the rest.

Parsing rule (the decoder's, which the encoder follows exactly):

- The first byte of a window always fits: at each of its 8 levels both parts get
  at least ``2**(levels below)`` units, so every byte value has at least one
  codeword.
- Before every later byte, the top unit of the interval means "stop": the byte is
  coded in the other ``R - 1`` units.  The decoder stops when v lies in that unit.
- The encoder codes bytes while the actual bit's part is non-empty; at the first
  byte that does not fit (or at the end of the data) it restores the interval from
  before that byte and emits ``v = lo + (R - 1) * 2**e``, the start of the stop
  unit.  That v decodes to exactly the bytes coded, by construction.

Reserving one unit costs ``-log2(1 - 1/R)`` bits per byte (about 7e-10 while
R >= 2**31); the waste at the end of a window is at most the cost of the byte that
did not fit.  No padding is ever interpreted, so no window is ambiguous.

The encoder tracks ``lo`` as a little-endian array of 32-bit limbs; the decoder
only needs ``D = (v - lo) >> e`` (< 2**32), shifting in v's bits as e falls.
"""
import numpy as np

from pcz.coders.jit import numba
from pcz.coders.binary_coder import PROB_BITS

HALF = 1 << 31
MASK32 = 0xFFFFFFFF
MIN_BITS, MAX_BITS = 16, 128


def check_window_bits(W: int) -> None:
    """Window sizes are multiples of 8 bits between 16 and 128."""
    if W % 8 or not MIN_BITS <= W <= MAX_BITS:
        raise ValueError(f"window bits must be a multiple of 8 in [{MIN_BITS}, {MAX_BITS}], not {W}")


@numba.njit(cache=True, nogil=True, inline="always")
def start_range(W):
    """(R, e) of a fresh window: the whole space 2**W."""
    if W >= 32:
        return np.int64(HALF), np.int64(W - 31)
    return np.int64(1) << W, np.int64(0)


@numba.njit(cache=True, nogil=True, inline="always")
def split(R, p1, first, level):
    """Units given to a 1 bit: (R * p1) >> 16, clamped in a window's first byte so
    that both parts keep room for every byte value below this level."""
    r1 = (R * p1) >> PROB_BITS
    if first:
        need = np.int64(1) << (7 - level)
        if r1 < need:
            r1 = need
        if r1 > R - need:
            r1 = R - need
    return r1


@numba.njit(cache=True, nogil=True)
def add_shifted(lo, r, e):
    """lo += r * 2**e for r < 2**32 (lo: little-endian 32-bit limbs in int64)."""
    k = e >> 5
    val = r << (e & 31)
    lo[k] += val & MASK32
    lo[k + 1] += val >> 32
    for i in range(k, lo.shape[0] - 1):
        carry = lo[i] >> 32
        if carry == 0 and i > k:
            break
        lo[i] &= MASK32
        lo[i + 1] += carry


@numba.njit(cache=True, nogil=True)
def write_window(lo, R, e, out_row):
    """Store v = lo + (R - 1) * 2**e (the stop unit) as W/8 big-endian bytes."""
    v = lo.copy()
    add_shifted(v, R - 1, e)
    nbytes = out_row.shape[0]
    for i in range(nbytes):
        bit0 = 8 * (nbytes - 1 - i)
        out_row[i] = (v[bit0 >> 5] >> (bit0 & 31)) & 255


@numba.njit(cache=True, nogil=True, inline="always")
def window_bit(row, i):
    """Bit i (0 = least significant) of the big-endian window row."""
    nbytes = row.shape[0]
    return (row[nbytes - 1 - (i >> 3)] >> (i & 7)) & 1


@numba.njit(cache=True, nogil=True)
def read_top(row, e):
    """D = v >> e for a fresh window (v has W = 8 * len(row) bits)."""
    W = 8 * row.shape[0]
    D = np.int64(0)
    for i in range(W - 1, e - 1, -1):
        D = (D << 1) | window_bit(row, i)
    return D


@numba.njit(cache=True, nogil=True)
def max_window_bytes(W):
    """The most bytes one W-bit window can decode to, whatever the model: every decision
    keeps the larger part it can (p1 at a clamp, 1 or 2**16 - 1), every byte after the
    first gives up its stop unit, and the window ends once fewer than two units are left
    (the decoder's parsing rule).  Each step keeps the most units it can, and fewer units
    never decode more bytes, so no window holds more.
    """
    R, e = start_range(W)
    count = 0
    while True:
        if count:
            if R < 2:
                return count
            R -= 1
        for level in range(8):
            one = split(R, (1 << PROB_BITS) - 1, count == 0, level)     # a 1 at the highest p1
            zero = R - split(R, 1, count == 0, level)                   # a 0 at the lowest
            R = max(one, zero)
            while R < HALF and e > 0:
                R <<= 1
                e -= 1
        count += 1
