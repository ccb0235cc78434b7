"""Results as markdown tables, and the files a run writes (results.json, results.md, one plot per dataset).

>>> from pcz.bench.datasets import sample_text
>>> from pcz.bench.runner import run
>>> text = markdown(run([sample_text()], ["gzip-9"], progress=False))
>>> "| gzip-9 |" in text and "bits/char" in text
True
"""
import json
import os
import re

MIB = 1 << 20
UNIT_PLURAL = {"pixel": "pixels", "value": "values", "char": "characters"}


def _num(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}f}" if abs(value) < 1000 else f"{value:,.0f}"


def _phase(result: dict, phase: str) -> dict:
    return result.get(phase) or {}


def _speed(result: dict, phase: str, direction: str, key: str):
    return (_phase(result, phase).get(direction) or {}).get(key)


def _peak_mib(result: dict):
    peaks = [_phase(result, p).get("peak_memory_bytes") for p in ("per_item", "whole")]
    peaks = [p for p in peaks if p is not None]
    return max(peaks) / MIB if peaks else None


def _theory(result: dict) -> str:
    values = [_phase(result, p).get("theoretical_rate") for p in ("per_item", "whole")]
    return "–" if values == [None, None] else " / ".join(_num(v) for v in values)


def _status(result: dict) -> str:
    return {"ok": "ok", "failed": "**failed**"}.get(result["status"], result["status"])


def rate_table(entry: dict) -> list[str]:
    """The main table of one dataset: rates, speeds, memory, model, status."""
    unit = entry["unit"]
    lines = [f"| codec | bits/{unit}, one by one | bits/{unit}, whole set | encode items/s | "
             f"decode items/s | encode MB/s, whole | decode MB/s, whole | peak MiB | model bytes | "
             f"theoretical bits/{unit} (one by one / whole) | status |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in entry["results"]:
        if r["status"] in ("skipped", "unavailable"):
            continue
        model = (r.get("model") or {}).get("model_bytes")
        lines.append("| " + " | ".join([
            r["codec"], _num(_phase(r, "per_item").get("rate")), _num(_phase(r, "whole").get("rate")),
            _num(_speed(r, "per_item", "encode", "items_per_s"), 0),
            _num(_speed(r, "per_item", "decode", "items_per_s"), 0),
            _num(_speed(r, "whole", "encode", "mb_per_s"), 2), _num(_speed(r, "whole", "decode", "mb_per_s"), 2),
            _num(_peak_mib(r), 1), _num(model), _theory(r), _status(r)]) + " |")
    return lines


def size_table(entry: dict) -> list[str]:
    """Compressed bytes of each file for each codec (datasets of named files)."""
    ok = [r for r in entry["results"] if _phase(r, "per_item").get("sizes")]
    if not entry.get("names") or not ok:
        return []
    lines = ["| file | bytes | " + " | ".join(r["codec"] for r in ok) + " |",
             "|---|---:|" + "---:|" * len(ok)]
    for i, name in enumerate(entry["names"]):
        lines.append(f"| {name} | {_num(entry['item_bytes'][i])} | "
                     + " | ".join(_num(r["per_item"]["sizes"][i]) for r in ok) + " |")
    lines.append(f"| total | {_num(entry['bytes'])} | "
                 + " | ".join(_num(r["per_item"]["bytes"]) for r in ok) + " |")
    return lines


def _learned(codec: str, model: dict) -> str:
    if model.get("shipped"):
        return (f"- {codec}: the model shipped with pcz (see the split above); "
                f"model {model['model_bytes']:,} bytes, not counted in the rates")
    peak = model.get("train_peak_memory_bytes")
    return (f"- {codec}: trained on {model['train_items']:,} records in {model['train_s']:.1f} s"
            + ("" if peak is None else f" (peak {peak / MIB:.0f} MiB)")
            + f"; model {model['model_bytes']:,} bytes, not counted in the rates")


def dataset_section(entry: dict) -> list[str]:
    plural = UNIT_PLURAL.get(entry["unit"], entry["unit"] + "s")
    items = f"{entry['items']:,} item" + ("s" if entry["items"] != 1 else "")
    lines = [f"## {entry['name']}: {items}, {entry['units']:,} {plural}", "",
             f"- source: {entry['source']}", f"- split: {entry['split']}",
             "- one by one: each item is a separate file; whole set: all items as one file "
             "(bytes concatenated; images as one mosaic ceil(sqrt(n)) images wide)", "",
             *rate_table(entry), ""]
    learned = [_learned(r["codec"], r["model"]) for r in entry["results"] if r.get("model")]
    if learned:
        lines += ["Learned codecs:", "", *learned, ""]
    sizes = size_table(entry)
    if sizes:
        lines += ["Compressed size of each file, one by one (bytes):", "", *sizes, ""]
    notes = [f"- {r['codec']}: {r['status']}: {r['error']}" for r in entry["results"]
             if r["status"] in ("failed", "unavailable")]
    skipped = [r["codec"] for r in entry["results"] if r["status"] == "skipped"]
    if skipped:
        notes.append(f"- not applicable to these data: {', '.join(skipped)}")
    if notes:
        lines += ["Not counted:", "", *notes, ""]
    return lines


def markdown(doc: dict) -> str:
    """The whole results document as markdown."""
    env = doc["environment"]
    machine, versions = env["machine"], env["versions"]
    memory = machine.get("memory_bytes")
    lines = ["# pcz bench results", "",
             f"- command: `{doc['command']}`" if doc.get("command") else "- command: (API call)",
             f"- created: {doc['created']}",
             f"- machine: {machine['cpu']}, {machine['cores']} cores"
             + (f", {memory / (1 << 30):.0f} GiB" if memory else "") + f"; {machine['platform']}",
             f"- load average at start: {machine.get('load_average_at_start')}",
             "- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v), ""]
    if doc.get("note"):
        lines[2:2] = [f"- note: {doc['note']}"]
    for entry in doc["datasets"]:
        lines += dataset_section(entry)
    descriptions = {r["codec"]: r["description"] for e in doc["datasets"] for r in e["results"]
                    if r["description"]}
    lines += ["## Codecs", "", *[f"- {k}: {v}" for k, v in descriptions.items()], ""]
    return "\n".join(lines)


def dumps(doc: dict) -> str:
    """JSON text of a results document, indented, with lists of numbers kept on one line.

    >>> dumps({"sizes": [1, 2, 3]})
    '{\\n "sizes": [1, 2, 3]\\n}\\n'
    """
    def one_line(match) -> str:
        return ", ".join("".join(match.group(0).split()).split(","))
    return re.sub(r"\[[-+.\deE,\s]*\]", one_line, json.dumps(doc, indent=1)) + "\n"


def write(doc: dict, folder: str) -> list[str]:
    """Write results.json, results.md and a plot per dataset into folder; returns the paths."""
    os.makedirs(folder, exist_ok=True)
    paths = [os.path.join(folder, "results.json"), os.path.join(folder, "results.md")]
    with open(paths[0], "w") as f:
        f.write(dumps(doc))
    with open(paths[1], "w") as f:
        f.write(markdown(doc))
    try:
        from pcz.bench.plot import plot
    except ImportError:
        return paths
    for entry in doc["datasets"]:
        path = os.path.join(folder, f"{entry['name']}.png")
        if plot(entry, path):
            paths.append(path)
    return paths
