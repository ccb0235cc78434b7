"""Fashion-MNIST benchmark of the HCLT engine: train, then code the 10k test split.

Trains on the 60k train split (minus a random validation split used for early
stopping; the test split is never used for any choice), then reports on the
test split: theoretical bits per dimension (mean -log2 p(x) / 784 under the
stored, quantised model), actual bits per dimension (compressed bytes of the
test IDX file / (N * 784); model excluded, container and IDX header included),
the model's size, training time and peak memory, encode and decode images/s
with 1 and 2 processes, and JPEG-XL lossless per-image decode images/s.

    python -m pcz.bench.hclt_fmnist --latents 16 --epochs 10 --full-epochs 5 --out runs/
    python -m pcz.bench.hclt_fmnist --model runs/hclt_M16.pczm --out runs/   # evaluate only

>>> os.path.basename(TEST)
't10k-images-idx3-ubyte.gz'
"""
import argparse
import io
import json
import os
import resource
import time

import numpy as np

from pcz import methods
from pcz.arrays import compress_records
from pcz.hclt_method import log2_likelihood
from pcz.hclt_model import HcltModel
from pcz.records import load_array
from pcz.stream import decompress_stream

FOLDER = "/usr/share/datasets/fashion-mnist"
TRAIN = os.path.join(FOLDER, "train-images-idx3-ubyte.gz")
TEST = os.path.join(FOLDER, "t10k-images-idx3-ubyte.gz")


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train_model(args) -> tuple[HcltModel, dict]:
    from pcz.learn.train import train
    images = load_array(TRAIN)
    t0 = time.perf_counter()
    model, log = train(images, args.latents, epochs=args.epochs, full_epochs=args.full_epochs,
                       validation=args.validation, batch=args.batch, alpha=args.pseudocount,
                       step=args.step, step_end=args.step_end, mi_bits=args.mi_bits, seed=args.seed,
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
    """Compress and decompress the test IDX file; images/s end to end (pool start included)."""
    enc_s, blob = timed(lambda: _compress(raw_idx, model, threads, method))
    dec_s, back = timed(lambda: _decompress(blob, model, threads))
    assert back == raw_idx, "round trip failed"
    return {"threads": threads, "method": methods.get(method).name, "compressed_bytes": len(blob),
            "encode_img_s": n / enc_s, "decode_img_s": n / dec_s}


def _compress(raw: bytes, model, threads: int, method: int) -> bytes:
    out = io.BytesIO()
    compress_records(io.BytesIO(raw), out, model, threads=threads, candidates=(method,))
    return out.getvalue()


def _decompress(blob: bytes, model, threads: int) -> bytes:
    out = io.BytesIO()
    decompress_stream(io.BytesIO(blob), out, model=model, threads=threads)
    return out.getvalue()


def jpegxl(images: np.ndarray) -> dict:
    """JPEG-XL lossless, one image per call (imagecodecs), default effort."""
    import imagecodecs
    blobs = [imagecodecs.jpegxl_encode(im, lossless=True) for im in images[:50]]   # warm up
    enc_s, blobs = timed(lambda: [imagecodecs.jpegxl_encode(im, lossless=True) for im in images])
    dec_s, back = timed(lambda: [imagecodecs.jpegxl_decode(b) for b in blobs], repeat=2)
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
    result["coding_1000"] = [coding(model, idx_file(few), len(few), 1, m)
                             for m in (methods.HCLT, methods.HCLT_RANS)]
    result["jpegxl"] = jpegxl(test)
    return result


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latents", type=int, default=16)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--full-epochs", type=int, default=5)
    p.add_argument("--validation", type=float, default=0.05)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--pseudocount", type=float, default=1.0)
    p.add_argument("--step", type=float, default=0.5)
    p.add_argument("--step-end", type=float, default=0.05)
    p.add_argument("--mi-bits", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", help="evaluate this model file instead of training one")
    p.add_argument("--limit", type=int, help="evaluate on the first N test images only")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--out", default="bench/results")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if args.model:
        with open(args.model, "rb") as f:
            model, log = HcltModel.from_bytes(f.read()), {}
        name = os.path.splitext(os.path.basename(args.model))[0]
    else:
        model, log = train_model(args)
        name = f"hclt_M{args.latents}"
        with open(os.path.join(args.out, name + ".pczm"), "wb") as f:
            f.write(model.to_bytes())
    result = {"training": log, **evaluate(model, args.limit, args.threads)}
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "training"}, indent=1))
    return result


if __name__ == "__main__":
    main()
