"""Equal-Info window tokens for language models: text -> W-bit windows -> 8- or 16-bit tokens.

Every window is W bits (W/8 bytes, big-endian) and decodes on its own with the
text model that made it; tokens are the window bytes read as uint8 or as
big-endian uint16.  The model is recorded by id with the tokens (a JSON
sidecar ``TOKENS.npy.json`` next to the ``.npy``), and detokenizing refuses any
other model.  Input is windowed in blocks of ``BLOCK`` bytes, which bounds
memory; a block end simply ends a window early (windows are self-delimiting).

>>> from pcz.methods.text import default_model_bytes
>>> tokens, meta = tokenize(b"To be, or not to be", default_model_bytes(), 32, 16)
>>> tokens.dtype.name, meta["window_bits"], len(tokens) % 2
('uint16', 32, 0)
>>> detokenize(tokens, meta, default_model_bytes())
b'To be, or not to be'
"""
import json

import numpy as np

from pcz import models
from pcz.format.fields import content_digest, model_id
from pcz.errors import FormatError, ModelError
from pcz.methods.text import decode_windows, encode_windows

FORMAT = "pcz-tokens"
# While the coder has bits left to spend, a byte costs at least 8 decisions of
# -log2(1 - 2**-16) bits; once the interval is below 2**16 units a byte can cost
# as little as the stop unit, one unit.  So a window of W bits holds at most
# W * 5679 + 65536 bytes, and larger sizes are refused before allocating.
MAX_BYTES_PER_BIT = 5679
MAX_BYTES_TAIL = 1 << 16
VERSION = 1
BLOCK = 1 << 20
TOKEN_BITS = (8, 16)


def _check_bits(window_bits: int, token_bits: int) -> None:
    if token_bits not in TOKEN_BITS:
        raise ValueError("token bits must be 8 or 16")
    if window_bits % token_bits:
        raise ValueError("window bits must be a multiple of the token bits")


def tokenize(data: bytes, model_bytes: bytes, window_bits: int, token_bits: int) -> tuple[np.ndarray, dict]:
    """(tokens, metadata) for data; tokens is a 1-D uint8 or uint16 array."""
    _check_bits(window_bits, token_bits)
    model = models.load(model_bytes)
    rows = [encode_windows(data[i:i + BLOCK], model, window_bits) for i in range(0, len(data), BLOCK)]
    flat = np.concatenate(rows).reshape(-1) if rows else np.zeros(0, dtype=np.uint8)
    tokens = flat if token_bits == 8 else flat.view(">u2").astype(np.uint16)
    meta = {"format": FORMAT, "version": VERSION, "model_id": model_id(model_bytes).hex(),
            "window_bits": window_bits, "token_bits": token_bits,
            "windows": int(len(flat) // (window_bits // 8)), "size": len(data),
            "blake2b": content_digest(data).hexdigest()}
    return tokens, meta


def check_meta(meta: dict) -> None:
    """Validate a token sidecar's fields (FormatError)."""
    try:
        if meta["format"] != FORMAT or meta["version"] != VERSION:
            raise FormatError("not a pcz token file (format or version)")
        _check_bits(int(meta["window_bits"]), int(meta["token_bits"]))
        size, windows = int(meta["size"]), int(meta["windows"])
        per_window = int(meta["window_bits"]) * MAX_BYTES_PER_BIT + MAX_BYTES_TAIL
        if not 0 <= windows <= size <= windows * per_window:
            raise FormatError("token metadata sizes are out of range")
        bytes.fromhex(meta["model_id"])
        bytes.fromhex(meta["blake2b"])
    except (KeyError, TypeError, ValueError) as e:
        raise FormatError(f"bad token metadata ({e})") from None


def detokenize(tokens: np.ndarray, meta: dict, model_bytes: bytes | None) -> bytes:
    """Invert :func:`tokenize`; ``model_bytes`` None means the built-in model named in meta."""
    check_meta(meta)
    want = bytes.fromhex(meta["model_id"])
    if model_bytes is None:
        model_bytes = models.builtin_models().get(want)
        if model_bytes is None:
            raise ModelError(f"the tokens need model {models.short_id(want)}; pass it with --model")
    elif model_id(model_bytes) != want:
        raise ModelError(f"wrong model: the tokens were made with {models.short_id(want)}, "
                         f"the given model is {models.short_id(model_id(model_bytes))}")
    W, bits = int(meta["window_bits"]), int(meta["token_bits"])
    tokens = np.asarray(tokens)
    expected = np.uint8 if bits == 8 else np.uint16
    if tokens.ndim != 1 or tokens.dtype != expected or len(tokens) * bits != int(meta["windows"]) * W:
        raise FormatError("tokens do not match their metadata (dtype, shape or count)")
    flat = tokens if bits == 8 else tokens.astype(">u2").view(np.uint8)
    data, _ = decode_windows(flat.reshape(-1, W // 8), int(meta["size"]), models.load(model_bytes))
    if content_digest(data).hexdigest() != meta["blake2b"]:
        raise FormatError("detokenized content does not match its checksum")
    return data


def save(path: str, tokens: np.ndarray, meta: dict) -> None:
    """Write TOKENS.npy and its sidecar TOKENS.npy.json."""
    with open(path, "wb") as f:
        np.save(f, tokens, allow_pickle=False)
    with open(path + ".json", "w") as f:
        json.dump(meta, f, indent=1)


def load(path: str) -> tuple[np.ndarray, dict]:
    """Read TOKENS.npy (never pickled) and its sidecar."""
    try:
        with open(path + ".json") as f:
            meta = json.load(f)
    except json.JSONDecodeError as e:
        raise FormatError(f"bad token metadata ({e})") from None
    if not isinstance(meta, dict):
        raise FormatError("bad token metadata (not an object)")
    try:
        tokens = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise FormatError(f"not a token array ({e})") from None
    return tokens, meta
