"""The constriction range coder behind a small interface.

Determinism rules (docs/ARCHITECTURE.md): every model is
``constriction.stream.model.Categorical(perfect=False)`` and every probability
array is float64, so encoder and decoder quantise identically on every machine.
Compressed streams are lists of 32-bit words, serialised little-endian.

constriction quantises every distribution to 24 bits and gives each of its K
symbols at least one unit (``perfect=False``), so no symbol is free: each costs
at least :func:`least_bits` (K) bits, and a stream whose symbols carry I bits
is at least ``I - 64`` bits long (the coder's 64-bit state is all it can hold
back).

>>> import numpy as np
>>> p = np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]])
>>> blob = encode(np.array([2, 0]), p)
>>> Decoder(blob).decode(p).tolist()
[2, 0]
"""
import math

import numpy as np
import constriction

from pcz.coders.errors import CodingError

DTYPE = np.float64
PRECISION = 24           # constriction's default range coder: 24-bit probabilities
STATE_BITS = 64          # bits the coder's state can hold back from the stream


def least_bits(K: int) -> float:
    """The least a symbol of a K-symbol distribution costs after quantisation: the most
    probable symbol keeps at most 2**24 - (K - 1) units.

    >>> round(least_bits(256) * 1e5, 3)
    2.193
    """
    return -math.log2(1 - (K - 1) / (1 << PRECISION))
_FAMILY = constriction.stream.model.Categorical(perfect=False)


def _words_to_bytes(words: np.ndarray) -> bytes:
    return words.astype("<u4", copy=False).tobytes()


def _bytes_to_words(blob: bytes) -> np.ndarray:
    if len(blob) % 4:
        raise CodingError("coded stream length is not a multiple of 4 bytes")
    return np.frombuffer(blob, dtype="<u4").astype(np.uint32)


def _check_probs(probs: np.ndarray) -> np.ndarray:
    probs = np.ascontiguousarray(probs, dtype=DTYPE)
    if probs.ndim != 2 or probs.shape[1] < 1:
        raise ValueError("probabilities must be an (n, K) array")
    return probs


class Encoder:
    """Range encoder that accepts batches; call :meth:`finish` once at the end.

    >>> import numpy as np
    >>> enc = Encoder()
    >>> enc.encode(np.array([1]), np.array([[0.5, 0.5]]))
    >>> enc.encode_iid(np.array([0, 0, 1]), np.array([0.9, 0.1]))
    >>> len(enc.finish()) % 4
    0
    """

    def __init__(self):
        self._enc = constriction.stream.queue.RangeEncoder()

    def encode(self, symbols: np.ndarray, probs: np.ndarray) -> None:
        """Encode symbols[i] under the distribution probs[i] (an (n, K) float64 array)."""
        probs = _check_probs(probs)
        symbols = np.ascontiguousarray(symbols, dtype=np.int32)
        if symbols.shape != (probs.shape[0],):
            raise ValueError("need one probability row per symbol")
        if len(symbols):
            self._enc.encode(symbols, _FAMILY, probs)

    def encode_iid(self, symbols: np.ndarray, probs: np.ndarray) -> None:
        """Encode every symbol under the same distribution probs (a (K,) array)."""
        symbols = np.ascontiguousarray(symbols, dtype=np.int32)
        if len(symbols):
            model = constriction.stream.model.Categorical(
                np.ascontiguousarray(probs, dtype=DTYPE), perfect=False)
            self._enc.encode(symbols, model)

    def finish(self) -> bytes:
        """Return the compressed stream as bytes."""
        return _words_to_bytes(self._enc.get_compressed())


class Decoder:
    """Stepwise range decoder over a stream made by :class:`Encoder`."""

    def __init__(self, blob: bytes):
        self._dec = constriction.stream.queue.RangeDecoder(_bytes_to_words(blob))

    def decode(self, probs: np.ndarray) -> np.ndarray:
        """Decode one symbol per row of the (n, K) float64 array probs."""
        probs = _check_probs(probs)
        if probs.shape[0] == 0:
            return np.zeros(0, dtype=np.int32)
        try:
            return self._dec.decode(_FAMILY, probs)
        except Exception as e:  # constriction raises on invalid streams
            raise CodingError(f"corrupt coded stream ({e})") from None

    def decode_iid(self, probs: np.ndarray, n: int) -> np.ndarray:
        """Decode n symbols that share the distribution probs (a (K,) array)."""
        if n == 0:
            return np.zeros(0, dtype=np.int32)
        model = constriction.stream.model.Categorical(
            np.ascontiguousarray(probs, dtype=DTYPE), perfect=False)
        try:
            return self._dec.decode(model, n)
        except Exception as e:
            raise CodingError(f"corrupt coded stream ({e})") from None


def encode(symbols: np.ndarray, probs: np.ndarray) -> bytes:
    """Encode symbols[i] under probs[i] in one call; returns the stream bytes."""
    enc = Encoder()
    enc.encode(symbols, probs)
    return enc.finish()
