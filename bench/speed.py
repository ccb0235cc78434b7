"""``pcz bench --speed``: size against speed for pcz's levels and the classic codecs, in one run.

Every codec codes every file alone (one process, one thread: MB/s per core from the
process's CPU time, the best of up to ``repeats`` runs: a codec is run again while its runs on that
file have taken under :data:`REPEAT_SECONDS`, so fast codecs on small files are timed several
times, as lzbench does, and the slow ones once) and each output is decoded and checked.  The report gives,
per file and over all files, bits per byte, compress and decompress MB/s, and each as a
ratio to ``xz -9e`` measured in the same run (size: below 1 is smaller; speed: above 1 is
faster), then whether the default level and the fastest meet their targets (:data:`TARGETS`:
at least 1 MB/s both ways and smaller than ``xz -9e`` on every file; 100 MB/s and smaller than
``zstd -1``), and a plot of size against speed (matplotlib when
installed, else a text plot).  Codecs whose library is missing are listed as skipped.

>>> rows = measure({"a.txt": b"the cat sat on the mat. " * 40}, codecs(levels=(1,), only=("xz-9e", "zstd-3")))
>>> sorted(r["codec"] for r in rows)
['pcz -1', 'xz-9e', 'zstd-3']
>>> print(markdown(rows, []).splitlines()[4])
| file | codec | bits/byte | size / xz-9e | compress MB/s | decompress MB/s | compress / xz-9e | decompress / xz-9e |
"""
import os
import time

import pcz
from pcz.bench import baselines

LEVELS = (1, 3, 6, 9)
BASELINES = ("zstd-1", "zstd-3", "zstd-19", "xz-6", "xz-9e", "bzip2-9", "brotli-11", "zpaq-m5")
REFERENCE = "xz-9e"
TEXTS = ("alice29.txt", "asyoulik.txt", "cp.html", "fields.c", "grammar.lsp", "lcet10.txt", "plrabn12.txt",
         "xargs.1")        # the Canterbury corpus's text files
TARGET_MBPS = 1.0          # the default level's target, both ways, per core
# (level, MB/s both ways per core over all files, the codec it must be smaller than on each file):
# issue 14's targets for the default level and the fastest
TARGETS = ((3, TARGET_MBPS, REFERENCE), (1, 100.0, "zstd-1"))
REPEATS = 5                # the most runs of one codec on one file, each way
REPEAT_SECONDS = 0.5       # ... while its runs so far took less than this (wall)


def codecs(levels=LEVELS, only=None) -> tuple[dict, list[str]]:
    """({name: (compress, decompress)}, [why a codec is skipped]): pcz at ``levels``, then the
    baselines whose libraries are installed (``only``: just these baselines)."""
    chosen = {f"pcz -{level}": (lambda b, level=level: pcz.compress(b, level=level), pcz.decompress)
              for level in levels}
    skipped = []
    for name in (only or BASELINES):
        try:
            codec = baselines.SPEED_FACTORIES[name]()
        except ImportError as e:
            skipped.append(f"{name}: {e}")
            continue
        chosen[name] = (codec._compress, codec._decompress)
    return chosen, skipped


def _best(func, arg, repeats: int, seconds: float = REPEAT_SECONDS) -> tuple[float, float, object]:
    """The least CPU seconds of this process and the least wall seconds of the calls: at least
    one, at most ``repeats``, and no more once they have taken ``seconds`` (wall) together.

    >>> calls = []
    >>> cpu, wall, out = _best(calls.append, 1, 3, seconds=60)
    >>> len(calls), out
    (3, None)
    >>> _ = _best(calls.append, 1, 3, seconds=0); len(calls)
    4
    """
    cpu = wall = float("inf")
    out = None
    spent = 0.0
    for _ in range(repeats):
        c, t = time.process_time(), time.perf_counter()
        out = func(arg)
        took = time.perf_counter() - t
        wall, cpu, spent = min(wall, took), min(cpu, time.process_time() - c), spent + took
        if spent >= seconds:
            break
    return cpu, wall, out


def measure(files: dict, chosen: tuple[dict, list], repeats: int = REPEATS, progress=None) -> list[dict]:
    """One row per (file, codec): bytes in and out and the best compress/decompress seconds
    (CPU seconds of this process, which one core's speed is measured by even when other
    processes share the machine; wall seconds beside them); AssertionError if a codec does
    not give the file back."""
    table, _ = chosen
    warm = b"warm up the kernels, all of them. " * 2000    # numba start-up is not coding speed
    for codec, (enc, dec) in table.items():
        if codec.startswith("pcz"):
            dec(enc(warm))
    rows = []
    for name, data in files.items():
        for codec, (enc, dec) in table.items():
            if progress:
                progress(f"{name}: {codec}")
            c_s, c_wall, blob = _best(enc, data, repeats)
            d_s, d_wall, back = _best(dec, blob, repeats)
            assert back == data, f"{codec} did not give {name} back"
            rows.append({"file": name, "codec": codec, "size": len(data), "coded": len(blob),
                         "compress_s": c_s, "decompress_s": d_s, "compress_wall_s": c_wall,
                         "decompress_wall_s": d_wall})
    return rows


def totals(rows: list[dict]) -> list[dict]:
    """One row per codec over all files: bytes summed, seconds summed.

    >>> r = dict(codec="c", size=10, coded=4, compress_s=1.0, decompress_s=0.5)
    >>> totals([dict(r, file="x"), dict(r, file="y")])[0]["coded"]
    8
    """
    out: dict[str, dict] = {}
    for r in rows:
        t = out.setdefault(r["codec"], {"file": "all", "codec": r["codec"], "size": 0, "coded": 0,
                                        "compress_s": 0.0, "decompress_s": 0.0})
        for key in ("size", "coded", "compress_s", "decompress_s"):
            t[key] += r[key]
    return list(out.values())


def _with_ratios(rows: list[dict]) -> list[dict]:
    ref = {r["file"]: r for r in rows if r["codec"] == REFERENCE}
    out = []
    for r in rows:
        r = dict(r, bpb=8 * r["coded"] / r["size"], c_mbps=r["size"] / 1e6 / max(r["compress_s"], 1e-9),
                 d_mbps=r["size"] / 1e6 / max(r["decompress_s"], 1e-9))
        x = ref.get(r["file"])
        if x is not None:
            r.update(size_ratio=r["coded"] / x["coded"], c_ratio=x["compress_s"] / max(r["compress_s"], 1e-9),
                     d_ratio=x["decompress_s"] / max(r["decompress_s"], 1e-9))
        out.append(r)
    return out


def _f(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if value < 100 else f"{value:.0f}"


def _table(rows: list[dict]) -> list[str]:
    lines = [f"| file | codec | bits/byte | size / {REFERENCE} | compress MB/s | decompress MB/s | "
             f"compress / {REFERENCE} | decompress / {REFERENCE} |", "|---|---|---|---|---|---|---|---|"]
    for r in _with_ratios(rows):
        lines.append(f"| {r['file']} | {r['codec']} | {_f(r['bpb'])} | {_f(r.get('size_ratio'))} | "
                     f"{_f(r['c_mbps'], 2)} | {_f(r['d_mbps'], 2)} | {_f(r.get('c_ratio'), 2)} | "
                     f"{_f(r.get('d_ratio'), 2)} |")
    return lines


def targets(rows: list[dict], level: int = 3, mbps: float = TARGET_MBPS, than: str = REFERENCE) -> list[str]:
    """Whether pcz at ``level`` meets its targets: at least ``mbps`` MB/s both ways over all
    files, and smaller than the codec ``than`` on each file.

    >>> rows = [dict(file="x", codec=c, size=10**6, coded=n, compress_s=0.5, decompress_s=0.5)
    ...         for c, n in (("pcz -3", 2), ("xz-9e", 3))]
    >>> print("\\n".join(targets(rows)))
    - pcz -3: 2.00 MB/s compress, 2.00 MB/s decompress over all files (target >= 1.0: met)
    - pcz -3 smaller than xz-9e on each file: yes
    """
    name = f"pcz -{level}"
    mine = {r["file"]: r for r in rows if r["codec"] == name}
    ref = {r["file"]: r for r in rows if r["codec"] == than}
    if not mine:
        return []
    total = _with_ratios(totals([r for r in rows if r["codec"] == name]))[0]
    lines = [f"- {name}: {total['c_mbps']:.2f} MB/s compress, {total['d_mbps']:.2f} MB/s decompress over all "
             f"files (target >= {mbps}: {'met' if min(total['c_mbps'], total['d_mbps']) >= mbps else 'NOT met'})"]
    if ref:
        larger = [f for f in mine if f in ref and mine[f]["coded"] >= ref[f]["coded"]]
        lines.append(f"- {name} smaller than {than} on each file: "
                     + ("yes" if not larger else "NO: " + ", ".join(larger)))
    return lines


def markdown(rows: list[dict], skipped: list[str], note: str | None = None) -> str:
    """The report: per-file and overall tables, the targets, the skipped codecs."""
    lines = ["# pcz bench --speed", "", "MB/s per core from this process's CPU seconds (the best of the runs); "
             "ratios to xz-9e measured in the same run: size below 1 is smaller, speed above 1 is faster.", ""]
    lines += _table(rows) + ["", "## All files", ""] + _table(totals(rows)) + [""]
    for target in TARGETS:
        lines += targets(rows, *target)
    if skipped:
        lines += ["", "Skipped (library missing): " + "; ".join(skipped)]
    if note:
        lines += ["", f"Note: {note}"]
    return "\n".join(lines) + "\n"


def text_plot(rows: list[dict], width: int = 64, height: int = 18) -> str:
    """Bits per byte (down: smaller) against compress MB/s (right: faster, log scale), one letter
    per codec over all files; for when matplotlib is not installed.

    >>> print(text_plot([dict(file="all", codec="a", size=10, coded=5, compress_s=1, decompress_s=1)]))  # doctest: +ELLIPSIS
    bits/byte ...
    """
    import math
    pts = [(r["codec"], math.log10(max(r["c_mbps"], 1e-6)), r["bpb"]) for r in _with_ratios(totals(rows))]
    xs, ys = [p[1] for p in pts], [p[2] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs) + 1e-9, min(ys), max(ys) + 1e-9
    grid = [[" "] * width for _ in range(height)]
    legend = []
    for i, (name, x, y) in enumerate(pts):
        mark = chr(ord("A") + i)
        col = round((x - x0) / (x1 - x0) * (width - 1)) if x1 - x0 > 1e-6 else 0
        row = round((y - y0) / (y1 - y0) * (height - 1)) if y1 - y0 > 1e-6 else 0
        grid[row][col] = mark
        legend.append(f"{mark} {name}: {y:.3f} bits/byte, {10 ** x:.2f} MB/s")
    lines = [f"bits/byte {y0:.2f} (top) .. {y1:.2f} (bottom); compress MB/s {10 ** x0:.2g} (left) .. "
             f"{10 ** x1:.2g} (right, log)"]
    lines += ["|" + "".join(r) for r in grid] + ["+" + "-" * width] + legend
    return "\n".join(lines)


def plot(rows: list[dict], path: str) -> str:
    """Write the size-against-speed plot (compress and decompress panels) to ``path`` (.png or
    .svg) with matplotlib, or the text plot to ``path`` with .txt when matplotlib is missing;
    returns the path written.

    >>> import tempfile
    >>> rows = [dict(file="x", codec=c, size=100, coded=n, compress_s=1e-3, decompress_s=1e-4)
    ...         for c, n in (("pcz -3", 20), ("xz-9e", 30))]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     os.path.exists(plot(rows, os.path.join(d, "speed.png")))
    True
    """
    try:
        import matplotlib
    except ImportError:
        path = os.path.splitext(path)[0] + ".txt"
        with open(path, "w") as f:
            f.write(text_plot(rows) + "\n")
        return path
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pcz.bench.plot import _label_offsets
    pts = _with_ratios(totals(rows))
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
    for ax, key, title in zip(axes, ("c_mbps", "d_mbps"), ("compress", "decompress")):
        offsets = _label_offsets([(r["codec"], r[key], r["bpb"]) for r in pts])
        for r, (dx, dy) in zip(pts, offsets):
            ax.scatter(r[key], r["bpb"], color="tab:red" if r["codec"].startswith("pcz") else "tab:blue", s=30)
            ax.annotate(r["codec"], (r[key], r["bpb"]), textcoords="offset points", xytext=(dx, dy), fontsize=8,
                        ha="left" if dx > 0 else "right", va="bottom" if dy > 0 else "top")
        ax.set_xscale("log")
        ax.set_xlabel(f"{title} MB/s per core (log scale)")
        ax.set_ylabel("bits per byte (all files)")
        ax.set_title(f"{title}: lower is smaller, right is faster")
        ax.grid(True, which="both", alpha=0.3)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def load_files(folder: str | None, quick: bool) -> dict:
    """{name: bytes}: the shipped sample text (``quick``), else the Canterbury text files.

    >>> list(load_files(None, quick=True))
    ['sample.txt']
    """
    from importlib import resources
    if quick:
        return {"sample.txt": (resources.files("pcz") / "data" / "sample.txt").read_bytes()}
    from pcz.bench.datasets import canterbury_dir
    folder = canterbury_dir(folder)
    return {name: open(os.path.join(folder, name), "rb").read() for name in TEXTS}
