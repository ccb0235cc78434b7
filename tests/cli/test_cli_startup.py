"""Start-up: what a ``pcz`` process imports (docs/ARCHITECTURE.md, "Start-up").

Help and the version load click and the command line's own small modules, nothing that
codes; a short file's compression and decompression load what coding it takes, and not
the record, folder, worker-process or benchmark code.  Read from ``python -X importtime``,
so these are behaviour tests: no timing is asserted.
"""
import subprocess
import sys

import pytest

from pcz.cli.app import cli

CODING = ("numpy", "numba", "constriction", "llvmlite", "scipy", "jax", "pcz.engine", "pcz.methods",
          "pcz.streams", "pcz.coders", "pcz.learn", "pcz.bench", "pcz.dataset", "pcz.models.hclt",
          "multiprocessing", "concurrent")
HELP = [["--help"], ["-h"], ["--version"], ["-V"]] + [[name, "--help"] for name in sorted(cli.commands)]


def imported(*args: str, cwd=None) -> list[str]:
    """The modules ``python -m pcz ARGS`` imports, in order (exit status 0 asserted)."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "pcz", *args], capture_output=True,
                         text=True, cwd=cwd, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return [line.rpartition("|")[2].strip() for line in run.stderr.splitlines()
            if line.startswith("import time:") and "|" in line][1:]        # the first line is the heading


def loaded(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    """Those of ``modules`` that are one of ``packages`` or inside one."""
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)]


@pytest.mark.parametrize("args", HELP, ids=" ".join)
def test_help_and_version_load_nothing_that_codes(args):
    modules = imported(*args)
    assert "click" in modules and "pcz.cli.app" in modules
    assert loaded(modules, CODING) == []


def test_every_command_is_checked():
    assert {"compress", "decompress", "test", "info", "train", "bench", "pack"} <= set(cli.commands)


def test_a_short_file_codes_without_record_folder_or_worker_code(tmp_path):
    (tmp_path / "small.txt").write_bytes(b"hello world, hello pcz!\n")
    unused = ("numba", "llvmlite", "scipy", "jax", "pcz.learn", "pcz.bench", "pcz.dataset", "pcz.models.hclt",
              "pcz.engine.records", "pcz.engine.record_files", "multiprocessing", "concurrent")
    modules = imported("compress", "-q", "small.txt", cwd=tmp_path)
    assert "pcz.streams" in modules and loaded(modules, unused + ("pcz.engine.folders",)) == []
    modules = imported("decompress", "-q", "-c", "small.txt.pcz", cwd=tmp_path)    # (is it a folder? asks folders)
    assert "pcz.streams" in modules and loaded(modules, unused) == []
