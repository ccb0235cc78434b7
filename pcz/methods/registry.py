"""Chunk methods: how a chunk's bytes are coded, named by one byte in the container.

A method encodes a chunk's bytes to a payload (or returns None when it does
not apply) and decodes a payload back given the original size.  Methods that
need a model receive the loaded model object named in the file header.

>>> get(RAW).decode(b"xyz", 3, None)
b'xyz'
>>> get(200)
Traceback (most recent call last):
...
pcz.errors.FormatError: unknown chunk method 200
"""
import importlib
from dataclasses import dataclass
from typing import Any, Callable

from pcz.errors import FormatError
from pcz.format.method_ids import (HCLT, HCLT_RANS, HCLT_TYPED, HMM, HMM_MIX, NPY_HEADER, NPY_HEADER_TYPED,
                                   ORDER0, ORDER0_RANS, RAW, WINDOWS)
from pcz.methods import order0


@dataclass(frozen=True)
class Method:
    id: int
    name: str
    encode: Callable[[bytes, Any], bytes | None]
    decode: Callable[[bytes, int, Any], bytes]
    needs_model: bool = False


_REGISTRY: dict[int, Method] = {}
# The other methods register themselves when their module (in this package) is
# imported; get() imports it on first use so start-up stays light.
_PROVIDERS: dict[int, str] = {HCLT: "pcz.methods.hclt", HCLT_RANS: "pcz.methods.hclt",
                              HMM: "pcz.methods.text", WINDOWS: "pcz.methods.text", HMM_MIX: "pcz.methods.text",
                              NPY_HEADER: "pcz.methods.npy_header", HCLT_TYPED: "pcz.methods.hclt",
                              NPY_HEADER_TYPED: "pcz.methods.npy_header"}


def register(method: Method) -> None:
    """Add a method; ids are part of the format and never reused."""
    if method.id in _REGISTRY and _REGISTRY[method.id] != method:
        raise ValueError(f"method id {method.id} already registered")
    _REGISTRY[method.id] = method


def get(method_id: int) -> Method:
    """The method with this id, or FormatError."""
    if method_id not in _REGISTRY and method_id in _PROVIDERS:
        importlib.import_module(_PROVIDERS[method_id])
    try:
        return _REGISTRY[method_id]
    except KeyError:
        raise FormatError(f"unknown chunk method {method_id}") from None


def _raw_decode(payload: bytes, size: int, model: Any) -> bytes:
    if len(payload) != size:
        raise FormatError("raw chunk size mismatch")
    return payload


register(Method(RAW, "raw", lambda data, model: data, _raw_decode))
register(Method(ORDER0, "order0", lambda data, model: order0.encode(data),
                lambda payload, size, model: order0.decode(payload, size)))
register(Method(ORDER0_RANS, "order0-rans", lambda data, model: order0.encode_rans(data),
                lambda payload, size, model: order0.decode_rans(payload, size)))
