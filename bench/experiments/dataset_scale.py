"""Data sets at scale on Fashion-MNIST: sizes, pack/unpack speed on Dask, random access.

    python -m pcz.bench.experiments.dataset_scale --out bench/experiments/results/dataset_scale

- Sizes: the 10k **test** images (t10k, never trained on) packed with the shipped model
  ``bench/data/fmnist-hclt-M16.pczm`` (trained on train images 500..59999), against the
  same zarr array with zstd, blosc-zstd and lossless JPEG-XL (imagecodecs' numcodecs
  codecs), each with chunks of 1024 records and with one record per chunk (sharded where
  zarr v3 allows it; JPEG-XL goes through a zarr v2 array, one image per chunk).
- Speed: all 70k images (train + test, as one .npy) packed and unpacked with 1 and 2
  Dask workers (``pcz.pack``/``pcz.unpack`` on a LocalCluster); the 60k train images are
  the model's training data, so the 70k sizes are not a compression figure.
- Random access: one record from the packed t10k store, in a fresh process (cold) and
  again in the same process (warm).

Writes OUT.json (every figure) and OUT.md (tables).

>>> bits_per_pixel(98, 1, 784)
1.0
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

MODEL = os.path.join(os.path.dirname(__file__), "..", "data", "fmnist-hclt-M16.pczm")
FMNIST = "/usr/share/datasets/fashion-mnist"


def bits_per_pixel(nbytes: int, records: int, values: int) -> float:
    return 8 * nbytes / (records * values)


def chunk_bytes(path: str) -> int:
    """Bytes of chunk (or shard) files of a zarr array, metadata left out."""
    total = 0
    for dirpath, _, names in os.walk(path):
        total += sum(os.path.getsize(os.path.join(dirpath, n)) for n in names
                     if n not in ("zarr.json", ".zarray", ".zattrs", ".zgroup"))
    return total


def sizes(X: np.ndarray, work: str, model: bytes) -> list[dict]:
    import imagecodecs.numcodecs as imc
    import zarr
    from zarr.codecs import BloscCodec, ZstdCodec

    import pcz
    from pcz.zarr import PczCodec
    rows = []
    N, D = len(X), X[0].size

    def add(name, layout, nbytes, note=""):
        rows.append({"codec": name, "layout": layout, "bytes": nbytes,
                     "bpp": bits_per_pixel(nbytes, N, D), "note": note})
    whole = pcz.compress_array(X, model)
    add("pcz hclt-rans, one stream", "whole array (no random access)", len(whole), "pcz.compress_array")
    variants = [("pcz", dict(serializer=PczCodec(model=model), compressors=None)),
                ("zstd-19", dict(compressors=ZstdCodec(level=19))),
                ("blosc-zstd-9", dict(compressors=BloscCodec(cname="zstd", clevel=9, shuffle="shuffle"))),
                ("blosc-zstd-9 bitshuffle", dict(compressors=BloscCodec(cname="zstd", clevel=9, shuffle="bitshuffle")))]
    for name, codecs in variants:
        for layout, shape in (("chunks of 1024", dict(chunks=(1024, 28, 28))),
                              ("1 record per chunk, shards of 1024", dict(chunks=(1, 28, 28), shards=(1024, 28, 28)))):
            path = os.path.join(work, f"{name}-{len(rows)}.zarr")
            a = zarr.create_array(path, shape=X.shape, dtype="u1", **shape, **codecs)
            a[:] = X
            assert np.array_equal(a[:], X)
            add(name, layout, chunk_bytes(path))
    path = os.path.join(work, "jpegxl.zarr")
    a = zarr.create_array(path, shape=X.shape, chunks=(1, 28, 28), dtype="u1", zarr_format=2,
                          compressors=imc.Jpegxl(lossless=True, effort=7))
    a[:] = X
    assert np.array_equal(a[:], X)
    add("JPEG-XL lossless (effort 7)", "1 record per chunk (zarr v2)", chunk_bytes(path))
    return rows


def speed(all70k: str, work: str, model: bytes, repeats: int) -> list[dict]:
    """Pack and unpack with 1 and 2 workers, alternating, ``repeats`` times; the fastest of each."""
    import pcz
    best: dict = {}
    for _ in range(repeats):
        for workers in (1, 2):
            store = os.path.join(work, f"all-{workers}.zarr")
            packed = pcz.pack(all70k, store, model, workers=workers, force=True)
            out = os.path.join(work, f"all-{workers}.npy")
            unpacked = pcz.unpack(store, out, workers=workers, force=True)
            same = open(out, "rb").read() == open(all70k, "rb").read()
            os.unlink(out)
            for what, s in (("pack", packed), ("unpack", unpacked)):
                if (what, workers) not in best or s["seconds"] < best[what, workers][0]["seconds"]:
                    best[what, workers] = (s, same)
    rows = []
    for (what, workers), (s, same) in sorted(best.items(), key=lambda kv: (kv[0][0] == "unpack", kv[0][1])):
        rows.append({"op": what, "workers": workers, "records": s["records"], "seconds": s["seconds"],
                     "task_seconds": s["task_seconds"], "mb_per_s": s["mb_per_s"],
                     "task_mb_per_s": s["raw_bytes"] / 1e6 / s["task_seconds"], "tasks": s["tasks"],
                     "peak_rss_mib": max(s["peak_rss_per_worker"].values()) / 2**20,
                     "us_per_record_per_worker": 1e6 * s["task_seconds"] * workers / s["records"],
                     "cpu_us_per_record": 1e6 * s["cpu_seconds"] / s["records"],
                     "identical": same})
    return rows


COLD = """
import time, sys
t0 = time.perf_counter()
import pcz
ds = pcz.open_dataset(sys.argv[1])
t1 = time.perf_counter()
x = ds[int(sys.argv[2])]
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def random_access(store: str, N: int, work: str) -> dict:
    import zarr

    import pcz
    rng = np.random.default_rng(0)
    cold = []
    for i in rng.integers(0, N, 3):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", COLD, store, str(int(i))], capture_output=True, text=True,
                             check=True)
        wall = time.perf_counter() - start
        opened, first = map(float, out.stdout.split())
        cold.append({"process_wall_s": wall, "import_and_open_s": opened, "first_record_s": first})
    ds = pcz.open_dataset(store)
    ds[0]
    warm = []
    for i in rng.integers(0, N, 200):
        start = time.perf_counter()
        ds[int(i)]
        warm.append(time.perf_counter() - start)
    ref = {}
    for name in os.listdir(work):          # the zstd stores of sizes(), for comparison
        if name.startswith("zstd-19") and name.endswith(".zarr"):
            a = zarr.open_array(os.path.join(work, name), mode="r")
            a[0]
            times = []
            for i in rng.integers(0, N, 100):
                start = time.perf_counter()
                a[int(i)]
                times.append(time.perf_counter() - start)
            ref[f"zstd-19 {a.chunks[0]}-record chunks"] = statistics.median(times) * 1e3
    return {"cold": cold, "cold_median_process_s": statistics.median(c["process_wall_s"] for c in cold),
            "cold_median_first_record_ms": 1e3 * statistics.median(c["first_record_s"] for c in cold),
            "warm_median_ms": 1e3 * statistics.median(warm), "warm_p90_ms": 1e3 * float(np.percentile(warm, 90)),
            "warm_zstd_reference_ms": ref}


def markdown(res: dict) -> str:
    lines = [f"# Data sets at scale: Fashion-MNIST ({res['date']})", "",
             f"Command: `{res['command']}`", "",
             f"Machine: {res['cpus']} cores shared with other jobs (load average {res['load_before']} before, "
             f"{res['load_after']} after): sizes are exact, speeds the fastest of the runs, random access "
             "medians.", "",
             "## Size: the 10k test images (t10k), shipped model (trained on train 500..59999)", "",
             "| codec | layout | bytes | bits/pixel |", "|---|---|---|---|"]
    lines += [f"| {r['codec']} | {r['layout']} | {r['bytes']:,} | {r['bpp']:.4f} |" for r in res["sizes"]]
    lines += ["", f"The packed store ({res['store']['records_bytes']:,} bytes of chunks, "
              f"{res['store']['bits_per_value']:.4f} bits/pixel) also holds the model "
              f"({res['store']['model_bytes']:,} bytes) unless packed with --no-embed-model.", "",
              "## Speed: all 70k images (train + test) as one .npy, LocalCluster", "",
              f"Fastest of {res['repeats']} alternating runs. wall: the whole call (cluster start-up included); "
              "tasks: from the first task submitted to the last result; CPU: worker CPU time in the tasks.", "",
              "| op | workers | records | wall s | task s | MB/s (wall) | MB/s (tasks) | µs/record/worker (tasks) | "
              "CPU µs/record | peak RSS/worker MiB | identical |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['op']} | {r['workers']} | {r['records']} | {r['seconds']:.1f} | {r['task_seconds']:.1f} | "
              f"{r['mb_per_s']:.2f} | {r['task_mb_per_s']:.2f} | {r['us_per_record_per_worker']:.0f} | "
              f"{r['cpu_us_per_record']:.0f} | {r['peak_rss_mib']:.0f} | {r['identical']} |" for r in res["speed"]]
    for op in ("pack", "unpack"):
        one, two = [r for r in res["speed"] if r["op"] == op]
        lines.append(f"\n{op}: speed-up with 2 workers {one['seconds'] / two['seconds']:.2f}x (wall), "
                     f"{one['task_seconds'] / two['task_seconds']:.2f}x (tasks)")
    ra = res["random_access"]
    lines += ["", "## Random access: one record of the packed t10k store (chunks of 1024 records)", "",
              f"- cold, fresh process: {ra['cold_median_process_s']:.2f} s for the whole process "
              f"(interpreter, imports, open, decode); the record itself {ra['cold_median_first_record_ms']:.0f} ms "
              "(first use of the model and the numba kernels in the process)",
              f"- warm: median {ra['warm_median_ms']:.2f} ms, p90 {ra['warm_p90_ms']:.2f} ms per record"]
    lines += [f"- for comparison, {k}: median {v:.2f} ms per record" for k, v in ra["warm_zstd_reference_ms"].items()]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="Results path without extension.")
    parser.add_argument("--no-speed", action="store_true", help="Skip the 70k speed runs.")
    parser.add_argument("--repeats", type=int, default=2, help="Speed runs per setting (the fastest is kept).")
    args = parser.parse_args(argv)
    from pcz.engine.record_files import load_array
    import pcz
    model = open(MODEL, "rb").read()
    work = tempfile.mkdtemp(prefix="pcz-dataset-scale-")
    os.environ.setdefault("PCZ_MODEL_STORE", os.path.join(work, "models"))
    res = {"date": time.strftime("%Y-%m-%d"), "command": "python -m pcz.bench.experiments.dataset_scale "
           + " ".join(argv if argv is not None else sys.argv[1:]), "cpus": os.cpu_count(),
           "load_before": [round(x, 1) for x in os.getloadavg()]}
    try:
        test = load_array(os.path.join(FMNIST, "t10k-images-idx3-ubyte.gz"))
        idx = os.path.join(work, "t10k.idx")
        with open(idx, "wb") as f:
            f.write(bytes([0, 0, 8, 3]) + np.array(test.shape, dtype=">u4").tobytes() + test.tobytes())
        res["sizes"] = sizes(test, work, model)
        store = os.path.join(work, "t10k.zarr")
        packed = pcz.pack(idx, store, model, workers=2)
        res["store"] = {k: packed[k] for k in ("records_bytes", "store_bytes", "bits_per_value")}
        res["store"]["model_bytes"] = len(model)
        res["random_access"] = random_access(store, len(test), work)
        if not args.no_speed:
            train = load_array(os.path.join(FMNIST, "train-images-idx3-ubyte.gz"))
            all70k = os.path.join(work, "all70k.npy")
            np.save(all70k, np.concatenate([train, test]))
            res["speed"] = speed(all70k, work, model, args.repeats)
            res["repeats"] = args.repeats
        res["load_after"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(args.out + ".json", "w") as f:
        json.dump(res, f, indent=1)
    if "speed" in res:
        with open(args.out + ".md", "w") as f:
            f.write(markdown(res))
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
