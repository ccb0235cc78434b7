"""pcz as a zarr codec: :class:`PczCodec` (zarr v3) and :class:`PczNumcodec` (numcodecs,
for zarr v2), both named ``pcz`` and registered by entry points, so a process that
only imports zarr (or numcodecs) opens arrays they wrote.  Needs the ``dataset``
extra; see docs/SCALE.md.

>>> import numpy as np, zarr
>>> from pcz.models.hclt import HcltModel
>>> model = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
>>> a = zarr.create_array({}, shape=(3, 2), chunks=(1, 2), shards=(3, 2), dtype="u1",
...                       serializer=PczCodec(model=model), compressors=None)
>>> a[:] = [[0, 1], [2, 3], [1, 1]]
>>> a[2].tolist()
[1, 1]
"""
from pcz.dataset import require

require("zarr")
require("numcodecs")

from pcz.dataset.numcodec import Pcz as PczNumcodec  # noqa: E402
from pcz.dataset.zarr3 import PczCodec  # noqa: E402

__all__ = ["PczCodec", "PczNumcodec"]
