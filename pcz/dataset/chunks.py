"""The payload of one chunk of n records (n >= 1) coded by the ``pcz`` codec.

Every record is its own rANS stream of 32-bit words (:func:`pcz.methods.hclt.encode_each`),
so any record decodes without its neighbours.  The chunk's shape (hence n) and the
model are known from the array's metadata, so the payload carries neither:

- n = 1: the record's words, nothing else (exactly the ``hclt-rans`` payload of it);
- n > 1: one byte ``w`` (1 to 4), then n little-endian ``w``-byte counts of words,
  one per record, then the records' words one after the other.

A reader wanting records a..b reads the first ``1 + 4n`` bytes (which always hold the head:
every record has at least two words), then only the words of those records (:func:`plan`).

>>> import numpy as np
>>> from pcz.models.hclt import HcltModel
>>> m = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
>>> X = np.array([[0, 1], [2, 3], [3, 3]], dtype=np.uint8)
>>> payload = encode(X, m)
>>> len(payload), decode(payload, 3, m).tolist()
(28, [[0, 1], [2, 3], [3, 3]])
>>> head = payload[:1 + 3 * payload[0]]
>>> start, stop, lengths = plan(head, 3, 1, 3)     # the byte range of records 1 and 2
>>> decode_words(payload[start:stop], lengths, m).tolist()
[[2, 3], [3, 3]]
"""
import numpy as np

from pcz.errors import FormatError
from pcz.methods.hclt import decode_each, encode_each


def encode(records: np.ndarray, model) -> bytes:
    """The payload of a chunk of records (n, ...) whose values per record match the model."""
    records = np.asarray(records, dtype=np.uint8)
    n = len(records)
    words, lengths = encode_each(records.reshape(n, -1), model)
    body = words.astype("<u4").tobytes()
    if n == 1:
        return body
    w = max(1, (int(lengths.max()).bit_length() + 7) // 8)
    counts = lengths.astype("<u8").view(np.uint8).reshape(n, 8)[:, :w]
    return bytes([w]) + counts.tobytes() + body


def head_size(first_byte: int, n: int) -> int:
    """Bytes before the words of a chunk of n records, given its first byte."""
    if n == 1:
        return 0
    if not 1 <= first_byte <= 4:
        raise FormatError(f"pcz chunk: bad count width {first_byte}")
    return 1 + n * first_byte


def counts(head: bytes, n: int) -> np.ndarray:
    """Words per record, from the head of a chunk (its first :func:`head_size` bytes)."""
    if n == 1:
        return None
    w = head[0]
    size = head_size(w, n)
    if len(head) < size:
        raise FormatError("pcz chunk: truncated record counts")
    raw = np.zeros((n, 8), dtype=np.uint8)
    raw[:, :w] = np.frombuffer(head[1:size], dtype=np.uint8).reshape(n, w)
    return raw.view("<u8").reshape(n).astype(np.int64)


def plan(head: bytes, n: int, first: int, stop: int) -> tuple[int, int, np.ndarray]:
    """(start byte, stop byte, words per record) of records first..stop-1 of a chunk with
    n > 1 records, from the chunk's head."""
    lengths = counts(head, n)
    ends = np.cumsum(lengths) * 4 + head_size(head[0], n)
    start = int(ends[first - 1]) if first else head_size(head[0], n)
    return start, int(ends[stop - 1]), lengths[first:stop]


def decode_words(body: bytes, lengths: np.ndarray, model) -> np.ndarray:
    """The (len(lengths), D) records whose words are ``body``."""
    if len(body) % 4 or len(body) // 4 != int(np.sum(lengths)):
        raise FormatError("pcz chunk: the record words do not match their counts")
    return decode_each(np.frombuffer(body, dtype="<u4"), lengths, model)


def decode(payload: bytes, n: int, model) -> np.ndarray:
    """All n records (n, D) of a chunk payload."""
    payload = bytes(payload)
    if n == 1:
        return decode_words(payload, np.array([len(payload) // 4]), model)
    if not payload:
        raise FormatError("pcz chunk: empty payload")
    size = head_size(payload[0], n)
    return decode_words(payload[size:], counts(payload[:size], n), model)
