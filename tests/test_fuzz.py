"""Short coverage-guided fuzz runs (atheris) of every target in tests/fuzz/run.py.

A longer run is documented in that file's docstring.
"""
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("atheris")

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz", "run.py")
SECONDS = int(os.environ.get("PCZ_FUZZ_SECONDS", "3"))


@pytest.mark.parametrize("target", ["container", "methods", "roundtrip", "model", "stream", "folder"])
def test_fuzz_target_finds_no_crash(target, tmp_path):
    # through a shell that forks it: a process exec'd straight from pytest inherits pytest's peak
    # RSS (Linux keeps it across fork and exec), and libFuzzer's 2 GiB RSS limit would count it
    r = subprocess.run(["/bin/sh", "-c", '"$0" "$@"; exit $?', sys.executable, RUNNER, target,
                        f"-max_total_time={SECONDS}", f"-artifact_prefix={tmp_path}/", "-print_final_stats=1"],
                       capture_output=True, text=True, timeout=SECONDS * 20 + 60, cwd=tmp_path)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-3000:]
    runs = int(re.search(r"Done (\d+) runs", log).group(1))
    assert runs > 50, log[-2000:]
    print(f"{target}: {runs} executions")
