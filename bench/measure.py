"""Measure one codec on one dataset: sizes, rates, speed and memory, every output decoded and checked.

Two phases: items coded one by one, and the whole set coded as one file.  A
phase whose encoder or decoder raises, or whose decoded output differs from
the input in any item, is marked failed and its sizes are not counted.

>>> from pcz.bench.baselines import gzip9
>>> from pcz.bench.datasets import sample_text
>>> r = measure(gzip9(), sample_text())
>>> r["status"], r["per_item"]["ok"], r["whole"]["rate"] < 8
('ok', True, True)
"""
import time

import numpy as np

from pcz.bench.memory import PeakMemory

PHASES = ("per_item", "whole")


def _same(a, b) -> bool:
    b = np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b)


def _failed(message: str) -> dict:
    return {"ok": False, "error": message, "bytes": None, "rate": None, "theoretical_rate": None}


def _speeds(seconds: float, items: int, nbytes: int) -> dict:
    seconds = max(seconds, 1e-9)
    return {"items_per_s": items / seconds, "mb_per_s": nbytes / 1e6 / seconds}


def _describe(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}".splitlines()[0][:200]


def _name(dataset, i: int) -> str:
    return f"item {i}" + (f" ({dataset.names[i]})" if dataset.names else "")


def _per_item(codec, dataset) -> dict:
    items = dataset.items
    blobs = []
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        for i, item in enumerate(items):
            try:
                blobs.append(codec.encode(item))
            except Exception as e:
                return _failed(f"encode failed on {_name(dataset, i)}: {_describe(e)}")
        t1 = time.perf_counter()
        decoded = []
        for i, (blob, item) in enumerate(zip(blobs, items)):
            try:
                decoded.append(codec.decode(blob, item.shape))
            except Exception as e:
                return _failed(f"decode failed on {_name(dataset, i)}: {_describe(e)}")
        t2 = time.perf_counter()
    for i, (item, back) in enumerate(zip(items, decoded)):
        if not _same(item, back):
            return _failed(f"round trip failed on {_name(dataset, i)}")
    sizes = [len(b) for b in blobs]
    return {"ok": True, "error": None, "bytes": sum(sizes), "sizes": sizes,
            "encode_s": t1 - t0, "decode_s": t2 - t1, "peak_memory_bytes": mem.extra}


def _whole(codec, dataset) -> dict:
    items = dataset.items
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        try:
            blob = codec.encode_set(items)
        except Exception as e:
            return _failed(f"encode failed: {_describe(e)}")
        t1 = time.perf_counter()
        try:
            decoded = codec.decode_set(blob, [item.shape for item in items])
        except Exception as e:
            return _failed(f"decode failed: {_describe(e)}")
        t2 = time.perf_counter()
    if len(decoded) != len(items):
        return _failed(f"round trip failed: {len(decoded)} items decoded, {len(items)} coded")
    for i, (item, back) in enumerate(zip(items, decoded)):
        if not _same(item, back):
            return _failed(f"round trip failed on {_name(dataset, i)}")
    return {"ok": True, "error": None, "bytes": len(blob), "encode_s": t1 - t0, "decode_s": t2 - t1,
            "peak_memory_bytes": mem.extra}


def _finish(phase: dict, codec, dataset, whole: bool) -> dict:
    """Add rates, speeds and the theoretical rate to a successful phase."""
    if not phase["ok"]:
        return phase
    units, nbytes, n = dataset.units, sum(item.nbytes for item in dataset.items), len(dataset.items)
    phase["rate"] = 8 * phase["bytes"] / units
    bits = codec.theoretical_bits(dataset.items, whole)
    phase["theoretical_rate"] = None if bits is None else bits / units
    phase["encode"] = _speeds(phase.pop("encode_s"), n, nbytes)
    phase["decode"] = _speeds(phase.pop("decode_s"), n, nbytes)
    return phase


def measure(codec, dataset, tick=None) -> dict:
    """One result record (see schema.json) for codec on dataset; ``tick(1)`` is called after each step."""
    tick = tick or (lambda steps: None)
    result = {"codec": codec.name, "description": codec.description, "family": codec.family,
              "status": "ok", "error": None, "model": None}
    reason = codec.applies(dataset)
    if reason is not None:
        return {**result, "status": "skipped", "error": reason}
    try:
        with PeakMemory() as mem:
            codec.prepare(dataset)
    except Exception as e:
        return {**result, "status": "failed", "error": f"training failed: {_describe(e)}"}
    result["model"] = codec.model_info() or None
    if result["model"] is not None:
        result["model"]["train_peak_memory_bytes"] = mem.extra
    tick(1)
    result["per_item"] = _finish(_per_item(codec, dataset), codec, dataset, whole=False)
    tick(1)
    result["whole"] = _finish(_whole(codec, dataset), codec, dataset, whole=True)
    tick(1)
    failures = [f"{p}: {result[p]['error']}" for p in PHASES if not result[p]["ok"]]
    if failures:
        result["status"], result["error"] = "failed", "; ".join(failures)
    return result
