import gzip

import numpy as np
import pytest

from conftest import run_pcz
from hclt_helpers import random_model, sample
from pcz import models
from pcz.models.hclt import HcltModel
from record_helpers import idx_bytes

MODEL = random_model(31, [-1, 0, 0, 1, 2, 2], 3, 8, shape=(2, 3))


@pytest.fixture
def files(tmp_path):
    a = sample(np.random.default_rng(1), MODEL, 200).reshape(200, 2, 3)
    (tmp_path / "m.pczm").write_bytes(MODEL.to_bytes())
    np.save(tmp_path / "a.npy", a)
    (tmp_path / "a.idx").write_bytes(idx_bytes(a))
    (tmp_path / "b.idx.gz").write_bytes(gzip.compress(idx_bytes(a)))
    return tmp_path, a


def test_train_then_compress_then_decompress(run_cli, files):
    folder, a = files
    r = run_cli("train", str(folder / "a.npy"), "-o", str(folder / "t.pczm"), "--latents", "2",
                "--epochs", "1", "--full-epochs", "1", "--validation", "0.1")
    assert r.code == 0, r.err
    assert "180 training / 20 validation records" in r.err and "bits/dim" in r.err
    r = run_cli("info", str(folder / "t.pczm"))
    assert r.code == 0 and b"latents:     2" in r.out and b"2x3 = 6 variables" in r.out
    assert b"20-bit quantised" in r.out                        # the training default
    assert b"on 20 held-out records (measured when trained)" in r.out
    need = -(-models.footprint((folder / "t.pczm").read_bytes()) >> 20)      # what --memory is charged
    assert f"memory:      {need} MiB at most".encode() in r.out and b"512 MiB by default" in r.out
    r = run_cli("info", "--memory", f"{need - 1}M", str(folder / "t.pczm"))        # as decoding would refuse it
    assert r.code == 1 and f"needs {need} MiB".encode() in r.err.encode() and "--memory" in r.err
    r = run_cli("train", str(folder / "a.npy"), "-o", str(folder / "t.pczm"))
    assert r.code == 1 and "already exists" in r.err
    model = str(folder / "t.pczm")
    assert run_cli("compress", "-q", "--model", model, str(folder / "a.npy")).code == 0
    (folder / "a.npy").rename(folder / "orig.npy")
    r = run_cli("decompress", "--model", model, str(folder / "a.npy.pcz"))
    assert r.code == 0, r.err
    assert (folder / "a.npy").read_bytes() == (folder / "orig.npy").read_bytes()


@pytest.mark.parametrize("kind", ["uint16.npy", "int16.idx", "bool.npy"])
def test_typed_records_train_compress_and_decompress_byte_for_byte(run_cli, tmp_path, kind):
    rng = np.random.default_rng(4)
    base = rng.integers(0, 40, (300, 1, 1)) * np.ones((1, 3, 2), int)
    if kind == "uint16.npy":
        raw = (base * 100 + rng.integers(0, 8, base.shape)).astype(np.uint16)
    elif kind == "int16.idx":
        raw = (base * 13 - 300).astype(np.int16)
    else:
        raw = (base + rng.integers(0, 3, base.shape)) % 2 == 1
    path = tmp_path / ("a." + kind.split(".")[1])
    if kind.endswith("idx"):
        path.write_bytes(idx_bytes(raw))
    else:
        np.save(path, raw)
    model = str(tmp_path / "t.pczm")
    r = run_cli("train", str(path), "-o", model, "-M", "4", "--epochs", "1", "--full-epochs", "2")
    assert r.code == 0, r.err
    r = run_cli("info", model)
    assert kind.split(".")[0].encode() in r.out if kind != "bool.npy" else b"bool" in r.out
    r = run_cli("compress", "-v", "-v", "--model", model, "-o", str(tmp_path / "a.pcz"), str(path))
    assert r.code == 0 and "hclt-typed" in r.err, r.err
    assert (tmp_path / "a.pcz").stat().st_size < raw.nbytes * 0.8
    r = run_cli("decompress", "--model", model, "-o", str(tmp_path / "back"), str(tmp_path / "a.pcz"))
    assert r.code == 0, r.err
    assert (tmp_path / "back").read_bytes() == path.read_bytes()


def test_idx_files_plain_and_gzipped(run_cli, files):
    folder, a = files
    model = str(folder / "m.pczm")
    for name, out in [("a.idx", "a.idx.pcz"), ("b.idx.gz", "b.idx.pcz")]:
        r = run_cli("compress", "-T", "2", "--chunk-size", "300", "--model", model, str(folder / name))
        assert r.code == 0, r.err
        r = run_cli("decompress", "--model", model, "-o", str(folder / (name + ".out")), str(folder / out))
        assert r.code == 0, r.err
        assert (folder / (name + ".out")).read_bytes() == idx_bytes(a)
    r = run_cli("info", "-v", str(folder / "a.idx.pcz"))
    assert b"hclt-rans" in r.out


def test_embedded_model_and_wrong_model(run_cli, files):
    folder, _ = files
    r = run_cli("compress", "--embed-model", "--model", str(folder / "m.pczm"), "-o",
                str(folder / "e.pcz"), str(folder / "a.idx"))
    assert r.code == 0
    assert run_cli("decompress", "-o", str(folder / "e.idx"), str(folder / "e.pcz")).code == 0
    assert (folder / "e.idx").read_bytes() == (folder / "a.idx").read_bytes()
    assert run_cli("compress", "--model", str(folder / "m.pczm"), str(folder / "a.idx")).code == 0
    (folder / "other.pczm").write_bytes(random_model(32, [-1, 0, 0, 1, 2, 2], 3, 8).to_bytes())
    r = run_cli("decompress", "--model", str(folder / "other.pczm"), "-o", str(folder / "x"),
                str(folder / "a.idx.pcz"))
    assert r.code == 1 and "wrong model" in r.err and r.err.count("\n") == 1


def test_bad_inputs_exit_1_with_one_line(run_cli, files):
    folder, a = files
    model = str(folder / "m.pczm")
    (folder / "big.npy").write_bytes(b"")
    np.save(folder / "big.npy", np.full((3, 2, 3), 9, dtype=np.uint8))       # K = 8
    np.save(folder / "wide.npy", np.zeros((3, 7), dtype=np.uint8))
    (folder / "cut.idx").write_bytes(idx_bytes(a)[:-5])
    (folder / "text.txt").write_bytes(b"some text")
    damaged = bytearray(MODEL.to_bytes())
    damaged[-20] ^= 1
    (folder / "bad.pczm").write_bytes(bytes(damaged))
    cases = [(["compress", "--model", model, str(folder / "big.npy")], "out of range"),
             (["compress", "--model", model, str(folder / "wide.npy")], "records have 7 values"),
             (["compress", "--model", model, str(folder / "cut.idx")], "truncated"),
             (["compress", "--model", model, str(folder / "text.txt")], "not a .npy or IDX"),
             (["compress", "--model", str(folder / "bad.pczm"), str(folder / "a.idx")], "damaged"),
             (["info", str(folder / "bad.pczm")], "damaged"),
             (["train", str(folder / "text.txt"), "-o", str(folder / "t.pczm")], "not a .npy or IDX")]
    for args, message in cases:
        r = run_cli(*args)
        assert r.code == 1 and message in r.err and r.err.count("\n") == 1, (args, r.err)
    assert not (folder / "big.npy.pcz").exists() and not (folder / "cut.idx.pcz").exists()


def test_real_process_roundtrip_through_pipes(files):
    folder, _ = files
    raw = (folder / "a.idx").read_bytes()
    model = str(folder / "m.pczm")
    r = run_pcz("compress", "--model", model, "-c", input=raw)
    assert r.returncode == 0, r.stderr
    back = run_pcz("decompress", "--model", model, "-c", input=r.stdout)
    assert back.returncode == 0 and back.stdout == raw


def test_train_with_smoothing(run_cli, tmp_path):
    rng = np.random.default_rng(2)
    a = np.clip(rng.normal(20, 4, (200, 3)), 0, 31).astype(np.uint8)
    np.save(tmp_path / "o.npy", a)
    args = ["train", str(tmp_path / "o.npy"), "--latents", "2", "--epochs", "1", "--full-epochs", "1"]
    r = run_cli(*args, "-o", str(tmp_path / "s.pczm"), "--smooth", "1.5", "0.8", "--atoms", "0,31")
    assert r.code == 0, r.err
    smooth = HcltModel.from_bytes((tmp_path / "s.pczm").read_bytes())
    assert run_cli(*args, "-o", str(tmp_path / "r.pczm")).code == 0
    raw = HcltModel.from_bytes((tmp_path / "r.pczm").read_bytes())
    # smoothing spreads emission mass over neighbouring values: fewer near-empty levels
    assert (smooth.emission < 1e-3).sum() < (raw.emission < 1e-3).sum()


def test_train_with_precision_and_over_relaxation(run_cli, files):
    folder, a = files
    r = run_cli("train", str(folder / "a.npy"), "-o", str(folder / "q.pczm"), "--latents", "3",
                "--epochs", "0", "--full-epochs", "2", "--qbits", "16", "--overrelax", "1.5")
    assert r.code == 0, r.err
    model = HcltModel.from_bytes((folder / "q.pczm").read_bytes())
    assert model.qbits == 16 and model.M == 3


@pytest.mark.parametrize("bad", [["--atoms", "zero"], ["--atoms", "0,256"], ["--atoms", "-1"],
                                 ["--smooth", "2", "1.5"], ["--smooth", "-1", "0.5"],
                                 ["--qbits", "12"], ["--overrelax", "0.5"]])
def test_bad_smoothing_options_are_usage_errors(run_cli, tmp_path, bad):
    np.save(tmp_path / "o.npy", np.zeros((20, 3), np.uint8))
    r = run_cli("train", str(tmp_path / "o.npy"), "-o", str(tmp_path / "x.pczm"), *bad)
    assert r.code == 2 and "Traceback" not in r.err
    errors = [line for line in r.err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and bad[0] in errors[0]
    assert not (tmp_path / "x.pczm").exists()


def test_train_with_no_tuning_options_chooses_on_validation(run_cli, files):
    folder, a = files
    r = run_cli("train", str(folder / "a.npy"), "-o", str(folder / "auto.pczm"), "--time-budget", "20s",
                "--max-latents", "8")
    assert r.code == 0, r.err
    assert "chosen on validation: smoothing" in r.err and "auto: M=8" in r.err
    r = run_cli("info", str(folder / "auto.pczm"))
    assert b"latents:     8" in r.out
    for bad in ("soon", "0", "-5m", "infm", "15m2h", "h"):
        r = run_cli("train", str(folder / "a.npy"), "-o", str(folder / "x.pczm"), "--time-budget", bad)
        assert r.code == 2 and "--time-budget" in r.err


def test_train_with_the_med_transform_then_info_and_coding(run_cli, tmp_path):
    rng = np.random.default_rng(0)
    a = (np.add.outer(np.arange(6), np.arange(5))[None] * rng.integers(1, 4, (300, 1, 1))
         + rng.integers(0, 3, (300, 6, 5))).astype(np.uint8)
    np.save(tmp_path / "a.npy", a)
    model = str(tmp_path / "t.pczm")
    r = run_cli("train", str(tmp_path / "a.npy"), "-o", model, "--latents", "2", "--epochs", "1",
                "--full-epochs", "1", "--transform", "med")
    assert r.code == 0, r.err
    r = run_cli("info", model)
    assert r.code == 0 and b"transform:   med" in r.out
    assert run_cli("compress", "-q", "--model", model, str(tmp_path / "a.npy")).code == 0
    (tmp_path / "a.npy").rename(tmp_path / "orig.npy")
    assert run_cli("decompress", "-q", "--model", model, str(tmp_path / "a.npy.pcz")).code == 0
    assert np.array_equal(np.load(tmp_path / "a.npy"), a)
    r = run_cli("train", str(tmp_path / "orig.npy"), "-o", str(tmp_path / "u.pczm"), "--time-budget", "5s",
                "--max-latents", "2", "--transform", "none")
    assert r.code == 0 and "transform none" in r.err
    flat = tmp_path / "flat.npy"
    np.save(flat, a.reshape(300, -1))
    r = run_cli("train", str(flat), "-o", str(tmp_path / "v.pczm"), "--latents", "2", "--transform", "med")
    assert r.code == 1 and "at least 2 axes" in r.err and r.err.count("\n") == 1


def test_checkpoints_leave_a_model_to_continue_from(run_cli, files):
    folder, a = files
    data, out, ckpt = str(folder / "a.npy"), str(folder / "t.pczm"), str(folder / "c.pczm")
    r = run_cli("train", data, "-o", out, "--checkpoint", ckpt, "--time-budget", "20s", "--max-latents", "4")
    assert r.code == 0, r.err
    saved = HcltModel.from_bytes((folder / "c.pczm").read_bytes())      # the best model of some stage
    assert saved.validation is not None and saved.D == 6
    r = run_cli("train", data, "-o", str(folder / "u.pczm"), "--init", ckpt, "--epochs", "0",
                "--full-epochs", "2", "--checkpoint", ckpt, "-f")      # continued, checkpointing again
    assert r.code == 0, r.err
    assert HcltModel.from_bytes((folder / "u.pczm").read_bytes()).M == saved.M
    r = run_cli("train", data, "-o", str(folder / "r.pczm"), "--resume", ckpt, "--time-budget", "5s")
    assert r.code == 0 and "resumed" in r.err, r.err          # with no tuning options: steps 6 and 7 go on
    assert np.array_equal(HcltModel.from_bytes((folder / "r.pczm").read_bytes()).parent, saved.parent)
    for args, message in [(["-o", str(folder / "s.pczm"), "--resume", ckpt, "--epochs", "2"], "no tuning options"),
                          (["-o", str(folder / "s.pczm"), "--resume", data], "not a pcz model file"),
                          (["-o", str(folder / "v.pczm"), "--checkpoint", ckpt], "already exists"),
                          (["-o", out, "--checkpoint", out, "-f"], "another file than -o"),
                          (["-o", str(folder / "w.pczm"), "--checkpoint", str(folder / "x.pczm"), "-T", "1"],
                           "trains in memory")]:
        r = run_cli("train", data, *args)
        assert r.code != 0 and message in r.err and len(r.err.strip().splitlines()) == 1, r.err
    assert not (folder / "x.pczm").exists() and not (folder / "w.pczm").exists()


def test_prune_an_initial_model_then_info_and_coding(run_cli, files):
    folder, a = files
    data, big, small = str(folder / "a.npy"), str(folder / "big.pczm"), str(folder / "small.pczm")
    r = run_cli("train", data, "-o", big, "-M", "6", "--epochs", "2", "--full-epochs", "1")
    assert r.code == 0, r.err
    r = run_cli("train", data, "-o", small, "--init", big, "--prune", "0.9", "--epochs", "0", "--full-epochs", "2")
    assert r.code == 0 and "pruned:" in r.err, r.err
    model = HcltModel.from_bytes((folder / "small.pczm").read_bytes())
    assert model.pruned and len((folder / "small.pczm").read_bytes()) < len((folder / "big.pczm").read_bytes())
    r = run_cli("info", small)
    assert r.code == 0 and b"HCLT v3" in r.out and b"(pruned)" in r.out
    assert run_cli("compress", "-q", "--model", small, data).code == 0
    (folder / "a.npy").rename(folder / "orig.npy")
    assert run_cli("decompress", "--model", small, str(folder / "a.npy.pcz")).code == 0
    assert (folder / "a.npy").read_bytes() == (folder / "orig.npy").read_bytes()
    r = run_cli("train", str(folder / "orig.npy"), "-o", str(folder / "x.pczm"), "--prune", "0.9")
    assert r.code == 1 and "--prune and --widen need --init" in r.err and not (folder / "x.pczm").exists()
