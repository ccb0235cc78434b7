"""Fashion-MNIST benchmark of the HCLT engine: train, then code the 10k test split.

Trains on the 60k train split (minus a random validation split used for early
stopping; the test split is never used for any choice), then reports on the
test split: theoretical bits per dimension (mean -log2 p(x) / 784 under the
stored, quantised model), actual bits per dimension (compressed bytes of the
test IDX file / (N * 784); model excluded, container and IDX header included),
the model's size, training time and peak memory, encode and decode images/s
with 1 and 2 processes, one compact file per image (first 1000 test images: bits per
pixel, container and model id included), and JPEG-XL lossless per-image decode images/s.

    python -m pcz.bench.experiments.hclt_fmnist --latents 16 --epochs 10 --full-epochs 5 --out runs/
    python -m pcz.bench.experiments.hclt_fmnist --latents 32 --init runs/hclt_M16.pczm --epochs 0 \
        --full-epochs 8 --out runs/                                        # grow 16 -> 32
    python -m pcz.bench.experiments.hclt_fmnist --latents 64 --init runs/hclt_M32.pczm --epochs 3 --step 0.2 \
        --full-epochs 6 --smooth 1 1 --name hclt_M64_smooth --out runs/     # smoothed emissions
    python -m pcz.bench.experiments.hclt_fmnist --model runs/hclt_M16.pczm --out runs/   # evaluate only

>>> os.path.basename(TEST)
't10k-images-idx3-ubyte.gz'
"""
import argparse
import io
import json
import os
import resource
import sys
import time

import numpy as np

import pcz
from pcz import methods
from pcz.engine.record_files import load_array
from pcz.models.hclt import HcltModel, log2_likelihood
from pcz.streams import decompress_stream

FOLDER = "/usr/share/datasets/fashion-mnist"
TRAIN = os.path.join(FOLDER, "train-images-idx3-ubyte.gz")
TEST = os.path.join(FOLDER, "t10k-images-idx3-ubyte.gz")


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train_model(args) -> tuple[HcltModel, dict]:
    from pcz.learn.train import train
    images = load_array(TRAIN)
    init = None
    if args.init:
        with open(args.init, "rb") as f:
            init = HcltModel.from_bytes(f.read())
    t0 = time.perf_counter()
    model, log = train(images, args.latents, epochs=args.epochs, full_epochs=args.full_epochs,
                       validation=args.validation, batch=args.batch, alpha=args.pseudocount,
                       patience=args.patience,
                       step=args.step, step_end=args.step_end, mi_bits=args.mi_bits, init=init,
                       seed=args.seed, smooth=tuple(args.smooth), qbits=args.qbits,
                       relax=args.overrelax, checkpoint=args.checkpoint,
                       progress=not args.quiet)
    log["train_s"] = time.perf_counter() - t0
    log["train_peak_rss_mib"] = peak_rss_mib()
    return model, log


def timed(func, repeat: int = 1) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - t0)
    return best, result


def coding(model: HcltModel, raw_idx: bytes, n: int, threads: int, method: int) -> dict:
    """Compress and decompress the test IDX file; images/s end to end (best of two runs;
    with threads > 1 each run starts its worker processes)."""
    enc_s, blob = timed(lambda: _compress(raw_idx, model, threads, method), repeat=2)
    dec_s, back = timed(lambda: _decompress(blob, model, threads), repeat=2)
    assert back == raw_idx, "round trip failed"
    return {"threads": threads, "method": methods.get(method).name, "compressed_bytes": len(blob),
            "encode_img_s": n / enc_s, "decode_img_s": n / dec_s}


def _compress(raw: bytes, model, threads: int, method: int) -> bytes:
    out = io.BytesIO()
    pcz.compress_stream(io.BytesIO(raw), out, model=model, threads=threads, candidates=(method,))
    return out.getvalue()


def _decompress(blob: bytes, model, threads: int) -> bytes:
    out = io.BytesIO()
    decompress_stream(io.BytesIO(blob), out, model=model, threads=threads)
    return out.getvalue()


_WORKER: dict = {}


def _init_worker(model_bytes: bytes) -> None:
    from pcz.methods import hclt
    model = HcltModel.from_bytes(model_bytes)
    _WORKER.update(model=model, hclt=hclt)
    hclt.decode_rans(hclt.encode_rans(bytes(model.D), model), model.D, model)  # warm


def _code(item: tuple[str, bytes, int]) -> int:
    mode, data, size = item
    hclt, model = _WORKER["hclt"], _WORKER["model"]
    out = hclt.encode_rans(data, model) if mode == "encode" else hclt.decode_rans(data, size, model)
    return len(out)


def steady_throughput(model: HcltModel, images: np.ndarray, processes: int, parts: int = 8) -> dict:
    """images/s of hclt-rans with warm worker processes (no pool start-up, no container)."""
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing
    from pcz.methods import hclt
    batches = [b.tobytes() for b in np.array_split(images.reshape(len(images), -1), parts)]
    payloads = [hclt.encode_rans(b, model) for b in batches]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=ctx, initializer=_init_worker,
                             initargs=(model.to_bytes(),)) as pool:
        list(pool.map(_code, [("encode", batches[0][:model.D], 0)] * processes))   # all started
        enc_s, _ = timed(lambda: list(pool.map(_code, [("encode", b, 0) for b in batches])), repeat=2)
        dec_s, _ = timed(lambda: list(pool.map(_code, [("decode", p, len(b)) for p, b in
                                                          zip(payloads, batches)])), repeat=2)
    return {"processes": processes, "encode_img_s": len(images) / enc_s, "decode_img_s": len(images) / dec_s}


def cli_latency(model_path: str, images: np.ndarray) -> dict:
    """Seconds for `pcz decompress` of a 10-image IDX file: numba cache cold, then warm."""
    import subprocess
    import sys
    import tempfile
    folder = tempfile.mkdtemp()
    src = os.path.join(folder, "ten.idx")
    with open(src, "wb") as f:
        f.write(idx_file(images[:10]))
    env = dict(os.environ, NUMBA_CACHE_DIR=os.path.join(folder, "numba"))
    run = [sys.executable, "-m", "pcz"]
    subprocess.run(run + ["compress", "-q", "--model", model_path, src], check=True, env=env)
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        subprocess.run(run + ["decompress", "-f", "--model", model_path, "-o", src + ".out", src + ".pcz"],
                       check=True, env=env)
        times.append(time.perf_counter() - t0)
    return {"decompress_10_images_cold_s": times[0], "decompress_10_images_warm_s": times[1]}


def jpegxl(images: np.ndarray) -> dict:
    """JPEG-XL lossless, one image per call (imagecodecs), default effort, one thread."""
    import imagecodecs
    blobs = [imagecodecs.jpegxl_encode(im, lossless=True, numthreads=1) for im in images[:50]]
    enc_s, blobs = timed(lambda: [imagecodecs.jpegxl_encode(im, lossless=True, numthreads=1)
                                  for im in images])
    dec_s, back = timed(lambda: [imagecodecs.jpegxl_decode(b, numthreads=1) for b in blobs], repeat=2)
    assert all(np.array_equal(a, b) for a, b in zip(images, back))
    return {"bpd": 8 * sum(map(len, blobs)) / images.size, "encode_img_s": len(images) / enc_s,
            "decode_img_s": len(images) / dec_s}


def idx_file(images: np.ndarray) -> bytes:
    """The bytes of an IDX file holding these uint8 images."""
    return bytes([0, 0, 8, images.ndim]) + np.array(images.shape, ">u4").tobytes() + images.tobytes()


def evaluate(model: HcltModel, limit: int | None, threads: list[int]) -> dict:
    test = load_array(TEST)
    if limit:
        test = test[:limit]
    n, dims = len(test), test[0].size
    result = {"test_images": n, "model_bytes": len(model.to_bytes()), "M": model.M}
    result["theoretical_bpd"] = float(-log2_likelihood(model, test.reshape(n, -1)).mean() / dims)
    result["coding"] = [coding(model, idx_file(test), n, t, methods.HCLT_RANS) for t in threads]
    result["actual_bpd"] = 8 * result["coding"][0]["compressed_bytes"] / (n * dims)
    few = test[:1000]          # the constriction reference is slow: first 1000 images
    items = [pcz.compress_array(few[i:i + 1], model) for i in range(len(few))]   # one file per image
    assert all(np.array_equal(pcz.decompress_array(b, model), few[i:i + 1]) for i, b in enumerate(items))
    result["per_item"] = {"images": len(few), "bytes": sum(map(len, items)),
                          "bpd": 8 * sum(map(len, items)) / few.size}
    result["coding_1000"] = [coding(model, idx_file(few), len(few), 1, m)
                             for m in (methods.HCLT, methods.HCLT_RANS)]
    # speed, interleaved with JPEG-XL so that both see the same load; best of two rounds
    rounds = [([steady_throughput(model, test, p) for p in threads], jpegxl(test)) for _ in range(2)]
    result["steady"] = [max((r[0][i] for r in rounds), key=lambda e: e["decode_img_s"])
                        for i in range(len(threads))]
    result["jpegxl"] = max((r[1] for r in rounds), key=lambda e: e["decode_img_s"])
    return result


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latents", type=int, default=16)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--full-epochs", type=int, default=5)
    p.add_argument("--validation", type=float, default=0.05)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--pseudocount", type=float, default=1.0)
    p.add_argument("--overrelax", type=float, default=1.0, help="over-relaxed full-batch EM (gamma)")
    p.add_argument("--checkpoint", help="write the best model so far here every 5 epochs")
    p.add_argument("--qbits", type=int, default=20, help="bits per stored probability (16..24)")
    p.add_argument("--smooth", type=float, nargs=2, default=[0.0, 0.0], metavar=("SIGMA", "WEIGHT"),
                   help="emission count smoothing (as pcz train --smooth); atoms found automatically")
    p.add_argument("--patience", type=int, default=2)
    p.add_argument("--step", type=float, default=0.5)
    p.add_argument("--step-end", type=float, default=0.05)
    p.add_argument("--mi-bits", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init", help="start training from this (smaller) model: its tree, states copied")
    p.add_argument("--model", help="evaluate this model file instead of training one")
    p.add_argument("--limit", type=int, help="evaluate on the first N test images only")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--out", default="bench/experiments/results")
    p.add_argument("--name", help="result and model file name (default hclt_M<latents>)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if args.model:       # evaluate again; keep the training log of an earlier run if any
        with open(args.model, "rb") as f:
            model, log = HcltModel.from_bytes(f.read()), {}
        name = os.path.splitext(os.path.basename(args.model))[0]
        earlier = os.path.join(args.out, name + ".json")
        if os.path.exists(earlier):
            with open(earlier) as f:
                log = json.load(f).get("training", {})
    else:
        model, log = train_model(args)
        log["command"] = " ".join(["python -m pcz.bench.experiments.hclt_fmnist", *(argv or sys.argv[1:])])
        name = args.name or f"hclt_M{args.latents}"
        with open(os.path.join(args.out, name + ".pczm"), "wb") as f:
            f.write(model.to_bytes())
    result = {"training": log, **evaluate(model, args.limit, args.threads)}
    model_path = args.model or os.path.join(args.out, name + ".pczm")
    result["cli"] = cli_latency(model_path, load_array(TEST))
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "training"}, indent=1))
    return result


if __name__ == "__main__":
    main()
