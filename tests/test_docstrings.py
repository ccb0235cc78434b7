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


@pytest.mark.parametrize("name", all_modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
