import sys
import types

from pcz.runtime import interrupts


def _report(exc_type):
    return types.SimpleNamespace(exc_type=exc_type, exc_value=exc_type("boom"), exc_traceback=None,
                                 err_msg=None, object=None)


def test_finaliser_reports_are_quiet_only_after_an_interrupt():
    original, seen = sys.unraisablehook, []
    sys.unraisablehook = lambda u: seen.append(u.exc_type)     # stands for Python's printer
    restore = interrupts.install()
    try:
        sys.unraisablehook(_report(KeyboardInterrupt))      # never shown: the flag records it
        sys.unraisablehook(_report(AttributeError))         # a real bug, no interrupt: shown
        assert seen == [AttributeError]
        interrupts._flag.set()                              # as the signal handler does
        sys.unraisablehook(_report(AttributeError))         # fallout of the interrupt: quiet
        assert seen == [AttributeError]
        restore()
        sys.unraisablehook(_report(AttributeError))         # still quiet until the process exits
        assert seen == [AttributeError]
    finally:
        interrupts._flag.clear()
        sys.unraisablehook = original


_PRINTED_BY_C = """
import ctypes
from pcz.runtime import interrupts
restore = interrupts.install()
ctypes.pythonapi.PyRun_SimpleString(b"raise KeyboardInterrupt")   # caught and printed by PyErr_Print
ctypes.pythonapi.PyRun_SimpleString(b"raise ValueError('shown')")  # a real error: still printed
restore()
ctypes.pythonapi.PyRun_SimpleString(b"raise KeyboardInterrupt")   # hooks restored: printed again
"""


def test_interrupts_that_c_code_prints_are_quiet():
    # numpy's import_array prints an interrupted import with PyErr_Print (a CI failure: a
    # traceback above "pcz: interrupted"); PyRun_SimpleString prints the same way.
    import subprocess
    err = subprocess.run([sys.executable, "-c", _PRINTED_BY_C], capture_output=True, text=True).stderr
    assert err.count("Traceback") == 2 and "ValueError: shown" in err, err
    assert err.rstrip().endswith("KeyboardInterrupt"), err
