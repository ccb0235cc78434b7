"""Rate against decode speed, one point per codec (matplotlib, Agg backend).

>>> from pcz.bench.datasets import sample_text
>>> from pcz.bench.runner import run
>>> import tempfile, os
>>> entry = run([sample_text()], ["gzip-9", "xz-9e"], progress=False)["datasets"][0]
>>> with tempfile.TemporaryDirectory() as d:
...     plot(entry, os.path.join(d, "x.png")) and os.path.getsize(os.path.join(d, "x.png")) > 0
True
"""
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PANELS = (("per_item", "coded one by one"), ("whole", "whole set as one file"))


def _points(entry: dict, phase: str) -> list[tuple[str, float, float]]:
    points = []
    for r in entry["results"]:
        p = r.get(phase) or {}
        if p.get("ok"):            # a phase that round-tripped counts even if the other phase failed
            points.append((r["codec"], p["decode"]["mb_per_s"], p["rate"]))
    return points


def _label_offsets(points: list) -> list[tuple[int, int]]:
    """For each point, the label offset (points) of four around it that lies farthest from other
    points and from labels already placed, in axis-normalised coordinates (log speed, rate)."""
    if not points:
        return []
    xy = np.array([(np.log10(speed), rate) for _, speed, rate in points])
    span = np.maximum(xy.max(axis=0) - xy.min(axis=0), 1e-9)
    xy = (xy - xy.min(axis=0)) / span
    choices = [((5, 3), (0.05, 0.02)), ((-5, 3), (-0.05, 0.02)), ((5, -3), (0.05, -0.02)),
               ((-5, -3), (-0.05, -0.02))]
    placed, offsets = [], []
    for i, p in enumerate(xy):
        others = [q for j, q in enumerate(xy) if j != i] + placed
        inside = [c for c in choices if (c[1][0] > 0 or p[0] > 0.2) and (c[1][0] < 0 or p[0] < 0.8)]
        best = max(inside, key=lambda c: min((np.hypot(*(p + c[1] - q)) for q in others), default=1.0))
        offsets.append(best[0])
        placed.append(p + best[1])
    return offsets


def plot(entry: dict, path: str) -> bool:
    """Write a PNG with one panel per phase; False (nothing written) if no codec succeeded."""
    panels = [(title, _points(entry, phase)) for phase, title in PANELS]
    if not any(points for _, points in panels):
        return False
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
    for ax, (title, points) in zip(axes, panels):
        for (name, speed, rate), (dx, dy) in zip(points, _label_offsets(points)):
            ax.scatter(speed, rate, color="tab:red" if name.startswith("pcz") else "tab:blue", s=30)
            ax.annotate(name, (speed, rate), textcoords="offset points", fontsize=8, xytext=(dx, dy),
                        ha="left" if dx > 0 else "right", va="bottom" if dy > 0 else "top")
        ax.set_xscale("log")
        ax.set_xlabel("decode speed (MB/s of original data, log scale)")
        ax.set_ylabel(f"bits per {entry['unit']}")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(f"{entry['name']}: {entry['items']:,} items (lower is smaller, right is faster)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
