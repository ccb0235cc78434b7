"""Model kinds and model files: one registry entry per kind (:mod:`pcz.models.registry`),
the HCLT record model (:mod:`pcz.models.hclt`), the HMM byte model
(:mod:`pcz.models.hmm`) and the models shipped in ``pcz/models/data``.

>>> from pcz import models
>>> [(k.name, k.records) for k in models.kinds()][:2]
[('hclt', True), ('hmm', False)]
"""
from pcz.models.registry import (MAGIC_SIZE, Kind, as_bytes, builtin_models, footprint, is_model, kind_of, kinds,
                                 load, register, resolve, shipped, short_id)

__all__ = ["MAGIC_SIZE", "Kind", "as_bytes", "builtin_models", "footprint", "is_model", "kind_of", "kinds", "load",
           "register", "resolve", "shipped", "short_id"]
