"""pack and unpack on a real Dask LocalCluster (two worker processes), including a worker
killed in the middle of a pack."""
import logging
import os
import signal

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("zarr")
Image = pytest.importorskip("PIL.Image")

import pcz  # noqa: E402
from helpers import MODEL, records  # noqa: E402
from pcz.cli import main  # noqa: E402
from record_helpers import idx_bytes  # noqa: E402

N = 400


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two worker processes, started with PCZ_MODEL_STORE pointing at a fresh folder."""
    saved = os.environ.get("PCZ_MODEL_STORE")
    os.environ["PCZ_MODEL_STORE"] = str(tmp_path_factory.mktemp("models"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:
        yield cluster, client
    if saved is None:
        os.environ.pop("PCZ_MODEL_STORE")
    else:
        os.environ["PCZ_MODEL_STORE"] = saved


def test_a_killed_worker_still_yields_a_correct_store(tmp_path, cluster):
    cluster, client = cluster
    X = records(N, seed=3)
    (tmp_path / "a.idx").write_bytes(idx_bytes(X))
    before = client.run(os.getpid)
    seen = {"done": 0, "killed": None}

    def kill_one_mid_run(n, total):
        seen["done"] += n
        if seen["killed"] is None:
            busy = [w for w, keys in client.processing().items() if keys] or list(before)
            seen["killed"] = (busy[0], seen["done"], total)
            os.kill(before[busy[0]], signal.SIGKILL)
    stats = pcz.pack(str(tmp_path / "a.idx"), str(tmp_path / "s.zarr"), MODEL, scheduler=client,
                     chunk_records=8, task_bytes=1, progress=kill_one_mid_run)
    worker, done_then, total = seen["killed"]
    assert done_then < total == N and stats["tasks"] == N // 8           # killed while work remained
    assert np.array_equal(pcz.open_dataset(str(tmp_path / "s.zarr"))[:], X)
    client.wait_for_workers(2, timeout=60)                                # the nanny restarted it
    assert before[worker] not in client.run(os.getpid).values()
    pcz.unpack(str(tmp_path / "s.zarr"), str(tmp_path / "b.idx"), scheduler=client)
    assert (tmp_path / "b.idx").read_bytes() == idx_bytes(X)


def test_image_folder_on_the_cluster(tmp_path, cluster):
    cluster, _ = cluster
    X = records(60, seed=4)
    (tmp_path / "imgs").mkdir()
    for i, x in enumerate(X):
        Image.fromarray(x, "L").save(tmp_path / "imgs" / f"{i:04d}.png")
    pcz.pack(str(tmp_path / "imgs"), str(tmp_path / "s.zarr"), MODEL, scheduler=cluster.scheduler_address,
             chunk_records=4)
    pcz.unpack(str(tmp_path / "s.zarr"), str(tmp_path / "out"), scheduler=cluster.scheduler_address)
    for i in range(60):
        name = f"{i:04d}.png"
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "imgs" / name).read_bytes()


def test_cli_with_its_own_local_cluster(tmp_path, cluster, capfd):
    X = records(N, seed=5)
    (tmp_path / "a.idx").write_bytes(idx_bytes(X))
    (tmp_path / "m.pczm").write_bytes(MODEL.to_bytes())
    assert main(["pack", str(tmp_path / "a.idx"), "-o", str(tmp_path / "s.zarr"), "-m", str(tmp_path / "m.pczm"),
                 "-T", "2", "--chunk-records", "50"]) == 0
    err = capfd.readouterr().err
    assert f"{N} records" in err and "on 2 worker(s)" in err and "MiB per worker" in err
    assert main(["unpack", str(tmp_path / "s.zarr"), "-o", str(tmp_path / "b.idx"), "-q",
                 "--scheduler", cluster[0].scheduler_address]) == 0
    assert (tmp_path / "b.idx").read_bytes() == idx_bytes(X)
