"""The model store: model files found by their id (SHA-256, hex) in a folder, as a data set
stored with pcz names its model once by id and a fresh process must find it.

A model is looked up, in order, among the models this process has been given
(:func:`remember`), in the folders of ``PCZ_MODEL_STORE`` (separated like ``PATH``),
in the default folder (``$XDG_CACHE_HOME/pcz/models``, else ``~/.cache/pcz/models``)
and among the models shipped with pcz.  A folder holds ``<64 hex digits>.pczm`` files;
every file found is checked against its name before use.

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> from pcz.models.hclt import HcltModel
>>> blob = HcltModel.from_float([-1], [1.0], [[[1.0]]], [[[0.5, 0.5]]]).to_bytes()
>>> hex_id = add(blob, folder)
>>> find(hex_id, folder) == blob, [e.hex_id for e in entries(folder)] == [hex_id]
(True, True)
"""
import os
import re
from dataclasses import dataclass

from pcz.errors import ModelError
from pcz.format.fields import MAX_MODEL, model_id
from pcz.models.registry import builtin_models, kind_of
from pcz.runtime import fileio

ENV = "PCZ_MODEL_STORE"
SUFFIX = ".pczm"
_HEX = re.compile(r"[0-9a-f]{64}")
_GIVEN: dict[str, bytes] = {}


def default_folder() -> str:
    """The default store folder (whether or not it exists)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "pcz", "models")


def folders(folder: str | None = None) -> list[str]:
    """The folders searched, in order: ``folder`` if given, ``PCZ_MODEL_STORE``, the default."""
    found = [folder] if folder else []
    found += [f for f in os.environ.get(ENV, "").split(os.pathsep) if f]
    return found + [default_folder()]


def check_id(hex_id: str) -> str:
    """A model id as 64 lower-case hex digits (ModelError otherwise)."""
    if not isinstance(hex_id, str) or not _HEX.fullmatch(hex_id):
        raise ModelError(f"not a model id (64 hex digits): {hex_id!r}")
    return hex_id


def remember(model_bytes: bytes) -> str:
    """Make a model findable in this process; returns its hex id."""
    hex_id = model_id(bytes(model_bytes)).hex()
    _GIVEN[hex_id] = bytes(model_bytes)
    return hex_id


def _read(path: str, hex_id: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_MODEL + 1)
    except FileNotFoundError:
        return None
    if model_id(data).hex() != hex_id:
        raise ModelError(f"{path}: the file does not hold the model its name says (damaged?)")
    return data


def find(hex_id: str, folder: str | None = None) -> bytes:
    """The bytes of the model with this id (ModelError, saying where to put it, if none)."""
    check_id(hex_id)
    if hex_id in _GIVEN:
        return _GIVEN[hex_id]
    for where in folders(folder):
        data = _read(os.path.join(where, hex_id + SUFFIX), hex_id)
        if data is not None:
            return data
    data = builtin_models().get(bytes.fromhex(hex_id))
    if data is None:
        raise ModelError(f"model {hex_id[:12]} not found (searched {os.pathsep.join(folders(folder))}): "
                         f"add it with `pcz models add FILE` or name a folder holding it in {ENV}")
    return data


def add(model_bytes: bytes, folder: str | None = None) -> str:
    """Copy a model into a store folder (default: the first of :func:`folders`), creating the
    folder; returns its hex id.  Adding a model already there does nothing."""
    model_bytes = bytes(model_bytes)
    if kind_of(model_bytes) is None:
        raise ModelError("not a pcz model file (unknown magic)")
    hex_id = model_id(model_bytes).hex()
    where = folders(folder)[0]
    os.makedirs(where, exist_ok=True)
    path = os.path.join(where, hex_id + SUFFIX)
    if _read(path, hex_id) is None:
        with fileio.AtomicOutput(path, force=True) as f:
            f.write(model_bytes)
    return hex_id


@dataclass(frozen=True)
class Entry:
    hex_id: str
    size: int
    path: str


def entries(folder: str | None = None) -> list[Entry]:
    """The models in ``folder`` alone if given, else in every store folder, first folder
    first (by name; the files are not read)."""
    out, seen = [], set()
    for where in [folder] if folder else folders():
        try:
            names = sorted(os.listdir(where))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in names:
            hex_id = name.removesuffix(SUFFIX)
            if name.endswith(SUFFIX) and _HEX.fullmatch(hex_id) and hex_id not in seen:
                seen.add(hex_id)
                path = os.path.join(where, name)
                out.append(Entry(hex_id, os.path.getsize(path), path))
    return out
