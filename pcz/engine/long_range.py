"""Long-range matching across chunks (docs/FORMAT.md, method 12; docs/ARCHITECTURE.md).

Chunk models start empty in every chunk, so a repeat of something more than a chunk
back costs as much as the first time.  When compressing, :class:`Finder` (a serial
pass in the encoding process, before the chunks go to the workers) finds, for each
chunk, the runs of at least :data:`MIN_MATCH` bytes that repeat content of earlier
chunks up to a *window* back (:mod:`pcz.coders.long_match`); such a chunk becomes a
``long`` chunk (:mod:`pcz.methods.long`): its matches, and its other bytes coded by its
usual candidates in the worker.  The stream's header states the window (its log2), and
a decoder keeps that much of the content (:class:`Window`), charged to its memory limit
before the first chunk is read.

Only byte streams of more than :data:`MIN_CONTENT` bytes are matched: the chunk models
find repeats within a chunk themselves (``cm`` has a match model), and a smaller input
keeps exactly the bytes it had before matching existed.  The window is the smallest
power of two that holds the input, when its size is known, between 1 MiB and
:data:`MAX_WINDOW_LOG` (64 MiB, like ``xz -9``), else 64 MiB.  Matching runs where
:func:`pcz.engine.encode.compress` codes a byte stream (``pcz compress``, :func:`pcz.compress`,
:func:`pcz.compress_stream`); ``pcz.open(..., "w")`` and :func:`pcz.compressobj` write without
it.  The encoder holds the window and a quarter more, and a hash table of at most 32 MiB.

>>> data = np.random.default_rng(0).bytes(1 << 16) * 40      # 2.5 MiB that repeat every 64 KiB
>>> finder = Finder(21)
>>> [len(finder.matches(data[i:i + (1 << 20)])) for i in range(0, len(data), 1 << 20)]
[0, 1, 1]
"""
import itertools
import zlib
from typing import Iterable, Iterator

import numpy as np

from pcz.coders.errors import CodingError
from pcz.errors import ChecksumError, FormatError, LimitError
from pcz.methods import long
from pcz.methods.choose import fresh
from pcz.runtime.parallel import describe_bytes

MIN_MATCH = 128             # shorter repeats are left to the chunk models (64 cost bytes on text)
MIN_CONTENT = 1 << 20       # inputs up to this size are never matched
MIN_WINDOW_LOG, MAX_WINDOW_LOG = 20, 26
HEADER_MAX_LOG = 30         # the largest window a header may state (decoders check it against the memory limit)


def window_log(size: int | None) -> int:
    """log2 of the window for an input of ``size`` bytes (None: unknown).

    >>> window_log(None), window_log(2_370_000), window_log(10)
    (26, 22, 20)
    """
    if size is None:
        return MAX_WINDOW_LOG
    return max(MIN_WINDOW_LOG, min(MAX_WINDOW_LOG, (max(size, 1) - 1).bit_length()))


class Finder:
    """The encoder's side: the last ``window`` bytes of content and the hash table of their
    sampled positions; :meth:`matches` takes the chunks in order."""

    def __init__(self, log: int, min_match: int = MIN_MATCH):
        from pcz.coders import long_match
        self.window = 1 << log
        self.min_match = min_match
        bits = long_match.table_bits(self.window)
        self.table = np.full(1 << bits, -1, dtype=np.int64)
        self.shift = 64 - bits
        self.buf = np.empty(0, dtype=np.uint8)
        self.base = 0        # the absolute position of buf[0]
        self.fill = 0

    def matches(self, chunk: bytes) -> np.ndarray:
        """Rows (literals before, distance, length) of the chunk's matches into earlier chunks."""
        from pcz.coders import long_match
        start = self._append(chunk)
        end = start + len(chunk)
        found = long_match.find(self.buf, start, end, self.base, self.table, self.shift, self.min_match, self.window)
        long_match.insert(self.buf, start, end, self.base, self.table, self.shift)
        if not len(found):
            return np.zeros((0, 3), dtype=np.int64)
        dests = found[:, 0]
        ends = np.concatenate(([0], dests[:-1] + found[:-1, 2]))
        return np.stack([dests - ends, self.base + start + dests - found[:, 1], found[:, 2]], axis=1)

    def _append(self, chunk: bytes) -> int:
        """Put the chunk after the content kept (at most the window of it); its index in buf."""
        self.buf, self.base, self.fill = _append(self.buf, self.base, self.fill, self.window, len(chunk))
        self.buf[self.fill:self.fill + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        self.fill += len(chunk)
        return self.fill - len(chunk)


def _append(buf: np.ndarray, base: int, fill: int, window: int, size: int) -> tuple[np.ndarray, int, int]:
    """Room for ``size`` more bytes after the last ``window`` of ``buf[:fill]``: (buf, base, fill)."""
    if fill + size <= len(buf):
        return buf, base, fill
    keep = min(window, fill)
    if keep + size > len(buf):
        grown = np.empty(keep + max(size, window // 4), dtype=np.uint8)
        grown[:keep] = buf[fill - keep:fill]
        return grown, base + fill - keep, keep
    buf[:keep] = buf[fill - keep:fill]
    return buf, base + fill - keep, keep


def matched(segments: Iterable[tuple[bytes, tuple]], log: int) -> tuple[int, Iterator[tuple[bytes, tuple]]]:
    """(the window's log2, or 0 for none; the segments with their long chunks) for a byte
    stream's segments: reads ahead until more than :data:`MIN_CONTENT` bytes have come
    (or the end: then nothing is matched and the segments are as they were)."""
    segments = iter(segments)
    ahead, total = [], 0
    for segment in segments:
        ahead.append(segment)
        total += len(segment[0])
        if total > MIN_CONTENT:
            break
    if total <= MIN_CONTENT:
        return 0, iter(ahead)
    return log, _with_matches(itertools.chain(ahead, segments), Finder(log))


def _with_matches(segments: Iterator[tuple[bytes, tuple]], finder: Finder) -> Iterator[tuple[bytes, tuple]]:
    for data, candidates in segments:
        rows = finder.matches(data) if data else np.zeros((0, 3), dtype=np.int64)
        if len(rows):
            yield data, (long.method(rows, fresh(candidates)),)
        else:
            yield data, candidates


def window_cost(log: int, first_size: int) -> int:
    """What a decoder's :class:`Window` takes: the window and room for a chunk like the first."""
    return 0 if not log else (1 << log) + max(first_size, (1 << log) // 4)


class Window:
    """The decoder's side: the last ``2**log`` bytes of a stream's content; each chunk goes
    through :meth:`take` in order, a long chunk's :class:`pcz.methods.long.Parts` coming
    out whole and checked against its CRC32."""

    def __init__(self, log: int, limit: int | None = None):
        self.window = 1 << log
        if limit is not None and window_cost(log, 0) > limit:
            raise LimitError(f"the stream's long-range window needs {describe_bytes(window_cost(log, 0))} of "
                             f"memory, more than the limit of {describe_bytes(limit)} allows")
        self.buf = np.empty(0, dtype=np.uint8)
        self.base = self.fill = 0

    def take(self, chunk: "bytes | long.Parts") -> bytes:
        size = chunk.size if isinstance(chunk, long.Parts) else len(chunk)
        self.buf, self.base, self.fill = _append(self.buf, self.base, self.fill, self.window, size)
        at = self.fill
        if isinstance(chunk, long.Parts):
            chunk = self._complete(chunk, at)
        else:
            self.buf[at:at + size] = np.frombuffer(chunk, dtype=np.uint8)
        self.fill += size
        return chunk

    def _complete(self, parts: "long.Parts", at: int) -> bytes:
        from pcz.coders import long_match
        if len(parts.matches) and int(parts.matches[:, 1].max()) > self.window:
            raise FormatError("long chunk: a match reaches further back than the stream's window")
        try:
            long_match.apply(self.buf, at, parts.size, parts.matches,
                             np.frombuffer(parts.literals, dtype=np.uint8), 0)
        except CodingError as e:
            raise FormatError(f"long chunk: {e}") from None
        data = self.buf[at:at + parts.size].tobytes()
        if parts.crc is not None and zlib.crc32(data) != parts.crc:
            raise ChecksumError("chunk checksum mismatch after decoding (file is damaged)")
        return data


def no_window(chunk: "bytes | long.Parts") -> bytes:
    """What a stream without a window does with a chunk: a long one is refused."""
    if isinstance(chunk, long.Parts):
        raise FormatError("long chunk in a stream that keeps no window (file is damaged)")
    return chunk


def restart(starts: list[int], is_long: list[bool], k: int, log: int) -> int:
    """The chunk to start decoding at so that chunk ``k`` and every chunk after it come out
    right: back far enough that every long chunk decoded from there has its window.

    >>> restart([0, 10, 20, 30, 40], [False, False, False, False, False], 3, 4)   # no long chunk
    3
    >>> restart([0, 10, 20, 30, 40], [False, False, False, False, True], 3, 4)    # 4 needs 24..40
    2
    >>> restart([0, 10, 20, 30, 40], [False, False, True, False, True], 3, 4)     # ... and 2 needs 4..20
    0
    """
    after = [j for j in range(k, len(starts)) if is_long[j]]
    if not after:
        return k
    need = starts[after[0]] - (1 << log)
    i = k
    while i > 0 and starts[i] > need:        # chunk i - 1 ends at starts[i]
        i -= 1
        if is_long[i]:
            need = min(need, starts[i] - (1 << log))
    return i
