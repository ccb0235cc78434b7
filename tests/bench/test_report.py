import json
import zlib
from importlib import resources

import jsonschema
import numpy as np
import pytest

from pcz.bench import runner
from pcz.bench.codec import ByteCodec
from pcz.bench.datasets import Dataset
from pcz.bench.report import markdown, write

SCHEMA = json.loads((resources.files("pcz.bench") / "schema.json").read_text())


def _broken():
    return ByteCodec("broken", "loses the last byte (test)", zlib.compress, lambda b: zlib.decompress(b)[:-1])


@pytest.fixture
def doc(monkeypatch):
    """A run with every status: ok, failed, skipped (image codec on files), unavailable."""
    factories = dict(runner.FACTORIES, broken=_broken)

    def missing():
        raise ImportError("No module named 'nothing'")
    factories["missing"] = missing
    monkeypatch.setattr(runner, "FACTORIES", factories)
    items = [np.frombuffer(b"abcabc" * (5 + i), dtype=np.uint8) for i in range(3)]
    data = Dataset("tiny", "files", items, "char", "generated", "nothing learned", names=["a", "b", "c"])
    images = Dataset("imgs", "image", list(np.arange(48, dtype=np.uint8).reshape(3, 4, 4)), "pixel",
                     "generated", "nothing learned")
    return runner.run([data, images], ["gzip-9", "png", "broken", "missing", "pcz"], progress=False,
                      command="pcz bench --dataset tiny", note="test")


def test_results_follow_the_schema(doc):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(json.loads(json.dumps(doc)), SCHEMA)
    statuses = {r["codec"]: r["status"] for r in doc["datasets"][0]["results"]}
    assert statuses == {"gzip-9": "ok", "png": "skipped", "broken": "failed", "missing": "unavailable",
                        "pcz": "ok"}


def test_schema_rejects_a_failed_phase_with_a_rate(doc):
    bad = json.loads(json.dumps(doc))
    failed = next(r for r in bad["datasets"][0]["results"] if r["codec"] == "broken")
    failed["per_item"]["rate"] = 1.0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


def test_markdown_shows_rates_failures_and_sizes(doc):
    text = markdown(doc)
    assert "| broken | – | – |" in text and "**failed**" in text
    assert "decode failed on item 0 (a): ValueError: decoded 29 bytes, expected 30" in text
    assert "missing: unavailable: not installed" in text
    assert "| a | 30 |" in text                     # the per-file size table
    assert "note: test" in text and "`pcz bench --dataset tiny`" in text
    assert "bits/pixel, one by one" in text


def test_write_makes_json_markdown_and_a_plot_per_dataset(doc, tmp_path):
    paths = write(doc, str(tmp_path / "out"))
    names = sorted(p.rsplit("/", 1)[1] for p in paths)
    assert names == ["imgs.png", "results.json", "results.md", "tiny.png"]
    assert (tmp_path / "out" / "tiny.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "out" / "results.json").read_text()) == json.loads(json.dumps(doc))
