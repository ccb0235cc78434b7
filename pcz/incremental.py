"""Incremental compression and decompression, like ``lzma.LZMACompressor`` and
``lzma.LZMADecompressor``: data goes in piece by piece, compressed or decompressed
bytes come out as soon as they can.

>>> import pcz
>>> c = pcz.compressobj()
>>> blob = c.compress(b"hello ") + c.compress(b"world") + c.flush()
>>> d = pcz.decompressobj()
>>> d.decompress(blob[:10]), d.eof, d.needs_input
(b'', False, True)
>>> d.decompress(blob[10:] + b"more"), d.eof, d.unused_data
(b'hello world', True, b'more')
"""
import io
from typing import Any

from pcz.engine.pipeline import DEFAULT_CHUNK, DEFAULT_MEMORY, caps, iter_member
from pcz.format import container
from pcz.format.scan import NOW, Scanner
from pcz.pczfile import CompressWriter

__all__ = ["Compressor", "Decompressor", "compressobj", "decompressobj"]


class Compressor:
    """Compresses data given piece by piece into one pcz stream (:func:`compressobj`)."""

    def __init__(self, *, chunk_size: int = DEFAULT_CHUNK, model: Any = None, embed_model: bool = False,
                 fast: bool = False, windows: int | None = None, level: int | None = None):
        self._out = io.BytesIO()
        self._writer = CompressWriter(self._out, False, chunk_size=chunk_size, model=model,
                                      embed_model=embed_model, fast=fast, windows=windows, level=level)

    def compress(self, data) -> bytes:
        """Take data in; return the compressed bytes ready so far (often none: chunks are
        coded whole, and contents up to 1 MiB are written only at the end)."""
        if self._writer.closed:
            raise ValueError("compressor already flushed")
        self._writer.write(data)
        return self._take()

    def flush(self) -> bytes:
        """End the stream and return the rest of it; the compressor cannot be used after."""
        if self._writer.closed:
            raise ValueError("compressor already flushed")
        self._writer.close()
        return self._take()

    def _take(self) -> bytes:
        out = self._out.getvalue()
        self._out.seek(0)
        self._out.truncate()
        return out


class _Feed:
    """Reads a bytearray from a position that only moves forward."""

    def __init__(self, buf: bytearray):
        self.buf, self.pos = buf, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.buf) if n < 0 else self.pos + n
        out = bytes(self.buf[self.pos:end])
        self.pos += len(out)
        return out


class Decompressor:
    """Decompresses one pcz stream given piece by piece (:func:`decompressobj`).

    As ``lzma.LZMADecompressor``: :meth:`decompress` returns what can be decoded so
    far; ``eof`` is true once the stream has ended and all of it was returned,
    ``unused_data`` then holds the bytes after it (another stream of a concatenated
    file, say), and ``needs_input`` is false while output is waiting (``max_length``).
    Every check of :func:`pcz.decompress` applies, chunk by chunk; a chunk's bytes are
    returned once its checksum has been verified.
    """

    def __init__(self, *, model: Any = None, memory_limit: int = DEFAULT_MEMORY):
        self._caps = caps(memory_limit)
        self._memory_limit = memory_limit
        self._model = model
        self._in = bytearray()
        self._feed = _Feed(self._in)
        self._scanner = Scanner(**self._caps)
        self._member = None
        self._out = bytearray()
        self._ended = False
        self.eof, self.unused_data, self.needs_input = False, b"", True

    def decompress(self, data, max_length: int = -1) -> bytes:
        """Decompress data (and what earlier calls left); return at most ``max_length``
        bytes (all when negative)."""
        if self.eof:
            raise EOFError("End of stream already reached")
        if self._ended:
            self.unused_data += bytes(data)
        else:
            self._in += data
        while not self._ended and (max_length < 0 or len(self._out) < max_length):
            if not self._step():
                break
        n = len(self._out) if max_length < 0 else min(max_length, len(self._out))
        out = bytes(self._out[:n])
        del self._out[:n]
        self.eof = self._ended and not self._out
        self.needs_input = not self._out and not self._ended and not self._ready()
        return out

    def _unit(self, commit: bool):
        with memoryview(self._in) as view:
            return self._scanner.next_unit(view[self._feed.pos:], commit)

    def _ready(self) -> bool:
        return self._unit(commit=False) is not None

    def _step(self) -> bool:
        """Decode the next unit if it is all there; False when more input is needed."""
        found = self._unit(commit=True)
        if found is None:
            return False
        length, _, compact = found
        if self._member is None:
            self._member = self._decode()
        if compact or length == NOW:
            for data in self._member:           # a whole compact stream, or an error
                self._out += data
            self._end()
            return True
        try:
            self._out += next(self._member)
        except StopIteration:
            self._end()
            return True
        del self._in[:self._feed.pos]           # read: keep only what follows
        self._feed.pos = 0
        return True

    def _decode(self):
        yield from iter_member(container.open_reader(self._feed, **self._caps), model=self._model,
                               memory_limit=self._memory_limit)

    def _end(self) -> None:
        self._ended = True
        self.unused_data = bytes(self._in[self._feed.pos:])
        self._in.clear()


def compressobj(**options) -> Compressor:
    """A :class:`Compressor` taking the options of :func:`pcz.compress` but ``threads``.

    >>> import pcz
    >>> c = pcz.compressobj(fast=True)
    >>> pcz.decompress(c.compress(b"abc" * 1000) + c.flush()) == b"abc" * 1000
    True
    """
    return Compressor(**options)


def decompressobj(**options) -> Decompressor:
    """A :class:`Decompressor` taking ``model`` and ``memory_limit`` as :func:`pcz.decompress`.

    >>> import pcz
    >>> d = pcz.decompressobj()
    >>> d.decompress(pcz.compress(b"x" * 10), max_length=4), d.needs_input, d.eof
    (b'xxxx', False, False)
    >>> d.decompress(b""), d.eof
    (b'xxxxxx', True)
    """
    return Decompressor(**options)
