"""pcz pack / unpack / models on the command line (in this process: --scheduler synchronous;
the Dask runs are in tests/dataset/test_cluster.py)."""
import importlib.util
import re
import sys

import numpy as np
import pytest

from hclt_helpers import random_model, sample
from record_helpers import idx_bytes



def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


needs_extra = pytest.mark.skipif(not all(installed(m) for m in ("zarr", "numcodecs", "PIL")),
                                 reason="needs the dataset extra")

MODEL = random_model(11, [-1, 0, 0, 1, 2, 2], 3, 8, shape=(2, 3))


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setenv("PCZ_MODEL_STORE", str(tmp_path / "models"))
    X = sample(np.random.default_rng(2), MODEL, 100).reshape(100, 2, 3)
    (tmp_path / "m.pczm").write_bytes(MODEL.to_bytes())
    (tmp_path / "a.idx").write_bytes(idx_bytes(X))
    return tmp_path


def pack(run_cli, folder, *extra):
    return run_cli("pack", str(folder / "a.idx"), "-o", str(folder / "s.zarr"), "-m", str(folder / "m.pczm"),
                   "--scheduler", "synchronous", *extra)


@needs_extra
def test_pack_then_unpack(run_cli, files):
    r = pack(run_cli, files, "--chunk-records", "16")
    assert r.code == 0, r.err
    assert "100 records, 600 -> " in r.err and "bits/value" in r.err
    r = run_cli("unpack", str(files / "s.zarr"), "-o", str(files / "b.idx"), "--scheduler", "synchronous", "-q")
    assert r.code == 0 and r.err == ""
    assert (files / "b.idx").read_bytes() == (files / "a.idx").read_bytes()


@needs_extra
def test_errors_are_one_line(run_cli, files):
    assert pack(run_cli, files, "-q").code == 0
    for args, message in [
        (["pack", str(files / "a.idx"), "-o", str(files / "s.zarr"), "-m", str(files / "m.pczm")],
         "already exists (use -f to overwrite)"),
        (["pack", str(files / "nope"), "-o", str(files / "t.zarr"), "-m", str(files / "m.pczm")],
         "no such file or folder"),
        (["pack", str(files / "a.idx"), "-o", str(files / "t.zarr"), "-m", "cd" * 32], "not found"),
        (["unpack", str(files / "s.zarr"), "-o", str(files / "a.idx")], "already exists"),
        (["unpack", str(files), "-o", str(files / "x")], "not a pcz data set store"),
    ]:
        r = run_cli(*args, "--scheduler", "synchronous")
        assert r.code == 1, (args, r.err)
        assert r.err.startswith("pcz: ") and message in r.err and r.err.count("\n") == 1, r.err
    r = run_cli("pack", str(files / "a.idx"), "-o", str(files / "t.zarr"))
    assert r.code == 2 and "--model" in r.err


def test_without_the_dataset_extra_the_message_says_what_to_install(run_cli, files, monkeypatch):
    monkeypatch.setitem(sys.modules, "zarr", None)          # import zarr now fails
    r = pack(run_cli, files)
    assert r.code == 1
    assert re.fullmatch(r"pcz: this needs the dataset extra \(missing module (zarr|PIL.Image)\): "
                        r"pip install 'pcz\[dataset\]'\n", r.err), r.err


@needs_extra
def test_models_add_and_list(run_cli, files):
    r = run_cli("models", "add", str(files / "m.pczm"))
    assert r.code == 0
    hex_id = r.out.decode().split()[0]
    assert len(hex_id) == 64 and (files / "models" / f"{hex_id}.pczm").exists()
    r = run_cli("models", "list")
    assert r.code == 0 and hex_id in r.out.decode()
    (files / "junk").write_bytes(b"not a model")
    r = run_cli("models", "add", str(files / "junk"))
    assert r.code == 1 and "not a pcz model file" in r.err
