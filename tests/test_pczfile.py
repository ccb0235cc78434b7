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
