import io
import os

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
