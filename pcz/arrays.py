"""Arrays of records with a record model (HCLT): learn one, compress and decompress arrays.

An array is stored as a ``.npy`` file with pcz's canonical header, coded like any record
file (:mod:`pcz.engine.records`), so the stream also decompresses to that file.

>>> import numpy as np, pcz
>>> from pcz.models.hclt import HcltModel
>>> model = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5),
...                              np.full((2, 2, 4), 0.25), shape=(2,))
>>> a = np.array([[0, 1], [2, 3], [3, 3]], dtype=np.uint8)
>>> blob = compress_array(a, model)
>>> decompress_array(blob, model).tolist()
[[0, 1], [2, 3], [3, 3]]

Importing this module is light: numba and the HCLT code load on first use.
"""
import io
from typing import Any

import numpy as np

from pcz.engine import records
from pcz.engine.pipeline import DEFAULT_CHUNK, DEFAULT_MEMORY, iter_decompress
from pcz.errors import InputError, ModelError
from pcz.methods.choose import choose


def compress_array(array: np.ndarray, model: Any, *, threads: int = 1, embed_model: bool = False,
                   chunk_size: int = DEFAULT_CHUNK, candidates: tuple | None = None) -> bytes:
    """Compress an array of records (first axis; uint8, or any integer type the model codes:
    :mod:`pcz.models.values`) into a pcz stream (a .npy inside, with pcz's canonical
    header: :mod:`pcz.methods.npy_header`); ``candidates`` overrides the model's record
    methods for uint8 models (``hclt`` is the constriction-coded reference).

    >>> from pcz.models.hclt import HcltModel
    >>> from pcz.models.values import Layout
    >>> m16 = HcltModel.from_float([-1, 0], [1.0], np.ones((2, 1, 1)), np.full((2, 1, 256), 1 / 256),
    ...                            layout=Layout("u2", 0, 16))
    >>> a16 = np.array([[1], [65535]], dtype=np.uint16)
    >>> decompress_array(compress_array(a16, m16), m16).tolist()
    [[1], [65535]]
    """
    from pcz.methods.npy_header import npy_bytes
    from pcz.models.values import code_of
    array = np.asarray(array)
    if array.ndim < 1:
        raise InputError("compress_array needs an array with a first axis of records")
    code_of(array.dtype)          # InputError unless an integer type records may have
    plan = choose(model, candidates=candidates)
    if not plan.records:
        raise ModelError("this model does not code records (it is not an HCLT model)")
    out = io.BytesIO()
    records.compress_records(io.BytesIO(npy_bytes(array)), out, plan, threads=threads,
                             embed_model=embed_model, chunk_size=chunk_size)
    return out.getvalue()


def decompress_array(blob: bytes, model: Any = None, *, threads: int = 1,
                     memory_limit: int = DEFAULT_MEMORY) -> np.ndarray:
    """The array stored by :func:`compress_array` (or any pcz stream of a .npy file); the
    array counts against ``memory_limit`` as :func:`pcz.decompress`'s content does."""
    data = b"".join(iter_decompress(io.BytesIO(blob), model=model, threads=threads,
                                    memory_limit=memory_limit, retain=2))
    try:
        return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except ValueError as e:
        raise InputError(f"the stream does not hold a .npy array ({e})") from None


def train(array: np.ndarray, latents: int | None = None, **options):
    """Learn an HCLT model for the records of an array (first axis = records; uint8 or
    another integer type: :mod:`pcz.models.values`).

    With neither ``latents`` nor a tuning option, the settings are chosen on the validation
    records within ``time_budget`` seconds (:func:`pcz.learn.auto.auto_train`: options
    ``time_budget``, ``max_latents``, ``validation``, ``seed``, ``qbits``, ``batch``,
    ``progress``, ``checkpoint``, ``transform``: ``"auto"``, ``"none"``, ``"med"`` or ``"med-rgb"``);
    otherwise options as :func:`pcz.learn.train.train` (epochs, full_epochs, validation,
    ...; ``init``'s latents or 16 unless given).  Imports JAX, which nothing
    on the compression path does.

    >>> import numpy as np, pcz
    >>> a = np.random.default_rng(0).integers(0, 2, (200, 3)).astype(np.uint8)
    >>> pcz.train(a, latents=2, epochs=1, full_epochs=1, progress=False).M
    2
    """
    auto_options = {"time_budget", "max_latents", "validation", "seed", "qbits", "batch", "mi_bits",
                    "mi_samples", "progress", "transform", "checkpoint"}
    if latents is None and set(options) <= auto_options:
        from pcz.learn.auto import auto_train
        return auto_train(array, **options)[0]
    from pcz.learn.train import train as learn
    if options.get("transform") == "auto":         # tuning options: no choice on validation
        del options["transform"]
    return learn(array, latents, **options)[0]
