import io

import pytest

import pcz


def test_binary_write_then_read(tmp_path):
    path = tmp_path / "a.pcz"
    with pcz.open(path, "wb", chunk_size=100) as f:
        for i in range(50):
            f.write(b"line %d\n" % i)
    with pcz.open(path) as f:
        assert f.readline() == b"line 0\n"
        rest = f.read()
    assert rest.endswith(b"line 49\n")
    assert pcz.decompress(path.read_bytes()) == b"".join(b"line %d\n" % i for i in range(50))


def test_text_mode_and_file_objects():
    buf = io.BytesIO()
    with pcz.open(buf, "wt", encoding="utf-8") as f:
        f.write("héllo\n")
        assert not buf.closed or True
    blob = buf.getvalue()
    with pcz.open(io.BytesIO(blob), "rt", encoding="utf-8") as f:
        assert f.read() == "héllo\n"


def test_exclusive_mode_refuses_existing(tmp_path):
    path = tmp_path / "a.pcz"
    path.write_bytes(b"")
    with pytest.raises(FileExistsError):
        pcz.open(path, "xb")


@pytest.mark.parametrize("mode", ["rw", "rbt", "wbb", "", "r+", "a+"])
def test_bad_modes(mode, tmp_path):
    with pytest.raises(ValueError):
        pcz.open(tmp_path / "x", mode)


def test_reading_damaged_file_raises(tmp_path):
    blob = bytearray(pcz.compress(b"abc" * 1000))
    blob[-30] ^= 4
    with pcz.open(io.BytesIO(bytes(blob))) as f:
        with pytest.raises(pcz.FormatError):
            f.read()


# ---- issue 17: what lzma.open users expect ----

@pytest.mark.parametrize("options", [{"preset": 5}, {"chunk_size": 0}, {"model": b"not a model"},
                                     {"windows": 3}, {"fast": True, "windows": 32}])
@pytest.mark.parametrize("mode", ["wb", "xb", "ab", "wt"])
def test_option_errors_create_and_truncate_nothing(tmp_path, options, mode):
    path = tmp_path / "out.pcz"
    with pytest.raises((TypeError, ValueError, pcz.PczError)):
        pcz.open(path, mode, **options)
    assert not path.exists()
    path.write_bytes(b"precious")
    if mode != "xb":
        with pytest.raises((TypeError, ValueError, pcz.PczError)):
            pcz.open(path, mode, **options)
    assert path.read_bytes() == b"precious"


def test_append_mode_adds_a_stream_that_reading_decodes(tmp_path):
    path = tmp_path / "log.pcz"
    for i in range(3):
        with pcz.open(path, "ab") as f:
            f.write(b"entry %d\n" % i)
    with pcz.open(path, "at", encoding="utf-8") as f:
        f.write("entry 3\n")
    with pcz.open(path, "rt", encoding="utf-8") as f:
        assert f.readlines() == [f"entry {i}\n" for i in range(4)]
    assert pcz.decompress(path.read_bytes()) == b"".join(b"entry %d\n" % i for i in range(4))


def _content():
    import random
    rng = random.Random(7)
    big = bytes(rng.randrange(4) + 65 for _ in range(150000))
    blobs = [pcz.compress(big, chunk_size=20000, fast=True), pcz.compress(b""),
             pcz.compress(b"hello world " * 50, fast=True), pcz.compress(big[:70000], chunk_size=65536, fast=True)]
    return b"".join(blobs), big + b"hello world " * 50 + big[:70000]


def test_read_handles_seek_and_tell_like_any_file():
    import random
    blob, content = _content()
    rng = random.Random(1)
    with pcz.open(io.BytesIO(blob)) as f:
        assert f.seekable()
        for _ in range(150):
            target = rng.randrange(len(content) + 5)
            whence = rng.choice([io.SEEK_SET, io.SEEK_CUR, io.SEEK_END])
            offset = {io.SEEK_SET: target, io.SEEK_CUR: target - f.tell(), io.SEEK_END: target - len(content)}
            assert f.seek(offset[whence], whence) == target and f.tell() == target
            n = rng.randrange(30000)
            assert f.read(n) == content[target:target + n]
            assert f.tell() == min(len(content), target + n) if target <= len(content) else target
        with pytest.raises(ValueError):
            f.seek(-1)


def test_a_seek_decodes_only_the_chunk_it_lands_in(monkeypatch):
    from pcz.engine import seeking
    data = bytes(range(256)) * 4000
    blob = pcz.compress(data, chunk_size=8192, fast=True)
    decoded = []
    real = seeking.decode_record
    monkeypatch.setattr(seeking, "decode_record", lambda item, model: decoded.append(1) or real(item, model))
    with pcz.open(io.BytesIO(blob)) as f:
        f.seek(700_000)
        assert f.read(100) == data[700_000:700_100]
        f.seek(10_000)
        assert f.read(100) == data[10_000:10_100]
    assert len(decoded) == 2


def test_a_seek_lands_on_damage_it_reaches():
    blob = bytearray(pcz.compress(bytes(range(256)) * 1000, chunk_size=4096, fast=True))
    blob[len(blob) // 2] ^= 1
    with pcz.open(io.BytesIO(bytes(blob))) as f:
        with pytest.raises(pcz.FormatError):
            f.seek(len(blob) // 2)
            f.read()


def test_text_handles_tell_and_seek_back():
    blob = pcz.compress("héllo\nwörld\n".encode() * 3000, chunk_size=5000)
    with pcz.open(io.BytesIO(blob), "rt", encoding="utf-8") as f:
        for _ in range(1001):
            f.readline()
        mark = f.tell()
        line = f.readline()
        f.read()
        f.seek(mark)
        assert f.readline() == line == "wörld\n"


def test_unseekable_sources_read_but_do_not_seek():
    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            piece = self.data.read(len(b))
            b[:len(piece)] = piece
            return len(piece)
    blob, content = _content()
    with pcz.open(Pipe(blob)) as f:
        assert not f.seekable() and f.read() == content
        with pytest.raises(io.UnsupportedOperation):
            f.seek(0)
