"""The ``--speed`` view on tiny data: rows, ratios to xz -9e, targets, plots (no timing asserts)."""
import builtins
import time

import pytest

from pcz.bench import speed

FILES = {"a.txt": b"the cat sat on the mat, the dog sat on the log. " * 30, "b.bin": bytes(range(256)) * 4}


@pytest.fixture(scope="module")
def rows():
    return speed.measure(FILES, speed.codecs(levels=(1, 3), only=("xz-9e", "zstd-3", "bzip2-9")))


def test_every_codec_codes_every_file(rows):
    assert {(r["file"], r["codec"]) for r in rows} == {(f, c) for f in FILES
                                                       for c in ("pcz -1", "pcz -3", "xz-9e", "zstd-3", "bzip2-9")}
    for r in rows:
        assert r["size"] == len(FILES[r["file"]]) and 0 < r["coded"] and r["compress_s"] > 0


def test_ratios_are_to_xz_9e_of_the_same_file(rows):
    table = speed.markdown(rows, ["zpaq-m5: no module named zpaq"], note="tiny")
    xz = [line for line in table.splitlines() if line.startswith("| a.txt | xz-9e |")][0]
    assert xz.split("|")[4].strip() == "1.000" and xz.split("|")[7].strip() == "1.00"
    coded = {(r["file"], r["codec"]): r["coded"] for r in rows}
    pcz3 = [line for line in table.splitlines() if line.startswith("| b.bin | pcz -3 |")][0]
    assert pcz3.split("|")[4].strip() == f"{coded['b.bin', 'pcz -3'] / coded['b.bin', 'xz-9e']:.3f}"
    assert "| all | pcz -1 |" in table and "Skipped (library missing): zpaq-m5" in table and "Note: tiny" in table


def test_targets_name_the_files_where_xz_is_smaller():
    rows = [dict(file=f, codec=c, size=100, coded=n, compress_s=1e-3, decompress_s=1e-3)
            for f, c, n in (("x", "pcz -3", 40), ("x", "xz-9e", 50), ("y", "pcz -3", 60), ("y", "xz-9e", 50))]
    lines = speed.targets(rows)
    assert "0.10 MB/s compress" in lines[0] and "NOT met" in lines[0]
    assert lines[1].endswith("NO: y")


def test_the_fastest_level_is_held_to_100_mb_s_and_zstd_1():
    rows = [dict(file=f, codec=c, size=10**6, coded=n, compress_s=s, decompress_s=s)
            for f, c, n, s in (("x", "pcz -1", 40, 0.004), ("x", "zstd-1", 50, 0.001),
                               ("y", "pcz -1", 60, 0.004), ("y", "zstd-1", 50, 0.001))]
    report = speed.markdown(rows, [])
    assert "- pcz -1: 250.00 MB/s compress, 250.00 MB/s decompress over all files (target >= 100.0: met)" in report
    assert "- pcz -1 smaller than zstd-1 on each file: NO: y" in report
    rows[0]["compress_s"] = 0.02                    # 2 MB in 0.024 s: 83 MB/s
    assert "(target >= 100.0: NOT met)" in speed.markdown(rows, [])


def test_a_fast_codec_is_timed_again_and_a_slow_one_once():
    calls = []
    speed._best(calls.append, b"", 5, seconds=3600)
    assert len(calls) == 5
    speed._best(lambda b: calls.append(time.sleep(0.05)), b"", 5, seconds=0.01)
    assert len(calls) == 6


def test_plots_with_and_without_matplotlib(rows, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    assert speed.plot(rows, str(tmp_path / "s.png")) == str(tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 0
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    path = speed.plot(rows, str(tmp_path / "t.png"))
    text = (tmp_path / "t.txt").read_text()
    assert path.endswith("t.txt") and "A pcz -1" in text and text.count("\n") > 18


def test_missing_library_is_skipped_with_its_reason(monkeypatch):
    def missing():
        raise ImportError("no module named zpaq")
    monkeypatch.setitem(speed.baselines.SPEED_FACTORIES, "zpaq-m5", missing)
    table, skipped = speed.codecs(levels=(1,), only=("zpaq-m5", "xz-9e"))
    assert sorted(table) == ["pcz -1", "xz-9e"] and skipped == ["zpaq-m5: no module named zpaq"]
