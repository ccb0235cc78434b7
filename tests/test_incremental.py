"""pcz.compressobj / pcz.decompressobj behave as lzma.LZMACompressor / LZMADecompressor."""
import lzma
import random

import pytest

import pcz
import badfiles

DATA = b"".join(b"record %d: %s\n" % (i, b"xyz" * (i % 7)) for i in range(6000))


@pytest.fixture(autouse=True)
def test_model():
    badfiles.register_test_model()


def test_compressor_output_equals_pcz_compress():
    for options in ({}, {"fast": True, "chunk_size": 10000}):
        c = pcz.compressobj(**options)
        pieces = [c.compress(DATA[i:i + 777]) for i in range(0, len(DATA), 777)]
        blob = b"".join(pieces) + c.flush()
        assert blob == pcz.compress(DATA, **options)
        with pytest.raises(ValueError):
            c.compress(b"more")


@pytest.mark.parametrize("step", [1, 13, 4096, 1 << 20])
def test_decompressor_takes_any_split(step):
    blob = pcz.compress(DATA, chunk_size=8000, fast=True)
    d = pcz.decompressobj()
    out = b"".join(d.decompress(blob[i:i + step]) for i in range(0, len(blob), step))
    assert out == DATA and d.eof and d.unused_data == b"" and not d.needs_input
    with pytest.raises(EOFError):
        d.decompress(b"x")


def test_every_base_file_of_the_corpus_byte_by_byte():
    for name, (blob, options) in badfiles.base_files().items():
        d = pcz.decompressobj(**options)
        out = b"".join(d.decompress(blob[i:i + 1]) for i in range(len(blob)))
        assert d.eof and out == pcz.decompress(blob, **options), name


def test_max_length_needs_input_and_unused_data_as_lzma():
    blob = pcz.compress(DATA, chunk_size=8000, fast=True)
    for d in (pcz.decompressobj(), lzma.LZMADecompressor()):
        source = blob if isinstance(d, pcz.Decompressor) else lzma.compress(DATA)
        out = d.decompress(source + b"NEXT", max_length=1000)
        assert len(out) == 1000 and not d.needs_input and not d.eof
        while not d.eof:
            out += d.decompress(b"", max_length=1000)
        assert out == DATA and d.unused_data == b"NEXT"


def test_truncated_input_waits_for_more():
    blob = pcz.compress(DATA, chunk_size=8000, fast=True)
    d = pcz.decompressobj()
    out = d.decompress(blob[:-1])
    assert not d.eof and d.needs_input and DATA.startswith(out)
    assert out + d.decompress(blob[-1:]) == DATA and d.eof


def test_concatenation_one_stream_per_object():
    blobs = [pcz.compress(b"first " * 100), pcz.compress(b"second " * 20000, chunk_size=30000, fast=True)]
    d = pcz.decompressobj()
    assert d.decompress(b"".join(blobs)) == b"first " * 100 and d.eof
    rest = pcz.decompressobj()
    assert rest.decompress(d.unused_data) == b"second " * 20000 and rest.eof


def test_damage_raises_a_pcz_error_never_wrong_data():
    rng = random.Random(3)
    blob = pcz.compress(DATA, chunk_size=8000, fast=True)
    for _ in range(200):
        bad = bytearray(blob)
        bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)
        d = pcz.decompressobj()
        try:
            out = d.decompress(bytes(bad))
        except pcz.PczError:
            continue
        assert DATA.startswith(out) and not (d.eof and not d.unused_data and out != DATA)


def test_corpus_cases_error_wait_or_leave_trailing_bytes():
    for name, blob, options in badfiles.bad_files():
        d = pcz.decompressobj(**options)
        try:
            d.decompress(blob)
        except pcz.PczError:
            continue
        assert not d.eof or d.unused_data, name
