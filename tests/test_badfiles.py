"""The generated bad-file corpus (tests/badfiles.py): every case detected, cleanly, cheaply."""
import json
import subprocess
import sys

import pytest

import pcz
import badfiles


@pytest.fixture(autouse=True)
def test_model():
    badfiles.register_test_model()


def test_base_files_are_valid():
    for name, (blob, options) in badfiles.base_files().items():
        pcz.decompress(blob, **options)
        assert badfiles.parse(blob).build() == blob   # the forger rebuilds files exactly


def test_every_case_is_rejected_with_a_pcz_error():
    counts = badfiles.check_all()
    assert sum(counts.values()) > 1000
    assert set(counts) >= {"ChecksumError", "FormatError", "LimitError", "ModelError"}


def test_slack_bits_never_change_the_output():
    cases = list(badfiles.tail_forgeries())
    assert cases
    for name, blob, options, original in cases:
        try:
            out = pcz.decompress(blob, **options)
        except pcz.PczError:
            continue
        assert out == original, name


def test_every_case_through_the_cli_exits_1_with_one_line_and_no_output(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model_path = tmp_path / "test.model"
    for name, blob, options in badfiles.bad_files():
        (tmp_path / "x.pcz").write_bytes(blob)
        extra = []
        if "model" in options:
            model_path.write_bytes(options["model"])
            extra = ["--model", str(model_path)]
        for command in ("decompress", "test"):
            r = run_cli(command, "x.pcz", *extra)
            assert r.code == 1, (name, command, r.err)
            # an invalid model file is reported under its own name, before any input is read
            named = f"pcz: {model_path}: " if name.endswith("wrong-model") else "pcz: x.pcz: "
            assert r.err.count("\n") == 1 and r.err.startswith(named), (name, r.err)
        left = sorted(p.name for p in tmp_path.iterdir())
        assert left == sorted(["x.pcz"] + (["test.model"] if extra else [])), (name, left)
        if extra:
            model_path.unlink()


SCRIPT = """
import json, sys, time
sys.path.insert(0, {tests!r})
import badfiles, pcz
badfiles.register_test_model()
worst = 0.0
for name, blob, options in badfiles.bad_files():
    t = time.perf_counter()
    try:
        pcz.decompress(blob, **options)
    except pcz.PczError:
        pass
    worst = max(worst, time.perf_counter() - t)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(json.dumps({{"worst_s": worst, "maxrss_mb": int(hwm) / 1024}}))
"""


def test_corpus_runs_in_bounded_memory_and_time():
    import os
    tests = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(tests=tests)], capture_output=True,
                         text=True, timeout=600, check=True).stdout
    result = json.loads(out)
    # declared sizes up to 4 GiB and 2**64 must never be allocated: a whole
    # interpreter with numpy and numba stays far below this
    assert result["maxrss_mb"] < 300, result
    assert result["worst_s"] < 5, result     # no hang, generous for a loaded CI machine
