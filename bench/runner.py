"""The benchmark runner: every selected codec on every dataset, with the machine and versions recorded.

>>> from pcz.bench.datasets import sample_text
>>> results = run([sample_text()], select(["gzip", "pcz"]), progress=False)
>>> [(r["codec"], r["status"]) for r in results["datasets"][0]["results"]]
[('gzip-9', 'ok'), ('pcz', 'ok')]
"""
import datetime
import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version

import pcz
from pcz.bench.baselines import FACTORIES
from pcz.bench.measure import measure
from pcz.bench.pcz_modes import MODES

SCHEMA = "pcz-bench/1"
STEPS = 3            # progress steps per codec: train, items one by one, whole set
LIBRARIES = ("numpy", "numba", "constriction", "pillow", "imagecodecs", "zstandard", "brotli",
             "pyppmd", "zpaq", "matplotlib")


def codec_names() -> list[str]:
    """Every codec the benchmark knows: classic codecs first, then pcz's modes."""
    return list(FACTORIES) + list(MODES)


def select(wanted: list[str] | None) -> list[str]:
    """Codec names from a user's list: a full name, or a prefix before '-' (``jxl``, ``xz``).

    >>> select(["jxl", "xz-9e"])
    ['jxl-e7', 'jxl-e9', 'xz-9e']
    >>> select(["nope"])
    Traceback (most recent call last):
    ...
    ValueError: unknown codec 'nope'; known: png, webp, ...
    """
    names = codec_names()
    if not wanted:
        return names
    chosen = []
    for w in wanted:
        matches = [n for n in names if n == w] or [n for n in names if n.split("-")[0] == w]
        if not matches:
            raise ValueError(f"unknown codec {w!r}; known: {', '.join(names)}")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def build(name: str):
    """(codec, None) or (None, the reason it is unavailable here)."""
    if name in MODES:
        mode = MODES[name]
        reason = mode.available()
        return (None, reason) if reason else (mode.build(), None)
    try:
        return FACTORIES[name](), None
    except ImportError as e:
        return None, f"not installed: {e}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def environment() -> dict:
    """The machine and the library versions a result was measured with."""
    versions = {"pcz": pcz.__version__, "python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            versions[lib] = version(lib)
        except PackageNotFoundError:
            versions[lib] = None
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {"machine": {"platform": platform.platform(), "cpu": _cpu_model(), "cores": os.cpu_count(),
                        "memory_bytes": _memory_bytes(), "load_average_at_start": load},
            "versions": versions}


def _progress(total: int, enabled: bool):
    if enabled:
        try:
            from tqdm import tqdm
            # disable=None: no bar when stderr is not a terminal (logs, CI)
            return tqdm(total=total, file=sys.stderr, unit="step", dynamic_ncols=True, leave=False,
                        disable=None)
        except ImportError:
            pass
    return None


def run_dataset(dataset, names: list[str], bar=None) -> dict:
    """Measure every named codec on one dataset; one entry of the results' ``datasets`` list."""
    results = []
    for name in names:
        start = bar.n if bar is not None else 0
        if bar is not None:
            bar.set_postfix_str(f"{dataset.name}: {name}")
        codec, reason = build(name)
        if codec is None:
            results.append({"codec": name, "description": "", "family": None, "status": "unavailable",
                            "error": reason, "model": None})
        else:
            results.append(measure(codec, dataset, tick=bar.update if bar is not None else None))
        if bar is not None:
            bar.update(start + STEPS - bar.n)   # a skipped or failed codec advances all its steps
    entry = {"name": dataset.name, "kind": dataset.kind, "unit": dataset.unit,
             "items": len(dataset.items), "units": dataset.units,
             "bytes": int(sum(item.nbytes for item in dataset.items)),
             "item_shape": list(dataset.items[0].shape) if dataset.kind != "files" else None,
             "source": dataset.source, "split": dataset.split, "names": dataset.names,
             "item_bytes": [int(item.nbytes) for item in dataset.items] if dataset.names else None,
             "results": results}
    return entry


def run(datasets: list, names: list[str], progress: bool = True, command: str | None = None,
        note: str | None = None) -> dict:
    """The full results document (schema ``pcz-bench/1``) for the datasets and codec names."""
    doc = {"schema": SCHEMA,
           "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "command": command, "note": note, "environment": environment(), "datasets": []}
    bar = _progress(STEPS * len(names) * len(datasets), progress)
    try:
        for dataset in datasets:
            doc["datasets"].append(run_dataset(dataset, names, bar))
    finally:
        if bar is not None:
            bar.close()
    return doc
