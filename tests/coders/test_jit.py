"""numba is loaded for the coders without scipy.linalg, which still imports normally afterwards."""
import importlib.util
import subprocess
import sys

import pytest


@pytest.mark.skipif(importlib.util.find_spec("scipy") is None, reason="scipy is not installed")
def test_a_kernel_runs_without_loading_scipy_linalg():
    code = ("import sys, numpy as np; from pcz.coders import rans_order0 as r; "
            "s = np.frombuffer(b'abracadabra' * 9, dtype=np.uint8); f = r.normalise(np.bincount(s, minlength=256)); "
            "assert bytes(r.decode(r.encode(s, f), f, len(s))) == s.tobytes(); "
            "print('scipy.linalg' in sys.modules); import scipy.linalg; print(scipy.linalg.norm([3.0, 4.0]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "5.0"]


def test_numba_sees_blas_when_scipy_linalg_was_loaded_first():
    pytest.importorskip("scipy.linalg")
    code = ("import sys, scipy.linalg, pcz.coders.jit, numba.np.arraymath as m; print(m._HAVE_BLAS); "
            "print(any(type(f).__name__ == '_HideLinalg' for f in sys.meta_path))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]
