"""HCLT encode and decode rates of models on N images of an IDX file, in process CPU time (the
best of ``--repeat`` decodes), one thread, no JPEG-XL: the quick A/B of a coder change (run it
at both commits, alternating, on a quiet machine) or of models against each other.  The words
must decode to the images (checked).  Default images: the last 3 000 of the Fashion-MNIST train
split (not the test split: nothing is tuned here, but the test split is read once per model).

    python -m pcz.bench.experiments.hclt_decode_rate --model A=a.pczm --model B=b.pczm [--images 3000]

>>> last_images(_tiny_idx(5), 2).shape
(2, 2, 3)
"""
import argparse
import gzip
import struct
import time

import numpy as np

from pcz.bench.experiments.hclt_speed import parse_model_arg

TRAIN = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def last_images(raw: bytes, n: int) -> np.ndarray:
    """The last n images of an IDX3 file's bytes, (n, rows, cols) uint8."""
    count, rows, cols = struct.unpack(">III", raw[4:16])
    return np.frombuffer(raw, np.uint8, count * rows * cols, 16).reshape(count, rows, cols)[-n:]


def _tiny_idx(count: int) -> bytes:
    return struct.pack(">IIII", 0x803, count, 2, 3) + bytes(range(count * 6))


def rates(model_bytes: bytes, images: np.ndarray, repeat: int) -> dict:
    """Encode and decode images/s (process CPU time, after a first call that compiles) and bits per value."""
    from pcz.methods.hclt import decode_rans, encode_rans
    from pcz.models.hclt import HcltModel
    model = HcltModel.from_bytes(model_bytes)
    data = images.reshape(len(images), -1).tobytes()
    decode_rans(encode_rans(data[:model.D], model), model.D, model)          # compile, build the tables
    t = time.process_time()
    payload = encode_rans(data, model)
    encode = time.process_time() - t
    decode = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        out = decode_rans(payload, len(data), model)
        decode = min(decode, time.process_time() - t)
    if out != data:
        raise AssertionError("the words did not decode to the images")
    return {"encode_img_s": len(images) / encode, "decode_img_s": len(images) / decode,
            "bits_per_value": 8 * len(payload) / len(data), "mean_states": float(model.states.mean()),
            "max_states": model.M}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=parse_model_arg, action="append", required=True)
    ap.add_argument("--idx", default=TRAIN, help="an IDX3 file of images (gzip or not)")
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    with open(args.idx, "rb") as f:
        raw = f.read()
    images = last_images(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw, args.images)
    out = {}
    for name, path in args.model:
        with open(path, "rb") as f:
            out[name] = rates(f.read(), images, args.repeat)
        r = out[name]
        print(f"{name}: {r['mean_states']:.1f} states on average (at most {r['max_states']}), "
              f"{r['bits_per_value']:.4f} bits per value, encode {r['encode_img_s']:.0f} images/s, "
              f"decode {r['decode_img_s']:.0f} images/s (CPU time)", flush=True)
    return out


if __name__ == "__main__":
    main()
