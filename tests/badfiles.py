"""A generated corpus of damaged and malicious pcz files (made by code, never committed as binaries).

Each case is (name, blob, options) where options are extra decompress options
(e.g. a model to pass).  Every case must be rejected with a pcz error.  Cases
come in two kinds: blind damage (truncations, bit flips: caught by CRCs) and
*consistent* forgeries whose checksums are recomputed, so that the semantic
checks behind the CRCs (reserved bits, size caps, table consistency, method
ids, payload validation) are exercised too.  Base files come in both framings
(compact for contents up to 1 MiB, header/records/footer above, and a
version-1 file); the forger parses and rebuilds either (:func:`parse`).

Run ``python tests/badfiles.py OUTDIR`` to write the corpus to a folder (e.g.
as fuzzing seeds).
"""
import os
import struct
import sys
import zlib
from dataclasses import dataclass, field

import pcz
from pcz.format import container, fields
from pcz.format.binio import Reader as FieldReader, varint
from pcz.format.fields import DIGEST_SIZE, END_MAGIC, MAGIC, content_digest, model_id

_REC = struct.Struct("<BBIII")
_ENTRY = struct.Struct("<III")


@dataclass
class Parsed:
    """A pcz file split into editable fields; ``build`` recomputes every CRC unless told not to."""
    version: int
    flags: int
    reserved: int
    model_id: bytes
    model_len: int | None
    model: bytes
    records: list = field(default_factory=list)   # [method, reserved, size, stored, crc, payload]
    table: list = field(default_factory=list)     # [size, stored, crc]
    count: int = 0
    total: int = 0
    digest: bytes = b""

    def chunks(self) -> list[tuple[int, int, bytes]]:
        """(method, original size, payload) of each chunk."""
        return [(r[0], r[2], r[5]) for r in self.records]

    def build(self, header_crc=None, record_crc=None, footer_crc=None,
              footer_len=None, end_magic=END_MAGIC) -> bytes:
        head = bytearray(MAGIC + struct.pack("<BBH", self.version, self.flags, self.reserved))
        head += _model_fields(self)
        head += struct.pack("<I", zlib.crc32(head) if header_crc is None else header_crc)
        out = bytearray(head)
        for method, reserved, size, stored, crc, payload in self.records:
            rec = _REC.pack(method, reserved, size, stored, crc)
            rcrc = zlib.crc32(payload, zlib.crc32(rec)) if record_crc is None else record_crc
            out += rec + struct.pack("<I", rcrc) + payload
        body = bytearray(struct.pack("<BI", 0xFF, self.count))
        for entry in self.table:
            body += _ENTRY.pack(*entry)
        body += struct.pack("<Q", self.total) + self.digest
        body += struct.pack("<I", zlib.crc32(body) if footer_crc is None else footer_crc)
        out += body + struct.pack("<I", len(body) if footer_len is None else footer_len) + end_magic
        return bytes(out)


def _model_fields(p) -> bytes:
    return p.model_id + (b"" if p.model_len is None else struct.pack("<I", p.model_len) + p.model)


def _parse_model_fields(blob: bytes, flags: int, pos: int) -> tuple[bytes, int | None, bytes, int]:
    mid, mlen, model = b"", None, b""
    if flags & fields.FLAG_MODEL:
        size = fields.SHORT_ID_SIZE if flags & fields.FLAG_SHORT_ID else fields.MODEL_ID_SIZE
        mid, pos = blob[pos:pos + size], pos + size
    if flags & fields.FLAG_EMBEDDED:
        (mlen,) = struct.unpack_from("<I", blob, pos)
        model, pos = blob[pos + 4:pos + 4 + mlen], pos + 4 + mlen
    return mid, mlen, model, pos


@dataclass
class CompactParsed:
    """A compact pcz file split into editable fields; ``build`` recomputes the file CRC
    (the content CRC is a field: forgeries that change the content keep the old one)."""
    version: int
    flags: int
    model_id: bytes
    model_len: int | None
    model: bytes
    records: list = field(default_factory=list)   # [method, size, stored, payload]
    content_crc: int = 0
    end_tag: int = 0xFF
    extra: bytes = b""                             # bytes between the records and the end tag

    def chunks(self) -> list[tuple[int, int, bytes]]:
        return [(r[0], r[1], r[3]) for r in self.records]

    def build(self, file_crc=None) -> bytes:
        out = bytearray(MAGIC + bytes([self.version, self.flags]) + _model_fields(self))
        for method, size, stored, payload in self.records:
            out += bytes([method]) + varint(size) + varint(stored) + payload
        out += self.extra + struct.pack("<BI", self.end_tag, self.content_crc)
        return bytes(out + struct.pack("<I", zlib.crc32(out) if file_crc is None else file_crc))


def parse(blob: bytes) -> "Parsed | CompactParsed":
    """Split a valid pcz file into fields."""
    if blob[5] & fields.FLAG_COMPACT:
        return _parse_compact(blob)
    version, flags, reserved = struct.unpack_from("<BBH", blob, 4)
    mid, mlen, model, pos = _parse_model_fields(blob, flags, 8)
    pos += 4
    p = Parsed(version, flags, reserved, mid, mlen, model)
    while blob[pos] != 0xFF:
        method, res, size, stored, crc = _REC.unpack_from(blob, pos)
        pos += _REC.size + 4
        p.records.append([method, res, size, stored, crc, blob[pos:pos + stored]])
        pos += stored
    (p.count,) = struct.unpack_from("<I", blob, pos + 1)
    pos += 5
    for i in range(p.count):
        p.table.append(list(_ENTRY.unpack_from(blob, pos)))
        pos += _ENTRY.size
    (p.total,) = struct.unpack_from("<Q", blob, pos)
    p.digest = blob[pos + 8:pos + 8 + DIGEST_SIZE]
    return p


def _parse_compact(blob: bytes) -> CompactParsed:
    mid, mlen, model, pos = _parse_model_fields(blob, blob[5], 6)
    p = CompactParsed(blob[4], blob[5], mid, mlen, model)
    fields = FieldReader(blob[pos:-9])
    while fields.remaining():
        method, size, stored = fields.u8(), fields.varint(), fields.varint()
        p.records.append([method, size, stored, fields.take(stored)])
    (p.content_crc,) = struct.unpack_from("<I", blob, len(blob) - 8)
    return p


def _copy(p):
    import copy
    return copy.deepcopy(p)


def field_boundaries(blob: bytes) -> list[int]:
    """Byte offsets where a field of the file starts (for truncation cases)."""
    p = parse(blob)
    cuts = [0, 4, 5, 6, 8]
    pos = 8 + len(p.model_id)
    cuts.append(pos)
    if p.model_len is not None:
        cuts += [pos + 4, pos + 4 + p.model_len // 2]
        pos += 4 + p.model_len
    cuts.append(pos)
    pos += 4
    for r in p.records:
        cuts += [pos + k for k in (0, 1, 2, 6, 10, 14, 18)]
        pos += 18 + r[3]
        cuts.append(pos - max(1, r[3] // 2))
    cuts += [pos, pos + 1, pos + 5]
    pos += 5 + 12 * p.count
    cuts += [pos, pos + 8, pos + 8 + DIGEST_SIZE, pos + 12 + DIGEST_SIZE, pos + 16 + DIGEST_SIZE,
             len(blob) - 1]
    return sorted(set(c for c in cuts if c < len(blob)))


TEST_MODEL = b"PCZTEST0" + bytes(range(40))


def _load_test_model(data: bytes):
    from pcz.errors import ModelError
    if data != TEST_MODEL:
        raise ModelError("not the test model")
    return object()


def register_test_model() -> None:
    """Register a model kind for the stand-in model the model-carrying base files name."""
    from pcz import models
    models.register(models.Kind("test", TEST_MODEL[:8], _load_test_model, (1,), records=False,
                                summary="the stand-in model of the bad-file corpus"))


def base_files() -> dict[str, tuple[bytes, dict]]:
    """Valid files the corpus is derived from: raw, order0, text (hmm-mix), multi-chunk,
    model-carrying and .npy records, in the compact framing and (``large-``, ``v1-``) the other one."""
    import badmodels
    import numpy as np
    text = b"the cat sat on the mat; the dog sat on the log. " * 20
    # 70,000 bytes that order0 codes (the large- files frame them in the chunked framing)
    skewed = np.random.default_rng(0).choice(4, 70000, p=[0.7, 0.1, 0.1, 0.1]).astype(np.uint8) + 200
    fake_model = TEST_MODEL
    mid = model_id(fake_model)
    hclt = badmodels.tiny_hclt()
    records = np.arange(40, dtype=np.uint8).reshape(10, 2, 2) % 4

    def with_model(embed: bool, compact_limit: int = fields.COMPACT_LIMIT) -> bytes:
        import io
        buf = io.BytesIO()
        w = container.Writer(buf, fields.Header(mid, fake_model if embed else None), compact_limit)
        w.chunk(fields.Record(0, 5, 5, zlib.crc32(b"hello")), b"hello")
        w.finish(content_digest(b"hello"), zlib.crc32(b"hello"))
        return buf.getvalue()

    v1 = parse(chunked(skewed.tobytes()))
    v1.version = 1
    return {
        "order0": (pcz.compress(skewed[:1000].tobytes()), {}),
        "text": (pcz.compress(text), {}),
        "multi": (pcz.compress(text + bytes(range(256)), chunk_size=300), {}),
        "raw": (pcz.compress(b"xyz"), {}),
        "empty": (pcz.compress(b""), {}),
        "embedded": (with_model(True), {}),
        "referenced": (with_model(False), {"model": TEST_MODEL}),
        "npy": (pcz.compress_array(records, hclt), {"model": hclt}),
        "large-order0": (chunked(skewed.tobytes()), {}),
        "large-multi": (pcz.compress(skewed.tobytes() + bytes(range(256)), chunk_size=30000), {}),
        "large-embedded": (with_model(True, -1), {}),
        "large-referenced": (with_model(False, -1), {"model": TEST_MODEL}),
        "v1-order0": (v1.build(), {}),
    }


def chunked(data: bytes) -> bytes:
    """``pcz.compress(data)`` in the chunked framing, whatever its size (writers frame a
    content of one default chunk compactly; readers take either framing)."""
    import io
    compact = parse(pcz.compress(data))
    buf, at = io.BytesIO(), 0
    w = container.Writer(buf, fields.Header(), -1)
    for method, size, stored, payload in compact.records:
        w.chunk(fields.Record(method, size, stored, zlib.crc32(data[at:at + size])), payload)
        at += size
    w.finish(content_digest(data), zlib.crc32(data))
    return buf.getvalue()


def _case(name: str, p):
    """case(tag, mutate): the forgery of a copy of p that ``mutate`` changes, CRCs recomputed."""
    def case(tag, mutate):
        q = _copy(p)
        mutate(q)
        return f"{name}-forged-{tag}", q.build()
    return case


def _start_forgeries(case, p, flag_bits):
    """Forgeries of the fields both framings share: version, flags, model fields."""
    for version in (0, 3, 255):      # 1 and 2 both read (the framings are the same but compact)
        yield case(f"version{version}", lambda q, v=version: setattr(q, "version", v))
    for bit in flag_bits:
        yield case(f"flag{bit}", lambda q, b=bit: setattr(q, "flags", q.flags ^ (1 << b)))
    yield case("embedded-without-id", lambda q: setattr(q, "flags", fields.FLAG_EMBEDDED | (
        q.flags & fields.FLAG_COMPACT)))
    if p.model_len is not None:
        yield case("model-len-huge", lambda q: setattr(q, "model_len", 0xFFFFFFFF))
        yield case("model-len-zero", lambda q: setattr(q, "model_len", 0))
        yield case("model-bytes-swapped", lambda q: setattr(q, "model", q.model[::-1]))
    if p.model_id:
        yield case("model-id-other", lambda q: setattr(q, "model_id", bytes(32)))


def _compact_forgeries(name: str, blob: bytes):
    """Consistent forgeries of a compact file: file CRC recomputed, content CRC kept."""
    p = parse(blob)
    case = _case(name, p)
    yield from _start_forgeries(case, p, range(2, 8))
    yield case("version1", lambda q: setattr(q, "version", 1))       # no compact framing in v1
    yield case("end-tag-missing", lambda q: setattr(q, "end_tag", 0))
    yield case("content-crc", lambda q: setattr(q, "content_crc", q.content_crc ^ 1))
    yield case("trailing-byte", lambda q: setattr(q, "extra", b"\x00"))
    yield case("trailing-chunk", lambda q: setattr(q, "extra", bytes([0, 1, 1, 0x41])))
    yield case("trailing-end-tag", lambda q: setattr(q, "extra", b"\xff"))
    yield case("size-overlong-varint", lambda q: setattr(q, "extra", b"\x00" + b"\x81" * 11 + b"\x01\x41"))
    yield case("longer-than-the-framing", lambda q: setattr(q, "extra", bytes((4 << 16) + 1)))
    yield case("content-over-limit", lambda q: q.records.extend(
        [[0, 1 << 15, 1 << 15, bytes(1 << 15)] for _ in range(3)]))
    if not p.records:
        return
    r0 = p.records[0]

    def set0(**fields):
        index = {"method": 0, "size": 1, "stored": 2, "payload": 3}
        return lambda q: [q.records[0].__setitem__(index[k], v) for k, v in fields.items()]

    yield case("method-unknown", set0(method=200))
    yield case("method-end-tag", set0(method=0xFF))
    yield case("size-zero", set0(size=0, stored=0, payload=b""))
    yield case("size-huge", set0(size=(1 << 63) - 1))
    yield case("size-and-stored-huge", set0(size=(1 << 63) - 1, stored=(1 << 63) - 1))
    yield case("size-over-limit", set0(size=fields.COMPACT_LIMIT + 1))
    yield case("size-at-limit", set0(size=fields.COMPACT_LIMIT))          # far beyond the data
    yield case("size-off-by-one", set0(size=r0[1] + 1))
    if r0[1] > 1:
        yield case("size-one-short", set0(size=r0[1] - 1))
    yield case("stored-gt-size", set0(stored=r0[1] + 1, payload=r0[3] + bytes(r0[1] + 1 - r0[2])))
    yield case("stored-zero", set0(stored=0, payload=b""))
    yield case("stored-one-short", set0(stored=r0[2] - 1, payload=r0[3][:-1]))
    yield case("stored-beyond-the-data", set0(size=r0[1] + 100, stored=r0[2] + 100))
    yield case("payload-byte", set0(payload=bytes([r0[3][0] ^ 0x40]) + r0[3][1:]))
    if len(p.records) > 1:
        yield case("records-swapped", lambda q: q.records.reverse())
        yield case("record-dropped", lambda q: q.records.pop())
        yield case("record-duplicated", lambda q: q.records.append(list(q.records[0])))
    if r0[0] == 1 and r0[2] > 40:
        yield case("order0-empty-table", set0(payload=bytes(32) + r0[3][32:]))
        yield case("order0-zero-count", set0(payload=r0[3][:32] + b"\x00" + r0[3][33:]))
    if r0[0] == 7:
        yield case("npy-ndim-huge", set0(payload=varint(65) + r0[3][1:]))
        yield case("npy-dim-huge", set0(payload=r0[3][:1] + b"\xff" * 9 + b"\x7f" + r0[3][2:]))
        yield case("npy-shape-lies", set0(payload=r0[3][:-1] + bytes([r0[3][-1] + 1])))
        yield case("npy-trailing-byte", set0(payload=r0[3] + b"\x00", stored=r0[2] + 1))


def _large_forgeries(name: str, blob: bytes):
    """Consistent forgeries of the header/records/footer framing: CRCs recomputed,
    semantic checks must catch them."""
    p = parse(blob)
    case = _case(name, p)
    yield from _start_forgeries(case, p, range(2, 8))
    yield case("header-reserved", lambda q: setattr(q, "reserved", 1))
    if not p.records:
        return
    r0 = p.records[0]
    yield case("method-unknown", lambda q: q.records[0].__setitem__(0, 200))
    yield case("method-end-tag-mid", lambda q: q.records[0].__setitem__(0, 0xFE))
    yield case("record-reserved", lambda q: q.records[0].__setitem__(1, 1))
    yield case("size-huge", lambda q: q.records[0].__setitem__(2, 0xFFFFFFFF))
    yield case("size-and-stored-huge", lambda q: (q.records[0].__setitem__(2, 0xFFFFFFFF),
                                                 q.records[0].__setitem__(3, 0xFFFFFFFF)))
    yield case("size-cap-plus-one", lambda q: q.records[0].__setitem__(2, fields.MAX_CHUNK + 1))
    yield case("stored-gt-size", lambda q: q.records[0].__setitem__(3, r0[2] + 1))
    yield case("stored-zero", lambda q: (q.records[0].__setitem__(3, 0), q.records[0].__setitem__(5, b"")))
    yield case("size-off-by-one", lambda q: (q.records[0].__setitem__(2, r0[2] + 1),
                                            q.table[0].__setitem__(0, r0[2] + 1),
                                            setattr(q, "total", q.total + 1)))
    yield case("content-crc", lambda q: (q.records[0].__setitem__(4, r0[4] ^ 1),
                                        q.table[0].__setitem__(2, r0[4] ^ 1)))
    yield case("payload-byte", lambda q: q.records[0].__setitem__(5, bytes([r0[5][0] ^ 0x40]) + r0[5][1:]))
    if r0[0] == 1 and r0[3] > 40:
        yield case("order0-truncated-words", lambda q: (q.records[0].__setitem__(5, r0[5][:-3]),
                                                       q.records[0].__setitem__(3, r0[3] - 3),
                                                       q.table[0].__setitem__(1, r0[3] - 3)))
        yield case("order0-empty-table", lambda q: q.records[0].__setitem__(5, bytes(32) + r0[5][32:]))
        yield case("order0-zero-count", lambda q: q.records[0].__setitem__(5, r0[5][:32] + b"\x00" + r0[5][33:]))
        yield case("order0-overlong-count", lambda q: q.records[0].__setitem__(
            5, r0[5][:32] + b"\xff" * 12 + r0[5][44:]))
    if len(p.records) > 1:
        yield case("records-swapped", lambda q: (q.records.reverse(), q.table.reverse()))
        yield case("record-dropped", lambda q: (q.records.pop(), q.table.pop(), setattr(q, "count", q.count - 1),
                                               setattr(q, "total", q.total - r0[2] if False else sum(t[0] for t in q.table))))
        yield case("record-duplicated", lambda q: (q.records.append(list(q.records[0])),
                                                  q.table.append(list(q.table[0])), setattr(q, "count", q.count + 1),
                                                  setattr(q, "total", q.total + r0[2])))
    yield case("table-size-lies", lambda q: q.table[0].__setitem__(0, r0[2] + 1))
    yield case("table-stored-lies", lambda q: q.table[0].__setitem__(1, r0[3] - 1))
    yield case("table-crc-lies", lambda q: q.table[0].__setitem__(2, r0[4] ^ 0x10))
    yield case("count-lies", lambda q: setattr(q, "count", q.count + 1))
    yield case("count-huge", lambda q: setattr(q, "count", 0xFFFFFFFF))
    yield case("total-lies", lambda q: setattr(q, "total", q.total + 1))
    yield case("total-huge", lambda q: setattr(q, "total", (1 << 64) - 1))
    yield case("digest-lies", lambda q: setattr(q, "digest", bytes(DIGEST_SIZE)))


def tail_forgeries():
    """(name, blob, options, original): the last payload bit of each chunk flipped, CRCs
    recomputed.  A coder may leave slack bits at the end of its stream, so such a file
    may decode; it must then decode to exactly the original, never to other data."""
    for name, (blob, options) in base_files().items():
        p = parse(blob)
        original = pcz.decompress(blob, **options)
        for i, rec in enumerate(p.records):
            if rec[0] == 0:
                continue      # raw chunks have no slack: covered by payload-byte
            q = _copy(p)
            q.records[i][-1] = rec[-1][:-1] + bytes([rec[-1][-1] ^ 1])      # the payload is last
            yield f"{name}-forged-tail{i}", q.build(), options, original


def _flips(blob: bytes, offsets):
    for i in offsets:
        for bit in range(8):
            bad = bytearray(blob)
            bad[i] ^= 1 << bit
            yield i * 8 + bit, bytes(bad)


def _compact_cases(name: str, blob: bytes, options: dict):
    for cut in range(len(blob)):                   # every truncation
        yield f"{name}-trunc{cut}", blob[:cut], options
    yield f"{name}-trailing-byte", blob + b"\x00", options
    yield f"{name}-appended-truncated-copy", blob + blob[:-1], options   # (blob + blob is valid)
    # every bit of the start, the model fields, each record's framing and the end
    p = parse(blob)
    framing = list(range(6 + len(_model_fields(p))))
    pos = framing[-1] + 1
    for method, size, stored, payload in p.records:
        head = 1 + len(varint(size)) + len(varint(stored))
        framing += list(range(pos, pos + head)) + [pos + head, pos + head + stored - 1]
        pos += head + stored
    framing += list(range(len(blob) - 9, len(blob)))
    for i, bad in _flips(blob, sorted(set(framing))):
        yield f"{name}-flip{i}", bad, options
    yield f"{name}-bad-file-crc", p.build(file_crc=0), options
    for case_name, forged in _compact_forgeries(name, blob):
        yield case_name, forged, options


def attack_files():
    """Yield (name, blob, options): the hostile files of docs/SECURITY.md ("Untrusted .pcz
    files"), forged by pcz.bench.experiments.security_probe; each is refused before the
    work or memory it asks for is spent."""
    from pcz.bench.experiments import security_probe as forge
    from pcz.format.method_ids import ORDER0
    yield "attack-model-bomb", forge.model_bomb(), {}
    yield "attack-cpu-bomb", forge.cpu_bomb(), {}
    yield "attack-cpu-bomb-64m", forge.cpu_bomb(chunks=1, size=64 << 20), {}
    short = forge.zero_chunk_payload(1 << 20)[:36]      # the table and too few coded bytes
    yield "attack-zero-chunks-short", forge.container([(ORDER0, 64 << 20, 0, short)] * 8), {}


def attack_seeds() -> list[bytes]:
    """Fuzzing seeds: the attacks, and the legitimate file of large zero chunks."""
    from pcz.bench.experiments import security_probe as forge
    return [blob for _, blob, _ in attack_files()] + [forge.zero_chunks(chunks=2)]


def bad_files():
    """Yield (name, blob, options) for every case of the corpus."""
    yield from attack_files()
    for name, (blob, options) in base_files().items():
        if name.endswith("referenced"):
            yield f"{name}-missing-model", blob, {}
            yield f"{name}-wrong-model", blob, {"model": b"PCZTEST0" + bytes(41)}
            continue
        if isinstance(parse(blob), CompactParsed):
            yield from _compact_cases(name, blob, options)
            continue
        for cut in field_boundaries(blob):
            yield f"{name}-trunc{cut}", blob[:cut], options
        yield f"{name}-trailing-byte", blob + b"\x00", options
        yield f"{name}-appended-truncated-copy", blob + blob[:-1], options   # (blob + blob is valid)
        p = parse(blob)
        header_len = 12 + len(p.model_id) + (4 + len(p.model) if p.model_len is not None else 0)
        for i, bad in _flips(blob, range(header_len)):          # every bit of every header field
            yield f"{name}-headerflip{i}", bad, options
        for tag, kw in [("header-crc", {"header_crc": 0}), ("record-crc", {"record_crc": 0}),
                        ("footer-crc", {"footer_crc": 0}), ("footer-len", {"footer_len": 7}),
                        ("end-magic", {"end_magic": b"PCZ\x88"})]:
            yield f"{name}-bad-{tag}", p.build(**kw), options
        for case_name, forged in _large_forgeries(name, blob):
            yield case_name, forged, options


def check_all(cases=None) -> dict[str, int]:
    """Decompress every case; return the count of each error type.  Raises
    AssertionError for a case that is accepted or fails with a non-pcz exception."""
    from pcz.errors import PczError
    register_test_model()
    counts: dict[str, int] = {}
    for name, blob, options in cases if cases is not None else bad_files():
        try:
            pcz.decompress(blob, **options)
        except PczError as e:
            counts[type(e).__name__] = counts.get(type(e).__name__, 0) + 1
            continue
        raise AssertionError(f"bad file {name} was accepted")
    return counts


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    for name, blob, _ in bad_files():
        with open(os.path.join(out, name + ".pcz"), "wb") as f:
            f.write(blob)
        n += 1
    print(f"wrote {n} files to {out}")
