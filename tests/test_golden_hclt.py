"""Golden tests for the record methods: exact bytes of a fixed model and of compressed arrays.

A failure means the model file format or a record bitstream changed.  If that
is deliberate, bump the version, keep the old arrays as decode-only fixtures, and
regenerate with ``PCZ_REGEN_GOLDEN=1 pytest tests/test_golden_hclt.py``.
"""
import hashlib
import json
import os

import numpy as np
import pytest

import pcz
from golden_helpers import load_fixture
from pcz import methods
from pcz.models.hclt import HcltModel

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "hclt-v2.json")
GOLDEN_V1 = os.path.join(os.path.dirname(__file__), "golden", "hclt.json")   # container v1: decode-only
# compact files that named the model with all 32 bytes of its id: decode-only
GOLDEN_LONG_ID = os.path.join(os.path.dirname(__file__), "golden", "hclt-v2-long-id.json")
# parameters and data from formulas (no random generator whose algorithm could change)
_v, _m, _k = np.ogrid[:6, :3, :10]
MODEL = HcltModel.from_float([3, 0, 0, -1, 3, 4], [0.5, 0.3, 0.2],
                             1.0 + 4.0 * (np.ogrid[:6, :3, :3][1] == np.ogrid[:6, :3, :3][2]),
                             1.0 + ((_v + 3 * _m + _k) % 10) ** 2, shape=(2, 3))
DATA = ((np.arange(40)[:, None] * 7 + np.arange(6) * 3) % 10 * (np.arange(40)[:, None] % 3 > 0)
        ).astype(np.uint8).reshape(40, 2, 3)
CASES = {"hclt": (methods.HCLT,), "hclt-rans": (methods.HCLT_RANS,)}


def produce():
    out = {"model-sha256": hashlib.sha256(MODEL.to_bytes()).hexdigest()}
    for name, candidates in CASES.items():
        out[name] = pcz.compress_array(DATA, MODEL, candidates=candidates).hex()
    return out


def load():
    return load_fixture(GOLDEN, produce)


def test_model_bytes_are_the_golden_ones():
    assert hashlib.sha256(MODEL.to_bytes()).hexdigest() == load()["model-sha256"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_compressed_bytes_are_exactly_the_golden_ones(name):
    expected = bytes.fromhex(load()[name])
    assert pcz.compress_array(DATA, MODEL, candidates=CASES[name]) == expected
    np.testing.assert_array_equal(pcz.decompress_array(expected, MODEL), DATA)


@pytest.mark.parametrize("name", sorted(CASES))
def test_version_1_arrays_still_decode(name):
    with open(GOLDEN_V1) as f:
        old = json.load(f)
    assert old["model-sha256"] == load()["model-sha256"]
    np.testing.assert_array_equal(pcz.decompress_array(bytes.fromhex(old[name]), MODEL), DATA)


@pytest.mark.parametrize("name", sorted(CASES))
def test_compact_arrays_with_a_32_byte_model_id_still_decode(name):
    with open(GOLDEN_LONG_ID) as f:
        old = json.load(f)
    blob = bytes.fromhex(old[name])
    assert blob[5] == 0x05 and len(blob) == len(bytes.fromhex(load()[name])) + 24
    np.testing.assert_array_equal(pcz.decompress_array(blob, MODEL), DATA)


# a pruned model (version 3 file): nodes with 1 to 11 latent states, so its transition blocks
# have every remainder modulo 4 and 8 in their rows and columns (the walk pads them)
GOLDEN_PRUNED = os.path.join(os.path.dirname(__file__), "golden", "hclt-pruned.json")
_w, _i, _j = np.ogrid[:6, :11, :11]
PRUNED = HcltModel.from_float([3, 0, 0, -1, 3, 4], 1.0 + np.arange(11) % 4,
                              1.0 + 3.0 * (_i == _j) + (_w + _i * _j) % 5,
                              1.0 + ((np.ogrid[:6, :11, :10][0] + 2 * np.ogrid[:6, :11, :10][1]
                                      + np.ogrid[:6, :11, :10][2]) % 10) ** 2,
                              shape=(2, 3), states=[10, 6, 7, 11, 9, 1])


def produce_pruned():
    return {"model-sha256": hashlib.sha256(PRUNED.to_bytes()).hexdigest(),
            "hclt-rans": pcz.compress_array(DATA, PRUNED, candidates=(methods.HCLT_RANS,)).hex()}


def test_a_pruned_models_bytes_are_exactly_the_golden_ones():
    golden = load_fixture(GOLDEN_PRUNED, produce_pruned)
    assert PRUNED.pruned and hashlib.sha256(PRUNED.to_bytes()).hexdigest() == golden["model-sha256"]
    expected = bytes.fromhex(golden["hclt-rans"])
    assert pcz.compress_array(DATA, PRUNED, candidates=(methods.HCLT_RANS,)) == expected
    np.testing.assert_array_equal(pcz.decompress_array(expected, PRUNED), DATA)
