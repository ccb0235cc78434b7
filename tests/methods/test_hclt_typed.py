"""Method 10 (hclt-typed): records of int8, bool, 2- and 4-byte integers, both byte orders,
through the method, the array API and record files (.npy, IDX)."""
import io

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import pcz
from hclt_helpers import random_model
from pcz import methods
from pcz.errors import FormatError, InputError, ModelError
from pcz.methods import hclt
from pcz.models import values
from pcz.models.values import Layout
from record_helpers import idx_bytes, npy_bytes

CODES = ["i1", "b1", "u2", "i2", "u4", "i4"]
_MODELS = {}


def full(code):
    """The layout of every value of the type."""
    lo, hi = values.limits(code)
    return Layout(code, lo, max(1, (hi - lo).bit_length()))


def model_for(code, elements=3, layout=None):
    """A random model for records of ``elements`` elements of type ``code`` (every value codable)."""
    layout = layout or full(code)
    key = (layout, elements)
    if key not in _MODELS:
        D = elements * layout.planes
        parent = [-1] + [v // 2 for v in range(D - 1)]
        _MODELS[key] = random_model(7, parent, 3, 2 if code == "b1" else 256, shape=(elements,), layout=layout)
    return _MODELS[key]


def dtype(code, order):
    return values.dtype_of(code, order)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(CODES), st.sampled_from("<>"), st.data())
def test_typed_records_roundtrip_through_the_method(code, order, data):
    model = model_for(code)
    a = data.draw(hnp.arrays(dtype(code, order), st.tuples(st.integers(1, 30), st.just(3))))
    method = hclt.typed_method(order)
    payload = method.encode(a.tobytes(), model)
    assert payload[0] == "<>".index(order)
    assert methods.get(methods.HCLT_TYPED).decode(payload, a.nbytes, model) == a.tobytes()


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(CODES), st.sampled_from("<>"), st.data())
def test_typed_arrays_and_files_roundtrip_byte_for_byte(code, order, data):
    model = model_for(code)
    a = data.draw(hnp.arrays(dtype(code, order), st.tuples(st.integers(1, 20), st.just(3))))
    np.testing.assert_array_equal(pcz.decompress_array(pcz.compress_array(a, model), model), a)
    files = [npy_bytes(a)] + ([idx_bytes(a)] if code in ("i1", "i2", "i4") else [])
    for raw in files:
        out = io.BytesIO()
        stats = pcz.compress_stream(io.BytesIO(raw), out, model=model, chunk_size=16)
        assert set(stats.methods) <= {"hclt-typed", "npy-header-typed", "order0", "raw"}
        assert pcz.decompress(out.getvalue(), model=model) == raw


def test_uint8_models_keep_their_methods_and_bytes():
    model = random_model(3, [-1, 0, 0], 2, 16, shape=(3,))
    a = np.random.default_rng(0).integers(0, 16, (50, 3)).astype(np.uint8)
    assert hclt.encode_typed(a.tobytes(), model) is None      # uint8: method 5, one byte shorter
    stats = pcz.compress_stream(io.BytesIO(npy_bytes(a)), io.BytesIO(), model=model)
    assert set(stats.methods) == {"npy-header", "hclt-rans"}


def test_the_typed_model_codes_sixteen_bit_structure_compactly():
    rng = np.random.default_rng(1)
    base = rng.integers(0, 4, 2000)
    a = np.stack([base * 256 + 7, base * 256 + 7 + rng.integers(0, 2, 2000)], 1).astype(np.uint16)
    model = pcz.train(a, latents=4, epochs=2, full_epochs=4, batch=128, progress=False)
    assert model.layout == Layout("u2", 7, 10) and model.D == 4 and model.shape == (2,)
    blob = pcz.compress_array(a, model)
    np.testing.assert_array_equal(pcz.decompress_array(blob, model), a)
    assert 8 * len(blob) / a.size < 1.8     # 2 bits of base shared + 1 bit of noise: 1.5 per value


@pytest.mark.parametrize("raw,model,message", [
    (npy_bytes(np.zeros((3, 3), np.uint16)), "u1", "records are uint16, the model codes uint8"),
    (npy_bytes(np.zeros((3, 3), np.uint8)), "u2", "records are uint8, the model codes uint16"),
    (npy_bytes(np.zeros((3, 4), np.uint16)), "u2", "records have 4 values"),
    (npy_bytes(np.zeros((3, 3), np.int16) - 1), "b1", "records are int16"),
    (npy_bytes(np.array([[0, 1, 2]], np.uint8).view(bool)), "b1", "0 or 1"),
    (npy_bytes(np.array([[0, 1, 4096]], np.uint16)), Layout("u2", 0, 12), r"value 4096 .* \(0..4095\)"),
    (npy_bytes(np.array([[0, 1, 2]], ">i2")), Layout("i2", 1, 4), r"value 0 in record 0 .* \(1..16\)"),
])
def test_mismatched_records_are_refused(raw, model, message):
    if isinstance(model, Layout):
        m = model_for(model.code, layout=model)
    else:
        m = random_model(3, [-1, 0, 0], 2, 16, shape=(3,)) if model == "u1" else model_for(model)
    with pytest.raises(InputError, match=message):
        pcz.compress_stream(io.BytesIO(raw), io.BytesIO(), model=m)


def test_methods_refuse_models_of_the_other_kind():
    typed, plain = model_for("u2"), random_model(3, [-1, 0, 0], 2, 16, shape=(3,))
    with pytest.raises(ModelError, match="uint16"):
        hclt.encode_rans(bytes(6), typed)
    with pytest.raises(FormatError, match="uint16"):
        hclt.decode_rans(b"\0" * 8, 6, typed)
    with pytest.raises(FormatError, match="other than uint8"):
        hclt.decode_typed(b"\0" * 9, 3, plain)
    good = hclt.encode_typed(bytes(12), typed, "<")
    with pytest.raises(FormatError, match="byte order"):
        hclt.decode_typed(b"\x07" + good[1:], 12, typed)
    with pytest.raises(FormatError, match="whole number of records"):
        hclt.decode_typed(good, 11, typed)
    with pytest.raises(FormatError):
        hclt.decode_typed(good[:-4], 12, typed)
