"""Chunk methods: how a chunk's bytes are coded, named by one byte in the container.

A method encodes a chunk's bytes to a payload (or returns None when it does
not apply) and decodes a payload back given the original size.  Methods that
need a model receive the loaded model object named in the file header.

Each method also states what decoding a chunk costs, so that a decoder can refuse a
hostile chunk before doing the work (docs/SECURITY.md): ``min_bits``, the fewest
payload bits its coder can spend per original byte, derived from the coder's
probability floor (``model_bits`` may tighten it for a given model), and
``memory``, the most bytes its decoder allocates for a chunk (its output included,
the model not).  :func:`check_payload` refuses a payload shorter than the least
its stated size needs.

>>> get(RAW).decode(b"xyz", 3, None)
b'xyz'
>>> check_payload(get(RAW), 100, 2)
Traceback (most recent call last):
...
pcz.errors.FormatError: raw chunk of 2 bytes is too short for 100 bytes of content (file is damaged)
>>> get(200)
Traceback (most recent call last):
...
pcz.errors.FormatError: unknown chunk method 200
"""
import importlib
from dataclasses import dataclass
from typing import Any, Callable

from pcz.errors import FormatError
from pcz.format.method_ids import (CM, HCLT, HCLT_RANS, HCLT_TYPED, HMM, HMM_MIX, LONG, LZ_RANS, NPY_HEADER,
                                   NPY_HEADER_TYPED, ORDER0, ORDER0_RANS, RAW, WINDOWS)
from pcz.methods import order0


SLACK_BITS = 64   # what a coder may hold back from its stream (constriction's 64-bit state)


def output_twice(size: int, stored: int) -> int:
    """The default decoding memory: the output array and the bytes made of it."""
    return 2 * size


@dataclass(frozen=True)
class Method:
    id: int
    name: str
    encode: Callable[[bytes, Any], bytes | None]
    decode: Callable[[bytes, int, Any], bytes]
    needs_model: bool = False
    min_bits: float = 0.0               # least payload bits per original byte, whatever the model
    memory: Callable[[int, int], int] = output_twice   # (size, stored) -> most bytes decoding allocates
    model_bits: Callable[[Any], float] | None = None    # a tighter min_bits for a given model


def least_payload_bits(method: Method, size: int, model: Any = None) -> float:
    """The fewest payload bits a chunk of ``size`` original bytes can have with this method
    (``SLACK_BITS`` already taken off)."""
    per_byte = method.min_bits
    if model is not None and method.model_bits is not None:
        per_byte = max(per_byte, method.model_bits(model))
    return size * per_byte - SLACK_BITS


def check_payload(method: Method, size: int, stored: int, model: Any = None) -> None:
    """FormatError when ``stored`` payload bytes are too few for ``size`` original bytes: no
    encoder writes such a chunk, and decoding it would cost work out of proportion to its input."""
    if 8 * stored < least_payload_bits(method, size, model):
        raise FormatError(f"{method.name} chunk of {stored} bytes is too short for {size} bytes "
                          "of content (file is damaged)")


_REGISTRY: dict[int, Method] = {}
# The other methods register themselves when their module (in this package) is
# imported; get() imports it on first use so start-up stays light.
_PROVIDERS: dict[int, str] = {HCLT: "pcz.methods.hclt", HCLT_RANS: "pcz.methods.hclt",
                              HMM: "pcz.methods.text", WINDOWS: "pcz.methods.text", HMM_MIX: "pcz.methods.text",
                              NPY_HEADER: "pcz.methods.npy_header", CM: "pcz.methods.cm",
                              HCLT_TYPED: "pcz.methods.hclt", NPY_HEADER_TYPED: "pcz.methods.npy_header",
                              LONG: "pcz.methods.long", LZ_RANS: "pcz.methods.lz"}


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


def _raw_encode(data: bytes, model: Any) -> bytes:
    return data


def _no_buffers(size: int, stored: int) -> int:
    return 0


def _order0_encode(data: bytes, model: Any) -> bytes:
    return order0.encode(data)


def _order0_decode(payload: bytes, size: int, model: Any) -> bytes:
    return order0.decode(payload, size)


def _order0_rans_encode(data: bytes, model: Any) -> bytes:
    return order0.encode_rans(data)


def _order0_rans_decode(payload: bytes, size: int, model: Any) -> bytes:
    return order0.decode_rans(payload, size)


register(Method(RAW, "raw", _raw_encode, _raw_decode, min_bits=8.0, memory=_no_buffers))
register(Method(ORDER0, "order0", _order0_encode, _order0_decode, min_bits=order0.MIN_BITS,
                memory=order0.decode_memory))
register(Method(ORDER0_RANS, "order0-rans", _order0_rans_encode, _order0_rans_decode,
                min_bits=order0.RANS_MIN_BITS, memory=order0.decode_rans_memory))
