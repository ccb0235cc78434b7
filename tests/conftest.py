import os
import subprocess
import sys

import pytest

# `python -m pytest` puts the repository root on sys.path, where the folder pcz/
# would shadow the installed package (whose pcz.coders lives in coders/).
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _ROOT]

from pcz.cli import main  # noqa: E402

CANTERBURY = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "canterbury")


class CliResult:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def run_cli(capfdbinary):
    """Call the CLI in-process; returns code, stdout bytes, stderr text."""
    def run(*args):
        code = main(list(args))
        captured = capfdbinary.readouterr()
        return CliResult(code, captured.out, captured.err.decode())
    return run


def run_pcz(*args, input=None, cwd=None, env=None):
    """Run the CLI as a real subprocess."""
    return subprocess.run([sys.executable, "-m", "pcz", *args], input=input, cwd=cwd,
                          capture_output=True, env=env, timeout=300)
