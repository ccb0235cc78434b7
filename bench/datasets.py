"""Benchmark datasets: a list of uint8 items to code, and a separate training split for learned codecs.

Named sets: ``fashion-mnist`` (the t10k test images; learned codecs train on
the train split), ``canterbury`` (the Canterbury corpus, one item per file),
``quick`` (data shipped with pcz: ``fashion-mnist-sample`` and
``sample-text``).  Any path works too: an IDX file, a ``.npy`` array (first
axis = records), a folder of files or a single file.

>>> [d.name for d in load_all("quick")]
['fashion-mnist-sample', 'sample-text']
>>> d = load("fashion-mnist-sample", limit=5)
>>> len(d.items), d.items[0].shape, d.unit, d.train.shape
(5, (28, 28), 'pixel', (300, 28, 28))
"""
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from pcz.engine.record_files import is_idx_name, load_array
from pcz.errors import InputError

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_HINT = "install it with `apt-get install dataset-fashion-mnist` or pass --data-dir DIR"
CANTERBURY_HINT = ("download cantrbry.tar.gz from https://corpus.canterbury.ac.nz/, unpack it "
                   "and pass --data-dir DIR (or give any folder: --dataset PATH)")
QUICK_IMAGES = "fashion-mnist-train-500-images-idx3-ubyte.gz"
QUICK_TRAIN = 300          # shipped images 0..299 train learned codecs; 300..499 are coded
SHIPPED_MODEL = "fmnist-hclt-M16.pczm"   # HCLT trained on Fashion-MNIST train images 500..59999
SHIPPED_SPLIT = "pcz-hclt uses the shipped HCLT model, trained on Fashion-MNIST train images 500..59999"


def shipped_model() -> bytes:
    """The HCLT model shipped for Fashion-MNIST (bench/data/PROVENANCE.md)."""
    return (resources.files("pcz.bench") / "data" / SHIPPED_MODEL).read_bytes()
NAMED = ("fashion-mnist", "canterbury", "fashion-mnist-sample", "sample-text")
GROUPS = {"quick": ("fashion-mnist-sample", "sample-text")}


class DatasetMissing(InputError):
    """A dataset's files are not where the benchmark looks; the message says how to get them."""


@dataclass
class Dataset:
    """Items to code (uint8 arrays), how to count them, where they came from, what was learned on."""
    name: str
    kind: str                          # "image" (2-D, or H x W x 3/4), "records" (1-D rows), "files"
    items: list
    unit: str                          # rates are bits per unit: "pixel", "value" or "char"
    source: str
    split: str                         # the train/test split, stated for anything learned
    names: list | None = None          # item names (files)
    train: np.ndarray | None = None    # training records for learned codecs, never the items
    model: bytes | None = None         # a record model shipped for these data (trained apart from the items)

    @property
    def units(self) -> int:
        """How many units (pixels, values, characters) the items hold."""
        return int(sum(item.size for item in self.items))


def _limit(n: int, limit: int | None) -> int:
    return n if limit is None else min(n, limit)


def _find(folder: str, stems: tuple[str, ...]) -> str | None:
    for stem in stems:
        for name in (stem, stem + ".gz"):
            if os.path.isfile(os.path.join(folder, name)):
                return os.path.join(folder, name)
    return None


def fashion_mnist(data_dir: str | None = None, limit: int | None = None,
                  train_limit: int | None = None) -> Dataset:
    """The first ``limit`` Fashion-MNIST test (t10k) images; learned codecs train on the train split."""
    folder = data_dir or FASHION_DIR
    test = _find(folder, ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"))
    train = _find(folder, ("train-images-idx3-ubyte", "train-images.idx3-ubyte"))
    if test is None or train is None:
        raise DatasetMissing(f"Fashion-MNIST not found in {folder}: {FASHION_HINT}")
    images, train_images = load_array(test), load_array(train)
    n, n_train = _limit(len(images), limit), _limit(len(train_images), train_limit)
    if train_limit is None:      # the shipped model: trained on the train split already
        return Dataset("fashion-mnist", "image", list(images[:n]), "pixel", os.path.abspath(test),
                       f"coded: t10k test images 0..{n - 1}; {SHIPPED_SPLIT}",
                       train=train_images, model=shipped_model())
    return Dataset("fashion-mnist", "image", list(images[:n]), "pixel", os.path.abspath(test),
                   f"coded: t10k test images 0..{n - 1}; learned codecs train on train images "
                   f"0..{n_train - 1}", train=train_images[:n_train])


def quick_images(limit: int | None = None, train_limit: int | None = None) -> Dataset:
    """Fashion-MNIST train images shipped with pcz: 0..299 train learned codecs, 300..499 are coded."""
    path = str(resources.files("pcz.bench") / "data" / QUICK_IMAGES)
    images = load_array(path)
    test = images[QUICK_TRAIN:]
    n, n_train = _limit(len(test), limit), _limit(QUICK_TRAIN, train_limit)
    return Dataset("fashion-mnist-sample", "image", list(test[:n]), "pixel",
                   "Fashion-MNIST train images 0..499 shipped in pcz.bench/data (MIT, Zalando SE)",
                   f"coded: shipped images {QUICK_TRAIN}..{QUICK_TRAIN + n - 1}; {SHIPPED_SPLIT}",
                   train=images[:n_train], model=shipped_model())


def sample_text() -> Dataset:
    """The sample text shipped with pcz (nothing is learned from it)."""
    data = (resources.files("pcz") / "data" / "sample.txt").read_bytes()
    return Dataset("sample-text", "files", [np.frombuffer(data, dtype=np.uint8)], "char",
                   "pcz/data/sample.txt", "no training split: learned codecs use only what they ship",
                   names=["sample.txt"])


def canterbury_dir(data_dir: str | None = None) -> str:
    """Where the Canterbury corpus is: --data-dir, else shared/data/canterbury beside the repository
    (or beside one of its parent folders, as for a git worktree) or beside the current folder."""
    if data_dir:
        candidates = [data_dir]
    else:
        repo = Path(__file__).resolve().parent.parent
        bases = [*repo.parents][:3] + [Path("..")]
        candidates = [str(base / "shared" / "data" / "canterbury") for base in bases]
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, "alice29.txt")):
            return folder
    raise DatasetMissing(f"Canterbury corpus not found in {' or '.join(candidates)}: {CANTERBURY_HINT}")


def files(path: str, limit: int | None = None, name: str | None = None) -> Dataset:
    """Every regular file under a folder (sorted, hidden ones skipped), or one file: one item each."""
    if os.path.isdir(path):
        found = sorted(os.path.join(root, f) for root, dirs, names in os.walk(path)
                       for f in names if not f.startswith("."))
        found = [f for f in found if os.path.isfile(f)]
        base = path
    else:
        found, base = [path], os.path.dirname(path)
    found = found[:_limit(len(found), limit)]
    if not found:
        raise InputError(f"{path}: no files to benchmark")
    items = [np.fromfile(f, dtype=np.uint8) for f in found]
    return Dataset(name or os.path.basename(os.path.normpath(path)), "files", items, "char",
                   os.path.abspath(path), "no training split: learned codecs use only what they ship",
                   names=[os.path.relpath(f, base) for f in found])


def array_dataset(array: np.ndarray, name: str, source: str, limit: int | None = None,
                  train: np.ndarray | None = None) -> Dataset:
    """Records from an array whose first axis counts them: images if 2-D (or H x W x 3/4), else rows.

    >>> d = array_dataset(np.zeros((4, 8, 8), np.uint8), "zeros", "generated", limit=2)
    >>> d.kind, len(d.items), d.units
    ('image', 2, 128)
    """
    if array.ndim == 1 and array.size:      # a flat array (e.g. IDX labels) is one item of values
        return Dataset(name, "files", [array], "value", source, "one item; nothing learned from it",
                       names=[name])
    if array.ndim < 2 or array.shape[0] == 0 or array[0].size == 0:
        raise InputError(f"{source}: need a non-empty array of records (first axis = records)")
    item = array[0]
    image = item.ndim == 2 or (item.ndim == 3 and item.shape[2] in (3, 4))
    kind, unit = ("image", "pixel" if item.ndim == 2 else "value") if image else ("records", "value")
    records = array if image else array.reshape(len(array), -1)
    n = _limit(len(records), limit)
    split = f"coded: records 0..{n - 1} of {source}; "
    if train is not None:
        train = train if image else train.reshape(len(train), -1)
        if train.shape[1:] != records.shape[1:]:
            raise InputError(f"training records have shape {train.shape[1:]}, the data {records.shape[1:]}")
        split += f"learned codecs train on the {len(train)} records given with --train"
    else:
        split += "no training split (give --train PATH for learned codecs)"
    return Dataset(name, kind, list(records[:n]), unit, source, split, train=train)


def read_array(path: str) -> np.ndarray:
    """An IDX or .npy file as a uint8 array."""
    return load_array(path)


def load(spec: str, *, limit: int | None = None, data_dir: str | None = None,
         train_limit: int | None = None, train_path: str | None = None) -> Dataset:
    """One dataset by name (see :data:`NAMED`) or path."""
    if spec == "fashion-mnist":
        return fashion_mnist(data_dir, limit, train_limit)
    if spec == "fashion-mnist-sample":
        return quick_images(limit, train_limit)
    if spec == "sample-text":
        return sample_text()
    if spec == "canterbury":
        return files(canterbury_dir(data_dir), limit, name="canterbury")
    if not os.path.exists(spec):
        raise DatasetMissing(f"no dataset {spec!r}: give one of {', '.join(NAMED)}, quick, or an "
                             "existing file or folder")
    if os.path.isfile(spec) and (spec.endswith(".npy") or is_idx_name(spec)):
        train = None if train_path is None else read_array(train_path)
        if train is not None and train_limit is not None:
            train = train[:train_limit]
        name = os.path.basename(spec).removesuffix(".gz")
        return array_dataset(read_array(spec), name, os.path.abspath(spec), limit, train)
    return files(spec, limit)


def load_all(spec: str, **options) -> list[Dataset]:
    """The datasets a --dataset value names (``quick`` names two)."""
    return [load(name, **options) for name in GROUPS.get(spec, (spec,))]
