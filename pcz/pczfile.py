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
from pcz.stream import DEFAULT_CHUNK, DEFAULT_MEMORY, Sink, auto_methods, encode_segment, iter_decompress


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
                 model: Any = None, embed_model: bool = False):
        self._fileobj, self._close_fileobj = fileobj, close_fileobj
        self._model_bytes = models.as_bytes(model)
        self._model = None if self._model_bytes is None else models.load(self._model_bytes)
        self._candidates = auto_methods(self._model)
        self._sink = Sink(fileobj, self._model_bytes, embed_model)
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
        self._sink.update(data)
        self._sink.put(*encode_segment((data, self._candidates), self._model))

    def close(self) -> None:
        if self.closed:
            return
        try:
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
    options of :func:`pcz.compress` (``chunk_size``, ``model``, ``embed_model``).
    """
    text = "t" in mode
    base = mode.replace("t", "").replace("b", "")
    if base not in ("r", "w", "x") or len(mode) != len(base) + ("t" in mode) + ("b" in mode) \
            or ("t" in mode and "b" in mode):
        raise ValueError(f"invalid mode {mode!r}")
    if not text and (encoding or errors or newline):
        raise ValueError("encoding options need a text mode")
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
