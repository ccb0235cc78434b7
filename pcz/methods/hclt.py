"""Chunk methods for batches of whole records coded with an HCLT model.

A chunk holds B = size / D records, walked in lockstep groups whose size
bounds the message memory (:func:`pcz.coders.tree_rans.lockstep_group`);
both methods advance a group node by node in the tree's pre-order, encoder and decoder running the same lockstep
code on the model's dequantised parameters, so they compute identical floats.

- method 2, ``hclt``: at each node one numba call gives the (G, K) exact
  conditionals of a lockstep group of G records (:class:`pcz.coders.tree_pc.TreeWalk`,
  O(M^2 + MK) per symbol) and one constriction call codes their B symbols.
- method 5, ``hclt-rans``: the whole walk runs in one numba call with a
  numba rANS coder driven by quantised CDFs (:mod:`pcz.coders.tree_rans`,
  O(M^2 + M log K) per symbol); about 5x faster, and the default
  (docs/HCLT.md has the measurements).
- method 10, ``hclt-typed``: records of any other element type (int8, bool, 2- and
  4-byte integers), each element cut into byte variables as the model's layout says
  (:mod:`pcz.models.values`); the payload is one byte (0: little-endian elements,
  1: big-endian) and then method 5's.  Methods 2 and 5 code uint8 models only.

A model that names a prediction transform (:mod:`pcz.models.predict`) codes each record's
MED residuals instead of its values: every encoder here takes the symbols from
:func:`coded_symbols` and every decoder gives back ``model.restored`` of what it decoded,
so the payloads of all three methods are the same kind of stream either way.

Both coders quantise to 24 bits and leave every other value a unit, and a model's
emissions give every value at least ``2**-qbits``, so a value costs at least
:func:`min_bits` of payload.

>>> import numpy as np
>>> from pcz.models.hclt import HcltModel
>>> model = HcltModel.from_float(np.array([-1, 0]), np.array([0.5, 0.5]),
...                              np.full((2, 2, 2), 0.5), np.array([[[0.9, 0.1]] * 2] * 2))
>>> data = bytes([0, 0, 0, 1, 0, 0])                    # three records of two values
>>> payload = encode(data, model)
>>> decode(payload, len(data), model) == data
True
"""
import math
import weakref
from functools import partial

import numpy as np

from pcz import methods
from pcz.coders.errors import CodingError
from pcz.coders.range_coder import Decoder, Encoder, least_bits
from pcz.coders.tree_pc import TreeWalk
from pcz.coders.tree_rans import GROUP_RECORDS, TreeCoder, lockstep_group
from pcz.coders.tree_tables import padded
from pcz.errors import FormatError, InputError, ModelError
from pcz.models import hclt_file, values
from pcz.models.hclt import HcltModel

ORDERS = "<>"       # the first byte of an hclt-typed payload: index of the elements' byte order


def _require(model) -> HcltModel:
    if not isinstance(model, HcltModel):
        raise ModelError("hclt chunks need an HCLT model")
    return model


def _require_bytes(model, decoding: bool = False) -> HcltModel:
    """The model, if it codes uint8 records (methods 2 and 5)."""
    if _require(model).dtype != "u1":
        message = f"the model codes {values.NAMES[model.dtype]} records; hclt and hclt-rans code uint8"
        raise FormatError(message) if decoding else ModelError(message)
    return model


def symbols(data: bytes, model, order: str = "<", first: int = 0) -> np.ndarray:
    """The chunk's bytes (records of the model's element type, in byte ``order``) as the
    (B, D) symbols the model codes; InputError on a partial record, a value the model cannot
    code, or a bool other than 0 and 1 (records are numbered from ``first`` in the message).

    >>> from pcz.models.values import Layout
    >>> m = HcltModel.from_float([-1, 0], [1.0], np.ones((2, 1, 1)), [[[0.5, 0.5]]] * 2,
    ...                          layout=Layout("u2", 100, 9))
    >>> symbols(np.array([103, 611], ">u2").tobytes(), m, ">")
    Traceback (most recent call last):
    ...
    pcz.errors.InputError: value 611 in record 1 is out of range for the model (100..611 in 2 planes, each below K = 2)
    """
    _require(model)
    if model.dtype == "u1":
        return records(data, model, first)
    X = model.layout.symbols(data, order, model.D, first)
    if X.size and int(X.max()) >= model.K:
        bad = int(np.argmax(X.max(axis=1) >= model.K))
        elements = np.frombuffer(model.layout.elements(X[bad:bad + 1], order),
                                 values.dtype_of(model.dtype, order))
        worst = int(np.argmax(X[bad].reshape(-1, model.layout.planes).max(axis=1)))
        raise InputError(f"value {elements[worst]} in record {first + bad} is out of range for the model "
                         f"({model.layout.offset}..{model.layout.top} in {model.layout.planes} planes, "
                         f"each below K = {model.K})")
    return X


def coded_symbols(data: bytes, model, order: str = "<", first: int = 0) -> np.ndarray:
    """The (B, D) symbols the tree codes for the chunk's bytes: :func:`symbols`, through the
    model's prediction transform (:meth:`pcz.models.hclt.HcltModel.coded`).

    >>> m = HcltModel.from_float([-1, 0], [1.0], np.ones((2, 1, 1)), np.full((2, 1, 4), 0.25),
    ...                          shape=(1, 2), transform="med")
    >>> coded_symbols(bytes([3, 3, 2, 1]), m).tolist()
    [[1, 0], [3, 1]]
    """
    return model.coded(symbols(data, model, order, first))


def records(data: bytes, model, first: int = 0) -> np.ndarray:
    """The chunk's bytes as a (B, D) array; InputError on a partial record or a value >= K
    (records are numbered from ``first`` in the message).

    >>> from pcz.models.hclt import HcltModel
    >>> m = HcltModel.from_float([-1], [1.0], np.ones((1, 1, 1)), [[[0.5, 0.5]]])
    >>> records(bytes([0, 1, 2]), m)
    Traceback (most recent call last):
    ...
    pcz.errors.InputError: value 2 in record 2 is out of range for the model (K = 2)
    """
    _require(model)
    if len(data) % model.D:
        raise InputError(f"{len(data)} bytes is not a whole number of {model.D}-value records")
    X = np.frombuffer(data, dtype=np.uint8).reshape(-1, model.D)
    if X.size and int(X.max()) >= model.K:
        bad = int(np.argmax(X.max(axis=1) >= model.K))
        raise InputError(f"value {int(X[bad].max())} in record {first + bad} is out of range "
                         f"for the model (K = {model.K})")
    return X


def _groups(model, B: int):
    """Row ranges of the lockstep groups of a batch of B records (as the rANS method)."""
    size = lockstep_group(int(model.depth.max()) + 1, model.M)
    return [(g, min(B, g + size)) for g in range(0, B, size)]


def _walk(model, batch: int) -> TreeWalk:
    """Method 2's walk of ``batch`` records, on the transitions of the model's rANS coder
    (shared: the same floats as the dequantised model's, no second copy).  Method 2 codes
    dense models only: no writer ever gave it a pruned one (version 3 models came after
    method 5 became the only one written), and the walk runs over all M states."""
    if model.pruned:
        raise ModelError("hclt (method 2) chunks need a model without pruned latent states")
    coder, M = _coder(model), model.M
    slot = np.maximum(np.cumsum(model.parent >= 0) - 1, 0)     # v's block among the non-root nodes
    T, Tt = (t.reshape(-1, M, padded(M))[:, :, :M] for t in (coder.Tp, coder.Ttp))   # copies if rows are padded
    return TreeWalk(model.parent, model.prior, T, model.emission32, batch, tidx=slot,
                    order=model.order, depth=model.depth, Tt=Tt)


def encode(data: bytes, model) -> bytes:
    """Code whole records (bytes, B * D values) under the model."""
    _require_bytes(model)
    X = coded_symbols(data, model)
    enc = Encoder()
    for start, stop in _groups(model, len(X)):
        walk = _walk(model, stop - start)
        for i, v in enumerate(model.order):
            x = X[start:stop, v]
            enc.encode(x, walk.probs(i))
            walk.observe(i, x)
        del walk
    return enc.finish()


def decode(payload: bytes, size: int, model) -> bytes:
    """Decode ``size`` bytes of records from a payload made by :func:`encode`."""
    if size % _require_bytes(model, decoding=True).D:
        raise FormatError("hclt chunk size is not a whole number of records of the model")
    X = np.empty((size // model.D, model.D), dtype=np.uint8)
    try:
        return _decode(Decoder(payload), X, model)
    except CodingError as e:
        raise FormatError(str(e)) from None


def _decode(dec: Decoder, X: np.ndarray, model) -> bytes:
    for start, stop in _groups(model, len(X)):
        walk = _walk(model, stop - start)
        for i, v in enumerate(model.order):
            x = dec.decode(walk.probs(i))
            walk.observe(i, x)
            X[start:stop, v] = x
        del walk                # one group's messages at a time
    return model.restored(X, in_place=True).tobytes()


_CODERS: "weakref.WeakKeyDictionary[HcltModel, TreeCoder]" = weakref.WeakKeyDictionary()


def _coder(model) -> TreeCoder:
    coder = _CODERS.get(model)
    if coder is None:
        # from the integer parameters, block by block: the coder keeps only its own tables
        _, T, E = hclt_file.split(model.values, model.parent, model.states, model.K)
        coder = _CODERS[model] = TreeCoder(model.parent, model.prior, T, E, model.order, model.depth,
                                           1.0 / model.one, states=model.states, t_scale=1.0 / model.one)
    return coder


def encode_rans(data: bytes, model) -> bytes:
    """Code whole records (bytes, B * D values) with the numba rANS coder.

    >>> from pcz.models.hclt import HcltModel
    >>> m = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
    >>> decode_rans(encode_rans(bytes([0, 1, 2, 3]), m), 4, m).hex()
    '00010203'
    """
    _require_bytes(model)
    return _coder(model).encode(coded_symbols(data, model)).astype("<u4").tobytes()


def decode_rans(payload: bytes, size: int, model) -> bytes:
    """Decode ``size`` bytes of records from a payload made by :func:`encode_rans`."""
    if size % _require_bytes(model, decoding=True).D:
        raise FormatError("hclt-rans chunk size is not a whole number of records of the model")
    return _decode_words(payload, size, model, "hclt-rans").tobytes()


def _decode_words(payload: bytes, size: int, model, name: str) -> np.ndarray:
    if len(payload) % 4:
        raise FormatError(f"{name} payload is not a whole number of 32-bit words")
    try:
        X = _coder(model).decode(np.frombuffer(payload, dtype="<u4"), size // model.D)
    except ValueError as e:
        raise FormatError(f"corrupt {name} chunk ({e})") from None
    return model.restored(X, in_place=True)


def encode_typed(data: bytes, model, order: str = "<") -> bytes | None:
    """Code whole records of the model's element type (bytes in ``order``); None for a uint8
    model (method 5 codes those, one byte shorter).

    >>> from pcz.models.values import Layout
    >>> m = HcltModel.from_float([-1, 0], [1.0], np.ones((2, 1, 1)), np.full((2, 1, 256), 1 / 256),
    ...                          shape=(1,), layout=Layout("i2", -32768, 16))
    >>> data = np.array([-1, 3, 256], ">i2").tobytes()
    >>> np.frombuffer(decode_typed(encode_typed(data, m, ">"), 6, m), ">i2").tolist()
    [-1, 3, 256]
    """
    if _require(model).dtype == "u1":
        return None
    X = coded_symbols(data, model, order)
    return bytes([ORDERS.index(order)]) + _coder(model).encode(X).astype("<u4").tobytes()


def decode_typed(payload: bytes, size: int, model) -> bytes:
    """Decode ``size`` bytes of records from a payload made by :func:`encode_typed`."""
    if _require(model).dtype == "u1":
        raise FormatError("hclt-typed chunks need a model of a type other than uint8")
    if size % model.D:
        raise FormatError("hclt-typed chunk size is not a whole number of records of the model")
    if not payload or payload[0] >= len(ORDERS):
        raise FormatError("hclt-typed chunk names an unknown byte order")
    X = _decode_words(payload[1:], size, model, "hclt-typed")
    return model.layout.elements(X, ORDERS[payload[0]])


def typed_method(order: str) -> methods.Method:
    """Method 10 coding elements stored in byte ``order`` ('<' or '>'; the decoder reads it
    from the payload)."""
    return methods.Method(methods.HCLT_TYPED, "hclt-typed", partial(encode_typed, order=order),
                          decode_typed, needs_model=True)


def min_bits(model) -> float:
    """The least payload bits per value with this model: no conditional exceeds
    ``1 - (K - 1) 2**-qbits`` (every emission entry is at least ``2**-qbits``), and
    quantising it to 24 bits widens it by at most 3 units (2**-22 covers them); nor
    does a quantised one exceed ``1 - (K - 1) 2**-24`` (both coders' floor).

    >>> from pcz.models.hclt import HcltModel
    >>> m = HcltModel.from_float([-1], [1.0], np.ones((1, 1, 1)), [[[1.0, 0.0]]])
    >>> round(min_bits(m) * 1e5, 2)
    2.17
    """
    _require(model)
    return max(least_bits(model.K), -math.log2(min(1.0, 1 - (model.K - 1) / model.one + 2.0 ** -22)))


def decode_memory(size: int, stored: int) -> int:
    """What :func:`decode` allocates: the records twice, the words twice, and the
    conditionals of a lockstep group (at most 4096 records of 256 values, twice)."""
    return 2 * size + 2 * stored + 2 * 8 * GROUP_RECORDS * 256


def rans_memory(size: int, stored: int) -> int:
    """What :func:`decode_rans` allocates: the records twice and the words' copy."""
    return 2 * size + stored


def encode_each(X: np.ndarray, model) -> tuple[np.ndarray, np.ndarray]:
    """Code each record of X (B, D) as its own rANS stream (:meth:`pcz.coders.tree_rans.TreeCoder.encode_each`):
    (the words of all records, the number of words of each); record b's words are exactly
    those :func:`encode_rans` gives for it alone.

    >>> from pcz.models.hclt import HcltModel
    >>> m = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
    >>> words, lengths = encode_each(np.array([[0, 1], [2, 3]], dtype=np.uint8), m)
    >>> decode_each(words, lengths, m).tolist(), words[:lengths[0]].tobytes() == encode_rans(bytes([0, 1]), m)
    ([[0, 1], [2, 3]], True)
    """
    X = np.asarray(X, dtype=np.uint8)
    return _coder(model).encode_each(model.coded(records(X.tobytes(), model)))


def decode_each(words: np.ndarray, lengths: np.ndarray, model) -> np.ndarray:
    """The (B, D) records whose streams of ``lengths[b]`` words follow one another in ``words``."""
    try:
        X = _coder(_require(model)).decode_each(words, lengths)
    except ValueError as e:
        raise FormatError(f"corrupt hclt-rans records ({e})") from None
    return model.restored(X, in_place=True)


methods.register(methods.Method(methods.HCLT, "hclt", encode, decode, needs_model=True,
                                min_bits=least_bits(2), memory=decode_memory, model_bits=min_bits))
methods.register(methods.Method(methods.HCLT_RANS, "hclt-rans", encode_rans, decode_rans,
                                needs_model=True, min_bits=least_bits(2), memory=rans_memory,
                                model_bits=min_bits))
def typed_memory(size: int, stored: int) -> int:
    """What :func:`decode_typed` allocates at most: the planes and the values, twice each."""
    return 4 * size + 2 * stored


# typed records: a value of up to 4 bytes may be a single tree variable, so the floor per
# byte is a quarter of a variable's
methods.register(methods.Method(methods.HCLT_TYPED, "hclt-typed", encode_typed, decode_typed,
                                needs_model=True, min_bits=least_bits(2) / 4, memory=typed_memory))
