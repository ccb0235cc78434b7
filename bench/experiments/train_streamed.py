"""Training beyond memory: pcz train from a zarr store on Dask workers, peak memory and model.

    python -m pcz.bench.experiments.train_streamed --out bench/experiments/results/train_streamed

- Stores: Fashion-MNIST (train + test, 70k images), downsampled to 14x14 (2x2 means:
  196 values per record, so that a store larger than the processes' memory trains in
  minutes on two cores), tiled into ``--small`` and ``--large`` records, each copy
  shifted by up to 1 pixel (and mirrored every other copy), written as uncompressed
  zarr arrays (chunks of 4096 records): the store's size on disk is the records' size.
- Streamed: :func:`pcz.learn.train_streamed.train_streamed` with ``--workers`` Dask
  workers (LocalCluster), M = ``--latents``, ``--full-epochs`` full-batch EM epochs (no
  mini-batch epochs: the model is then the in-memory one byte for byte).
- In memory: the whole array loaded, :func:`pcz.learn.train.train` with the same options.

Every run is its own process, so each figure of peak resident memory (Linux VmHWM) is
that run's alone: the client's, and each Dask worker's (reported by its tasks).  The
E-step cost per record is the workers' CPU seconds (all their threads) over the records.

Writes OUT.json (every figure, after each run) and OUT.md.

>>> import numpy as np
>>> shifted(np.arange(16, dtype=np.uint8).reshape(1, 4, 4), 1, 0, False)[0, 0].tolist()
[12, 13, 14, 15]
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

FMNIST = "/usr/share/datasets/fashion-mnist"
BLOCK = 4096


def shifted(X: np.ndarray, dy: int, dx: int, mirror: bool) -> np.ndarray:
    out = np.roll(X, (dy, dx), axis=(1, 2))
    return out[:, :, ::-1] if mirror else out


def make_store(path: str, N: int, seed: int = 0) -> None:
    """N tiled, shifted Fashion-MNIST images as an uncompressed zarr array."""
    import zarr
    from pcz.engine.record_files import load_array
    base = np.concatenate([load_array(os.path.join(FMNIST, f"{name}-images-idx3-ubyte.gz"))
                           for name in ("train", "t10k")])
    base = base.reshape(-1, 14, 2, 14, 2).mean((2, 4)).round().astype(np.uint8)
    array = zarr.create_array(path, shape=(N, 14, 14), chunks=(BLOCK, 14, 14), dtype="u1", compressors=None)
    rng = np.random.default_rng(seed)
    for k, start in enumerate(range(0, N, len(base))):
        count = min(len(base), N - start)
        dy, dx = (0, 0) if k == 0 else rng.integers(-1, 2, 2)
        block = shifted(base[:count], int(dy), int(dx), k % 2 == 1)
        array[start:start + count] = block


def store_bytes(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, n)) for d, _, names in os.walk(path) for n in names)


def run_phase(args) -> dict:
    """One training run in this process; its figures."""
    from pcz.dataset.jobs import peak_rss
    t0 = time.perf_counter()
    import zarr
    N = zarr.open_array(args.store, mode="r").shape[0]
    # at most 40 000 validation records: below the streamed cap (MAX_VALID), so both runs hold out the same
    options = dict(epochs=0, full_epochs=args.full_epochs, batch=512, progress=False, patience=args.full_epochs,
                   validation=min(0.05, 40_000 / N))
    if args.phase == "streamed":
        from pcz.dataset.sources import open_source
        from pcz.learn.train_streamed import train_streamed
        model, log = train_streamed(open_source(args.store), args.latents, workers=args.workers, **options)
    else:
        from pcz.learn.train import train
        X = zarr.open_array(args.store, mode="r")[:]
        model, log = train(X, args.latents, **options)
    blob = model.to_bytes()
    full = [e for e in log["epochs"] if e["phase"] == "full-batch EM"]
    out = {"phase": args.phase, "store": args.store, "records": log["records"], "train": log["train"],
           "latents": args.latents, "seconds": time.perf_counter() - t0, "structure_s": log["structure_s"],
           "em_s": log["em_s"], "epoch_s": [e["seconds"] for e in full],
           "valid_bpd": [e["valid_bpd"] for e in full], "model_sha256": hashlib.sha256(blob).hexdigest(),
           "model_bytes": len(blob), "client_peak_rss": peak_rss(),
           "worker_peak_rss": sorted(log.get("peak_rss_per_worker", {}).values()),
           "e_step_cpu_s": log.get("e_step_cpu_s"), "workers": log.get("workers", 0),
           "scan_and_structure_s": log["structure_s"]}
    return out


def child(phase: str, store: str, args) -> dict:
    cmd = [sys.executable, "-m", "pcz.bench.experiments.train_streamed", "--phase", phase, "--store", store,
           "--latents", str(args.latents), "--full-epochs", str(args.full_epochs), "--workers", str(args.workers)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def mib(n: float) -> str:
    return f"{n / 2**20:.0f}"


def report(results: dict) -> str:
    lines = ["# Training beyond memory (bench/experiments/train_streamed.py)", "",
             f"`{results['command']}`", "",
             f"Machine: {results['cores']} cores shared with other jobs (load average at the start "
             f"{results['load_start']}, at the end {results.get('load_end', '?')}); seconds are wall "
             "time on a contended machine.", "",
             "| run | records | store MB | M | epochs | seconds (EM) | client peak MiB | worker peaks MiB | "
             "last epoch: wall µs/record, E-step CPU µs/record | valid bits/dim | model sha256 |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results["runs"]:
        cpu = (f"{1e6 * r['epoch_s'][-1] / r['train']:.1f}, "
               + (f"{1e6 * r['e_step_cpu_s'][-1] / r['train']:.1f}" if r.get("e_step_cpu_s") else "-"))
        lines.append(f"| {r['phase']} ({r['workers'] or 'in memory'}{' workers' if r['workers'] else ''}) | "
                     f"{r['records']} | {r['store_bytes'] / 1e6:.0f} | {r['latents']} | {len(r['epoch_s'])} | "
                     f"{r['seconds']:.0f} ({r['em_s']:.0f}) | {mib(r['client_peak_rss'])} | "
                     f"{', '.join(mib(p) for p in r['worker_peak_rss']) or '-'} | {cpu} | "
                     f"{r['valid_bpd'][-1]:.4f} | {r['model_sha256'][:16]} |")
    lines += ["", "Same model: " + "; ".join(
        f"{n} records: streamed {'==' if a == b else '!='} in memory" for n, a, b in results["same"])]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench/experiments/results/train_streamed")
    parser.add_argument("--small", type=int, default=70_000)
    parser.add_argument("--large", type=int, default=6_300_000)
    parser.add_argument("--latents", type=int, default=4)
    parser.add_argument("--full-epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-large", action="store_true", help="also train the large store in memory")
    parser.add_argument("--work", default=None, help="folder for the stores (default: a temporary one)")
    parser.add_argument("--phase", choices=["streamed", "memory"], help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        print(json.dumps(run_phase(args)))
        return 0
    work = args.work or tempfile.mkdtemp(prefix="pcz-train-streamed-")
    results = {"command": "python -m pcz.bench.experiments.train_streamed " + " ".join(argv or sys.argv[1:]),
               "cores": os.cpu_count(), "load_start": " ".join(f"{x:.1f}" for x in os.getloadavg()),
               "runs": [], "same": []}
    plan = [(args.small, ["streamed", "memory"]), (args.large, ["streamed"] + (["memory"] if args.memory_large else []))]
    for N, phases in plan:
        if N == 0:
            continue
        store = os.path.join(work, f"fmnist-{N}.zarr")
        if not os.path.exists(store):
            make_store(store, N)
        models = {}
        for phase in phases:
            r = child(phase, store, args) | {"store_bytes": store_bytes(store)}
            results["runs"].append(r)
            models[phase] = r["model_sha256"]
            print(json.dumps(r), file=sys.stderr, flush=True)
            results["load_end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
            if len(models) == 2:
                results["same"].append((N, models["streamed"], models["memory"]))
            with open(args.out + ".json", "w") as f:
                json.dump(results, f, indent=1)
            with open(args.out + ".md", "w") as f:         # after every run: a long one may be cut
                f.write(report(results))
    with open(args.out + ".json", "w") as f:
        json.dump(results, f, indent=1)
    with open(args.out + ".md", "w") as f:
        f.write(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
