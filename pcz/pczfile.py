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
from pcz.engine.seeking import Index
from pcz.errors import ModelError
from pcz.format.fields import MAX_CHUNK
from pcz.methods.choose import choose

_WRITE_OPTIONS = ("chunk_size", "embed_model", "fast", "windows", "level")


class _DecompressReader(io.RawIOBase):
    """The content of a pcz file (concatenated streams one after the other); seekable
    when the file is, through an index of its chunks (:mod:`pcz.engine.seeking`)."""

    def __init__(self, fileobj: BinaryIO, close_fileobj: bool, model: Any = None,
                 memory_limit: int = DEFAULT_MEMORY):
        self._fileobj, self._close_fileobj = fileobj, close_fileobj
        self._model, self._memory_limit = model, memory_limit
        self._origin = fileobj.tell() if _seekable(fileobj) else None
        self._index = None
        self._chunks = None
        self._restart(0, iter_decompress(fileobj, model=model, memory_limit=memory_limit))

    def _restart(self, start: int, chunks) -> None:
        if self._chunks is not None:
            self._chunks.close()
        self._chunks, self._buf, self._pos, self._at = chunks, b"", 0, start   # _at: where _buf starts

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while self._pos >= len(self._buf):
            data = next(self._chunks, b"")
            if not data:
                return 0
            self._at += len(self._buf)
            self._buf, self._pos = data, 0
        n = min(len(b), len(self._buf) - self._pos)
        b[:n] = self._buf[self._pos:self._pos + n]
        self._pos += n
        return n

    def seekable(self) -> bool:
        return self._origin is not None

    def tell(self) -> int:
        return self._at + self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to ``offset`` of the content (``whence`` as for any file): decoding starts
        again at the chunk that holds it (the file must be seekable, as for lzma)."""
        if not self.seekable():
            raise io.UnsupportedOperation("the underlying file is not seekable")
        if whence == io.SEEK_CUR:
            offset += self.tell()
        elif whence == io.SEEK_END:
            offset += self._indexed().total
        elif whence != io.SEEK_SET:
            raise ValueError(f"invalid whence ({whence})")
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        if self._at <= offset <= self._at + len(self._buf):
            self._pos = offset - self._at
        else:
            self._restart(*self._indexed().read_from(self._fileobj, offset, self._model))
            self._forward(offset)
        return self.tell()

    def _forward(self, offset: int) -> None:
        """Read on to offset of the content (past the end: stay there, at the end)."""
        while self._at + len(self._buf) < offset:
            data = next(self._chunks, b"")
            if not data:
                self._buf, self._at = b"", offset
                break
            self._at += len(self._buf)
            self._buf = data
        self._pos = offset - self._at

    def _indexed(self) -> Index:
        if self._index is None:
            self._index = Index(self._fileobj, self._memory_limit, self._origin)
        return self._index

    def close(self) -> None:
        if not self.closed:
            if self._chunks is not None:
                self._chunks.close()
            if self._close_fileobj:
                self._fileobj.close()
        super().close()


def _seekable(fileobj) -> bool:
    try:
        return fileobj.seekable()
    except (AttributeError, ValueError, OSError):
        return False


class CompressWriter(io.RawIOBase):
    def __init__(self, fileobj: BinaryIO, close_fileobj: bool, chunk_size: int = DEFAULT_CHUNK,
                 model: Any = None, embed_model: bool = False, fast: bool = False, windows: int | None = None,
                 level: int | None = None):
        if not 1 <= chunk_size <= MAX_CHUNK:
            raise ValueError(f"chunk size must be between 1 and {MAX_CHUNK}")
        self._fileobj, self._close_fileobj = fileobj, close_fileobj
        self._choice = dict(model=model, fast=fast, windows=windows, level=level)
        choose(**self._choice, sample=lambda: b"")      # refuse bad options before writing anything
        self._embed_model = embed_model
        self._plan = self._model = self._sink = None      # decided on the first chunk
        self._chunk_size = chunk_size
        self._buf = bytearray()

    def attach(self, fileobj: BinaryIO, close_fileobj: bool) -> "CompressWriter":
        """Write to fileobj (the options were checked before it was opened)."""
        self._fileobj, self._close_fileobj = fileobj, close_fileobj
        return self

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
        self._sink = Sink(self._fileobj, self._plan.model, self._embed_model, chunk_size=self._chunk_size)

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
    """Open a pcz file in binary ("rb", "wb", "xb", "ab") or text ("rt", "wt", "xt", "at") mode.

    ``file`` is a path or an existing binary file object.  Writing takes the
    options of :func:`pcz.compress` (``chunk_size``, ``model``, ``embed_model``,
    ``fast``, ``windows``, ``level``) and decides how to code as it does, on the first chunk;
    they are checked before the file is created or truncated.  Appending ("ab")
    adds a new pcz stream after those in the file, which reading then decodes in
    turn.  Read handles can seek (``seek``/``tell``; from a seekable file, at the
    cost of decoding one chunk).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "log.pcz")
    >>> for line in (b"one\\n", b"two\\n"):
    ...     with open(path, "ab") as f:
    ...         _ = f.write(line)
    >>> with open(path) as f:
    ...     _ = f.seek(4)
    ...     f.read(), f.tell()
    (b'two\\n', 8)
    >>> open(path + "2", "wb", chunk_size=0)
    Traceback (most recent call last):
    ValueError: chunk size must be between 1 and 67108864
    >>> os.path.exists(path + "2")
    False
    """
    text = "t" in mode
    base = mode.replace("t", "").replace("b", "")
    if base not in ("r", "w", "x", "a") or len(mode) != len(base) + ("t" in mode) + ("b" in mode) \
            or ("t" in mode and "b" in mode):
        raise ValueError(f"invalid mode {mode!r}")
    if not text and (encoding or errors or newline):
        raise ValueError("encoding options need a text mode")
    unknown = sorted(set(compress_options) - set(_WRITE_OPTIONS))
    if unknown or (base == "r" and compress_options):
        raise TypeError(f"pcz.open() got unexpected options {', '.join(unknown or compress_options)}")
    writer = None if base == "r" else CompressWriter(None, False, model=model, **compress_options)
    owned = isinstance(file, (str, bytes, os.PathLike))
    fileobj = builtins.open(file, base + "b") if owned else file
    try:
        if writer is None:
            binary = io.BufferedReader(_DecompressReader(fileobj, owned, model=model, memory_limit=memory_limit))
        else:
            binary = writer.attach(fileobj, owned)
    except BaseException:
        if owned:
            fileobj.close()
        raise
    if text:
        return io.TextIOWrapper(binary, encoding, errors, newline)
    return binary
