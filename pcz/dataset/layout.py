"""The layout of a pcz data set store (docs/SCALE.md) and its atomicity rule.

A store is a zarr v3 group (a folder) holding

- ``records``: the records, shape (N, record dims...), uint8, chunks of ``chunk_records``
  records coded by the ``pcz`` codec (the model named once, by id, in its metadata);
- ``files/``: for a folder of images, the file names (``name``), forms, CRC32s and the
  lengths of their extra bytes (``form``, ``crc``, ``extra_size``), and the extra bytes
  one after the other (``extra``): :mod:`pcz.dataset.images`;
- ``.pcz-models/<id>.pczm``: the model, unless left out (then the model store must have it);
- the group attribute ``pcz``: format, model id, record count and shape, the source's
  kind and what restoring it needs, and ``complete``.

The atomicity rule: a store is written under ``STORE.tmp-XXXXXXXX`` (a new, exclusively
created folder) with ``complete: false``; only when every task has written its chunks
does the writer set ``complete: true`` and rename the folder to ``STORE``.  Readers
refuse a store whose ``complete`` is not true, so neither a crashed pack's temporary
folder nor a folder filled by other means passes for a complete store.

>>> import os, tempfile
>>> target = os.path.join(tempfile.mkdtemp(), "s.zarr")
>>> tmp = temporary(target)
>>> os.path.basename(tmp).startswith("s.zarr.tmp-"), os.path.isdir(tmp)
(True, True)
"""
import json
import os
import secrets
import shutil

from pcz.errors import InputError
from pcz.models import store as model_store

FORMAT = 1
RECORDS = "records"
FILES = "files"
MODELS = ".pcz-models"
ATTR = "pcz"
_PARTIAL = ".partial"       # zarr's LocalStore writes chunks as <key>.<uuid>.partial, then renames


def temporary(target: str) -> str:
    """A new empty folder next to ``target`` for writing it (``TARGET.tmp-XXXXXXXX``)."""
    parent = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(parent):
        raise InputError(f"{target}: the folder {parent} does not exist")
    for _ in range(100):
        path = f"{os.path.abspath(target)}.tmp-{secrets.token_hex(4)}"
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue
    raise InputError(f"{target}: cannot create a temporary folder next to it")


def check_target(target: str, force: bool) -> None:
    """Refuse an existing output unless ``force``."""
    if os.path.lexists(target) and not force:
        raise InputError(f"{target}: already exists (use -f to overwrite)")


def write_model(root: str, model_bytes: bytes) -> str:
    """Put the model into the store folder; returns its path."""
    return os.path.join(root, MODELS, model_store.add(model_bytes, os.path.join(root, MODELS)) + ".pczm")


def read_meta(root: str) -> dict:
    """The ``pcz`` attribute of a store (InputError when it is not a pcz store)."""
    try:
        with open(os.path.join(root, "zarr.json"), encoding="utf-8") as f:
            meta = json.load(f).get("attributes", {}).get(ATTR)
    except (OSError, ValueError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InputError(f"{root}: not a pcz data set store")
    return meta


def open_meta(root: str) -> dict:
    """The metadata of a complete store; its model, if stored inside, is made findable."""
    meta = read_meta(root)
    if meta.get("complete") is not True:
        raise InputError(f"{root}: incomplete store (its pack did not finish); pack it again")
    embedded = os.path.join(root, MODELS, f"{meta.get('model')}.pczm")
    if os.path.isfile(embedded):
        model_store.remember(model_store.find(model_store.check_id(meta["model"]), os.path.dirname(embedded)))
    return meta


def clean_partial(root: str) -> int:
    """Remove chunk files a killed writer left half-written; returns how many."""
    removed = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            if name.endswith(_PARTIAL):
                os.unlink(os.path.join(dirpath, name))
                removed += 1
    return removed


def store_bytes(root: str, under: str = "") -> int:
    """Bytes of the files in a store (or under one of its keys)."""
    total = 0
    for dirpath, _, filenames in os.walk(os.path.join(root, under)):
        total += sum(os.path.getsize(os.path.join(dirpath, n)) for n in filenames)
    return total


def publish(tmp: str, target: str, force: bool) -> None:
    """Rename the finished temporary folder (or file) to the target; an existing target (with
    ``force``) is first moved aside, then removed."""
    old = None
    if os.path.lexists(target):
        check_target(target, force)
        old = f"{target}.old-{secrets.token_hex(4)}"
        os.rename(target, old)
    os.rename(tmp, target)
    if old is not None:
        remove(old)


def remove(path: str) -> None:
    """Remove a file or folder tree, if there."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)
