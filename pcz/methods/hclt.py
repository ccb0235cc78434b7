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

import numpy as np

from pcz import methods
from pcz.coders.errors import CodingError
from pcz.coders import tree_rans_each
from pcz.coders.range_coder import Decoder, Encoder, least_bits
from pcz.coders.tree_rans import GROUP_RECORDS, TreeCoder, lockstep_group
from pcz.errors import FormatError, InputError, ModelError
from pcz.models.hclt import HcltModel


def _require(model) -> HcltModel:
    if not isinstance(model, HcltModel):
        raise ModelError("hclt chunks need an HCLT model")
    return model


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


def encode(data: bytes, model) -> bytes:
    """Code whole records (bytes, B * D values) under the model."""
    X = records(data, model)
    enc = Encoder()
    for start, stop in _groups(model, len(X)):
        walk = model.walk(stop - start)
        for i, v in enumerate(model.order):
            x = X[start:stop, v]
            enc.encode(x, walk.probs(i))
            walk.observe(i, x)
        del walk
    return enc.finish()


def decode(payload: bytes, size: int, model) -> bytes:
    """Decode ``size`` bytes of records from a payload made by :func:`encode`."""
    if size % _require(model).D:
        raise FormatError("hclt chunk size is not a whole number of records of the model")
    X = np.empty((size // model.D, model.D), dtype=np.uint8)
    try:
        return _decode(Decoder(payload), X, model)
    except CodingError as e:
        raise FormatError(str(e)) from None


def _decode(dec: Decoder, X: np.ndarray, model) -> bytes:
    for start, stop in _groups(model, len(X)):
        walk = model.walk(stop - start)
        for i, v in enumerate(model.order):
            x = dec.decode(walk.probs(i))
            walk.observe(i, x)
            X[start:stop, v] = x
        del walk                # one group's messages at a time
    return X.tobytes()


_CODERS: "weakref.WeakKeyDictionary[HcltModel, TreeCoder]" = weakref.WeakKeyDictionary()


def _coder(model) -> TreeCoder:
    coder = _CODERS.get(model)
    if coder is None:
        # the dequantised emission, not kept: the coder keeps its own CDF table
        coder = _CODERS[model] = TreeCoder(model.parent, model.prior, model.transition,
                                           model.emit_q / model.one, model.order, model.depth)
    return coder


def encode_rans(data: bytes, model) -> bytes:
    """Code whole records (bytes, B * D values) with the numba rANS coder.

    >>> from pcz.models.hclt import HcltModel
    >>> m = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
    >>> decode_rans(encode_rans(bytes([0, 1, 2, 3]), m), 4, m).hex()
    '00010203'
    """
    X = records(data, model)
    return _coder(model).encode(X).astype("<u4").tobytes()


def decode_rans(payload: bytes, size: int, model) -> bytes:
    """Decode ``size`` bytes of records from a payload made by :func:`encode_rans`."""
    if size % _require(model).D:
        raise FormatError("hclt-rans chunk size is not a whole number of records of the model")
    if len(payload) % 4:
        raise FormatError("hclt-rans payload is not a whole number of 32-bit words")
    try:
        X = _coder(model).decode(np.frombuffer(payload, dtype="<u4"), size // model.D)
    except ValueError as e:
        raise FormatError(f"corrupt hclt-rans chunk ({e})") from None
    return X.tobytes()


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
    """Code each record of X (B, D) as its own rANS stream (:mod:`pcz.coders.tree_rans_each`):
    (the words of all records, the number of words of each); record b's words are exactly
    those :func:`encode_rans` gives for it alone.

    >>> from pcz.models.hclt import HcltModel
    >>> m = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 4), 0.25))
    >>> words, lengths = encode_each(np.array([[0, 1], [2, 3]], dtype=np.uint8), m)
    >>> decode_each(words, lengths, m).tolist(), words[:lengths[0]].tobytes() == encode_rans(bytes([0, 1]), m)
    ([[0, 1], [2, 3]], True)
    """
    X = np.asarray(X, dtype=np.uint8)
    return tree_rans_each.encode_each(_coder(model), records(X.tobytes(), model))


def decode_each(words: np.ndarray, lengths: np.ndarray, model) -> np.ndarray:
    """The (B, D) records whose streams of ``lengths[b]`` words follow one another in ``words``."""
    try:
        return tree_rans_each.decode_each(_coder(_require(model)), words, lengths)
    except ValueError as e:
        raise FormatError(f"corrupt hclt-rans records ({e})") from None


methods.register(methods.Method(methods.HCLT, "hclt", encode, decode, needs_model=True,
                                min_bits=least_bits(2), memory=decode_memory, model_bits=min_bits))
methods.register(methods.Method(methods.HCLT_RANS, "hclt-rans", encode_rans, decode_rans,
                                needs_model=True, min_bits=least_bits(2), memory=rans_memory,
                                model_bits=min_bits))
