"""numba for the coders, without loading scipy: the numba-using coders import it from here.

numba's first compilation or cache load imports ``numba.np.arraymath``, which imports
``scipy.linalg`` (if scipy is installed; numba's own import loads only ``scipy``) only to
learn whether ``np.correlate`` and ``np.convolve`` may call BLAS: about 0.3 s of every
process that codes with a numba kernel.  No coder uses those functions (the coding path
never calls BLAS), so while ``numba.np.arraymath`` is being imported, whenever that happens,
``scipy.linalg`` is hidden from the importing thread; numba then uses its own loops for
those two functions.  Nothing else changes: the module is imported when numba would import
it (a process that only imports a coder pays nothing more), the finder that hides
``scipy.linalg`` leaves ``sys.meta_path`` once it is done, and nothing is hidden when
``scipy.linalg`` was loaded first.

>>> numba.__name__, callable(numba.njit)
('numba', True)
"""
import importlib.abc
import importlib.machinery
import sys
import threading

import numba

_TARGET = "numba.np.arraymath"


class _HideLinalgWhileLoading(importlib.abc.MetaPathFinder):
    """Finds ``numba.np.arraymath`` as usual, but while its code runs, ``import scipy.linalg``
    fails in that thread; then leaves ``sys.meta_path``."""

    def __init__(self) -> None:
        self.loading = threading.local()

    def find_spec(self, name, path=None, target=None):
        if name == _TARGET:
            spec = importlib.machinery.PathFinder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader, self)
            return spec
        if getattr(self.loading, "active", False) and (name + ".").startswith("scipy.linalg."):
            raise ImportError("scipy.linalg is not loaded for numba's BLAS check (pcz.coders.jit)")
        return None

    def remove(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)


class _Loader(importlib.abc.Loader):
    """The module's own loader, with scipy.linalg hidden while it executes the module."""

    def __init__(self, real, finder: _HideLinalgWhileLoading) -> None:
        self.real, self.finder = real, finder

    def create_module(self, spec):
        return self.real.create_module(spec)

    def exec_module(self, module) -> None:
        self.finder.loading.active = True
        try:
            self.real.exec_module(module)
        finally:
            self.finder.loading.active = False
            self.finder.remove()

    def __getattr__(self, name):          # get_source, get_code, ...: the real loader's
        return getattr(self.real, name)


if _TARGET not in sys.modules and "scipy.linalg" not in sys.modules and not any(
        isinstance(f, _HideLinalgWhileLoading) for f in sys.meta_path):
    sys.meta_path.insert(0, _HideLinalgWhileLoading())
