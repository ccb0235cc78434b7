"""Compressing record files and arrays with a record model (HCLT).

A record file becomes a pcz stream whose chunks are the file header (coded
by ``npy-header`` when it is the canonical one, else by order0 or stored raw)
and batches of whole records (coded by ``hclt-rans``), so
:func:`pcz.stream.compress_segments` does the work, ``threads`` run batches in parallel, and the decompressed output is the file's bytes, header
and all (a gzip layer is removed: the content is the file inside).

>>> import numpy as np, pcz
>>> from pcz.hclt_model import HcltModel
>>> model = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5),
...                              np.full((2, 2, 4), 0.25), shape=(2,))
>>> a = np.array([[0, 1], [2, 3], [3, 3]], dtype=np.uint8)
>>> blob = compress_array(a, model)
>>> decompress_array(blob, model).tolist()
[[0, 1], [2, 3], [3, 3]]

Importing this module is light: numba and the HCLT code load on first use.
"""
import io
from typing import Any, BinaryIO, Iterator

import numpy as np

from pcz import methods, models
from pcz.errors import InputError, ModelError
from pcz.records import RecordInfo, open_records, read_upto
from pcz.stream import DEFAULT_CHUNK, DEFAULT_MEMORY, Segment, Stats, compress_segments, decompress_stream


def is_record_model(model: Any) -> bool:
    """True when the model (object or file bytes) codes records rather than byte streams."""
    from pcz.hclt_model import MAGIC, HcltModel   # numba: imported only when records are coded
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model[:len(MAGIC)]) == MAGIC
    return isinstance(model, HcltModel)


def compressed_name(path: str) -> str:
    """FILE -> FILE.pcz, FILE.gz -> FILE.pcz (the content is the file inside the gzip layer).

    >>> compressed_name("t10k-images-idx3-ubyte.gz"), compressed_name("x.npy")
    ('t10k-images-idx3-ubyte.pcz', 'x.npy.pcz')
    """
    return (path[:-3] if path.endswith(".gz") and len(path) > 3 else path) + ".pcz"


def check_shape(info: RecordInfo, model) -> None:
    """InputError unless the file's records have the model's number of values."""
    if info.D != model.D:
        raise InputError(f"records have {info.D} values ({'x'.join(map(str, info.shape[1:])) or '1'}), "
                         f"the model expects {model.D} ({'x'.join(map(str, model.shape))})")


def record_segments(info: RecordInfo, body: BinaryIO, model, chunk_size: int = DEFAULT_CHUNK,
                    candidates: tuple[int, ...] = (methods.HCLT_RANS,)) -> Iterator[Segment]:
    """The header, then batches of about chunk_size bytes of whole records; checks every
    batch against the model and the total against the header (the record size is
    checked by the caller, :func:`check_shape`, before anything is written)."""
    from pcz import hclt_method
    yield info.header, (methods.NPY_HEADER, methods.ORDER0)
    per_chunk = max(1, chunk_size // info.D) * info.D
    left = info.size
    while left:
        want = min(per_chunk, left)
        try:
            data = read_upto(body, want)
        except (OSError, EOFError) as e:
            raise InputError(f"cannot read the gzip layer ({e})") from None
        if len(data) < want:
            done = (info.size - left + len(data)) // info.D
            raise InputError(f"truncated data: the header announces {info.N} records, "
                             f"the file holds {done}")
        hclt_method.records(data, model, (info.size - left) // info.D)   # InputError if out of range
        left -= want
        yield data, candidates
    try:
        trailing = body.read(1)
    except (OSError, EOFError) as e:
        raise InputError(f"cannot read the gzip layer ({e})") from None
    if trailing:
        raise InputError("trailing bytes after the records")


def compress_records(src: BinaryIO, dst: BinaryIO, model: Any, *, threads: int = 1,
                     embed_model: bool = False, chunk_size: int = DEFAULT_CHUNK,
                     candidates: tuple[int, ...] = (methods.HCLT_RANS,)) -> Stats:
    """Compress the record file src (.npy or IDX, gzip or not) into dst with a record model.

    ``candidates``: the record methods tried on each batch (hclt-rans; hclt is
    the constriction-coded reference).
    """
    from pcz.hclt_model import HcltModel
    model_bytes = models.as_bytes(model)
    loaded = model if isinstance(model, HcltModel) else models.load(model_bytes)
    if not isinstance(loaded, HcltModel):
        raise ModelError("this model does not code records (it is not an HCLT model)")
    info, body = open_records(src)
    check_shape(info, loaded)
    segments = record_segments(info, body, loaded, chunk_size, tuple(candidates))
    return compress_segments(segments, dst, model_bytes, embed_model, threads)


def compress_array(array: np.ndarray, model: Any, *, threads: int = 1, embed_model: bool = False,
                   chunk_size: int = DEFAULT_CHUNK, candidates: tuple[int, ...] = (methods.HCLT_RANS,)
                   ) -> bytes:
    """Compress a uint8 array of records (first axis) into a pcz stream (a .npy inside,
    with pcz's canonical header: :mod:`pcz.npy_header`)."""
    from pcz.npy_header import npy_bytes
    array = np.asarray(array)
    if array.dtype != np.uint8 or array.ndim < 1:
        raise InputError("compress_array needs a uint8 array with a first axis of records")
    out = io.BytesIO()
    compress_records(io.BytesIO(npy_bytes(array)), out, model, threads=threads,
                     embed_model=embed_model, chunk_size=chunk_size, candidates=candidates)
    return out.getvalue()


def decompress_array(blob: bytes, model: Any = None, *, threads: int = 1,
                     memory_limit: int = DEFAULT_MEMORY) -> np.ndarray:
    """The array stored by :func:`compress_array` (or any pcz stream of a .npy file)."""
    out = io.BytesIO()
    decompress_stream(io.BytesIO(blob), out, model=model, threads=threads, memory_limit=memory_limit)
    out.seek(0)
    try:
        return np.lib.format.read_array(out, allow_pickle=False)
    except ValueError as e:
        raise InputError(f"the stream does not hold a .npy array ({e})") from None


def train(array: np.ndarray, latents: int = 16, **options):
    """Learn an HCLT model for the records of a uint8 array (first axis = records).

    Options as :func:`pcz.learn.train.train` (epochs, full_epochs, validation, ...);
    imports JAX, which nothing on the compression path does.

    >>> import numpy as np, pcz
    >>> a = np.random.default_rng(0).integers(0, 2, (200, 3)).astype(np.uint8)
    >>> pcz.train(a, latents=2, epochs=1, full_epochs=1, progress=False).M
    2
    """
    from pcz.learn.train import train as learn
    return learn(array, latents, **options)[0]
