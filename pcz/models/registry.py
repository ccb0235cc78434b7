"""Model kinds and model files: one registry entry per kind, loading by format magic,
naming by hash, and resolving the model a stream needs.

A model file is untrusted input: each loader parses plain arrays and validates
them (never pickle).  Each model kind is one :class:`Kind` entry: its 8-byte
magic, where its loader lives (imported on first use, so start-up stays light),
the chunk methods it codes with, whether it codes fixed-size records, the
line the CLI shows for it, and where its ``footprint`` lives: the most memory
loading a model of the kind and coding with it takes, read from the file's header
alone, so that :func:`load` refuses a model over its budget before allocating.  Models shipped inside the package
(``pcz/models/data/*.pczm``) are found by id, as zstd finds a dictionary.

>>> load(b"not a model")
Traceback (most recent call last):
...
pcz.errors.ModelError: not a pcz model file (unknown magic)
>>> kind_of(b"\\x89PCZhclt...").records
True
>>> load(shipped("text-en.pczm"), budget=16 << 20)
Traceback (most recent call last):
...
pcz.errors.LimitError: the model needs 48 MiB of memory to load and code with, more than the 16 MiB the memory limit (--memory, memory_limit=) leaves
"""
import importlib
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Callable, Mapping

from pcz.errors import LimitError, ModelError
from pcz.format import method_ids as ids
from pcz.format.fields import Header, model_id, names

MAGIC_SIZE = 8


@dataclass(frozen=True)
class Kind:
    """One kind of model file."""
    name: str
    magic: bytes                        # the file's first 8 bytes
    loader: str | Callable[[bytes], Any]  # "module:function" (imported on first use) or a function
    methods: tuple[int, ...]            # chunk methods tried with this model, in order
    records: bool                       # codes fixed-size records (.npy, IDX) rather than byte streams
    summary: str                        # what the CLI says about a model of this kind
    footprint: str | Callable[[bytes], int] | None = None   # "module:function": bytes loading and coding take

    def load(self, model_bytes: bytes) -> Any:
        return _resolve(self.loader)(model_bytes)

    def cost(self, model_bytes: bytes) -> int:
        """The most bytes loading the model and coding with it take (its file's size when
        the kind states no footprint); ModelError when the header is invalid."""
        return len(model_bytes) if self.footprint is None else _resolve(self.footprint)(model_bytes)


def _resolve(function: str | Callable) -> Callable:
    if isinstance(function, str):
        module, _, name = function.partition(":")
        function = getattr(importlib.import_module(module), name)
    return function


_KINDS: dict[bytes, Kind] = {}


def register(kind: Kind) -> None:
    """Add a model kind; magics are part of the format and never reused."""
    if len(kind.magic) != MAGIC_SIZE:
        raise ValueError("model magic must be 8 bytes")
    if kind.magic in _KINDS and _KINDS[kind.magic] != kind:
        raise ValueError(f"model magic {kind.magic!r} already registered")
    _KINDS[kind.magic] = kind


def kinds() -> list[Kind]:
    """Every registered model kind."""
    return list(_KINDS.values())


def kind_of(model: Any) -> Kind | None:
    """The kind of a model given as file bytes or as a loaded object (None if unknown)."""
    if model is None:
        return None
    head = bytes(model[:MAGIC_SIZE]) if isinstance(model, (bytes, bytearray, memoryview)) else model.MAGIC
    return _KINDS.get(head)


def footprint(model_bytes: bytes) -> int:
    """The most bytes loading this model file and coding with it take, from its header alone.

    >>> footprint(shipped("text-en.pczm")) >> 20
    47
    """
    return _kind(model_bytes).cost(model_bytes)


def load(model_bytes: bytes, budget: int | None = None) -> Any:
    """Parse and validate a model file's bytes into a model object.

    With a ``budget`` (bytes), a model whose :func:`footprint` exceeds it is refused
    (LimitError) before anything is allocated.  The last few models loaded are kept,
    so decoding many small files with one model parses it once (model objects are
    therefore never modified after loading); with a budget, older ones are dropped
    until those kept and the new one fit in it together.
    """
    model_bytes = bytes(model_bytes)
    key = model_id(model_bytes)
    kind = _kind(model_bytes)
    cost = _CACHE[key][1] if key in _CACHE else kind.cost(model_bytes)
    if budget is not None and cost > budget:
        raise LimitError(f"the model needs {_mib(cost)} of memory to load and code with, "
                         f"more than the {_mib(budget)} the memory limit (--memory, memory_limit=) leaves")
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key][0]
    while budget is not None and _CACHE and sum(c for _, c in _CACHE.values()) + cost > budget:
        _CACHE.popitem(last=False)
    model = kind.load(model_bytes)
    _CACHE[key] = (model, cost)
    while len(_CACHE) > CACHED_MODELS:
        _CACHE.popitem(last=False)
    return model


CACHED_MODELS = 4
_CACHE: "OrderedDict[bytes, tuple[Any, int]]" = OrderedDict()   # model id -> (model, footprint)


def _kind(model_bytes: bytes) -> Kind:
    kind = kind_of(model_bytes)
    if kind is None:
        raise ModelError("not a pcz model file (unknown magic)")
    return kind


def _mib(n: int) -> str:
    return f"{-(-n >> 20)} MiB"


def is_model(head: bytes) -> bool:
    """True when ``head`` starts with the magic of a known model kind."""
    return kind_of(bytes(head[:MAGIC_SIZE])) is not None


def as_bytes(model: Any) -> bytes | None:
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
    folder = resources.files("pcz.models") / "data"
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.name.endswith(".pczm"):
                data = entry.read_bytes()
                out[model_id(data)] = data
    return out


def shipped(name: str) -> bytes:
    """The file bytes of a model shipped in ``pcz/models/data`` (e.g. ``text-en.pczm``)."""
    return (resources.files("pcz.models") / "data" / name).read_bytes()


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
        if not names(header.model_id, given):
            raise ModelError(f"wrong model: the data needs model {short_id(header.model_id)}, "
                             f"the given model is {short_id(model_id(given))}")
        return given
    found = next((data for mid, data in builtin_models().items() if mid.startswith(header.model_id)), None)
    if found is None:
        raise ModelError(f"the data needs model {short_id(header.model_id)}; pass it with --model")
    return found


register(Kind("hclt", b"\x89PCZhclt", "pcz.models.hclt:load", (ids.HCLT_RANS,), records=True,
              summary="HCLT record model: codes .npy and IDX files of fixed-size records, folders of images",
              footprint="pcz.models.hclt:footprint"))
register(Kind("hmm", b"PCZHMM\x00\x01", "pcz.models.hmm:load", (ids.ORDER0, ids.HMM_MIX), records=False,
              summary="HMM text model: codes byte streams, mixed with adaptive context models",
              footprint="pcz.models.hmm:footprint"))
