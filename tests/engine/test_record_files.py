import gzip
import io
import struct

import numpy as np
import pytest

from pcz.errors import InputError
from pcz.engine.record_files import load_array, open_records
from record_helpers import idx_bytes, npy_bytes



class OneByteAtATime(io.RawIOBase):
    """A non-seekable stream that returns a single byte per read, like a slow pipe."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def readable(self):
        return True

    def readinto(self, b):
        if self.pos >= len(self.data) or not len(b):
            return 0
        b[0] = self.data[self.pos]
        self.pos += 1
        return 1


ARRAY = np.arange(60, dtype=np.uint8).reshape(5, 3, 4)


@pytest.mark.parametrize("make,kind", [(npy_bytes, "npy"), (lambda a: npy_bytes(a, (2, 0)), "npy"),
                                       (idx_bytes, "idx")])
@pytest.mark.parametrize("wrap", [lambda d: d, gzip.compress])
def test_headers_are_parsed_exactly(make, kind, wrap):
    data = make(ARRAY)
    info, body = open_records(OneByteAtATime(wrap(data)))
    assert (info.kind, info.shape, info.N, info.D, info.size) == (kind, (5, 3, 4), 5, 12, 60)
    assert info.gzipped == (wrap is gzip.compress)
    assert info.header == data[:len(data) - 60]
    assert body.read() == ARRAY.tobytes()


def test_one_dimensional_files_have_single_value_records():
    info, _ = open_records(io.BytesIO(idx_bytes(np.arange(7, dtype=np.uint8))))
    assert info.shape == (7,) and info.D == 1


@pytest.mark.parametrize("data,message", [
    (b"hello world", "not a .npy or IDX"),
    (b"", "not a .npy or IDX"),
    (npy_bytes(ARRAY.astype(np.float32)), "integer type"),
    (npy_bytes(ARRAY.astype(np.int64)), "integer type"),
    (npy_bytes(np.asfortranarray(ARRAY)), "Fortran"),
    (npy_bytes(np.uint8(3)), "scalar"),
    (npy_bytes(ARRAY)[:20], "truncated"),
    (b"\x93NUMPZ\x01\x00", "not a .npy"),
    (bytes([0, 0, 0x0D, 1, 0, 0, 0, 1]) + b"abcd", "not an integer type"),
    (bytes([0, 0, 8, 0]), "no dimensions"),
    (bytes([0, 0, 8, 3, 0, 0]), "truncated"),
    (b"\x1f\x8b\x08\x00garbage", "gzip"),
])
def test_bad_headers_are_refused(data, message):
    with pytest.raises(InputError, match=message):
        open_records(io.BytesIO(data))


def test_load_array_reads_every_kind(tmp_path):
    for name, data in [("a.npy", npy_bytes(ARRAY)), ("a.idx", idx_bytes(ARRAY)),
                       ("a.idx.gz", gzip.compress(idx_bytes(ARRAY)))]:
        (tmp_path / name).write_bytes(data)
        np.testing.assert_array_equal(load_array(str(tmp_path / name)), ARRAY)


def test_load_array_refuses_truncated_and_trailing_data(tmp_path):
    path = tmp_path / "a.idx"
    path.write_bytes(idx_bytes(ARRAY)[:-1])
    with pytest.raises(InputError, match="truncated"):
        load_array(str(path))
    path.write_bytes(idx_bytes(ARRAY) + b"x")
    with pytest.raises(InputError, match="trailing"):
        load_array(str(path))
    # a header announcing 4 G records must not allocate them
    path.write_bytes(bytes([0, 0, 8, 2]) + struct.pack(">2I", 0xFFFFFFFF, 0xFFFF) + b"abc")
    with pytest.raises(InputError, match="truncated"):
        load_array(str(path))
