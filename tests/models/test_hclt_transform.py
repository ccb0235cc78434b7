"""HCLT models that name a prediction transform: the file field, old files, refusals, coding."""
import struct
import zlib

import numpy as np
import pytest

import pcz
from hclt_helpers import random_model, sample
from pcz import methods
from pcz.errors import ModelError
from pcz.models.hclt import FLAG_TRANSFORM, _HEAD, HcltModel

CHAIN = [-1] + list(range(11))          # 12 variables: a 4x3 image, or 2x2x3


def med_model(shape=(4, 3), M=3, K=16, seed=3):
    return random_model(seed, CHAIN, M, K, shape=shape, transform="med")


def records_of(model, n, seed=0):
    """n records whose coded symbols are drawn from the model."""
    return model.restored(sample(np.random.default_rng(seed), model, n))


def test_the_transform_is_stored_and_shown():
    model = med_model()
    again = HcltModel.from_bytes(model.to_bytes())
    assert again.transform == "med" and again.shape == (4, 3)
    assert "transform:   med" in again.describe()
    plain = random_model(3, CHAIN, 3, 16, shape=(4, 3))
    assert plain.transform == "none" and "transform:   none" in plain.describe()
    flags = struct.unpack_from("<H", plain.to_bytes(), 10)[0]
    assert not flags & FLAG_TRANSFORM                  # no transform: the bytes of before
    assert len(model.to_bytes()) == len(plain.to_bytes()) + 1


def _forge(blob: bytes, index: int) -> bytes:
    """The model's bytes with its transform byte set to ``index`` and the CRC recomputed."""
    ndim = _HEAD.unpack_from(blob)[-1]
    pos = _HEAD.size + 4 * ndim
    body = blob[:pos] + bytes([index]) + blob[pos + 1:-4]
    return body + struct.pack("<I", zlib.crc32(body))


@pytest.mark.parametrize("index", [0, 3, 255])
def test_an_unknown_transform_is_refused_in_one_line(index):
    blob = _forge(med_model().to_bytes(), index)
    with pytest.raises(ModelError, match="unknown prediction transform") as e:
        HcltModel.from_bytes(blob)
    assert "\n" not in str(e.value)
    with pytest.raises(ModelError, match="unknown prediction transform"):
        pcz.compress_array(np.zeros((1, 4, 3), np.uint8), blob)


def test_a_transform_on_records_without_two_axes_is_refused():
    with pytest.raises(ValueError, match="at least 2 axes"):
        random_model(3, CHAIN, 3, 16, shape=(12,), transform="med")
    blob = _forge(med_model().to_bytes(), 1)
    ndim_at = _HEAD.size - 1
    forged = bytearray(blob)
    forged[ndim_at] = 2                                 # keep the shape (4, 3): still fine
    assert HcltModel.from_bytes(bytes(forged)).transform == "med"


def test_old_model_files_load_and_decode_as_before():
    """The golden model (written before the transform existed; its bytes are pinned) has
    record shape (2, 3), where the transform would apply: it still means no transform, and
    the golden arrays decode with it (tests/test_golden_hclt.py checks every byte)."""
    import hashlib
    import json
    import os
    from test_golden_hclt import DATA, GOLDEN, MODEL
    with open(GOLDEN) as f:
        golden = json.load(f)
    blob = MODEL.to_bytes()
    assert hashlib.sha256(blob).hexdigest() == golden["model-sha256"]
    assert HcltModel.from_bytes(blob).transform == "none"
    for name in ("hclt", "hclt-rans"):
        np.testing.assert_array_equal(pcz.decompress_array(bytes.fromhex(golden[name]), MODEL), DATA)


@pytest.mark.parametrize("method_id", [methods.HCLT, methods.HCLT_RANS])
def test_chunk_methods_code_the_residuals_and_give_the_records_back(method_id):
    model = med_model()
    a = records_of(model, 300)
    method = methods.get(method_id)
    payload = method.encode(a.tobytes(), model)
    assert method.decode(payload, a.size, model) == a.tobytes()
    plain = HcltModel.from_float(model.parent, model.prior, model.transition, model.emission, (4, 3), 16)
    assert method.encode(a.tobytes(), plain) != payload      # the same tree on values: another stream


@pytest.mark.parametrize("shape", [(4, 3), (2, 2, 3), (1, 12), (12, 1)])
def test_arrays_compact_files_and_per_record_streams_round_trip(shape):
    model = med_model(shape)
    a = records_of(model, 200, seed=1).reshape(200, *shape)
    blob = pcz.compress_array(a, model)                 # small: the compact framing
    np.testing.assert_array_equal(pcz.decompress_array(blob, model), a)
    from pcz.methods.hclt import decode_each, encode_each
    words, lengths = encode_each(a.reshape(200, -1), model)
    np.testing.assert_array_equal(decode_each(words, lengths, model), a.reshape(200, -1))


def test_chunked_record_files_round_trip(tmp_path):
    model = med_model(K=256, M=2)
    a = records_of(model, 30_000, seed=2).reshape(30_000, 4, 3)     # 360 KB: chunked
    blob = pcz.compress_array(a, model, chunk_size=64 << 10, threads=2)
    np.testing.assert_array_equal(pcz.decompress_array(blob, model), a)
    np.save(tmp_path / "a.npy", a)                    # and pcz compress / decompress of the file
    (tmp_path / "m.pczm").write_bytes(model.to_bytes())
    from pcz.cli import main
    assert main(["compress", "-q", "--model", str(tmp_path / "m.pczm"), "--chunk-size", "64K",
                 str(tmp_path / "a.npy")]) == 0
    (tmp_path / "a.npy").rename(tmp_path / "orig.npy")
    assert main(["decompress", "-q", "--model", str(tmp_path / "m.pczm"), str(tmp_path / "a.npy.pcz")]) == 0
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "orig.npy").read_bytes()


def test_theoretical_bits_match_the_coded_bits():
    """Brute force: -log2 p of the records (through the transform) against the bytes the
    whole file takes; the difference is the container, the header and the coder's tail."""
    model = med_model(K=16, M=4)
    a = records_of(model, 3000, seed=4)
    ideal = float(model.nll_bits(a).sum())
    coded = 8 * len(pcz.compress_array(a.reshape(-1, 4, 3), model))
    assert ideal <= coded <= ideal * 1.002 + 8 * 200
    # and the ideal length is that of the coded symbols under the tree
    from pcz.models.hclt import log2_likelihood
    assert ideal == pytest.approx(-log2_likelihood(model, model.coded(a)).sum())


def test_brute_force_the_transformed_model_is_a_distribution_over_records():
    """Every 2x2 record of 3 values: p(record) is the tree's joint at its residuals (brute
    force over all latent states), the probabilities sum to 1 (the transform is a bijection),
    and each record's coded size is its ideal bits within the container's bytes."""
    import itertools
    from hclt_helpers import brute_joint
    model = random_model(7, [-1, 0, 0, 1], 2, 3, shape=(2, 2), transform="med")
    joint = brute_joint(model.parent, model.prior, model.transition, model.emission, 3)
    X = np.array(list(itertools.product(range(3), repeat=4)), np.uint8)
    bits = model.nll_bits(X)
    np.testing.assert_allclose(2.0 ** -bits, joint[tuple(model.coded(X).T)], rtol=1e-9)
    assert np.sum(2.0 ** -bits) == pytest.approx(1.0, abs=1e-9)
    empty = len(pcz.compress_array(np.zeros((0, 2, 2), np.uint8), model))
    for x, b in zip(X[::7], bits[::7]):
        size = len(pcz.compress_array(x.reshape(1, 2, 2), model))
        assert 8 * (size - empty) <= b + 8 * 16             # the rANS state and a word at most


def test_the_footprint_counts_restoring_a_block():
    from pcz.models import predict
    from pcz.models.hclt import footprint
    med, plain = med_model(), random_model(3, CHAIN, 3, 16, shape=(4, 3))
    assert footprint(med.to_bytes()) - footprint(plain.to_bytes()) == predict.WORK_BYTES + 1


def test_a_med_rgb_model_codes_colour_records():
    model = random_model(5, CHAIN, 3, 16, shape=(2, 2, 3), transform="med-rgb")
    again = HcltModel.from_bytes(model.to_bytes())
    assert again.transform == "med-rgb" and "transform:   med-rgb" in again.describe()
    a = records_of(model, 300, seed=5).reshape(300, 2, 2, 3)
    np.testing.assert_array_equal(pcz.decompress_array(pcz.compress_array(a, model), model), a)
    ideal = float(model.nll_bits(a.reshape(300, -1)).sum())
    assert ideal <= 8 * len(pcz.compress_array(a, model)) <= ideal + 8 * 200
    with pytest.raises(ValueError, match="3 channels"):
        random_model(5, CHAIN, 3, 16, shape=(4, 3), transform="med-rgb")
