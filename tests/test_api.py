import hashlib
import io
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pcz
from pcz.format import container, fields


def roundtrip(data, **kw):
    blob = pcz.compress(data, **kw)
    assert pcz.decompress(blob) == data
    return blob


@given(st.binary(max_size=5000), st.integers(1, 4096))
@settings(max_examples=60, deadline=None)
def test_roundtrip_any_bytes_any_chunking(data, chunk_size):
    blob = roundtrip(data, chunk_size=chunk_size)
    assert len(blob) <= len(data) + fields.overhead_bound(len(data), chunk_size)


@pytest.mark.parametrize("data", [b"", b"\x00", bytes(range(256)), b"a" * 100000,
                                  os.urandom(70000), b"abc" * 50000])
def test_roundtrip_edge_cases(data):
    roundtrip(data, chunk_size=32768)


def test_random_data_growth_within_stated_bound():
    data = np.random.default_rng(0).integers(0, 256, 3 << 20, dtype=np.uint8).tobytes()
    blob = roundtrip(data)
    assert len(blob) - len(data) <= fields.overhead_bound(len(data), 1 << 20)


def test_repetitive_data_compresses():
    assert len(roundtrip(b"\x00" * 100000)) < 200


def test_output_identical_for_any_thread_count():
    data = (b"some text " * 3000) + os.urandom(30000)
    one = pcz.compress(data, chunk_size=8192)
    two = pcz.compress(data, chunk_size=8192, threads=2)
    assert one == two
    assert pcz.decompress(two, threads=2) == data


def test_streaming_functions():
    data = os.urandom(1000) + b"x" * 5000
    out = io.BytesIO()
    stats = pcz.compress_stream(io.BytesIO(data), out, chunk_size=1000)
    assert stats.original == len(data) and stats.compressed == len(out.getvalue())
    assert stats.chunks == 6 and stats.methods["raw"] == 1
    back = io.BytesIO()
    pcz.decompress_stream(io.BytesIO(out.getvalue()), back)
    assert back.getvalue() == data


def test_typed_errors():
    with pytest.raises(pcz.FormatError):
        pcz.decompress(b"")
    blob = bytearray(pcz.compress(b"hello world"))
    blob[len(blob) // 2] ^= 1   # inside the first chunk's payload
    with pytest.raises(pcz.ChecksumError):
        pcz.decompress(bytes(blob))
    assert issubclass(pcz.ChecksumError, pcz.FormatError) and issubclass(pcz.FormatError, pcz.PczError)


def test_memory_limit_refuses_large_chunks():
    blob = pcz.compress(b"x" * (3 << 20), chunk_size=3 << 20)
    with pytest.raises(pcz.LimitError):
        pcz.decompress(blob, memory_limit=16 << 20)
    assert pcz.decompress(blob, memory_limit=32 << 20) == b"x" * (3 << 20)


def test_missing_and_wrong_model_are_model_errors():
    header = fields.Header(fields.model_id(b"model-a"))
    buf = io.BytesIO()
    w = container.Writer(buf, header)
    w.finish(fields.content_digest(), 0)
    with pytest.raises(pcz.ModelError, match="--model"):
        pcz.decompress(buf.getvalue())
    with pytest.raises(pcz.ModelError, match="wrong model"):
        pcz.decompress(buf.getvalue(), model=b"model-b")
    with pytest.raises(pcz.ModelError, match="not a pcz model"):
        pcz.decompress(buf.getvalue(), model=b"model-a")   # right id, but not a valid model


# ---- issue 17: what lzma and zstandard users expect ----

def test_concatenated_streams_decode_like_cat():
    a, b = b"first part\n" * 50, bytes(range(256)) * 400
    blob = pcz.compress(a) + pcz.compress(b, chunk_size=20000, fast=True) + pcz.compress(b"")
    assert pcz.decompress(blob) == a + b
    stats = pcz.decompress_stream(io.BytesIO(blob), io.BytesIO())
    assert stats.members == 3 and stats.digest == hashlib.blake2b(a + b, digest_size=16).digest()
    with pytest.raises(pcz.FormatError, match="trailing garbage"):
        pcz.decompress(blob + b"\0\0\0\0")
    with pytest.raises(pcz.FormatError, match="truncated"):
        pcz.decompress(blob + pcz.compress(b"x")[:-1])


@pytest.mark.parametrize("bad", [None, "text", 3, [1, 2]])
def test_non_bytes_are_type_errors(bad):
    with pytest.raises(TypeError):
        pcz.compress(bad)
    with pytest.raises(TypeError):
        pcz.decompress(bad)


NO_GUARD = """
import pcz
blob = pcz.compress(bytes(range(256)) * 4000, threads=2, chunk_size=100000, fast=True)
print("finished", len(blob))
"""


def test_threads_in_a_script_without_main_guard_is_a_clear_error(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(NO_GUARD)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=300, cwd=tmp_path)
    assert r.returncode != 0 and b"finished" not in r.stdout
    assert b"pcz.errors.PczError" in r.stderr and b'if __name__ == "__main__":' in r.stderr
    assert b"BrokenProcessPool" not in r.stderr
    script.write_text("if __name__ == '__main__':\n" + "".join("    " + line + "\n" for line in NO_GUARD.splitlines()))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0 and b"finished" in r.stdout, r.stderr
