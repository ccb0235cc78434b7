"""Fashion-MNIST test bits per pixel of one model file, quickly: the whole t10k IDX file
compressed with ``pcz.compress`` (actual, container and header included) and the model's
ideal code length (theoretical); the round trip is checked.  (``hclt_fmnist --model`` does
this and more: the reference coder, per-image files, speed against JPEG-XL.)

    python -m pcz.bench.experiments.hclt_test_bpd MODEL.pczm --out RESULT.json [--log TRAIN.log]

``--log``: the ``pcz train`` output of the run, whose ``auto:`` lines and summary are kept.
"""
import argparse
import gzip
import json
import time

import numpy as np

TEST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def measure(model_path: str) -> dict:
    import pcz
    from pcz.models.hclt import HcltModel
    raw = gzip.open(TEST).read()
    X = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 784)
    with open(model_path, "rb") as f:
        blob_model = f.read()
    model = HcltModel.from_bytes(blob_model)
    t = time.perf_counter()
    blob = pcz.compress(raw, model=blob_model)
    compress_s = time.perf_counter() - t
    t = time.perf_counter()
    limit = 1 << 30       # models wider than M = 86 need more than the default 512 MiB to decode
    assert pcz.decompress(blob, model=blob_model, memory_limit=limit) == raw, "round trip failed"
    decompress_s = time.perf_counter() - t
    return {"model_bytes": len(blob_model), "M": model.M, "validation": model.validation,
            "test_images": len(X), "theoretical_bpd": float(model.nll_bits(X).sum()) / X.size,
            "actual_bpd": 8 * len(blob) / X.size, "compressed_bytes": len(blob),
            "compress_s": compress_s, "decompress_s": decompress_s}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("--out", required=True)
    p.add_argument("--log", help="the training run's output (its auto: lines and summary are kept)")
    args = p.parse_args(argv)
    result = measure(args.model)
    if args.log:
        with open(args.log, errors="replace") as f:
            lines = f.read().replace("\r", "\n").splitlines()
        result["training"] = [line for line in lines if line.startswith("auto:") or ".pczm: HCLT" in line
                              or "Elapsed (wall clock)" in line or "Maximum resident" in line]
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
