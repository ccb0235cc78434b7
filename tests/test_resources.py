"""Bounded resources: streaming through stdin/stdout, the decoding memory cap, --rm safety."""
import hashlib
import os
import subprocess
import sys
import threading

import numpy as np

import pcz
from pcz import stream

STREAM_MB = int(os.environ.get("PCZ_STREAM_MB", "64"))


def pump(cmd, produce, consume):
    """Run cmd, feeding stdin from produce() chunks and passing stdout chunks to consume;
    returns (exit code, peak RSS of the child in MiB)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def feed():
        for piece in produce():
            proc.stdin.write(piece)
        proc.stdin.close()
    writer = threading.Thread(target=feed)
    writer.start()
    while True:
        piece = proc.stdout.read(1 << 20)
        if not piece:
            break
        consume(piece)
    writer.join()
    proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024


def test_stdin_to_stdout_streams_in_bounded_memory(tmp_path):
    rng = np.random.default_rng(0)
    block = rng.choice(8, size=1 << 20, p=[0.6] + [0.4 / 7] * 7).astype(np.uint8).tobytes()
    cmd = [sys.executable, "-m", "pcz"]
    compressed = tmp_path / "s.pcz"
    with open(compressed, "wb") as f:
        code, rss = pump(cmd + ["compress", "-T", "2"], lambda: (block for _ in range(STREAM_MB)), f.write)
    assert code == 0 and rss < 300, rss
    got, want = hashlib.sha256(), hashlib.sha256()
    for _ in range(STREAM_MB):
        want.update(block)
    with open(compressed, "rb") as f:
        code, rss = pump(cmd + ["decompress"], lambda: iter(lambda: f.read(1 << 20), b""), got.update)
    assert code == 0 and rss < 300, rss
    assert got.digest() == want.digest()


def test_memory_cap_refuses_before_allocating(run_cli, tmp_path):
    path = tmp_path / "big.pcz"
    path.write_bytes(pcz.compress(b"\x00" * (4 << 20), chunk_size=4 << 20))
    r = run_cli("decompress", "--memory", "16M", "-c", str(path))
    assert r.code == 1 and "exceeds the limit" in r.err and r.out == b""
    assert run_cli("decompress", "--memory", "64M", "-c", str(path)).out == b"\x00" * (4 << 20)


def test_rm_keeps_source_when_verification_fails(run_cli, tmp_path, monkeypatch):
    src = tmp_path / "keep.txt"
    src.write_bytes(b"precious data " * 100)
    real = stream.decompress_stream

    def lying(*args, **kwargs):
        stats = real(*args, **kwargs)
        stats.digest = bytes(len(stats.digest))
        return stats
    monkeypatch.setattr(stream, "decompress_stream", lying)
    r = run_cli("compress", "--rm", str(src))
    assert r.code == 1 and "verification" in r.err
    assert src.read_bytes() == b"precious data " * 100
