import io
import struct
import zlib

import pytest

from pcz import container
from pcz.container import Header, Reader, Record, Writer, content_digest, model_id
from pcz.errors import ChecksumError, FormatError, LimitError


def make(chunks, header=Header()):
    buf = io.BytesIO()
    w = Writer(buf, header)
    digest = content_digest()
    for data in chunks:
        w.chunk(Record(0, len(data), len(data), zlib.crc32(data)), data)
        digest.update(data)
    w.finish(digest)
    return buf.getvalue()


def read_all(blob, **kw):
    r = Reader(io.BytesIO(blob), **kw)
    return r, [(rec, payload) for rec, payload in r.records()]


def test_layout_of_an_empty_stream_is_as_documented():
    blob = make([])
    assert blob[:4] == b"\x89PCZ" and blob[4] == 1 and blob[5] == 0
    assert len(blob) == container.overhead_bound(0, 1)
    assert blob[-4:] == b"PCZ\x89"
    assert struct.unpack("<I", blob[8:12])[0] == zlib.crc32(blob[:8])


def test_chunks_and_footer_roundtrip():
    r, items = read_all(make([b"ab", b"cde"]))
    assert [p for _, p in items] == [b"ab", b"cde"]
    assert r.total == 5 and r.footer_digest == content_digest(b"abcde").digest()


def test_model_reference_and_embedding():
    model = b"MODELBYTES"
    blob = make([b"x"], Header(model_id(model), model))
    r, _ = read_all(blob)
    assert r.header.model_id == model_id(model) and r.header.model_bytes == model
    r, _ = read_all(make([b"x"], Header(model_id(model))))
    assert r.header.model_bytes is None


def test_reserved_flag_bits_rejected_even_with_valid_crc():
    blob = bytearray(make([]))
    blob[5] |= 0x80
    blob[8:12] = struct.pack("<I", zlib.crc32(bytes(blob[:8])))
    with pytest.raises(FormatError, match="reserved"):
        read_all(bytes(blob))


def test_unknown_version_rejected():
    blob = bytearray(make([]))
    blob[4] = 2
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
    footer_start = len(blob) - 8 - container.FOOTER_FIXED + 8 - container._TABLE_ENTRY.size
    entry = footer_start + 5
    blob[entry:entry + 4] = struct.pack("<I", 4)     # table says 4 bytes
    body_end = len(blob) - 12
    body_start = len(blob) - 8 - (struct.unpack("<I", bytes(blob[-8:-4]))[0])
    blob[body_end:body_end + 4] = struct.pack("<I", zlib.crc32(bytes(blob[body_start:body_end])))
    with pytest.raises(FormatError, match="table"):
        read_all(bytes(blob))


def test_trailing_garbage_rejected():
    with pytest.raises(FormatError, match="trailing"):
        read_all(make([b"a"]) + b"\x00")


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
