"""Text chunk methods: 3 ``hmm`` (the HMM byte model over a whole chunk), 4
``windows`` (Equal-Info windows of W bits) and 6 ``hmm-mix`` (a sum node over the
HMM and adaptive context models, the default), plus the default text model.

``hmm`` payload: one mode byte, then the binary arithmetic coder's stream
(:mod:`pcz.coders.binary_coder`).  Mode 0: the model as stored; mode 1: the
emissions adapt while coding at rate ``ADAPT_RATE`` (:func:`pcz.coders.hmm_chain.encode_stream`),
identically in the decoder.  ``windows`` payload: one byte W/8, then the
windows, W/8 bytes each (:mod:`pcz.coders.window_coder`); each window decodes on
its own, with the model restarted.  ``hmm-mix`` payload: one mode byte (a
configuration of :data:`pcz.coders.text_mix.CONFIGS`), then the binary coder's
stream (:mod:`pcz.coders.text_mix`).

Each byte is 8 decisions of the binary coder, so a byte costs at least
``8 * LEAST_BITS`` of payload (:data:`pcz.coders.binary_coder.LEAST_BITS`) in
``hmm`` and ``hmm-mix``; a W-bit window holds at most
:func:`pcz.coders.window_coder.max_window_bytes` (W) bytes, which gives
``windows`` its floor, :data:`WINDOW_MIN_BITS`.

The default text model ships as ``pcz/models/data/text-*.pczm`` and is found by id like
any built-in model (:func:`pcz.models.resolve`).

>>> model = default_model()
>>> blob = encode_hmm(b"It was the best of times.", model)
>>> decode_hmm(blob, 25, model)
b'It was the best of times.'
>>> decode_mix(encode_mix(b"It was the best of times.", model), 25, model)
b'It was the best of times.'
>>> w = windows_method(32)
>>> w.decode(w.encode(b"It was the best of times.", model), 25, model)
b'It was the best of times.'
"""
from functools import lru_cache, partial

import numpy as np

from pcz import methods, models
from pcz.errors import FormatError, ModelError
from pcz.models.hmm import HMM

DEFAULT_MODEL = "text-en.pczm"
MODE_STATIC, MODE_ADAPTIVE = 0, 1
ADAPT_RATE = 1.0 / 16      # chosen on held-out text (docs/TEXT.md)
_RATES = {MODE_STATIC: 0.0, MODE_ADAPTIVE: ADAPT_RATE}
MIX_MODE = 1             # the configuration hmm-mix uses when compressing
SNIFF_BYTES = 4096
BYTE_MIN_BITS = 1.7610e-4        # 8 decisions of at least LEAST_BITS each, rounded down (tests check it)
# min over W of W / max_window_bytes(W): 128 / 704682 bits per byte, rounded down (tests check it)
WINDOW_MIN_BITS = 1.8164e-4
MODEL_ID_COST = 32     # bytes a file pays to name its model
PROBE_FACTOR = 16      # chunks above 16 sniffs are first probed on their first bytes


@lru_cache(maxsize=1)
def default_model_bytes() -> bytes:
    """The file bytes of the text model shipped with pcz."""
    return models.shipped(DEFAULT_MODEL)


def default_model() -> HMM:
    """The text model shipped with pcz, loaded."""
    return models.load(default_model_bytes())   # the loader's cache: parsed once per process


def _kernels():
    """The numba kernels of the HMM alone and the windows, imported on first use."""
    from pcz.coders import hmm_chain
    return hmm_chain


def check_window_bits(W: int) -> None:
    """Raise ValueError unless W is a valid window size (multiple of 8 in [16, 128])."""
    from pcz.coders.window_coder import check_window_bits as check
    check(W)


def _hmm(model) -> HMM:
    if not isinstance(model, HMM):
        raise ModelError("this chunk needs an HMM text model")
    return model


def encode_hmm(data: bytes, model, mode: int = MODE_ADAPTIVE) -> bytes | None:
    """Code a chunk with the HMM; None when the model is not an HMM or nothing is saved."""
    if not isinstance(model, HMM) or not data:
        return None
    src = np.frombuffer(data, dtype=np.uint8)
    out = np.zeros(len(data), dtype=np.uint8)
    n = _kernels().encode_stream(src, *model.kernel_args(), out, _RATES[mode])
    if n + 1 >= len(data):
        return None
    return bytes([mode]) + out[:n].tobytes()


def decode_hmm(payload: bytes, size: int, model) -> bytes:
    """Invert :func:`encode_hmm` for a chunk of ``size`` bytes."""
    model = _hmm(model)
    if not payload or payload[0] not in _RATES:
        raise FormatError("unknown hmm chunk mode")
    out = np.zeros(size, dtype=np.uint8)
    _kernels().decode_stream(np.frombuffer(payload, dtype=np.uint8, offset=1), *model.kernel_args(), out,
                            _RATES[payload[0]])
    return out.tobytes()


def _writable(a: np.ndarray) -> np.ndarray:
    """A writable copy, so that the encoder and the decoder share one compiled kernel."""
    return np.array(a, dtype=np.uint8)


def encode_mix(data: bytes, model, mode: int = MIX_MODE) -> bytes | None:
    """Code a chunk with the mixture of the HMM and context models; None when the model
    is not an HMM or nothing is saved."""
    if not isinstance(model, HMM) or not data:
        return None
    if len(data) > PROBE_FACTOR * SNIFF_BYTES and not text_model_pays(data, model, cost=0):
        return None      # a large chunk where the mixture loses on a sample: save the time
    from pcz.coders import text_mix
    out = np.zeros(len(data), dtype=np.uint8)
    n = text_mix.encode_stream(_writable(np.frombuffer(data, dtype=np.uint8)), *model.mix_args(), out,
                               *text_mix.config_args(mode, len(data)))
    return None if n + 1 >= len(data) else bytes([mode]) + out[:n].tobytes()


def decode_mix(payload: bytes, size: int, model) -> bytes:
    """Invert :func:`encode_mix` for a chunk of ``size`` bytes."""
    from pcz.coders import text_mix
    model = _hmm(model)
    if not payload or payload[0] not in text_mix.CONFIGS:
        raise FormatError("unknown hmm-mix chunk mode")
    out = np.zeros(size, dtype=np.uint8)
    text_mix.decode_stream(_writable(np.frombuffer(payload, dtype=np.uint8, offset=1)), *model.mix_args(),
                           out, *text_mix.config_args(payload[0], size))
    return out.tobytes()


def encode_windows(data: bytes, model, W: int) -> np.ndarray:
    """The W-bit windows of data, as a (windows, W/8) uint8 array."""
    check_window_bits(W)
    model = _hmm(model)
    src = np.frombuffer(data, dtype=np.uint8)
    rows = np.zeros((len(src), W // 8), dtype=np.uint8)
    count = _kernels().encode_windows(src, W, *model.kernel_args(), rows)
    return rows[:count]


def decode_windows(rows: np.ndarray, size: int, model) -> tuple[bytes, np.ndarray]:
    """Decode windows that hold exactly ``size`` bytes; returns (bytes, end of each window)."""
    model = _hmm(model)
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    check_window_bits(8 * rows.shape[1])
    out = np.zeros(size, dtype=np.uint8)
    ends = np.zeros(len(rows), dtype=np.int64)
    total = _kernels().decode_windows(rows, *model.kernel_args(), out, ends)
    if total != size:
        raise FormatError("windows do not decode to the recorded size (wrong model or damaged data)")
    return out.tobytes(), ends


def _windows_payload(data: bytes, model, W: int) -> bytes | None:
    if not isinstance(model, HMM) or not data:
        return None
    return bytes([W // 8]) + encode_windows(data, model, W).tobytes()


def _windows_decode(payload: bytes, size: int, model) -> bytes:
    if not payload:
        raise FormatError("empty windows chunk")
    width = payload[0]
    try:
        check_window_bits(8 * width)
    except ValueError as e:
        raise FormatError(str(e)) from None
    body = np.frombuffer(payload, dtype=np.uint8, offset=1)
    if len(body) % width or len(body) // width > size:
        raise FormatError("windows chunk has a partial window or more windows than bytes")
    return decode_windows(body.reshape(-1, width), size, model)[0]


def windows_method(W: int) -> methods.Method:
    """The windows method set to W bits per window (the decoder reads W from the payload)."""
    check_window_bits(W)
    return _windows(partial(_windows_payload, W=W))


def _spread_sample(data: bytes, pieces: int = 4) -> bytes:
    """SNIFF_BYTES of data: all of it if short, else equal slices spread evenly over it.

    >>> _spread_sample(bytes(range(100)) * 100)[:3], len(_spread_sample(bytes(10000)))
    (b'\\x00\\x01\\x02', 4096)
    """
    if len(data) <= SNIFF_BYTES:
        return data
    size = SNIFF_BYTES // pieces
    starts = [round(i * (len(data) - size) / (pieces - 1)) for i in range(pieces)]
    return b"".join(data[a:a + size] for a in starts)


def mix_trial(data: bytes, model: HMM, cost: int = MODEL_ID_COST) -> tuple[bool, bytes | None]:
    """Whether the mixture codes a sample of these bytes (SNIFF_BYTES spread over them) smaller
    than the core byte model by more than ``cost`` bytes (by default the model id a file pays to
    name it), and the sample's hmm-mix payload when the sample is all of ``data`` (so the
    caller need not code a short input twice), else None.  Any bytes qualify, not only text:
    the context models learn binary formats too."""
    from pcz.methods import order0
    sample = _spread_sample(data)
    coded = encode_mix(sample, model)
    pays = coded is not None and len(coded) + cost < min(len(order0.encode(sample)), len(sample))
    return pays, (coded if len(data) <= SNIFF_BYTES else None)


def text_model_pays(data: bytes, model: HMM, cost: int = MODEL_ID_COST) -> bool:
    """The first half of :func:`mix_trial`."""
    return mix_trial(data, model, cost)[0]


def mix_memory(size: int, stored: int) -> int:
    """What :func:`decode_mix` allocates: the kernel's tables, the output twice, the payload's copy."""
    from pcz.coders.text_mix import kernel_memory
    return kernel_memory(size) + 2 * size + stored


def windows_memory(size: int, stored: int) -> int:
    """What :func:`_windows_decode` allocates: the output twice and the end of each window
    (8 bytes per window of at least 2 bytes)."""
    return 2 * size + 4 * stored


def _windows(encode) -> methods.Method:
    return methods.Method(methods.WINDOWS, "windows", encode, _windows_decode, needs_model=True,
                          min_bits=WINDOW_MIN_BITS, memory=windows_memory)


methods.register(methods.Method(methods.HMM, "hmm", encode_hmm, decode_hmm, needs_model=True,
                                min_bits=BYTE_MIN_BITS))
methods.register(methods.Method(methods.HMM_MIX, "hmm-mix", encode_mix, decode_mix, needs_model=True,
                                min_bits=BYTE_MIN_BITS, memory=mix_memory))
methods.register(_windows(partial(_windows_payload, W=64)))
