"""How the elements of a record become the symbols (0..255) an HCLT model codes.

A record is an array of elements of one integer type: ``u1`` (uint8), ``i1``, ``u2``,
``i2``, ``u4``, ``i4`` or ``b1`` (bool).  A :class:`Layout` maps each element v to
``planes`` byte variables: the value above the model's minimum, ``v - offset``, is a
number of ``bits`` bits cut into planes *from the top*: the first plane holds its 8 most
significant bits, the next the 8 after them, the last what is left (1 to 8 bits).  So a
12-bit value is its 8 high bits (the image a viewer sees) and a 4-bit low plane (mostly
noise), and 16-bit data that only spans 0..255 is one variable.  uint8 records use the
identity layout (offset 0, 8 bits: one plane), so they code exactly as before; a value
outside ``offset .. offset + 2**bits - 1`` cannot be coded (as a value >= K cannot).

Why planes cut from the top rather than one variable of up to 65536 values, or the
bytes of the value: an emission row of K = 65536 per latent state is 256x the
parameters, memory and EM time of K = 256 (and the coder's tables grow alike); the
bytes of the value (low byte = the low 8 bits) split a 12-bit level across both
variables.  On 12-bit data the top-cut planes code smaller than both
(docs/HCLT.md, "Records of any integer type").

>>> import numpy as np
>>> a = np.array([[1000, 1001], [1015, 1000 + 4095]], dtype="<u2")
>>> layout = Layout.fit(a)
>>> layout, layout.planes
(Layout(code='u2', offset=1000, bits=12), 2)
>>> X = layout.symbols(a.tobytes(), "<", 4)
>>> X.tolist()
[[0, 0, 0, 1], [0, 15, 255, 15]]
>>> np.frombuffer(layout.elements(X, "<"), "<u2").tolist()
[1000, 1001, 1015, 5095]
"""
import sys
from dataclasses import dataclass

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
        raise InputError(f"records must be of an integer type ({', '.join(NAMES[c] for c in CODES)}), "
                         f"not {dtype}")
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


def limits(code: str) -> tuple[int, int]:
    """The smallest and largest value of an element type.

    >>> limits("i2"), limits("b1")
    ((-32768, 32767), (0, 1))
    """
    if code == "b1":
        return 0, 1
    info = np.iinfo(dtype_of(code))
    return int(info.min), int(info.max)


@dataclass(frozen=True)
class Layout:
    """Elements of type ``code`` coded as ``v - offset`` in ``bits`` bits, cut into planes."""
    code: str = "u1"
    offset: int = 0
    bits: int = 8

    def __post_init__(self):
        lo, hi = limits(self.code) if self.code in CODES else (0, -1)
        if not (lo <= self.offset <= hi and 1 <= self.bits <= 8 * int(self.code[1])
                and self.offset + (1 << self.bits) - 1 <= max(hi, lo + 1)):
            raise ValueError(f"invalid layout {self}")

    @property
    def planes(self) -> int:
        """Byte variables per element."""
        return (self.bits + 7) // 8

    @property
    def top(self) -> int:
        """The largest value the layout codes."""
        return self.offset + (1 << self.bits) - 1

    @classmethod
    def fit(cls, array: np.ndarray) -> "Layout":
        """The layout of an array's elements: the identity for uint8 and bool, else from the
        smallest value and the bits its range needs."""
        code = code_of(np.asarray(array).dtype)
        if code == "u1" or not np.asarray(array).size:
            return cls(code, 0, 8 if code == "u1" else 1)
        if code == "b1":
            return cls("b1", 0, 1)
        lo, hi = int(array.min()), int(array.max())
        bits = max(1, (hi - lo).bit_length())
        return cls(code, min(lo, limits(code)[1] - (1 << bits) + 1), bits)    # ends within the type

    def _cuts(self) -> list[tuple[int, int]]:
        """(right shift, width in bits) of each plane, most significant first."""
        widths = [min(8, self.bits - 8 * p) for p in range(self.planes)]
        return [(self.bits - 8 * p - w, w) for p, w in enumerate(widths)]

    def symbols(self, data, order: str, per_record: int, first: int = 0) -> np.ndarray:
        """Record bytes (elements in byte ``order``) as (B, per_record) uint8 symbols (per_record
        = elements x planes); InputError for a partial record or a value the layout cannot code
        (records numbered from ``first`` in the message)."""
        raw = np.frombuffer(data, dtype=np.uint8)
        size = dtype_of(self.code).itemsize
        elements = per_record // self.planes
        if per_record < 1 or per_record % self.planes:
            raise ValueError("a record is a positive whole number of elements")
        if raw.size % (elements * size):
            raise InputError(f"{raw.size} bytes is not a whole number of {elements}-element "
                             f"{NAMES[self.code]} records")
        if self.code in ("u1", "b1"):
            X = raw.reshape(-1, per_record)
            if self.code == "b1" and X.size and int(X.max()) > 1:
                r = int(np.argmax(X.max(axis=1) > 1))
                raise InputError(f"record {first + r} holds a bool byte other than 0 or 1")
            return X
        v = raw.view(dtype_of(self.code, order)).astype(np.int64).reshape(-1, elements) - self.offset
        bad = (v < 0) | (v >> self.bits != 0)
        if bad.any():
            r, e = np.argwhere(bad)[0]
            value = int(v[r, e]) + self.offset
            raise InputError(f"value {value} in record {first + r} is out of range for the model "
                             f"({self.offset}..{self.top})")
        X = np.empty((len(v), elements, self.planes), np.uint8)
        for p, (shift, width) in enumerate(self._cuts()):
            X[:, :, p] = (v >> shift) & ((1 << width) - 1)
        return X.reshape(-1, per_record)

    def elements(self, X: np.ndarray, order: str) -> bytes:
        """Invert :meth:`symbols`: the record bytes of the (B, per_record) symbols X."""
        X = np.ascontiguousarray(X, dtype=np.uint8)
        if self.code in ("u1", "b1"):
            return X.tobytes()
        planes = X.reshape(len(X), -1, self.planes).astype(np.int64)
        v = np.zeros(planes.shape[:2], np.int64)
        for p, (shift, _) in enumerate(self._cuts()):
            v |= planes[:, :, p] << shift
        return (v + self.offset).astype(dtype_of(self.code, order)).tobytes()

    def describe(self) -> str:
        """'uint16 1000..5095 in 2 planes' (empty for uint8)."""
        if self.code == "u1":
            return ""
        planes = "1 plane" if self.planes == 1 else f"{self.planes} planes, top 8 bits first"
        return f"{NAMES[self.code]} {self.offset}..{self.top} ({self.bits} bits, {planes})"


def array_symbols(array: np.ndarray, layout: Layout | None = None) -> tuple[np.ndarray, Layout]:
    """(N, variables) symbols of an array of records (first axis) and the layout used
    (fitted to the array unless given).

    >>> X, layout = array_symbols(np.array([[1, 2]], dtype=np.uint16))
    >>> X.tolist(), layout
    ([[0, 1]], Layout(code='u2', offset=1, bits=1))
    """
    array = np.asarray(array)
    if array.ndim < 1:
        raise InputError("records need a first axis")
    layout = Layout.fit(array) if layout is None else layout
    if code_of(array.dtype) != layout.code:
        raise InputError(f"records are {NAMES[code_of(array.dtype)]}, the layout codes {NAMES[layout.code]}")
    elements = int(np.prod(array.shape[1:], dtype=np.int64))
    if elements < 1:
        raise InputError("records must hold at least one value")
    flat = np.ascontiguousarray(array).view(np.uint8).reshape(-1)
    X = layout.symbols(flat, order_of(array.dtype), elements * layout.planes)
    return X.reshape(len(array), elements * layout.planes), layout
