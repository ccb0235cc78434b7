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


def plot(entry: dict, path: str) -> bool:
    """Write a PNG with one panel per phase; False (nothing written) if no codec succeeded."""
    panels = [(title, _points(entry, phase)) for phase, title in PANELS]
    if not any(points for _, points in panels):
        return False
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
    for ax, (title, points) in zip(axes, panels):
        for i, (name, speed, rate) in enumerate(sorted(points, key=lambda p: p[2])):
            colour = "tab:red" if name.startswith("pcz") else "tab:blue"
            ax.scatter(speed, rate, color=colour, s=30)
            # alternate label sides so neighbours in rate do not print over each other
            ax.annotate(name, (speed, rate), textcoords="offset points", fontsize=8,
                        xytext=(5, 3) if i % 2 == 0 else (-5, -10), ha="left" if i % 2 == 0 else "right")
        ax.set_xscale("log")
        ax.set_xlabel("decode speed (MB/s of original data, log scale)")
        ax.set_ylabel(f"bits per {entry['unit']}")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(f"{entry['name']}: {entry['items']:,} items (lower is smaller, right is faster)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
