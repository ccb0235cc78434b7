"""Bounded resources: streaming through stdin/stdout, the decoding memory cap, --rm safety."""
import os

import pcz
from pcz import streams
from pcz.bench.experiments.stream_memory import measure

STREAM_MB = int(os.environ.get("PCZ_STREAM_MB", "64"))


def test_stdin_to_stdout_streams_in_bounded_memory():
    result = measure(STREAM_MB, threads=1)   # one process; -T N adds N workers of about the same size
    assert result["ok"], result
    assert result["compress_peak_rss_mib"] < 300 and result["decompress_peak_rss_mib"] < 300, result


def test_memory_cap_refuses_before_allocating(run_cli, tmp_path):
    path = tmp_path / "big.pcz"
    path.write_bytes(pcz.compress(b"\x00" * (4 << 20), chunk_size=4 << 20))
    r = run_cli("decompress", "--memory", "16M", "-c", str(path))
    assert r.code == 1 and "exceeds the limit" in r.err and r.out == b""
    assert run_cli("decompress", "--memory", "64M", "-c", str(path)).out == b"\x00" * (4 << 20)


def test_rm_keeps_source_when_verification_fails(run_cli, tmp_path, monkeypatch):
    src = tmp_path / "keep.txt"
    src.write_bytes(b"precious data " * 100)
    real = streams.decompress_stream       # what the compress command's verification calls

    def lying(*args, **kwargs):
        stats = real(*args, **kwargs)
        stats.digest = bytes(len(stats.digest))
        return stats
    monkeypatch.setattr(streams, "decompress_stream", lying)
    r = run_cli("compress", "--rm", str(src))
    assert r.code == 1 and "verification" in r.err
    assert src.read_bytes() == b"precious data " * 100
