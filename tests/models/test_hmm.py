import struct
import zlib

import numpy as np
import pytest

from pcz import models
from pcz.errors import ModelError
from pcz.models.hmm import HMM, MAGIC, bit_tree, dequantise_log_rows, quantise_log_rows


def small(C=2, H=3):
    rng = np.random.default_rng(1)
    return HMM.from_probs(rng.random(H), rng.random((C, H, H)), rng.random((C, H, 256)),
                          np.arange(256) % C)


def test_file_round_trip_and_loader():
    m = small()
    blob = m.to_bytes()
    assert blob[:8] == MAGIC
    back = models.load(blob)
    assert isinstance(back, HMM) and back.to_bytes() == blob
    for a, b in ((m.prior, back.prior), (m.T, back.T), (m.E, back.E)):
        assert np.array_equal(a, b)
    assert np.allclose(back.T.sum(-1), 1) and np.allclose(back.E.sum(-1), 1)


def test_quantisation_is_close_and_bounded():
    p = np.random.default_rng(0).dirichlet(np.ones(50), size=20)
    back = dequantise_log_rows(quantise_log_rows(p))
    big = p > 1e-3 * p.max(axis=1, keepdims=True)
    assert np.all(np.abs(np.log2(back[big] / p[big])) < 0.1)
    assert np.all(back > 0)


def test_bit_tree_sums():
    m = small()
    S = bit_tree(m.E)
    assert np.allclose(S[:, 1], 1.0)
    assert np.array_equal(S[:, 256 + 7], m.E[:, :, 7])
    assert np.allclose(S[:, 2], m.E[:, :, :128].sum(-1))


def _reseal(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[:20], "wrong size|truncated"),
    (lambda b: b[:-5] + bytes([b[-5] ^ 1]) + b[-4:], "checksum"),
    (lambda b: _reseal(b[:8] + struct.pack("<III", 3, 255, 2) + b[20:-4]), "unsupported"),
    (lambda b: _reseal(b[:8] + struct.pack("<III", 3, 256, 0) + b[20:-4]), "unsupported"),
    (lambda b: _reseal(b[:8] + struct.pack("<III", 5000, 256, 2) + b[20:-4]), "unsupported"),
    (lambda b: _reseal(b[:8] + struct.pack("<III", 2048, 256, 200) + b[20:-4]), "too large"),
    (lambda b: _reseal(b[:20] + bytes([9]) + b[21:-4]), "missing emission slot"),
    (lambda b: _reseal(b[:-4] + b"\0"), "wrong size"),
])
def test_bad_model_files_are_refused(damage, message):
    with pytest.raises(ModelError, match=message):
        models.load(damage(small().to_bytes()))


def test_from_probs_validates():
    with pytest.raises(ValueError):
        HMM.from_probs(np.ones(2), np.ones((2, 3)), np.ones((2, 256)))
    with pytest.raises(ValueError):
        HMM.from_probs(np.ones(2), np.ones((2, 2)), np.ones((2, 256)), np.full(256, 3))
    with pytest.raises(ValueError):
        HMM.from_probs(np.ones(2), np.ones((2, 2)), np.full((2, 256), np.nan))
