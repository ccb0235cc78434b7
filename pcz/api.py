"""The public Python API on bytes.

>>> import pcz
>>> blob = pcz.compress(b"abc" * 1000)
>>> len(blob) < 3000
True
>>> pcz.decompress(blob) == b"abc" * 1000
True
"""
import io
from typing import Any

from pcz.engine.pipeline import iter_decompress
from pcz.streams import DEFAULT_CHUNK, DEFAULT_MEMORY, compress_stream


def compress(data: bytes, *, chunk_size: int = DEFAULT_CHUNK, threads: int = 1,
             model: Any = None, embed_model: bool = False, fast: bool = False,
             windows: int | None = None, level: int | None = None, long: bool | None = None) -> bytes:
    """Compress bytes into a pcz stream.

    ``threads`` runs chunks in that many processes (the output is identical
    for every value); ``model`` names a model (object or file bytes) that
    chunk methods may use, stored by id or, with ``embed_model``, in full.
    ``level`` 1..9 trades speed for size like zstd's (default 3: context mixing at
    2-3 MB/s; 7-9 add the shipped text model's mixture, ~0.1 MB/s; the ladder is in
    :func:`pcz.methods.choose`); ``fast`` is level 1, lz-rans (LZ77 with rANS tables);
    ``windows=W`` cuts text into Equal-Info windows of W bits; ``long`` turns long-range
    matching across chunks on or off (default: on at levels 2-9 for inputs over 1 MiB, so a
    repeat up to 64 MiB back costs a few bytes; :mod:`pcz.engine.long_range`).  A record model
    (HCLT) makes ``data`` a .npy or IDX file of records.
    """
    _check_bytes(data)
    out = io.BytesIO()
    compress_stream(io.BytesIO(data), out, chunk_size=chunk_size, threads=threads, model=model,
                    embed_model=embed_model, fast=fast, windows=windows, level=level, long=long)
    return out.getvalue()


def decompress(blob: bytes, *, model: Any = None, threads: int = 1,
               memory_limit: int = DEFAULT_MEMORY) -> bytes:
    """Decompress a pcz stream; raises :class:`pcz.FormatError` (or a subclass) on damage.

    Everything decoding allocates stays within ``memory_limit`` (docs/SECURITY.md), the
    content returned included: a larger one raises :class:`pcz.LimitError` (decompress to
    a stream, :func:`pcz.decompress_stream` or :func:`pcz.open`, to hold one chunk at a time).
    """
    _check_bytes(blob)
    return b"".join(iter_decompress(io.BytesIO(blob), model=model, threads=threads,
                                    memory_limit=memory_limit, retain=2))


def _check_bytes(data) -> None:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"a bytes-like object is required, not {type(data).__name__!r}")
