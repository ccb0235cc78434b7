"""Record elements <-> byte symbols (pcz.models.values): exact inverses for every type and
byte order, order-preserving symbols, clear refusals."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from pcz.errors import InputError
from pcz.models import values

DTYPES = ["u1", "i1", "b1", "<u2", ">u2", "<i2", ">i2", "<u4", ">u4", "<i4", ">i4"]


def np_dtype(spec):
    return np.dtype(bool) if spec == "b1" else np.dtype(spec)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(DTYPES), st.data())
def test_symbols_and_elements_are_inverses(spec, data):
    dtype = np_dtype(spec)
    a = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=4)))
    code, order = values.code_of(dtype), values.order_of(dtype)
    per_record = values.planes(code) * int(np.prod(a.shape[1:]))
    X = values.symbols(a.tobytes(), code, order, per_record)
    assert X.dtype == np.uint8 and X.shape == (len(a), per_record)
    assert values.elements(X, code, order) == a.tobytes()
    X2, code2 = values.array_symbols(a)
    assert code2 == code and np.array_equal(X2, X)


@pytest.mark.parametrize("spec", ["i1", "<u2", ">i2", "<i4"])
def test_symbols_keep_the_order_of_the_values(spec):
    dtype = np.dtype(spec)
    info = np.iinfo(dtype)
    v = np.unique(np.r_[info.min, info.min + 1, -1 if info.min else 1, 0, 1, 255, 256, 4095, info.max - 1,
                        info.max].astype(np.int64).clip(info.min, info.max)).astype(dtype)
    X, _ = values.array_symbols(v)
    keys = [tuple(row) for row in X.tolist()]
    assert keys == sorted(keys)                    # lexicographic order of the bytes = value order


def test_refusals():
    with pytest.raises(InputError, match="integer type"):
        values.code_of(np.float64)
    with pytest.raises(InputError, match="0 or 1"):
        values.symbols(bytes([0, 1, 2]), "b1", "<", 3)
    with pytest.raises(InputError, match="whole number"):
        values.symbols(bytes(5), "u2", "<", 4)
    with pytest.raises(InputError, match="at least one value"):
        values.array_symbols(np.zeros((3, 0), np.uint16))
