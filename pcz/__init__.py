"""pcz: lossless compression with probabilistic circuits.

The public API; its modules load on first use, so importing ``pcz`` (or any of
its subpackages, such as the coders) stays light.

>>> import pcz
>>> pcz.decompress(pcz.compress(b"hello")) == b"hello"
True
"""
import importlib

from pcz.errors import ChecksumError, FormatError, InputError, LimitError, ModelError, PczError

__version__ = "0.1.0"
_API = {"compress": "pcz.api", "decompress": "pcz.api",
        "compress_stream": "pcz.streams", "decompress_stream": "pcz.streams",
        "open": "pcz.pczfile",
        "compressobj": "pcz.incremental", "decompressobj": "pcz.incremental",
        "Compressor": "pcz.incremental", "Decompressor": "pcz.incremental",
        "train": "pcz.arrays", "compress_array": "pcz.arrays", "decompress_array": "pcz.arrays",
        "pack": "pcz.dataset.pack", "unpack": "pcz.dataset.unpack", "open_dataset": "pcz.dataset.reader"}
_MODULES = {"zarr"}     # submodules reached as attributes (pcz.zarr.PczCodec); need the dataset extra
__all__ = [*_API, "PczError", "FormatError", "ChecksumError", "ModelError", "LimitError", "InputError"]


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f"pcz.{name}")
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pcz' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_API, *_MODULES])
