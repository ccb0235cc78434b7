"""The ``pcz`` codec for numcodecs (zarr v2 and other numcodecs users).

numcodecs hands a codec flat buffers, so the payload starts with the number of
records n (LEB128) followed by the chunk payload of :mod:`pcz.dataset.chunks`; the
record size is the model's.  The configuration names the model by id
(``{"id": "pcz", "model": "<64 hex digits>"}``), found as for the zarr v3 codec;
numcodecs finds the class by the ``numcodecs.codecs`` entry point ``pcz``.

>>> import numpy as np, numcodecs
>>> from pcz.models.hclt import HcltModel
>>> model = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
>>> codec = Pcz(model=model)
>>> again = numcodecs.get_codec(codec.get_config())        # by id, as a fresh process would
>>> again.decode(codec.encode(np.array([[0, 1], [2, 3]], dtype="u1"))).tolist()
[0, 1, 2, 3]
"""
import numpy as np
from numcodecs.abc import Codec
from numcodecs.compat import ensure_contiguous_ndarray, ndarray_copy

from pcz.dataset import chunks
from pcz.dataset.zarr3 import model_hex, record_model
from pcz.errors import InputError
from pcz.format.binio import Reader, varint


class Pcz(Codec):
    """numcodecs codec coding uint8 records with a pcz record model (id, bytes or object)."""

    codec_id = "pcz"

    def __init__(self, model):
        self.model = model_hex(model)

    def get_config(self):
        return {"id": self.codec_id, "model": self.model}

    def __repr__(self):
        return f"Pcz(model={self.model[:12]!r}...)"

    def encode(self, buf):
        values = ensure_contiguous_ndarray(buf).view(np.uint8)
        model = record_model(self.model)
        if values.size % model.D:
            raise InputError(f"{values.size} bytes is not a whole number of {model.D}-value records")
        n = values.size // model.D
        return varint(n) + (chunks.encode(values.reshape(n, model.D), model) if n else b"")

    def decode(self, buf, out=None):
        data = bytes(ensure_contiguous_ndarray(buf).view(np.uint8))
        reader = Reader(data, "pcz chunk")
        n = reader.varint(limit=1 << 40)
        model = record_model(self.model)
        body = data[reader.pos:]
        values = chunks.decode(body, n, model).reshape(-1) if n else np.zeros(0, dtype=np.uint8)
        return ndarray_copy(values, out) if out is not None else values
