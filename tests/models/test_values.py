"""Record elements <-> byte symbols (pcz.models.values): exact inverses for every type,
layout and byte order, order-preserving symbols, clear refusals."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from pcz.errors import InputError
from pcz.models import values
from pcz.models.values import Layout

DTYPES = ["u1", "i1", "b1", "<u2", ">u2", "<i2", ">i2", "<u4", ">u4", "<i4", ">i4"]


def np_dtype(spec):
    return np.dtype(bool) if spec == "b1" else np.dtype(spec)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(DTYPES), st.data())
def test_symbols_and_elements_are_inverses(spec, data):
    dtype = np_dtype(spec)
    a = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=4)))
    X, layout = values.array_symbols(a)
    assert X.dtype == np.uint8 and X.shape == (len(a), layout.planes * int(np.prod(a.shape[1:])))
    assert layout.elements(X, values.order_of(dtype)) == a.tobytes()
    assert int(X.max()) < 256
    # the widest layout of the type codes the same array too
    lo, hi = values.limits(layout.code)
    wide = Layout(layout.code, lo, max(1, (hi - lo).bit_length()))
    Xw, _ = values.array_symbols(a, wide)
    assert wide.elements(Xw, values.order_of(dtype)) == a.tobytes()


@pytest.mark.parametrize("spec", ["i1", "<u2", ">i2", "<i4", "<u4"])
def test_symbols_keep_the_order_of_the_values(spec):
    dtype = np.dtype(spec)
    info = np.iinfo(dtype)
    v = np.unique(np.r_[info.min, info.min + 1, -1 if info.min else 1, 0, 1, 255, 256, 4095, info.max - 1,
                        info.max].astype(np.int64).clip(info.min, info.max)).astype(dtype)
    X, _ = values.array_symbols(v)
    keys = [tuple(row) for row in X.tolist()]
    assert keys == sorted(keys)                    # lexicographic order of the planes = value order


def test_twelve_bit_values_are_a_full_top_plane_and_a_low_plane():
    a = np.array([[0, 4095, 16 * 200 + 7]], np.uint16)
    X, layout = values.array_symbols(a)
    assert layout == Layout("u2", 0, 12) and X.tolist() == [[0, 0, 255, 15, 200, 7]]
    small, layout = values.array_symbols(np.array([[300, 555]], np.int16))
    assert layout.planes == 1 and small.tolist() == [[0, 255]]


def test_refusals():
    with pytest.raises(InputError, match="integer type"):
        values.code_of(np.float64)
    with pytest.raises(InputError, match="0 or 1"):
        Layout("b1", 0, 1).symbols(bytes([0, 1, 2]), "<", 3)
    with pytest.raises(InputError, match="whole number"):
        Layout("u2", 0, 16).symbols(bytes(5), "<", 4)
    with pytest.raises(InputError, match="at least one value"):
        values.array_symbols(np.zeros((3, 0), np.uint16))
    with pytest.raises(InputError, match=r"value 4096 in record 1 is out of range for the model \(0..4095\)"):
        values.array_symbols(np.array([[1], [4096]], np.uint16), Layout("u2", 0, 12))
    with pytest.raises(InputError, match="value -1 in record 0"):
        values.array_symbols(np.array([[-1]], np.int16), Layout("i2", 0, 12))
    for bad in [("u2", -1, 8), ("u2", 0, 17), ("u2", 65000, 12), ("x1", 0, 8), ("i1", -128, 0), ("b1", 0, 2)]:
        with pytest.raises(ValueError):
            Layout(*bad)
