"""The canonical .npy header (pcz/npy_header.py) and chunk method 7."""
import io
import math

import numpy as np
import pytest

import pcz
from pcz import methods
from pcz.methods import npy_header
from pcz.errors import FormatError
from hclt_helpers import random_model
from record_helpers import npy_bytes

SHAPES = [(), (0,), (3,), (1, 28, 28), (60000, 28, 28), (10**18, 1), (2,) * 64, ((1 << 63) - 1, 5)]


def numpy_header(shape):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False, "shape": shape})
    return buf.getvalue()


def test_header_layout_for_a_28x28_image():
    h = npy_header.header((1, 28, 28))
    assert len(h) == 128 and h[:10] == b"\x93NUMPY\x01\x00v\x00" and h.endswith(b" \n")
    assert h[10:].rstrip() == b"{'descr': '|u1', 'fortran_order': False, 'shape': (1, 28, 28), }"


@pytest.mark.skipif(not hasattr(np.lib.format, "GROWTH_AXIS_MAX_DIGITS"),
                    reason="NumPy before in-place growth padding writes another layout")
@pytest.mark.parametrize("shape", SHAPES)
def test_header_is_the_one_numpy_writes(shape):
    assert npy_header.header(shape) == numpy_header(shape)
    if math.prod(shape) < 10**6:
        assert npy_header.npy_bytes(np.zeros(shape, np.uint8)) == npy_bytes(np.zeros(shape, np.uint8))


@pytest.mark.parametrize("shape", SHAPES)
def test_canonical_headers_roundtrip_in_a_few_bytes(shape):
    h = npy_header.header(shape)
    payload = npy_header.encode(h, None)
    assert len(payload) <= 1 + 10 * len(shape)
    assert npy_header.decode(payload, len(h), None) == h


@pytest.mark.parametrize("other", [
    npy_bytes(np.zeros((3, 4), np.uint16))[:128],                       # another dtype
    npy_bytes(np.asfortranarray(np.zeros((3, 4), np.uint8)))[:128],     # Fortran order
    npy_bytes(np.zeros((3, 4), np.uint8), version=(2, 0))[:128],        # format 2.0
    npy_header.header((3, 4)).replace(b"(3, 4)", b"(3,4) "),           # not NumPy's spacing
    npy_header.header((3, 4)).replace(b"(3, 4)", b"(03, 4)"),
    npy_header.header((3, 4))[:-1] + b" ",
    npy_header.header((3, 4)) + b"\0",
    b"\x93NUMPY\x01\x00", b"",
])
def test_other_bytes_are_not_its_business(other):
    assert npy_header.encode(other, None) is None


@pytest.mark.parametrize("payload,size", [
    (bytes([65]) + bytes(65), 128),          # more dimensions than NumPy allows
    (bytes([1, 3]), 127),                    # not the size of the header
    (bytes([1, 3, 0]), 128),                 # trailing bytes
    (bytes([2, 3]), 128),                    # truncated
    (bytes([1]) + b"\xff" * 9 + b"\x7f", 128),   # a dimension over 2**63 - 1
])
def test_damaged_payloads_are_refused(payload, size):
    with pytest.raises(FormatError):
        npy_header.decode(payload, size, None)


def test_record_files_code_their_header_in_a_few_bytes():
    model = random_model(21, [-1, 0, 0, 1, 1, 2], 3, 16, shape=(2, 3))
    a = np.zeros((1, 2, 3), np.uint8)
    blob = pcz.compress_array(a, model)
    assert len(blob) < 6 + 32 + 6 + 4 + 30 + 9            # framing, model id, header chunk, one record
    out = io.BytesIO()
    stats = pcz.compress_stream(io.BytesIO(npy_bytes(a)), out, model=model)   # NumPy's own file
    assert stats.methods.get(methods.get(methods.NPY_HEADER).name) == 1
    assert out.getvalue() == blob


@pytest.mark.skipif(not hasattr(np.lib.format, "GROWTH_AXIS_MAX_DIGITS"),
                    reason="NumPy before in-place growth padding writes another layout")
@pytest.mark.parametrize("descr", npy_header.DESCRS)
@pytest.mark.parametrize("shape", [(3,), (5, 16, 16, 3)])
def test_typed_headers_are_numpy_s_and_code_in_a_few_bytes(descr, shape):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    h = npy_header.header(shape, descr)
    assert h == buf.getvalue()
    assert npy_header.encode(h, None) is None                # method 7 is for uint8 only
    payload = npy_header.encode_typed(h, None)
    assert payload[0] == npy_header.DESCRS.index(descr) and len(payload) <= 2 + 3 * len(shape)
    assert methods.get(methods.NPY_HEADER_TYPED).decode(payload, len(h), None) == h


def test_typed_method_refuses_uint8_headers_and_unknown_types():
    assert npy_header.encode_typed(npy_header.header((3, 4)), None) is None
    with pytest.raises(FormatError, match="element type"):
        npy_header.decode_typed(bytes([len(npy_header.DESCRS), 1, 3]), 128, None)
    with pytest.raises(FormatError, match="element type"):
        npy_header.decode_typed(b"", 128, None)
