import os
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

import pcz
from conftest import run_pcz

TEXT = b"It was the best of times, it was the worst of times.\n" * 200


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_bytes(TEXT)
    os.chmod(path, 0o640)
    os.utime(path, (1_600_000_000, 1_600_000_000))
    return path


def test_compress_keeps_source_and_copies_mode_and_mtime(run_cli, src):
    r = run_cli("compress", str(src))
    assert r.code == 0, r.err
    out = src.with_name("doc.txt.pcz")
    assert src.exists() and out.exists()
    st = out.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640 and int(st.st_mtime) == 1_600_000_000
    assert "doc.txt" in r.err and "=>" in r.err
    assert pcz.decompress(out.read_bytes()) == TEXT


def test_decompress_strips_suffix_and_roundtrips(run_cli, src, tmp_path):
    assert run_cli("compress", "-q", str(src)).code == 0
    src.unlink()
    r = run_cli("decompress", str(tmp_path / "doc.txt.pcz"))
    assert r.code == 0, r.err
    assert src.read_bytes() == TEXT and r.err == ""


def test_refuses_to_overwrite_without_force(run_cli, src):
    out = src.with_name("doc.txt.pcz")
    out.write_bytes(b"precious")
    r = run_cli("compress", str(src))
    assert r.code == 1 and "already exists" in r.err and r.err.count("\n") == 1
    assert out.read_bytes() == b"precious"
    assert run_cli("compress", "-f", str(src)).code == 0
    assert pcz.decompress(out.read_bytes()) == TEXT


def test_rm_removes_source_only_after_success(run_cli, src):
    r = run_cli("compress", "--rm", "-q", str(src))
    assert r.code == 0 and not src.exists()
    r = run_cli("decompress", "--rm", str(src) + ".pcz")
    assert r.code == 0 and src.read_bytes() == TEXT and not os.path.exists(str(src) + ".pcz")


def test_output_option_and_stdout(run_cli, src, tmp_path):
    target = tmp_path / "other.bin"
    assert run_cli("compress", str(src), "-o", str(target)).code == 0
    r = run_cli("decompress", "-c", str(target))
    assert r.code == 0 and r.out == TEXT


def test_unknown_suffix_refused(run_cli, src):
    r = run_cli("decompress", str(src))
    assert r.code == 1 and "unknown suffix" in r.err


def test_missing_file_reported_and_others_still_processed(run_cli, src, tmp_path):
    r = run_cli("compress", "-q", str(tmp_path / "nope"), str(src))
    assert r.code == 1 and "nope: No such file" in r.err
    assert src.with_name("doc.txt.pcz").exists()


def test_directory_input_refused(run_cli, tmp_path):
    r = run_cli("compress", str(tmp_path))
    assert r.code == 1 and "not a regular file" in r.err


@pytest.mark.parametrize("args", [["compress", "--bogus"], ["compress", "-o", "x", "a", "b"],
                                  ["compress", "-T", "-1"], ["-x"], ["-d", "--bogus"], ["-0"], ["-10"],
                                  ["compress", "--chunk-size", "0"], ["compress", "--chunk-size", "xyz"]])
def test_usage_errors_exit_2(run_cli, args):
    assert run_cli(*args).code == 2


def test_test_and_info(run_cli, src):
    run_cli("compress", "-q", "--level", "7", str(src))
    r = run_cli("test", str(src) + ".pcz")
    assert r.code == 0 and "OK" in r.err
    r = run_cli("info", "-v", str(src) + ".pcz")
    # a text file gets the shipped text model (method hmm)
    assert r.code == 0 and b"original:    10600 bytes" in r.out and b"hmm" in r.out


def test_threads_give_identical_output(run_cli, tmp_path):
    data = TEXT * 20 + os.urandom(50000)
    (tmp_path / "a").write_bytes(data)
    (tmp_path / "b").write_bytes(data)
    assert run_cli("compress", "-q", "--chunk-size", "16K", str(tmp_path / "a")).code == 0
    assert run_cli("compress", "-q", "-T", "2", "--chunk-size", "16K", str(tmp_path / "b")).code == 0
    assert (tmp_path / "a.pcz").read_bytes() == (tmp_path / "b.pcz").read_bytes()


def damaged_variants(blob):
    for n in range(len(blob)):
        yield f"trunc{n}", blob[:n]
    for i in range(len(blob) * 8):
        bad = bytearray(blob)
        bad[i // 8] ^= 1 << (i % 8)
        yield f"flip{i}", bytes(bad)


def test_every_truncation_and_bit_flip_rejected_by_test_and_decompress(run_cli, tmp_path):
    blob = pcz.compress(b"hello hello hello world")
    assert len(blob) < 120
    for name, bad in damaged_variants(blob):
        path = tmp_path / f"{name}.pcz"
        path.write_bytes(bad)
        r = run_cli("test", str(path))
        assert r.code == 1 and r.err.count("\n") == 1 and r.err.startswith("pcz: "), (name, r.err)
        r = run_cli("decompress", str(path))
        assert r.code == 1 and r.err.count("\n") == 1, (name, r.err)
        assert not (tmp_path / name).exists()
        path.unlink()
    assert os.listdir(tmp_path) == []   # no temporary files left behind


# ---- real subprocesses ----

def test_subprocess_stdin_to_stdout_roundtrip():
    c = run_pcz("compress", input=TEXT)
    assert c.returncode == 0 and c.stdout[:4] == b"\x89PCZ"
    d = run_pcz("decompress", "-", input=c.stdout)
    assert d.returncode == 0 and d.stdout == TEXT


def test_subprocess_damaged_input_one_line_error_no_traceback(tmp_path):
    blob = pcz.compress(TEXT)
    (tmp_path / "x.pcz").write_bytes(blob[:-5])
    r = run_pcz("decompress", "x.pcz", cwd=tmp_path)
    assert r.returncode == 1 and b"Traceback" not in r.stderr and r.stderr.count(b"\n") == 1
    assert not (tmp_path / "x").exists()


def test_subprocess_refuses_compressed_output_to_terminal():
    master, slave = os.openpty()
    try:
        r = subprocess.run([sys.executable, "-m", "pcz", "compress"], input=b"abc", stdout=slave,
                           stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert r.returncode == 1 and b"terminal" in r.stderr


@pytest.mark.parametrize("command", ["compress", "decompress"])
def test_subprocess_ctrl_c_leaves_no_partial_output(tmp_path, command):
    big = tmp_path / "big"
    skewed = np.random.default_rng(0).choice(4, size=1 << 20, p=[0.7, 0.1, 0.1, 0.1])
    big.write_bytes(skewed.astype(np.uint8).tobytes() * 96)   # order-0 coded: slow enough to interrupt
    if command == "decompress":
        run_pcz("compress", "-q", str(big))
        os.rename(str(big) + ".pcz", tmp_path / "in.pcz")
        big.unlink()
        args = [str(tmp_path / "in.pcz"), "-o", str(tmp_path / "out")]
    else:
        args = [str(big)]
    proc = subprocess.Popen([sys.executable, "-m", "pcz", command, *args], stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130 and b"interrupted" in err and b"Traceback" not in err
    leftover = sorted(p.name for p in tmp_path.iterdir())
    assert leftover == (["big"] if command == "compress" else ["in.pcz"])


def test_subprocess_ctrl_c_while_numba_compiles_is_never_lost(tmp_path):
    """An interrupt during numba's first compile (cold cache) can be swallowed inside
    numba; it must still end the run: exit 130, one line, no output left."""
    text = tmp_path / "prose.txt"
    text.write_bytes(b"A text long enough to be coded by the text model, line after line.\n" * 20000)
    for delay in (0.4, 0.7, 1.0, 1.3, 1.6):
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / f"cache{delay}"))
        proc = subprocess.Popen([sys.executable, "-m", "pcz", "compress", str(text)],
                                stderr=subprocess.PIPE, env=env)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=120)[1]
        assert proc.returncode == 130 and err.strip() == b"pcz: interrupted", (delay, proc.returncode, err[-500:])
        assert not [p for p in tmp_path.iterdir() if p.name.startswith((".prose", "prose.txt.pcz"))]


def test_fast_uses_only_the_core_model(run_cli, tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(TEXT)
    assert run_cli("compress", "--fast", "-q", str(path)).code == 0
    r = run_cli("info", str(path) + ".pcz")
    assert b"lz-rans" in r.out and b"hmm" not in r.out and b"model:       none" in r.out
    assert run_cli("compress", "--fast", "--windows", "32", str(path)).code == 2
