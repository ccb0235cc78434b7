"""Record files (.npy and IDX) made in memory for tests."""
import io
import struct

import numpy as np


def npy_bytes(array, version=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=version, allow_pickle=False)
    return buf.getvalue()


IDX_CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C}


def idx_bytes(array):
    array = np.asarray(array)
    code = IDX_CODES[f"{array.dtype.kind}{array.dtype.itemsize}"]
    big = array.astype(array.dtype.newbyteorder(">"))
    return bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + big.tobytes()
