"""``pcz.open``: file objects that compress on write and decompress on read, like ``lzma.open``.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "notes.txt.pcz")
>>> with open(path, "wt") as f:
...     _ = f.write("hello\\n" * 3)
>>> with open(path, "rt") as f:
...     f.readline()
'hello\\n'
"""
import builtins
import io
import os
from typing import Any, BinaryIO

from pcz import models
from pcz.engine.pipeline import DEFAULT_CHUNK, DEFAULT_MEMORY, Sink, encode_segment, iter_decompress
from pcz.errors import ModelError
from pcz.format.fields import MAX_CHUNK
from pcz.methods.choose import choose

_WRITE_OPTIONS = ("chunk_size", "embed_model", "fast", "windows")


class _DecompressReader(io.RawIOBase):
    def __init__(self, fileobj: BinaryIO, close_fileobj: bool, **options):
        self._fileobj, self._close_fileobj = fileobj, close_fileobj
        self._chunks = iter_decompress(fileobj, **options)
        self._buf, self._pos = b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while self._pos >= len(self._buf):
            self._buf, self._pos = next(self._chunks, b""), 0
            if not self._buf:
                return 0
        n = min(len(b), len(self._buf) - self._pos)
        b[:n] = self._buf[self._pos:self._pos + n]
        self._pos += n
        return n

    def close(self) -> None:
        if not self.closed and self._close_fileobj:
            self._fileobj.close()
        super().close()


class _CompressWriter(io.RawIOBase):
    def __init__(self, fileobj: BinaryIO, close_fileobj: bool, chunk_size: int = DEFAULT_CHUNK,
                 model: Any = None, embed_model: bool = False, fast: bool = False, windows: int | None = None):
        if not 1 <= chunk_size <= MAX_CHUNK:
            raise ValueError(f"chunk size must be between 1 and {MAX_CHUNK}")
        self._fileobj, self._close_fileobj = fileobj, close_fileobj
        self._choice = dict(model=model, fast=fast, windows=windows)
        choose(**self._choice, sample=lambda: b"")      # refuse bad options before writing anything
        self._embed_model = embed_model
        self._plan = self._model = self._sink = None      # decided on the first chunk
        self._chunk_size = chunk_size
        self._buf = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        if self.closed:
            raise ValueError("write to a closed file")
        data = memoryview(b).cast("B")
        self._buf += data
        while len(self._buf) >= self._chunk_size:
            self._emit(bytes(self._buf[:self._chunk_size]))
            del self._buf[:self._chunk_size]
        return len(data)

    def _emit(self, data: bytes) -> None:
        if self._plan is None:
            self._start(data)
        self._sink.update(data)
        for segment in self._plan.segments([data]):
            self._sink.put(*encode_segment(segment, self._model))

    def _start(self, first: bytes) -> None:
        """Decide how to code the stream from its first chunk, as pcz.compress does."""
        self._plan = choose(**self._choice, sample=lambda: first)
        if self._plan.records:
            raise ModelError("pcz.open writes byte streams; code record files with pcz.compress "
                             "or arrays with pcz.compress_array")
        self._model = None if self._plan.model is None else models.load(self._plan.model)
        self._sink = Sink(self._fileobj, self._plan.model, self._embed_model)

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._plan is None:
                self._start(bytes(self._buf))
            if self._buf:
                self._emit(bytes(self._buf))
            self._sink.finish()
        finally:
            if self._close_fileobj:
                self._fileobj.close()
            super().close()


def open(file: str | os.PathLike | BinaryIO, mode: str = "rb", *, encoding: str | None = None,
         errors: str | None = None, newline: str | None = None, model: Any = None,
         memory_limit: int = DEFAULT_MEMORY, **compress_options) -> io.IOBase:
    """Open a pcz file in binary ("rb", "wb", "xb") or text ("rt", "wt", "xt") mode.

    ``file`` is a path or an existing binary file object.  Writing takes the
    options of :func:`pcz.compress` (``chunk_size``, ``model``, ``embed_model``,
    ``fast``, ``windows``) and decides how to code as it does, on the first chunk.
    """
    text = "t" in mode
    base = mode.replace("t", "").replace("b", "")
    if base not in ("r", "w", "x") or len(mode) != len(base) + ("t" in mode) + ("b" in mode) \
            or ("t" in mode and "b" in mode):
        raise ValueError(f"invalid mode {mode!r}")
    if not text and (encoding or errors or newline):
        raise ValueError("encoding options need a text mode")
    unknown = sorted(set(compress_options) - set(_WRITE_OPTIONS))
    if unknown or (base == "r" and compress_options):
        raise TypeError(f"pcz.open() got unexpected options {', '.join(unknown or compress_options)}")
    owned = isinstance(file, (str, bytes, os.PathLike))
    fileobj = builtins.open(file, base + "b") if owned else file
    try:
        if base == "r":
            raw = _DecompressReader(fileobj, owned, model=model, memory_limit=memory_limit)
            binary = io.BufferedReader(raw)
        else:
            binary = _CompressWriter(fileobj, owned, model=model, **compress_options)
    except BaseException:
        if owned:
            fileobj.close()
        raise
    if text:
        return io.TextIOWrapper(binary, encoding, errors, newline)
    return binary
