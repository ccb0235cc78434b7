"""A generated corpus of damaged and malicious pcz files (made by code, never committed as binaries).

Each case is (name, blob, options) where options are extra decompress options
(e.g. a model to pass).  Every case must be rejected with a pcz error.  Cases
come in two kinds: blind damage (truncations, bit flips: caught by CRCs) and
*consistent* forgeries whose checksums are recomputed, so that the semantic
checks behind the CRCs (reserved bits, size caps, table consistency, method
ids, payload validation) are exercised too.

Run ``python tests/badfiles.py OUTDIR`` to write the corpus to a folder (e.g.
as fuzzing seeds).
"""
import os
import struct
import sys
import zlib
from dataclasses import dataclass, field

import pcz
from pcz import container
from pcz.container import DIGEST_SIZE, END_MAGIC, MAGIC, content_digest, model_id

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

    def build(self, fix_crcs: bool = True, header_crc=None, record_crc=None, footer_crc=None,
              footer_len=None, end_magic=END_MAGIC) -> bytes:
        head = bytearray(MAGIC + struct.pack("<BBH", self.version, self.flags, self.reserved))
        head += self.model_id
        if self.model_len is not None:
            head += struct.pack("<I", self.model_len) + self.model
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


def parse(blob: bytes) -> Parsed:
    """Split a valid pcz file into fields."""
    version, flags, reserved = struct.unpack_from("<BBH", blob, 4)
    pos = 8
    mid, mlen, model = b"", None, b""
    if flags & container.FLAG_MODEL:
        mid, pos = blob[pos:pos + 32], pos + 32
    if flags & container.FLAG_EMBEDDED:
        (mlen,) = struct.unpack_from("<I", blob, pos)
        model, pos = blob[pos + 4:pos + 4 + mlen], pos + 4 + mlen
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


def _copy(p: Parsed) -> Parsed:
    q = Parsed(p.version, p.flags, p.reserved, p.model_id, p.model_len, p.model,
               [list(r) for r in p.records], [list(t) for t in p.table], p.count, p.total, p.digest)
    return q


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


def register_test_model() -> None:
    """Register a loader for the stand-in model the model-carrying base files name."""
    from pcz import models
    from pcz.errors import ModelError

    def load(data: bytes):
        if data != TEST_MODEL:
            raise ModelError("not the test model")
        return object()
    models.register_loader(TEST_MODEL[:8], load)


def base_files() -> dict[str, tuple[bytes, dict]]:
    """Small valid files the corpus is derived from: raw, order0, multi-chunk, model-carrying."""
    text = b"the cat sat on the mat; the dog sat on the log. " * 20
    fake_model = TEST_MODEL
    mid = model_id(fake_model)

    def with_model(embed: bool) -> bytes:
        import io
        buf = io.BytesIO()
        w = container.Writer(buf, container.Header(mid, fake_model if embed else None))
        w.chunk(container.Record(0, 5, 5, zlib.crc32(b"hello")), b"hello")
        w.finish(content_digest(b"hello"))
        return buf.getvalue()

    return {
        "order0": (pcz.compress(text), {}),
        "multi": (pcz.compress(text + bytes(range(256)), chunk_size=300), {}),
        "raw": (pcz.compress(b"xyz"), {}),
        "embedded": (with_model(True), {}),
        "referenced": (with_model(False), {"model": TEST_MODEL}),
    }


def _forgeries(name: str, blob: bytes):
    """Consistent forgeries: CRCs recomputed, semantic checks must catch them."""
    p = parse(blob)

    def case(tag, mutate):
        q = _copy(p)
        mutate(q)
        return f"{name}-forged-{tag}", q.build()

    yield case("version0", lambda q: setattr(q, "version", 0))
    yield case("version2", lambda q: setattr(q, "version", 2))
    for bit in range(2, 8):
        yield case(f"flag{bit}", lambda q, b=bit: setattr(q, "flags", q.flags | (1 << b)))
    yield case("embedded-without-id", lambda q: setattr(q, "flags", container.FLAG_EMBEDDED))
    yield case("header-reserved", lambda q: setattr(q, "reserved", 1))
    if p.model_len is not None:
        yield case("model-len-huge", lambda q: setattr(q, "model_len", 0xFFFFFFFF))
        yield case("model-len-zero", lambda q: setattr(q, "model_len", 0))
        yield case("model-bytes-swapped", lambda q: setattr(q, "model", q.model[::-1]))
    if p.model_id:
        yield case("model-id-other", lambda q: setattr(q, "model_id", bytes(32)))
    if not p.records:
        return
    r0 = p.records[0]
    yield case("method-unknown", lambda q: q.records[0].__setitem__(0, 200))
    yield case("method-end-tag-mid", lambda q: q.records[0].__setitem__(0, 0xFE))
    yield case("record-reserved", lambda q: q.records[0].__setitem__(1, 1))
    yield case("size-huge", lambda q: q.records[0].__setitem__(2, 0xFFFFFFFF))
    yield case("size-and-stored-huge", lambda q: (q.records[0].__setitem__(2, 0xFFFFFFFF),
                                                 q.records[0].__setitem__(3, 0xFFFFFFFF)))
    yield case("size-cap-plus-one", lambda q: q.records[0].__setitem__(2, container.MAX_CHUNK + 1))
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
            q.records[i][5] = rec[5][:-1] + bytes([rec[5][-1] ^ 1])
            yield f"{name}-forged-tail{i}", q.build(), options, original


def bad_files():
    """Yield (name, blob, options) for every case of the corpus."""
    for name, (blob, options) in base_files().items():
        if name == "referenced":
            yield f"{name}-missing-model", blob, {}
            yield f"{name}-wrong-model", blob, {"model": b"PCZTEST0" + bytes(41)}
            continue
        for cut in field_boundaries(blob):
            yield f"{name}-trunc{cut}", blob[:cut], options
        yield f"{name}-trailing-byte", blob + b"\x00", options
        yield f"{name}-appended-copy", blob + blob, options
        p = parse(blob)
        header_len = 12 + len(p.model_id) + (4 + len(p.model) if p.model_len is not None else 0)
        for i in range(header_len * 8):          # every bit of every header field
            bad = bytearray(blob)
            bad[i // 8] ^= 1 << (i % 8)
            yield f"{name}-headerflip{i}", bytes(bad), options
        for tag, kw in [("header-crc", {"header_crc": 0}), ("record-crc", {"record_crc": 0}),
                        ("footer-crc", {"footer_crc": 0}), ("footer-len", {"footer_len": 7}),
                        ("end-magic", {"end_magic": b"PCZ\x88"})]:
            yield f"{name}-bad-{tag}", p.build(**kw), options
        for case_name, forged in _forgeries(name, blob):
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
