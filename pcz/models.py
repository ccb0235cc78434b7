"""Model files: loading by format magic, naming by hash, and resolving the model a stream needs.

A model file is untrusted input: each loader parses plain arrays and validates
them (never pickle).  Model kinds register a loader under their 8-byte magic.
Models shipped inside the package (``pcz/data/*.pczm``) are found by id, as
zstd finds a dictionary.

>>> load(b"not a model")
Traceback (most recent call last):
...
pcz.errors.ModelError: not a pcz model file (unknown magic)
"""
import importlib
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Callable, Mapping

from pcz.container import Header, model_id
from pcz.errors import ModelError

MAGIC_SIZE = 8
_LOADERS: dict[bytes, Callable[[bytes], Any]] = {}
# Model kinds register their loader when their module is imported; load()
# imports the module named here for a magic on first use.
_PROVIDERS: dict[bytes, str] = {b"\x89PCZhclt": "pcz.hclt_model", b"PCZHMM\x00\x01": "pcz.hmm"}


def register_loader(magic: bytes, loader: Callable[[bytes], Any]) -> None:
    """Register the loader for model files that start with ``magic`` (8 bytes)."""
    if len(magic) != MAGIC_SIZE:
        raise ValueError("model magic must be 8 bytes")
    _LOADERS[magic] = loader


def load(model_bytes: bytes) -> Any:
    """Parse and validate a model file's bytes into a model object.

    The last few models loaded are kept, so decoding many small files with one
    model parses it once; model objects are therefore never modified after loading.
    """
    return _load_cached(bytes(model_bytes))


@lru_cache(maxsize=4)
def _load_cached(model_bytes: bytes) -> Any:
    magic = model_bytes[:MAGIC_SIZE]
    if magic not in _LOADERS and magic in _PROVIDERS:
        importlib.import_module(_PROVIDERS[magic])
    loader = _LOADERS.get(magic)
    if loader is None:
        raise ModelError("not a pcz model file (unknown magic)")
    return loader(model_bytes)


def is_model(head: bytes) -> bool:
    """True when ``head`` starts with the magic of a known model kind."""
    magic = bytes(head[:MAGIC_SIZE])
    return magic in _LOADERS or magic in _PROVIDERS


def as_bytes(model: Any) -> bytes:
    """Model file bytes from a model object (with ``to_bytes``) or bytes."""
    if model is None or isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model) if model is not None else None
    return model.to_bytes()


def builtin_models() -> Mapping[bytes, bytes]:
    """The models shipped inside the package, by id (read once per process)."""
    return MappingProxyType(_read_builtin_models())


@lru_cache(maxsize=1)
def _read_builtin_models() -> dict[bytes, bytes]:
    out = {}
    folder = resources.files("pcz") / "data"
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.name.endswith(".pczm"):
                data = entry.read_bytes()
                out[model_id(data)] = data
    return out


def short_id(mid: bytes) -> str:
    """The first 12 hex digits of a model id, as shown to users."""
    return mid.hex()[:12]


def resolve(header: Header, given: bytes | None) -> bytes | None:
    """The model bytes a stream needs: embedded, given by the user, or built in."""
    if header.model_id is None:
        return None
    if header.model_bytes is not None:
        return header.model_bytes
    if given is not None:
        if model_id(given) != header.model_id:
            raise ModelError(f"wrong model: the data needs model {short_id(header.model_id)}, "
                             f"the given model is {short_id(model_id(given))}")
        return given
    found = builtin_models().get(header.model_id)
    if found is None:
        raise ModelError(f"the data needs model {short_id(header.model_id)}; pass it with --model")
    return found
