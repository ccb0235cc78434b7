"""Golden tests for records of other element types (methods 10 hclt-typed and 11
npy-header-typed, model flag bit 1): exact bytes of a fixed int16 model and of compressed
arrays and IDX files.

A failure means the typed model format or bitstream changed.  If that is deliberate,
bump the version, keep the old bytes as decode-only fixtures, and regenerate with
``PCZ_REGEN_GOLDEN=1 pytest tests/test_golden_typed.py``.
"""
import hashlib
import io
import json
import os

import numpy as np

import pcz
from golden_helpers import load_fixture
from pcz.models.hclt import HcltModel
from pcz.models.values import Layout
from record_helpers import idx_bytes

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "hclt-typed.json")
# made when compact files named the model with all 32 bytes of its id: decode-only
GOLDEN_LONG_ID = os.path.join(os.path.dirname(__file__), "golden", "hclt-typed-long-id.json")
# parameters and data from formulas (no random generator whose algorithm could change)
_v, _m, _k = np.ogrid[:6, :3, :256]
MODEL = HcltModel.from_float([1, -1, 1, 0, 1, 4], [0.5, 0.3, 0.2],
                             1.0 + 4.0 * (np.ogrid[:6, :3, :3][1] == np.ogrid[:6, :3, :3][2]),
                             1.0 + ((_v + 3 * _m + _k) % 17) ** 2, shape=(3,), layout=Layout("i2", -2500, 13))
DATA = (((np.arange(40)[:, None] * 7919 + np.arange(3) * 104729) % 5000) - 2500).astype("<i2")


def produce():
    return {"model-sha256": hashlib.sha256(MODEL.to_bytes()).hexdigest(),
            "npy": pcz.compress_array(DATA, MODEL).hex(),
            "idx": _compress(idx_bytes(DATA)).hex()}


def _compress(raw):
    out = io.BytesIO()
    pcz.compress_stream(io.BytesIO(raw), out, model=MODEL)
    return out.getvalue()


def load():
    return load_fixture(GOLDEN, produce)


def test_typed_model_and_streams_are_exactly_the_golden_ones():
    golden = load()
    assert hashlib.sha256(MODEL.to_bytes()).hexdigest() == golden["model-sha256"]
    assert pcz.compress_array(DATA, MODEL).hex() == golden["npy"]
    assert _compress(idx_bytes(DATA)).hex() == golden["idx"]
    np.testing.assert_array_equal(pcz.decompress_array(bytes.fromhex(golden["npy"]), MODEL), DATA)
    assert pcz.decompress(bytes.fromhex(golden["idx"]), model=MODEL) == idx_bytes(DATA)


def test_typed_streams_with_a_32_byte_model_id_still_decode():
    with open(GOLDEN_LONG_ID) as f:
        old = json.load(f)
    assert old["model-sha256"] == load()["model-sha256"]
    np.testing.assert_array_equal(pcz.decompress_array(bytes.fromhex(old["npy"]), MODEL), DATA)
    assert pcz.decompress(bytes.fromhex(old["idx"]), model=MODEL) == idx_bytes(DATA)
