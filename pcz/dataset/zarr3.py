"""The ``pcz`` codec for zarr v3: an array-to-bytes codec that codes each chunk's records
with an HCLT record model (payload: :mod:`pcz.dataset.chunks`).

Records run along the first axis; a chunk of shape (n, ...) holds n records of
prod(...) uint8 values, the model's record size.  The codec's configuration names the
model once, by id: ``{"name": "pcz", "configuration": {"model": "<64 hex digits>"}}``;
a process finds it with :func:`pcz.models.store.find` (given models, ``PCZ_MODEL_STORE``,
``~/.cache/pcz/models``, the shipped models).  zarr finds the codec by the ``zarr.codecs``
entry point ``pcz``, so a fresh process that imports only zarr opens such arrays.

Reading part of a chunk decodes only the records asked for (partial decoding: one read
of the chunk's head, one of those records' words), so ``a[17]`` costs one record with
chunks of any size, or use ``chunks=(1, ...)`` inside ``shards=``.  Give
``compressors=None``: the payload is already entropy coded, and a bytes-to-bytes codec
after it disables partial decoding.

>>> import numpy as np, zarr
>>> from pcz.models.hclt import HcltModel
>>> model = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
>>> a = zarr.create_array(zarr.storage.MemoryStore(), shape=(5, 2), chunks=(4, 2), dtype="u1",
...                       serializer=PczCodec(model=model), compressors=None)
>>> a[:] = np.arange(10).reshape(5, 2) % 4
>>> a[3].tolist(), a[1:3].tolist()
([2, 3], [[2, 3], [0, 1]])
>>> PczCodec(model=model).to_dict()["configuration"]["model"][:12]
'7a75607c0f10'
"""
import asyncio
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from zarr.abc.codec import ArrayBytesCodec, ArrayBytesCodecPartialDecodeMixin
from zarr.abc.store import RangeByteRequest
from zarr.core.common import parse_named_configuration

from pcz import models
from pcz.dataset import chunks
from pcz.errors import InputError, ModelError
from pcz.models import store

NAME = "pcz"


@lru_cache(maxsize=8)
def record_model(hex_id: str):
    """The loaded record model with this id (found in the model store)."""
    model = models.load(store.find(hex_id))
    kind = models.kind_of(model)
    if kind is None or not kind.records:
        raise ModelError(f"model {hex_id[:12]} does not code records (it is not an HCLT model)")
    return model


def model_hex(model) -> str:
    """A model given as hex id, file bytes or model object, as its hex id; bytes and objects
    are remembered (:func:`pcz.models.store.remember`) so this process finds them."""
    if isinstance(model, str):
        return store.check_id(model)
    data = models.as_bytes(model)
    if models.kind_of(data) is None:
        raise ModelError("not a pcz model file (unknown magic)")
    return store.remember(data)


def _model_for(hex_id: str, shape: tuple[int, ...]):
    model = record_model(hex_id)
    D = int(np.prod(shape[1:], dtype=np.int64))
    if D != model.D:
        raise InputError(f"chunks of shape {shape} hold records of {D} values; model "
                         f"{hex_id[:12]} codes records of {model.D}")
    return model


def _rows(selection, n: int) -> tuple[int, int]:
    """The first and one-past-last record a chunk selection touches (first axis)."""
    sel = selection[0] if isinstance(selection, tuple) else selection
    if isinstance(sel, slice):
        rows = range(*sel.indices(n))
        if not rows:
            return 0, 0
        return min(rows[0], rows[-1]), max(rows[0], rows[-1]) + 1
    sel = np.asarray(sel)
    if sel.dtype == bool:
        sel = np.flatnonzero(sel)
    if sel.size == 0:
        return 0, 0
    sel = np.where(sel < 0, sel + n, sel)
    return int(sel.min()), int(sel.max()) + 1


@dataclass(frozen=True)
class PczCodec(ArrayBytesCodec, ArrayBytesCodecPartialDecodeMixin):
    """zarr v3 codec coding uint8 records with a pcz record model (id, bytes or object)."""

    is_fixed_size = False
    model: str

    def __init__(self, *, model) -> None:
        object.__setattr__(self, "model", model_hex(model))

    @classmethod
    def from_dict(cls, data):
        _, configuration = parse_named_configuration(data, NAME)
        return cls(**configuration)

    def to_dict(self):
        return {"name": NAME, "configuration": {"model": self.model}}

    def validate(self, *, shape, dtype, chunk_grid) -> None:
        if np.dtype(dtype.to_native_dtype()) != np.uint8:
            raise ValueError(f"the pcz codec codes uint8 records, not {dtype}")
        if len(shape) < 1:
            raise ValueError("the pcz codec needs a first axis of records")

    def compute_encoded_size(self, input_byte_length: int, chunk_spec) -> int:
        raise NotImplementedError("pcz chunks vary in size")

    def _encode(self, array: np.ndarray) -> bytes:
        model = _model_for(self.model, array.shape)
        return chunks.encode(array.reshape(array.shape[0], -1), model)

    def _decode(self, payload: bytes, shape: tuple[int, ...]) -> np.ndarray:
        model = _model_for(self.model, shape)
        return chunks.decode(payload, shape[0], model).reshape(shape)

    async def _encode_single(self, chunk_array, chunk_spec):
        array = np.ascontiguousarray(chunk_array.as_numpy_array(), dtype=np.uint8)
        payload = await asyncio.to_thread(self._encode, array)
        return chunk_spec.prototype.buffer.from_bytes(payload)

    async def _decode_single(self, chunk_bytes, chunk_spec):
        array = await asyncio.to_thread(self._decode, chunk_bytes.to_bytes(), chunk_spec.shape)
        return chunk_spec.prototype.nd_buffer.from_numpy_array(array)

    async def _decode_partial_single(self, byte_getter, selection, chunk_spec):
        shape = chunk_spec.shape
        n = shape[0]
        first, stop = _rows(selection, n)
        if n == 1 or (first, stop) == (0, n) or stop == first:
            payload = await byte_getter.get(prototype=chunk_spec.prototype)
            if payload is None:
                return None
            return chunk_spec.prototype.nd_buffer.from_numpy_array(
                (await asyncio.to_thread(self._decode, payload.to_bytes(), shape))[selection])
        # every record has at least two words, so the first 1 + 4n bytes hold the whole head
        head = await byte_getter.get(prototype=chunk_spec.prototype, byte_range=RangeByteRequest(0, 1 + 4 * n))
        if head is None or len(head) == 0:
            return None
        start, end, lengths = chunks.plan(head.to_bytes(), n, first, stop)
        body = await byte_getter.get(prototype=chunk_spec.prototype, byte_range=RangeByteRequest(start, end))
        model = _model_for(self.model, shape)
        part = await asyncio.to_thread(chunks.decode_words, body.to_bytes(), lengths, model)
        full = np.zeros(shape, dtype=np.uint8)
        full[first:stop] = part.reshape((stop - first, *shape[1:]))
        return chunk_spec.prototype.nd_buffer.from_numpy_array(full[selection])
