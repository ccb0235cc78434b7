"""pcz train from a store on a real Dask LocalCluster: the same model in memory, on one
worker and on two worker processes; bad store paths give one line."""
import logging
import os

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")

from pcz.dataset.sources import open_source  # noqa: E402
from pcz.learn.streamed import ArraySource  # noqa: E402
from pcz.learn.train_streamed import train_streamed  # noqa: E402

N = 9000          # three partitions of 4096 training records (batches of 128)


def records(n=N, seed=1):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 8, n)
    cols = [a, (a + rng.integers(0, 2, n)) % 8, a // 2, rng.integers(0, 5, n), a % 3, (a * 3) % 8]
    return np.stack(cols, 1).astype(np.uint8)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("train")
    X = records()
    array = zarr.create_array(str(folder / "x.zarr"), shape=X.shape, chunks=(1000, 6), dtype="u1")
    array[:] = X
    np.save(folder / "x.npy", X)
    return folder, X


def cluster(workers):
    return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                    dashboard_address=":0", silence_logs=logging.ERROR)


def test_in_memory_one_worker_and_two_workers_give_the_same_model(store):
    folder, X = store
    options = dict(epochs=1, full_epochs=2, batch=128, mi_samples=2000, progress=False, validation=0.05)
    reference, _ = train_streamed(ArraySource(X), 3, scheduler="synchronous", **options)
    source = open_source(str(folder / "x.zarr"))
    for workers in (1, 2):
        with cluster(workers) as c, distributed.Client(c) as client:
            model, log = train_streamed(source, 3, scheduler=client, **options)
            assert log["workers"] == workers and log["partitions"] == 3 and log["tasks"] >= 3
            assert len(log["peak_rss_per_worker"]) >= 1
            assert set(log["peak_rss_per_worker"]) <= set(client.run(os.getpid).values())
        assert model.to_bytes() == reference.to_bytes(), f"{workers} worker(s)"


def test_the_cli_trains_a_store_on_workers_as_it_trains_the_file_in_memory(store, run_cli):
    folder, _ = store
    common = ["-M", "3", "--epochs", "0", "--full-epochs", "2", "--batch", "128", "--mi-samples", "2000", "-q"]
    assert run_cli("train", str(folder / "x.npy"), "-o", str(folder / "a.pczm"), *common).code == 0
    assert run_cli("train", str(folder / "x.zarr"), "-o", str(folder / "b.pczm"), "-T", "2", *common).code == 0
    assert (folder / "a.pczm").read_bytes() == (folder / "b.pczm").read_bytes()


@pytest.mark.parametrize("name, message", [
    ("nothere.zarr", "no such file or folder"),
    ("x.h5:/nope", "no dataset /nope"),
    ("notzarr", "not a zarr array"),
    ("wide.zarr", "records must be uint8"),
    ("images", "a folder of images trains in memory"),
    ("x.npy.gz", "a gzipped record file trains in memory"),
])
def test_bad_store_paths_give_one_line(tmp_path, run_cli, name, message):
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f["x"] = np.zeros((4, 2), np.uint8)
    (tmp_path / "notzarr").mkdir()
    (tmp_path / "notzarr" / "zarr.json").write_text("{}")
    zarr.create_array(str(tmp_path / "wide.zarr"), shape=(4, 2), dtype="u2")
    (tmp_path / "images").mkdir()
    (tmp_path / "x.npy.gz").write_bytes(b"\x1f\x8b\x08\x00")
    result = run_cli("train", str(tmp_path / name), "-o", str(tmp_path / "m.pczm"), "-M", "2", "-T", "1")
    assert result.code == 1 and message in result.err and len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "m.pczm").exists()
