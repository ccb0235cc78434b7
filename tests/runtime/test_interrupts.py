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
