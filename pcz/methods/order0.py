"""The core byte model: order-0 symbol frequencies stored with each chunk.

Works for every kind of file; richer models (text HMM, HCLT records) are
chosen instead when they code a chunk smaller.  Payload layout: a 32-byte
bitmap of the byte values present, a LEB128 count for each present value,
then the coded symbols.  Two coders, two chunk methods:

- ``order0`` (1): counts scaled to a total of about 2**SCALE_BITS, constriction's
  range coder;
- ``order0-rans`` (8): counts normalised to exactly 2**12, the numba rANS coder
  of :mod:`pcz.coders.rans_order0` (over 100 MB/s both ways): ``--fast``.

>>> blob = encode(b"abracadabra")
>>> decode(blob, 11)
b'abracadabra'
>>> decode_rans(encode_rans(b"abracadabra"), 11)
b'abracadabra'
"""
import numpy as np

from pcz.format.binio import Reader, varint
from pcz.coders.errors import CodingError
from pcz.errors import FormatError

SCALE_BITS = 14
MAX_COUNT = 1 << 16


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
    from pcz.coders.range_coder import Encoder
    symbols = np.frombuffer(data, dtype=np.uint8)
    counts = _quantised_counts(np.bincount(symbols, minlength=256))
    enc = Encoder()
    enc.encode_iid(symbols, counts.astype(np.float64))
    return write_table(counts) + enc.finish()


def decode(payload: bytes, size: int) -> bytes:
    """Invert :func:`encode` for a chunk of ``size`` original bytes."""
    from pcz.coders.range_coder import Decoder
    reader = Reader(payload, "order-0 chunk")
    counts = read_table(reader)
    if size and not counts.any():
        raise FormatError("empty order-0 table for a non-empty chunk")
    try:
        symbols = Decoder(reader.take(reader.remaining())).decode_iid(counts.astype(np.float64), size)
    except CodingError as e:
        raise FormatError(str(e)) from None
    return symbols.astype(np.uint8).tobytes()


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
    if size and int(freq.sum()) != rans_order0.TOTAL:
        raise FormatError("order-0 rANS table does not sum to 4096")
    try:
        return rans_order0.decode(reader.take(reader.remaining()), freq, size).tobytes()
    except CodingError as e:
        raise FormatError(str(e)) from None
