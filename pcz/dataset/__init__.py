"""Data sets at scale: fixed-size records stored as a zarr array whose chunks pcz codes
(``pcz pack`` / ``pcz unpack``, :func:`pcz.pack`, :func:`pcz.unpack`,
:func:`pcz.open_dataset`, the ``pcz`` zarr and numcodecs codecs).  docs/SCALE.md
describes the store layout, the atomicity rule and how models are found.

The modules here need the ``dataset`` extra (zarr, numcodecs, dask, h5py);
:func:`require` imports such a dependency or says, in one line, how to install it.

>>> require("numpy").__name__
'numpy'
>>> require("no_such_module_xyz")
Traceback (most recent call last):
...
pcz.dataset.MissingExtra: this needs the dataset extra (missing module no_such_module_xyz): pip install 'pcz[dataset]'
"""
import importlib

from pcz.errors import PczError


class MissingExtra(PczError, ImportError):
    """An optional dependency of the dataset features is not installed."""


def require(name: str):
    """Import a module of the dataset extra, or raise :class:`MissingExtra`."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingExtra(f"this needs the dataset extra (missing module {name}): "
                           "pip install 'pcz[dataset]'") from None
