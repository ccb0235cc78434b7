"""The non-compact framing (header, records, footer) and the choice between framings;
the compact framing has its own tests (tests/test_compact.py)."""
import io
import struct
import zlib

import pytest

from pcz.format import fields
from pcz.format.container import Writer, next_reader, open_reader
from pcz.format.fields import Header, Record, content_digest, model_id
from pcz.errors import ChecksumError, FormatError, LimitError


def make(chunks, header=Header(), compact_limit=-1):
    buf = io.BytesIO()
    w = Writer(buf, header, compact_limit)
    digest, crc = content_digest(), 0
    for data in chunks:
        w.chunk(Record(0, len(data), len(data), zlib.crc32(data)), data)
        digest.update(data)
        crc = zlib.crc32(data, crc)
    w.finish(digest, crc)
    return buf.getvalue()


def read_all(blob, **kw):
    r = open_reader(io.BytesIO(blob), **kw)
    return r, [(rec, payload) for rec, payload in r.records()]


def test_layout_of_an_empty_stream_is_as_documented():
    blob = make([])
    assert blob[:4] == b"\x89PCZ" and blob[4] == 2 and blob[5] == 0
    assert len(blob) == fields.HEADER_FIXED + fields.FOOTER_FIXED
    assert blob[-4:] == b"PCZ\x89"
    assert struct.unpack("<I", blob[8:12])[0] == zlib.crc32(blob[:8])


def test_framing_follows_the_content_size():
    limit = fields.COMPACT_LIMIT
    for size, compact in [(0, True), (limit, True), (limit + 1, False)]:
        blob = make([bytes(size // 2), bytes(size - size // 2)] if size else [], compact_limit=limit)
        r, items = read_all(blob)
        assert r.compact == compact and blob[5] & fields.FLAG_COMPACT == compact * fields.FLAG_COMPACT
        assert b"".join(p for _, p in items) == bytes(size)
        assert len(blob) - size <= fields.overhead_bound(size, (size + 1) // 2 or 1)


def test_version_1_files_are_read():
    blob = bytearray(make([b"abc"]))
    blob[4] = 1
    blob[8:12] = struct.pack("<I", zlib.crc32(bytes(blob[:8])))
    r, items = read_all(bytes(blob))
    assert r.version == 1 and not r.compact and items[0][1] == b"abc"


def test_version_1_has_no_compact_framing():
    blob = bytearray(make([b"abc"], compact_limit=fields.COMPACT_LIMIT))
    blob[4] = 1
    with pytest.raises(FormatError, match="reserved"):
        read_all(bytes(blob))


def test_chunks_and_footer_roundtrip():
    r, items = read_all(make([b"ab", b"cde"]))
    assert [p for _, p in items] == [b"ab", b"cde"]
    assert r.total == 5 and r.footer_digest == content_digest(b"abcde").digest()


def test_model_reference_and_embedding():
    model = b"MODELBYTES"
    for limit in (-1, fields.COMPACT_LIMIT):
        r, _ = read_all(make([b"x"], Header(model_id(model), model), limit))
        assert r.header.model_id == model_id(model) and r.header.model_bytes == model
        r, _ = read_all(make([b"x"], Header(model_id(model)), limit))
        # a compact file naming a model it does not embed stores the id's first 8 bytes
        size = fields.SHORT_ID_SIZE if r.compact else fields.MODEL_ID_SIZE
        assert r.header.model_id == model_id(model)[:size] and r.header.model_bytes is None
        assert fields.names(r.header.model_id, model) and not fields.names(r.header.model_id, b"other")


def test_a_compact_file_spends_8_bytes_on_a_model_id_and_old_32_byte_ones_still_read():
    model = b"MODELBYTES"
    short = make([b"x"], Header(model_id(model)), fields.COMPACT_LIMIT)
    assert short[5] == fields.FLAG_MODEL | fields.FLAG_COMPACT | fields.FLAG_SHORT_ID
    assert short[6:14] == model_id(model)[:8] and len(short) == len(make([b"x"], Header(), fields.COMPACT_LIMIT)) + 8
    body = bytearray(short[:5] + bytes([short[5] & ~fields.FLAG_SHORT_ID]) + model_id(model) + short[14:-4])
    old = bytes(body + struct.pack("<I", zlib.crc32(body)))          # as written before the short id
    r, chunks = read_all(old)
    assert r.header.model_id == model_id(model) and chunks[0][1] == b"x"


@pytest.mark.parametrize("flags", [fields.FLAG_SHORT_ID | fields.FLAG_COMPACT,              # no model
                                   fields.FLAG_SHORT_ID | fields.FLAG_MODEL,                # not compact
                                   fields.FLAG_SHORT_ID | fields.FLAG_MODEL | fields.FLAG_EMBEDDED
                                   | fields.FLAG_COMPACT])                                  # embedded
def test_a_short_model_id_is_refused_outside_a_compact_file_naming_a_model(flags):
    blob = bytearray(make([b"x"], Header(model_id(b"M")), fields.COMPACT_LIMIT))
    blob[5] = flags
    blob[-4:] = struct.pack("<I", zlib.crc32(bytes(blob[:-4])))
    with pytest.raises(FormatError, match="short model id"):
        read_all(bytes(blob))


def test_reserved_flag_bits_rejected_even_with_valid_crc():
    blob = bytearray(make([]))
    blob[5] |= 0x80
    blob[8:12] = struct.pack("<I", zlib.crc32(bytes(blob[:8])))
    with pytest.raises(FormatError, match="reserved"):
        read_all(bytes(blob))


def test_unknown_version_rejected():
    blob = bytearray(make([]))
    blob[4] = 3
    with pytest.raises(FormatError, match="version"):
        read_all(bytes(blob))


def forge_record(size, stored, payload=b""):
    head = struct.pack("<BBIII", 0, 0, size, stored, 0)
    return head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head))) + payload


def test_huge_declared_chunk_rejected_before_reading():
    blob = make([])[:12] + forge_record(1 << 31, 1 << 31)
    with pytest.raises(LimitError):
        read_all(blob)
    blob = make([])[:12] + forge_record(1 << 20, 1 << 20)
    with pytest.raises(LimitError):
        read_all(blob, max_chunk=1 << 16)


def test_stored_larger_than_original_rejected():
    blob = make([])[:12] + forge_record(4, 5, b"hello")
    with pytest.raises(FormatError, match="inconsistent"):
        read_all(blob)


def test_lying_chunk_table_rejected():
    blob = bytearray(make([b"abc"]))
    footer_start = len(blob) - 8 - fields.FOOTER_FIXED + 8 - fields.TABLE_ENTRY.size
    entry = footer_start + 5
    blob[entry:entry + 4] = struct.pack("<I", 4)     # table says 4 bytes
    body_end = len(blob) - 12
    body_start = len(blob) - 8 - (struct.unpack("<I", bytes(blob[-8:-4]))[0])
    blob[body_end:body_end + 4] = struct.pack("<I", zlib.crc32(bytes(blob[body_start:body_end])))
    with pytest.raises(FormatError, match="table"):
        read_all(bytes(blob))


@pytest.mark.parametrize("compact_limit", [-1, fields.COMPACT_LIMIT])
def test_trailing_garbage_rejected_after_the_stream(compact_limit):
    src = io.BytesIO(make([b"a"], compact_limit=compact_limit) + b"\x00garbage")
    list(open_reader(src).records())
    with pytest.raises(FormatError, match="trailing garbage"):
        next_reader(src)


@pytest.mark.parametrize("compact_limit", [-1, fields.COMPACT_LIMIT])
def test_concatenated_streams_are_read_one_after_the_other(compact_limit):
    first = make([b"ab", b"c"], compact_limit=compact_limit)
    second = make([b"d"], Header(model_id(b"m"), b"m"), compact_limit=compact_limit)
    src = io.BytesIO(first + second + first)
    got, reader = [], open_reader(src)
    while reader is not None:
        got.append([payload for _, payload in reader.records()])
        reader = next_reader(src)
    assert got == [[b"ab", b"c"], [b"d"], [b"ab", b"c"]]
    truncated = io.BytesIO(first + second[:3])
    list(open_reader(truncated).records())
    with pytest.raises(FormatError, match="truncated"):
        next_reader(truncated)


def test_every_truncation_rejected():
    blob = make([b"hello", b"world"], Header(model_id(b"m"), b"m"))
    for n in range(len(blob)):
        with pytest.raises(FormatError):
            read_all(blob[:n])


def test_every_bit_flip_rejected():
    blob = make([b"hello"])
    for i in range(len(blob) * 8):
        bad = bytearray(blob)
        bad[i // 8] ^= 1 << (i % 8)
        with pytest.raises((FormatError, ChecksumError, LimitError)):
            read_all(bytes(bad))


def test_empty_chunks_are_not_written():
    with pytest.raises(ValueError):
        Writer(io.BytesIO(), Header()).chunk(Record(0, 0, 0, 0), b"")


def test_a_large_model_is_hashed_once_per_bytes_object(monkeypatch):
    import hashlib
    from pcz.format import fields
    calls = []
    real = hashlib.sha256
    monkeypatch.setattr(fields.hashlib, "sha256", lambda data: calls.append(1) or real(data))
    big = bytes(17 << 20)
    other = b"\x01" + big[1:]
    assert model_id(big) == model_id(big) == real(big).digest()
    assert len(calls) == 1
    assert model_id(other) == real(other).digest() != model_id(big)     # a new object: hashed
    assert model_id(bytearray(big)) == real(big).digest()                # mutable: never remembered
    assert len(calls) == 4
