import json

from pcz.bench import pcz_modes
from pcz.bench.codec import ByteCodec


def test_bench_writes_results(run_cli, tmp_path):
    r = run_cli("bench", "--dataset", "sample-text", "--codecs", "gzip,pcz", "-q", "-o", str(tmp_path))
    assert r.code == 0, r.err
    assert b"| gzip-9 |" in r.out and b"| pcz |" in r.out
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["command"] == f"pcz bench --dataset sample-text --codecs gzip,pcz --output {tmp_path}"
    assert [x["codec"] for x in doc["datasets"][0]["results"]] == ["gzip-9", "pcz"]
    assert (tmp_path / "sample-text.png").exists() and (tmp_path / "results.md").exists()


def test_quick_is_recorded_as_quick(run_cli, monkeypatch):
    r = run_cli("bench", "--quick", "--codecs", "gzip", "--limit", "3", "-q", "--note", "a b")
    assert r.code == 0, r.err
    assert b"- command: `pcz bench --quick --limit 3 --codecs gzip --note 'a b'`" in r.out
    assert b"## fashion-mnist-sample: 3 items, 2,352 pixels" in r.out and b"## sample-text: 1 item," in r.out


def test_missing_dataset_is_one_line_exit_1(run_cli, tmp_path):
    r = run_cli("bench", "--dataset", "fashion-mnist", "--data-dir", str(tmp_path))
    assert r.code == 1
    assert r.err.strip().count("\n") == 0 and "apt-get install dataset-fashion-mnist" in r.err
    assert "Traceback" not in r.err


def test_usage_errors_exit_2(run_cli):
    assert run_cli("bench", "--codecs", "nope").code == 2
    assert run_cli("bench", "--quick", "--dataset", "canterbury").code == 2


def test_list_codecs(run_cli):
    r = run_cli("bench", "--list-codecs")
    assert r.code == 0 and b"xz-9e" in r.out and b"pcz-hclt" in r.out


def test_a_pcz_mode_failing_its_round_trip_exits_1(run_cli, monkeypatch):
    broken = pcz_modes.Mode("pcz-broken", "test", lambda: None,
                            lambda: ByteCodec("pcz-broken", "drops a byte", bytes, lambda b: b[:-1]))
    monkeypatch.setitem(pcz_modes.MODES, "pcz-broken", broken)
    r = run_cli("bench", "--dataset", "sample-text", "--codecs", "pcz-broken", "-q")
    assert r.code == 1 and "round trip failed: sample-text: pcz-broken" in r.err


def test_speed_view_on_the_shipped_sample(run_cli, tmp_path):
    r = run_cli("bench", "--speed", "--quick", "--levels", "1,3", "-q", "-o", str(tmp_path))
    assert r.code == 0, r.err
    assert b"| sample.txt | pcz -3 |" in r.out and b"| all | xz-9e |" in r.out and b"smaller than xz-9e" in r.out
    assert (tmp_path / "speed.md").exists() and any(tmp_path.glob("speed.*[gt]"))


def test_speed_view_refuses_other_options_and_bad_levels(run_cli):
    assert run_cli("bench", "--speed", "--codecs", "gzip").code == 2
    r = run_cli("bench", "--speed", "--quick", "--levels", "0,3")
    assert r.code == 2 and "expected levels 1..9" in r.err
