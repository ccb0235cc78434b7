"""Golden tests for models that name a prediction transform (pcz.models.predict): the exact
bytes of the model files and of arrays coded with them.

A failure means the transform, its field in the model file or the record bitstream changed.
If that is deliberate, regenerate with ``PCZ_REGEN_GOLDEN=1 pytest tests/test_golden_predict.py``
(and keep the old fixture as decode-only).
"""
import os

import numpy as np
import pytest

import pcz
from golden_helpers import load_fixture
from pcz import methods
from pcz.models.hclt import HcltModel

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "hclt-predict.json")
# parameters and data from formulas (no random generator whose algorithm could change)
_v, _m, _k = np.ogrid[:12, :3, :10]
PARENT = [-1] + [v // 2 for v in range(11)]
PARAMS = ([0.5, 0.3, 0.2], 1.0 + 4.0 * (np.ogrid[:12, :3, :3][1] == np.ogrid[:12, :3, :3][2]),
          1.0 + ((_v + 3 * _m + 2 * _k) % 10) ** 2)
MODELS = {"med": HcltModel.from_float(PARENT, *PARAMS, shape=(2, 2, 3), transform="med"),
          "med-rgb": HcltModel.from_float(PARENT, *PARAMS, shape=(2, 2, 3), transform="med-rgb")}
DATA = ((np.arange(40)[:, None] * 7 + np.arange(12) * 3) % 10 * (np.arange(40)[:, None] % 3 > 0)
        ).astype(np.uint8).reshape(40, 2, 2, 3)
CASES = {"hclt": (methods.HCLT,), "hclt-rans": (methods.HCLT_RANS,)}


def produce():
    out = {}
    for transform, model in MODELS.items():
        out[transform + "-model"] = model.to_bytes().hex()
        for name, candidates in CASES.items():
            out[f"{transform}-{name}"] = pcz.compress_array(DATA, model, candidates=candidates).hex()
    return out


def load():
    return load_fixture(GOLDEN, produce)


@pytest.mark.parametrize("transform", sorted(MODELS))
def test_model_files_are_the_golden_ones(transform):
    blob = bytes.fromhex(load()[transform + "-model"])
    assert MODELS[transform].to_bytes() == blob
    assert HcltModel.from_bytes(blob).transform == transform


@pytest.mark.parametrize("transform", sorted(MODELS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_compressed_bytes_are_exactly_the_golden_ones(transform, name):
    expected = bytes.fromhex(load()[f"{transform}-{name}"])
    model = MODELS[transform]
    assert pcz.compress_array(DATA, model, candidates=CASES[name]) == expected
    np.testing.assert_array_equal(pcz.decompress_array(expected, model), DATA)
