"""The core byte model: order-0 symbol frequencies stored with each chunk.

Works for every kind of file; richer models (text HMM, HCLT records) are
chosen instead when they code a chunk smaller.  Payload layout: a 32-byte
bitmap of the byte values present, a LEB128 count for each present value
then the coded symbols.  Two coders, two chunk methods:

- ``order0`` (1): counts scaled to a total of about 2**SCALE_BITS, constriction's
  range coder, which gives each of the 256 byte values at least 2**-24 of the
  probability, so a byte costs at least :data:`MIN_BITS` of payload; decoding goes a
  block at a time, so it needs little more than its output (:func:`decode_memory`);
- ``order0-rans`` (8): counts normalised to exactly 2**12, none above 4095, and the
  numba rANS coder of :mod:`pcz.coders.rans_order0` (over 100 MB/s both ways):
  ``--fast``; a byte costs at least :data:`RANS_MIN_BITS`.

>>> blob = encode(b"abracadabra")
>>> decode(blob, 11)
b'abracadabra'
>>> decode_rans(encode_rans(b"abracadabra"), 11)
b'abracadabra'
"""
import math

import numpy as np

from pcz.format.binio import Reader, varint
from pcz.coders.errors import CodingError
from pcz.coders.range_coder import Decoder, Encoder, least_bits
from pcz.errors import FormatError

SCALE_BITS = 14
MAX_COUNT = 1 << 16
MIN_BITS = least_bits(256)       # the least payload bits per byte (order-0 tables have 256 entries)
BLOCK = 1 << 18                  # symbols decoded per call (1 MiB as 32-bit integers)
RANS_TOTAL = 1 << 12              # rans_order0.TOTAL (numba is imported only when the method runs)
RANS_MIN_BITS = math.log2(RANS_TOTAL / (RANS_TOTAL - 1))   # no value gets more than 4095 / 4096


def _quantised_counts(counts: np.ndarray) -> np.ndarray:
    total = int(counts.sum())
    limit = 1 << SCALE_BITS
    if total <= limit:
        return counts.astype(np.int64)
    q = np.rint(counts * (limit / total)).astype(np.int64)
    q[(counts > 0) & (q == 0)] = 1
    return q


def write_table(counts: np.ndarray) -> bytes:
    """Serialise a 256-entry table of non-negative counts (each < 2**16)."""
    present = counts > 0
    out = bytearray(np.packbits(present, bitorder="little").tobytes())
    for c in counts[present]:
        out += varint(int(c))
    return bytes(out)


def read_table(reader: Reader) -> np.ndarray:
    """Read a table written by :func:`write_table`; rejects zero or oversized counts."""
    present = np.unpackbits(np.frombuffer(reader.take(32), dtype=np.uint8), bitorder="little")
    counts = np.zeros(256, dtype=np.int64)
    for s in np.flatnonzero(present):
        c = reader.varint(limit=MAX_COUNT)
        if c == 0:
            raise FormatError("zero count in order-0 table")
        counts[s] = c
    return counts


def encode(data: bytes) -> bytes:
    """Code data with its own order-0 table; returns the payload."""
    symbols = np.frombuffer(data, dtype=np.uint8)
    counts = _quantised_counts(np.bincount(symbols, minlength=256))
    enc = Encoder()
    enc.encode_iid(symbols, counts.astype(np.float64))
    return write_table(counts) + enc.finish()


def decode(payload: bytes, size: int) -> bytes:
    """Invert :func:`encode` for a chunk of ``size`` original bytes."""
    reader = Reader(payload, "order-0 chunk")
    counts = read_table(reader)
    if size and not counts.any():
        raise FormatError("empty order-0 table for a non-empty chunk")
    out = np.empty(size, dtype=np.uint8)
    try:
        decoder = Decoder(reader.take(reader.remaining()))
        for start in range(0, size, BLOCK):
            out[start:start + BLOCK] = decoder.decode_iid(counts.astype(np.float64), min(BLOCK, size - start))
    except CodingError as e:
        raise FormatError(str(e)) from None
    return out.tobytes()


def decode_memory(size: int, stored: int) -> int:
    """The most bytes :func:`decode` allocates: the output twice (array, bytes), a block of
    32-bit symbols, and the coder's copy of the payload."""
    return 2 * size + 4 * min(size, BLOCK) + 2 * stored


def encode_rans(data: bytes) -> bytes:
    """Code data with its own order-0 table normalised to 2**12 and the numba rANS coder."""
    from pcz.coders import rans_order0          # numba: imported when this method runs
    symbols = np.frombuffer(data, dtype=np.uint8)
    freq = rans_order0.normalise(np.bincount(symbols, minlength=256))
    return write_table(freq) + rans_order0.encode(symbols, freq)


def decode_rans(payload: bytes, size: int) -> bytes:
    """Invert :func:`encode_rans` for a chunk of ``size`` original bytes."""
    from pcz.coders import rans_order0
    reader = Reader(payload, "order-0 rANS chunk")
    freq = read_table(reader)
    if size and (int(freq.sum()) != RANS_TOTAL or int(freq.max()) >= RANS_TOTAL):
        raise FormatError("order-0 rANS table does not sum to 4096 with every value below it")
    try:
        return rans_order0.decode(reader.take(reader.remaining()), freq, size).tobytes()
    except CodingError as e:
        raise FormatError(str(e)) from None


def decode_rans_memory(size: int, stored: int) -> int:
    """The most bytes :func:`decode_rans` allocates: the output twice (array, bytes), the
    coder's copy of the words, and its tables."""
    return 2 * size + 2 * stored + 3 * RANS_TOTAL + 8192
