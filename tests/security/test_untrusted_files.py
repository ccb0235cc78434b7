"""Hostile .pcz files (docs/SECURITY.md, "Untrusted .pcz files").

Each attack is built here (the forgers are in pcz.bench.experiments.security_probe)
and decoded by a real ``pcz decompress`` process, whose whole process tree is
sampled: it must fail safely (exit 1, one line on stderr) or succeed, with the
peak RSS of the tree no more than ``--memory`` above what the same command takes
on a tiny file (the interpreter, its libraries and the workers' start-up are not
what the limit counts), and the CPU time within a stated multiple of the input.
"""
import functools
import io
import math
import os
import sys
import time

import psutil
import pytest

import pcz
from pcz.bench.experiments import security_probe as forge
from pcz.format.method_ids import HMM_MIX, ORDER0
from pcz.methods.text import BYTE_MIN_BITS, default_model_bytes
from pcz.format import fields

MIB = 1 << 20
# Refusing a hostile file costs start-up and reading it: at most this many CPU seconds
# beyond the same command on a tiny file, plus a microsecond per input byte.
REFUSAL_CPU_S = 3.0


def _decompress(path, memory, threads, timeout=300):
    return forge.run(["decompress", "-c", "--memory", memory, "-T", str(threads), str(path)], timeout=timeout)


@functools.lru_cache(maxsize=None)
def _baseline(memory: str, threads: int) -> dict:
    """The same command on a small valid file of 2 x threads order-0 chunks (every worker starts)."""
    folder = os.environ.get("TMPDIR", "/tmp")
    path = os.path.join(folder, f"pcz-baseline-{os.getpid()}-{threads}.pcz")
    data = bytes(range(256)) * 256 * 2 * max(threads, 1)            # 64 KiB chunks
    with open(path, "wb") as f:
        f.write(pcz.compress(data, chunk_size=64 << 10, fast=True))
    try:
        result = _decompress(path, memory, threads)
    finally:
        os.unlink(path)
    assert result["code"] == 0, result
    return result


def _check_bounded(result, memory_mib: int, threads: int, input_bytes: int, extra_cpu_s: float = 0.0):
    base = _baseline(f"{memory_mib}M", threads)
    assert result["peak_rss_mib"] <= base["peak_rss_mib"] + memory_mib, (result, base)
    assert result["cpu_s"] <= base["cpu_s"] + REFUSAL_CPU_S + 1e-6 * input_bytes + extra_cpu_s, (result, base)


def _one_line_error(result, *words):
    assert result["code"] == 1, result
    err = result["stderr"]
    assert err.startswith("pcz: ") and "\n" not in err and "Traceback" not in err, err
    assert all(w in err for w in words), err


@pytest.mark.parametrize("threads", [1, 4])
def test_deflate_bomb_in_an_embedded_model_is_refused_before_inflating(tmp_path, threads):
    path = tmp_path / "bomb.pcz"
    path.write_bytes(forge.model_bomb())          # ~390 KB; the parameters inflate to 384 MiB
    result = _decompress(path, "64M", threads)
    _one_line_error(result, "decoding needs at least", "MiB for its model", "more than the limit of 64 MiB")
    _check_bounded(result, 64, threads, path.stat().st_size)


def test_deflate_bomb_model_given_with_model_is_refused_too(tmp_path):
    model = tmp_path / "bomb.pczm"
    model.write_bytes(forge.hclt_bomb_model())
    blob = forge.container([(5, 1024, 0, bytes(8))], fields.model_id(model.read_bytes()))
    path = tmp_path / "refs.pcz"
    path.write_bytes(blob)
    result = forge.run(["decompress", "-c", "--memory", "64M", "--model", str(model), str(path)])
    _one_line_error(result, "the model needs", str(model))     # refused when --model is read
    _check_bounded(result, 64, 1, len(blob) + model.stat().st_size)
    result = forge.run(["info", str(model)])
    _one_line_error(result, "the model needs")


@pytest.mark.parametrize("threads", [1, 4])
def test_large_zero_chunks_decode_within_the_limit_over_all_workers(tmp_path, threads):
    path = tmp_path / "zeros.pcz"
    path.write_bytes(forge.zero_chunks(chunks=3))           # 3 x 64 MiB of zeros in ~1 KB
    result = _decompress(path, "512M", threads)
    assert result["code"] == 0, result
    # valid content: CPU in proportion to the output (order-0 decodes ~20 MB/s here at worst)
    _check_bounded(result, 512, threads, path.stat().st_size, extra_cpu_s=3 * 64 / 20)


def test_many_chunks_in_flight_share_the_limit(tmp_path):
    """Chunks that each fit (4 MiB, max_chunk is limit/8) but whose copies in 2 x 4 tasks in
    flight would not: fewer workers and fewer tasks run instead."""
    path = tmp_path / "zeros4.pcz"
    path.write_bytes(forge.zero_chunks(chunks=24, size=4 * MIB))
    result = _decompress(path, "64M", 4)
    assert result["code"] == 0, result
    _check_bounded(result, 64, 4, path.stat().st_size, extra_cpu_s=96 / 20)
    assert pcz.decompress(path.read_bytes(), memory_limit=512 << 20, threads=4) == bytes(96 * MIB)


def test_the_limit_also_refuses_what_it_cannot_hold(tmp_path):
    path = tmp_path / "prose.pcz"
    path.write_bytes(pcz.compress(b"Plain English prose is coded by the text model's mixture. " * 40, level=7))
    result = _decompress(path, "64M", 1)            # the text model and its tables need more
    _one_line_error(result, "decoding needs at least", "for its model", "more than the limit of 64 MiB")
    zeros = forge.zero_chunks(chunks=8, size=2 * MIB)
    with pytest.raises(pcz.LimitError):                 # pcz.decompress keeps the content it returns
        pcz.decompress(zeros, memory_limit=16 << 20)
    out = io.BytesIO()                                  # a stream holds one chunk at a time
    assert pcz.decompress_stream(io.BytesIO(zeros), out, memory_limit=16 << 20).original == 16 * MIB


@pytest.mark.parametrize("threads", [1, 4])
@pytest.mark.parametrize("chunks, size", [(3, MIB), (1, 64 * MIB)], ids=["3x1MiB", "64MiB"])
def test_tiny_payloads_claiming_large_sizes_are_refused_before_decoding(tmp_path, threads, chunks, size):
    path = tmp_path / "cpu.pcz"
    path.write_bytes(forge.cpu_bomb(chunks=chunks, size=size))
    result = _decompress(path, "512M", threads)
    _one_line_error(result, "hmm-mix chunk of 8 bytes is too short")
    _check_bounded(result, 512, threads, path.stat().st_size)


def _floor_payload(size: int) -> bytes:
    """The shortest hmm-mix payload the check lets through for ``size`` bytes (mode 1, then
    bytes that decode to garbage)."""
    need = max(0, math.ceil((size * BYTE_MIN_BITS - 64) / 8))
    return (b"\x01" + bytes(range(1, 256)) * (need // 255 + 1))[:need]


def test_a_payload_at_the_floor_costs_work_in_proportion_to_it():
    """The decoder's work per input byte is bounded: a payload just long enough for its size
    decodes (to garbage, caught by the checksum) in time proportional to its length; one
    byte less is refused before any work."""
    from pcz.methods import check_payload, get, text
    model = text.default_model()
    size = 1 << 19
    payload = _floor_payload(size)
    assert len(payload) == 4
    with pytest.raises(pcz.FormatError, match="too short"):
        check_payload(get(HMM_MIX), size, len(payload) - 1)
    check_payload(get(HMM_MIX), size, len(payload))
    text.decode_mix(b"\x01", 1, model)                      # compile and load once
    t0 = time.process_time()
    assert len(text.decode_mix(payload, size, model)) == size
    assert time.process_time() - t0 < 100e-6 * size     # < 100 us per byte (~5 us here)


def test_an_error_in_one_worker_stops_the_others_at_once(tmp_path):
    mid = fields.model_id(default_model_bytes())
    slow = (HMM_MIX, 4 * MIB, 0, _floor_payload(4 * MIB))         # passes the floor, ~20 s of work
    bad = (HMM_MIX, 1000, 0, b"\x07" + bytes(20))                  # fails at once (unknown mode)
    path = tmp_path / "mixed.pcz"
    path.write_bytes(forge.container([slow, bad, slow, slow], mid))
    started = time.time()
    result = _decompress(path, "512M", 2, timeout=120)
    _one_line_error(result, "unknown hmm-mix chunk mode")
    assert result["wall_s"] < 15, result                # not the ~20 s the first chunk would take
    left = [p for p in psutil.process_iter(["cmdline", "create_time"])
            if p.info["create_time"] >= started - 1 and "spawn_main" in " ".join(p.info["cmdline"] or [])
            and (p.info["cmdline"] or [""])[0] == sys.executable]
    assert not left, left                               # the workers were killed, not left running


def test_order0_zero_chunk_forgery_matches_the_encoder():
    payload = forge.zero_chunk_payload(3 * MIB)
    from pcz.methods import order0
    assert payload == order0.encode(bytes(3 * MIB))
    blob = forge.zero_chunks(chunks=2, size=3 * MIB)
    assert pcz.decompress(blob) == bytes(6 * MIB)
    assert forge.container([(ORDER0, 3 * MIB, 0, payload)])[:4] == fields.MAGIC
