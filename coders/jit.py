"""numba for the coders, without loading scipy: the numba-using coders import it from here.

numba's first compilation or cache load imports ``numba.np.arraymath``, which imports
``scipy.linalg`` (if scipy is installed; numba's own import loads only ``scipy``) only to learn whether ``np.correlate`` and
``np.convolve`` may call BLAS: about 0.3 s of every process that codes with a numba kernel.
No coder uses those functions (the coding path never calls BLAS), so this module imports
``numba.np.arraymath`` once while ``scipy.linalg`` is hidden from this thread; numba then uses its own
loops for those two functions.  Nothing changes when ``scipy.linalg`` or that module is already loaded,
and ``scipy.linalg`` imports normally afterwards.

>>> import sys
>>> "numba.np.arraymath" in sys.modules and numba.njit is not None
True
"""
import sys
import threading

import numba


class _HideLinalg:
    """A meta path finder that makes ``import scipy.linalg`` fail in one thread."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, name, path=None, target=None):
        if threading.get_ident() == self.thread and (name + ".").startswith("scipy.linalg."):
            raise ImportError("scipy.linalg is not loaded for numba's BLAS check (pcz.coders.jit)")
        return None


def _load_array_maths() -> None:
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    finder = _HideLinalg()
    sys.meta_path.insert(0, finder)
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        sys.meta_path.remove(finder)


_load_array_maths()
