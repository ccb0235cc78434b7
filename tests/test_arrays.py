import gzip
import io

import numpy as np
import pytest

import pcz
from hclt_helpers import random_model, sample
from pcz import methods
from pcz import models
from pcz.engine.records import compressed_name
from pcz.methods.text import default_model_bytes
from pcz.errors import InputError, ModelError
from record_helpers import idx_bytes, npy_bytes

MODEL = random_model(21, [-1, 0, 0, 1, 1, 2], 3, 16, shape=(2, 3))


def data(n=300, seed=0):
    return sample(np.random.default_rng(seed), MODEL, n).reshape(n, 2, 3)


@pytest.mark.parametrize("candidates", [(methods.HCLT,), (methods.HCLT_RANS,)])
def test_arrays_roundtrip_and_compress(candidates):
    a = data()
    blob = pcz.compress_array(a, MODEL, candidates=candidates, chunk_size=600)
    back = pcz.decompress_array(blob, MODEL)
    assert back.dtype == np.uint8 and back.shape == a.shape
    np.testing.assert_array_equal(back, a)
    assert len(blob) < a.size * 0.8
    assert pcz.decompress(blob, model=MODEL) == npy_bytes(a)     # the content is the .npy file


def test_output_is_identical_for_any_number_of_workers():
    a = data(500)
    one = pcz.compress_array(a, MODEL, chunk_size=300)
    assert pcz.compress_array(a, MODEL, chunk_size=300, threads=2) == one
    np.testing.assert_array_equal(pcz.decompress_array(one, MODEL, threads=2), a)


def test_embedded_model_needs_no_model_and_others_are_refused():
    a = data(50)
    assert pcz.decompress_array(pcz.compress_array(a, MODEL, embed_model=True)).tolist() == a.tolist()
    blob = pcz.compress_array(a, MODEL)
    with pytest.raises(ModelError, match="pass it with --model"):
        pcz.decompress_array(blob)
    other = random_model(22, [-1, 0, 0, 1, 1, 2], 3, 16)
    with pytest.raises(ModelError, match="wrong model"):
        pcz.decompress_array(blob, other)


def test_record_files_roundtrip_byte_for_byte():
    a = data(40)
    for raw in (idx_bytes(a), npy_bytes(a)):
        out = io.BytesIO()
        stats = pcz.compress_stream(io.BytesIO(raw), out, model=MODEL.to_bytes())
        assert stats.original == len(raw) and stats.methods.get("hclt-rans")
        assert pcz.decompress(out.getvalue(), model=MODEL) == raw
    out = io.BytesIO()
    pcz.compress_stream(io.BytesIO(gzip.compress(idx_bytes(a))), out, model=MODEL)
    assert pcz.decompress(out.getvalue(), model=MODEL) == idx_bytes(a)    # the file inside the gzip


@pytest.mark.parametrize("raw,message", [
    (npy_bytes(np.zeros((4, 2, 3), dtype=np.uint8) + 16), "out of range"),
    (npy_bytes(np.zeros((4, 7), dtype=np.uint8)), "records have 7 values"),
    (idx_bytes(np.zeros((4, 2, 3), dtype=np.uint8))[:-1], "truncated data"),
    (idx_bytes(np.zeros((4, 2, 3), dtype=np.uint8)) + b"\0", "trailing"),
    (b"plain text, not records", "not a .npy or IDX"),
])
def test_bad_inputs_are_refused(raw, message):
    with pytest.raises(InputError, match=message):
        pcz.compress_stream(io.BytesIO(raw), io.BytesIO(), model=MODEL)


def test_damaged_gzip_layer_is_refused():
    raw = bytearray(gzip.compress(idx_bytes(data(20))))
    raw[-6] ^= 0xFF                                    # the CRC32 in the gzip trailer
    with pytest.raises(InputError, match="gzip"):
        pcz.compress_stream(io.BytesIO(bytes(raw)), io.BytesIO(), model=MODEL)


def test_out_of_range_values_are_located_in_the_file():
    a = np.zeros((9, 2, 3), dtype=np.uint8)
    a[7, 1, 2] = 200
    with pytest.raises(InputError, match="value 200 in record 7 "):
        pcz.compress_stream(io.BytesIO(npy_bytes(a)), io.BytesIO(), model=MODEL, chunk_size=12)


def test_non_record_models_and_arrays_are_refused():
    with pytest.raises(ModelError):
        pcz.compress_stream(io.BytesIO(npy_bytes(data(2))), io.BytesIO(), model=b"not a model")
    with pytest.raises(InputError):
        pcz.compress_array(np.zeros((2, 6), dtype=np.int32), MODEL)
    assert models.kind_of(MODEL).records and models.kind_of(MODEL.to_bytes()).records
    assert models.kind_of(b"x") is None and not models.kind_of(default_model_bytes()).records
    assert compressed_name("a/b.idx.gz") == "a/b.idx.pcz"


def test_train_api_learns_a_usable_model():
    rng = np.random.default_rng(0)
    a = (rng.random((400, 4)) < 0.5).astype(np.uint8)
    a[:, 1] = a[:, 0]
    model = pcz.train(a, latents=2, epochs=2, full_epochs=2, batch=64, progress=False)
    assert (model.D, model.K, model.M) == (4, 2, 2)
    blob = pcz.compress_array(a, model)
    np.testing.assert_array_equal(pcz.decompress_array(blob, model), a)
    assert len(blob) < 400 * 4 * 0.9 / 8 + 300      # under 1 bit per value (3 of 4 columns are coins)
