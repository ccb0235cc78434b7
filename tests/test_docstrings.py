"""Every public docstring example runs as a test."""
import doctest
import importlib
import pkgutil

import pytest

import pcz


def all_modules():
    names = []
    for package in ("pcz", "pcz.coders", "pcz.learn", "pcz.bench"):
        path = importlib.import_module(package).__path__
        names.append(package)
        names += [info.name for info in pkgutil.walk_packages(path, package + ".")
                  if not info.name.endswith("__main__")]
    return names


OPTIONAL = ("zarr", "numcodecs", "dask", "distributed", "h5py", "PIL")   # the dataset extra


@pytest.mark.parametrize("name", all_modules())
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as e:    # a module of an optional feature whose extra is not installed
        if getattr(e, "name", None) in OPTIONAL or "extra" in str(e):
            pytest.skip(f"{name}: {e}")
        raise
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
