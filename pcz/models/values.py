"""How the elements of a record become the symbols (0..255) an HCLT model codes.

A record is an array of elements of one integer type: ``u1`` (uint8), ``i1``, ``u2``,
``i2``, ``u4``, ``i4`` or ``b1`` (bool).  Each element of s bytes becomes s *byte
variables*, most significant byte first: the symbols are the big-endian bytes of the
element in *offset binary* (signed types have their sign bit flipped, so that the
symbols of every byte keep the order of the values: -128..127 -> 0..255).  Element e of a
record is variables ``e*s .. e*s + s - 1``; the tree learns how the bytes of one
element (and of neighbours) depend on each other.  uint8 is the identity, so uint8
records code exactly as before; bool elements must be 0 or 1.

Why byte variables rather than one variable of up to 65536 values: an emission row
of K = 65536 per latent state and variable is 256x the parameters, the memory and the
EM time of K = 256, and the coder's tables grow alike; on 12-bit data (4096 levels) the
byte split also codes smaller (docs/HCLT.md, "Records of any integer type", has the
measurement).

>>> import numpy as np
>>> a = np.array([[1, 256], [-2, 0]], dtype="<i2")
>>> X = symbols(a.tobytes(), "i2", "<", 4)
>>> X.tolist()
[[128, 1, 129, 0], [127, 254, 128, 0]]
>>> np.frombuffer(elements(X, "i2", "<"), "<i2").tolist()
[1, 256, -2, 0]
"""
import sys

import numpy as np

from pcz.errors import InputError

CODES = ("u1", "i1", "b1", "u2", "i2", "u4", "i4")
NAMES = {"u1": "uint8", "i1": "int8", "b1": "bool", "u2": "uint16", "i2": "int16",
         "u4": "uint32", "i4": "int32"}


def code_of(dtype) -> str:
    """The element code ('u2', ...) of a NumPy dtype, or InputError if records cannot have it.

    >>> code_of(np.dtype(">u2")), code_of(np.dtype(bool))
    ('u2', 'b1')
    >>> code_of(np.dtype("float32"))
    Traceback (most recent call last):
    ...
    pcz.errors.InputError: records must be of an integer type (uint8, int8, bool, uint16, int16, uint32, int32), not float32
    """
    dtype = np.dtype(dtype)
    code = f"{dtype.kind}{dtype.itemsize}"
    if code not in CODES or dtype.fields is not None or dtype.subdtype is not None:
        raise InputError("records must be of an integer type "
                         f"({', '.join(NAMES[c] for c in CODES)}), not {dtype}")
    return code


def order_of(dtype) -> str:
    """'<' or '>': the byte order of a dtype's elements ('<' for single bytes).

    >>> order_of(np.dtype(">i2")), order_of(np.dtype("u1")), order_of(np.dtype("=u2")) in "<>"
    ('>', '<', True)
    """
    dtype = np.dtype(dtype)
    if dtype.itemsize == 1:
        return "<"
    if dtype.byteorder == "=":
        return "<" if sys.byteorder == "little" else ">"
    return dtype.byteorder


def dtype_of(code: str, order: str = "<") -> np.dtype:
    """The NumPy dtype of an element code in a byte order.

    >>> dtype_of("u2", ">").str, dtype_of("b1").str
    ('>u2', '|b1')
    """
    if code not in CODES or order not in "<>":
        raise ValueError(f"unknown element code {code!r} or byte order {order!r}")
    return np.dtype(code[0].replace("b", "?") + ("" if code == "b1" else code[1])).newbyteorder(order)


def planes(code: str) -> int:
    """Byte variables per element.

    >>> planes("u1"), planes("i2"), planes("u4")
    (1, 2, 4)
    """
    return int(code[1])


def symbols(data, code: str, order: str, variables_per_record: int) -> np.ndarray:
    """Record bytes (elements of ``code`` in byte ``order``) as a (B, variables) uint8 array;
    InputError for a partial record or a bool that is neither 0 nor 1."""
    size = planes(code)
    data = memoryview(data).cast("B") if not isinstance(data, np.ndarray) else data
    raw = np.frombuffer(data, dtype=np.uint8)
    record_bytes = variables_per_record
    if record_bytes < 1 or record_bytes % size:
        raise ValueError("a record is a positive whole number of elements")
    if raw.size % record_bytes:
        raise InputError(f"{raw.size} bytes is not a whole number of {record_bytes // size}-element "
                         f"{NAMES[code]} records")
    if code == "b1":
        if raw.size and int(raw.max()) > 1:
            raise InputError("bool records hold a byte other than 0 or 1")
        return raw.reshape(-1, record_bytes)
    if code == "u1":
        return raw.reshape(-1, record_bytes)
    values = raw.view(dtype_of("u" + code[1], order))
    if code[0] == "i":
        values = values ^ values.dtype.type(1 << (8 * size - 1))
    big = values.astype(dtype_of("u" + code[1], ">"), copy=False)
    return np.ascontiguousarray(big).view(np.uint8).reshape(-1, record_bytes)


def elements(X: np.ndarray, code: str, order: str) -> bytes:
    """Invert :func:`symbols`: the record bytes of the (B, variables) symbols X."""
    X = np.ascontiguousarray(X, dtype=np.uint8)
    if code in ("u1", "b1"):
        return X.tobytes()
    big = X.reshape(-1).view(dtype_of("u" + code[1], ">"))
    if code[0] == "i":
        big = big ^ big.dtype.type(1 << (8 * planes(code) - 1))
    return big.astype(dtype_of("u" + code[1], order)).tobytes()


def array_symbols(array: np.ndarray) -> tuple[np.ndarray, str]:
    """(N, variables) symbols of an array of records (first axis) and its element code.

    >>> X, code = array_symbols(np.array([[1, 2]], dtype=np.uint16))
    >>> X.tolist(), code
    ([[0, 1, 0, 2]], 'u2')
    """
    array = np.asarray(array)
    code = code_of(array.dtype)
    if array.ndim < 1:
        raise InputError("records need a first axis")
    per_record = planes(code) * int(np.prod(array.shape[1:], dtype=np.int64))
    if per_record < 1:
        raise InputError("records must hold at least one value")
    flat = np.ascontiguousarray(array)
    return symbols(flat.view(np.uint8).reshape(-1), code, order_of(array.dtype),
                   per_record).reshape(len(array), per_record), code
