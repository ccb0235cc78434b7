import numpy as np

from conftest import run_pcz

TEXT = b"Whan that Aprille with his shoures soote\nThe droghte of March hath perced to the roote\n" * 30


def test_tokenize_detokenize(run_cli, tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(TEXT)
    out = tmp_path / "a.npy"
    r = run_cli("tokenize", str(src), "--window-bits", "32", "--token-bits", "16", "-o", str(out))
    assert r.code == 0 and "windows of 32 bits" in r.err
    tokens = np.load(out)
    assert tokens.dtype == np.uint16
    r = run_cli("detokenize", str(out), "-o", str(tmp_path / "back.txt"))
    assert r.code == 0 and (tmp_path / "back.txt").read_bytes() == TEXT
    assert run_cli("tokenize", str(src), "-o", str(out)).code == 1            # exists, no -f
    r = run_cli("detokenize", str(out), "-o", "-")
    assert r.code == 0 and r.out == TEXT


def test_tokenize_errors(run_cli, tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(TEXT)
    assert run_cli("tokenize", str(src), "-w", "24", "-o", str(tmp_path / "t.npy")).code == 2
    assert run_cli("tokenize", str(tmp_path / "missing"), "-o", str(tmp_path / "t.npy")).code == 1
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros(4, dtype=np.uint16))
    r = run_cli("detokenize", str(bad), "-o", str(tmp_path / "x"))
    assert r.code == 1 and r.err.startswith("pcz: ") and "Traceback" not in r.err
    (tmp_path / "bad.npy.json").write_text('{"format": "pcz-tokens"}')
    r = run_cli("detokenize", str(bad), "-o", str(tmp_path / "x"))
    assert r.code == 1 and "metadata" in r.err


def test_compress_windows(run_cli, tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(TEXT)
    r = run_cli("compress", "--windows", "16", "-v", "-v", str(src))
    assert r.code == 0 and "windows" in r.err
    r = run_cli("decompress", "-c", str(src) + ".pcz")
    assert r.code == 0 and r.out == TEXT
    assert run_cli("compress", "--windows", "20", str(src)).code == 2


def test_train_text_then_use_model(run_cli, tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(TEXT)
    model = tmp_path / "m.pczm"
    r = run_cli("train-text", str(src), "-o", str(model), "--hidden", "4", "--slots", "2",
                "--epochs", "1", "--seq-len", "64", "--batch", "8")
    assert r.code == 0 and model.stat().st_size > 0
    more = tmp_path / "m2.pczm"
    r = run_cli("train-text", str(src), "-o", str(more), "--init", str(model), "--step-offset", "20",
                "--epochs", "1", "--seq-len", "64", "--batch", "8")
    assert r.code == 0 and more.stat().st_size == model.stat().st_size
    assert run_cli("train-text", str(src), "-o", str(tmp_path / "x"), "--init", str(src)).code == 1
    r = run_cli("compress", "--model", str(model), "--embed-model", "-c", str(src))
    assert r.code == 0
    (tmp_path / "a.pcz").write_bytes(r.out)
    r = run_cli("decompress", "-c", str(tmp_path / "a.pcz"))
    assert r.code == 0 and r.out == TEXT


def test_real_process_round_trip(tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(TEXT)
    r = run_pcz("compress", "-c", str(src))
    assert r.returncode == 0
    back = run_pcz("decompress", "-c", input=r.stdout)
    assert back.returncode == 0 and back.stdout == TEXT
