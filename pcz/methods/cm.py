"""Chunk method 9 ``cm``: a lean context-mixing byte model that needs no model file.

The model (:mod:`pcz.coders.cm`: orders 1-4 and 6, a word model and a match model,
mixed by a small integer logistic mixer and refined by one adaptive probability
map) starts empty for every chunk and learns while coding, identically in the
decoder, so chunks decode independently.  It codes any bytes; on English text it
beats ``xz -9e`` at over 1 MB/s both ways (docs/TEXT.md).

Chunks under :data:`SMALL` bytes are coded by the same model in plain Python
(:mod:`pcz.coders.cm_small`, the same stream bit for bit) while numba's kernel is not yet
loaded in the process: a short file then never pays numba's start-up (about 0.5 s).

Payload: one mode byte (a configuration of :data:`pcz.coders.cm.CONFIGS`), then the
binary arithmetic coder's stream; the coder must end exactly at the payload's end.

>>> text = b"It was the best of times, it was the worst of times. " * 4
>>> blob = encode(text)
>>> blob[0], len(blob) < len(text)
(1, True)
>>> decode(blob, len(text)) == text
True
"""
import sys

import numpy as np

from pcz import methods
from pcz.coders.errors import CodingError
from pcz.errors import FormatError
from pcz.methods.text import BYTE_MIN_BITS

MODE = 1          # the configuration written when compressing
SMALL = 4096      # shorter chunks are coded in Python unless the numba kernel is already loaded


def _in_python(size: int) -> bool:
    """Whether a chunk of ``size`` bytes is coded by :mod:`pcz.coders.cm_small`: it is short and
    numba's kernel is not loaded (the stream is the same either way).

    >>> _in_python(100) == ("pcz.coders.cm" not in sys.modules), _in_python(SMALL)
    (True, False)
    """
    return size < SMALL and "pcz.coders.cm" not in sys.modules


def encode(data: bytes, model=None, mode: int = MODE) -> bytes | None:
    """Code a chunk; None when it is empty or nothing is saved (the model is not used).

    >>> encode(b""), encode(b"ab"), len(encode(b"ab" * 500)) < 40
    (None, None, True)
    """
    if not data:
        return None
    if _in_python(len(data)):
        from pcz.coders import cm_small
        stream = cm_small.encode(data, mode)
    else:
        from pcz.coders import cm          # numba: imported when this method runs
        stream = cm.encode(np.frombuffer(data, dtype=np.uint8), mode)
    if stream is None or len(stream) + 1 >= len(data):
        return None
    return bytes([mode]) + stream


def decode(payload: bytes, size: int, model=None) -> bytes:
    """Invert :func:`encode` for a chunk of ``size`` bytes; FormatError on a damaged payload.

    >>> decode(encode(b"ab" * 500), 1000) == b"ab" * 500
    True
    >>> decode(b"\x07abc", 10)
    Traceback (most recent call last):
    ...
    pcz.errors.FormatError: unknown cm chunk mode 7
    """
    from pcz.coders.cm_tables import CONFIGS
    if not payload:
        raise FormatError("empty cm chunk")
    if payload[0] not in CONFIGS:
        raise FormatError(f"unknown cm chunk mode {payload[0]}")
    try:
        if _in_python(size):
            from pcz.coders import cm_small
            return cm_small.decode(payload[1:], size, payload[0])
        from pcz.coders import cm          # numba: imported when this method runs
        return cm.decode(payload[1:], size, payload[0]).tobytes()
    except CodingError as e:
        raise FormatError(str(e)) from None


def decode_memory(size: int, stored: int) -> int:
    """The most bytes :func:`decode` allocates: the context and match tables (scaled to the
    chunk), the small mixer and map arrays, the output twice and the payload's copy."""
    from pcz.coders import cm_tables as cm
    tables = cm.N_MODELS << cm.bits(size, max(c["extra"] for c in cm.CONFIGS.values()),
                                    cm.MIN_TABLE_BITS, cm.MAX_TABLE_BITS)
    match = 4 << cm.bits(size, 1, 10, cm.MATCH_MAX_BITS)
    return tables + match + (1 << 20) + 2 * size + stored


# the binary coder clamps every probability to [2**-16, 1 - 2**-16], as for the text methods
methods.register(methods.Method(methods.CM, "cm", encode, decode, min_bits=BYTE_MIN_BITS, memory=decode_memory))
