"""Chunk method 12 ``long``: a chunk as long-range matches into the content before it, and
the bytes no match covers (its *literals*) coded by an inner method.

The matches are found by :mod:`pcz.engine.long_range` (a serial pass in the encoding
process); the literals are coded here, in the worker, by the best of the chunk's usual
candidates, so the heavy modelling still runs in parallel.  Decoding is split the same
way: :func:`decode_parts` (in a worker) checks the match list and decodes the literals;
the decoding process then copies the matches from the content it keeps
(:class:`pcz.engine.long_range.Window`) and checks the chunk's CRC32.

Payload: the inner method id (one byte, one of :data:`INNER`), the number of matches
(LEB128), the match list (:mod:`pcz.coders.long_match`: per match, LEB128 of the literal
bytes before it, of its distance minus 1 and of its length minus 1), then the inner
method's payload for the literals (empty, with the raw method, when matches cover the
whole chunk).

>>> import numpy as np
>>> data = b"0123456789" * 20
>>> rows = np.array([[0, 150, 100]], dtype=np.int64)      # bytes 0..99 repeat content 150 back
>>> payload = encode(data, None, rows, (0,))
>>> parts = decode_parts(payload, len(data), None)
>>> parts.matches.tolist(), parts.literals == data[100:]
([[0, 150, 100]], True)
"""
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from pcz import methods
from pcz.coders.errors import CodingError
from pcz.errors import FormatError
from pcz.format.binio import Reader, varint

# the methods that may code a long chunk's literals: byte methods, never records or long itself
INNER = (methods.RAW, methods.ORDER0, methods.ORDER0_RANS, methods.CM, methods.HMM, methods.HMM_MIX, methods.LZ_RANS)


@dataclass
class Parts:
    """A long chunk decoded but for its matches: what :class:`pcz.engine.long_range.Window` completes."""
    size: int
    crc: int | None
    matches: np.ndarray      # rows (literals before, distance, length)
    literals: bytes


def literals_of(data: bytes, rows: np.ndarray) -> bytes:
    """The bytes of ``data`` that the matches ``rows`` (literals before, distance, length) leave.

    >>> literals_of(b"abcdefgh", np.array([[1, 9, 2], [2, 9, 1]]))
    b'adegh'
    """
    keep = np.ones(len(data), dtype=bool)
    pos = 0
    for gap, _, length in rows.tolist():
        pos += gap
        keep[pos:pos + length] = False
        pos += length
    return np.frombuffer(data, dtype=np.uint8)[keep].tobytes()


def encode(data: bytes, model: Any, rows: np.ndarray, inner: tuple) -> bytes | None:
    """The payload of ``data`` given its matches: the literals coded by the best of ``inner``
    (method ids or :class:`pcz.methods.Method` objects of :data:`INNER`; raw when none wins)."""
    from pcz.coders import long_match
    literals = literals_of(data, rows)
    best_id, best = methods.RAW, literals
    for candidate in inner if literals else ():
        method = candidate if isinstance(candidate, methods.Method) else methods.get(candidate)
        if method.id not in INNER:
            return None
        payload = method.encode(literals, model)
        if payload is not None and 0 < len(payload) < len(best):
            best_id, best = method.id, payload
    return bytes([best_id]) + varint(len(rows)) + long_match.pack(rows) + best


def method(rows: np.ndarray, inner: tuple) -> methods.Method:
    """The long method for one chunk whose matches are ``rows``: its encoder codes the
    literals with the best of ``inner``."""
    plain = methods.get(methods.LONG)
    return methods.Method(plain.id, plain.name, partial(_encode_with, rows=rows, inner=inner), plain.decode,
                          min_bits=plain.min_bits, memory=plain.memory)


def _encode_with(data: bytes, model: Any, rows: np.ndarray, inner: tuple) -> bytes | None:
    return encode(data, model, rows, inner)


def decode_parts(payload: bytes, size: int, model: Any, crc: int | None = None) -> Parts:
    """Check the match list and decode the literals; FormatError on a damaged payload.

    >>> decode_parts(bytes([2, 0]), 10, None)
    Traceback (most recent call last):
    ...
    pcz.errors.FormatError: long chunk: method 2 cannot code its literals
    >>> decode_parts(bytes([0, 1, 0, 5, 50]), 10, None)
    Traceback (most recent call last):
    ...
    pcz.errors.FormatError: long chunk: long-range matches overrun their chunk
    """
    from pcz.coders import long_match
    reader = Reader(payload)
    inner_id = reader.u8()
    count = reader.varint()
    if inner_id not in INNER:
        raise FormatError(f"long chunk: method {inner_id} cannot code its literals")
    start = len(payload) - reader.remaining()
    try:
        rows, used = long_match.parse(np.frombuffer(payload, dtype=np.uint8, offset=start), count, size)
    except CodingError as e:
        raise FormatError(f"long chunk: {e}") from None
    inner = methods.get(inner_id)
    rest = payload[start + used:]
    lit_size = size - int(rows[:, 2].sum())
    if lit_size == 0 and not rest:
        return Parts(size, crc, rows, b"")
    if lit_size == 0 or not rest:
        raise FormatError("long chunk: its literals do not match their payload")
    if inner.needs_model and model is None:
        raise FormatError(f"long chunk: method {inner.name} needs a model but the file names none")
    methods.check_payload(inner, lit_size, len(rest), model)
    literals = inner.decode(rest, lit_size, model)
    if len(literals) != lit_size:
        raise FormatError("long chunk: its literals decode to the wrong size")
    return Parts(size, crc, rows, literals)


def _decode_alone(payload: bytes, size: int, model: Any) -> bytes:
    raise FormatError("a long chunk decodes only after the content before it")


def _refuse(data: bytes, model: Any) -> None:
    return None       # a long chunk needs its matches: :func:`method` makes its encoder


def memory(size: int, stored: int, inner: int | None = None) -> int:
    """The most a long chunk's decoding allocates: its inner method's (``inner``, the
    payload's first byte; the largest of :data:`INNER` when not known or not valid), the
    match rows (24 bytes each, at most one per 3 payload bytes), the literals and the
    chunk's output."""
    ids = (inner,) if inner in INNER else INNER
    return max(methods.get(i).memory(size, stored) for i in ids) + 8 * stored + 2 * size


# a long chunk can cover megabytes with a few bytes of matches: no floor (the work is the
# copying, in proportion to the chunk's size, which the memory limit caps)
methods.register(methods.Method(methods.LONG, "long", _refuse, _decode_alone, min_bits=0.0, memory=memory))
