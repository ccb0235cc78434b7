"""Folders of images (pcz.engine.folders, pcz.compress_folder/decompress_folder, the CLI):
every file restored byte for byte, names included; damaged or hostile content refused."""
import io
import json
import os
import struct

import numpy as np
import pytest
from PIL import Image

import pcz
from hclt_helpers import random_model
from pcz.engine import folders
from pcz.errors import FormatError, InputError
from pcz.models.values import Layout
from pcz.streams import compress_folder, decompress_folder

RNG = np.random.default_rng(3)


def images(n, dtype=np.uint8, shape=(6, 5)):
    base = RNG.integers(0, 4, (n, 1, 1)) * 60 + np.arange(shape[1])[None, None, :] * 3
    a = (base[..., None] if len(shape) == 3 else base) + RNG.integers(0, 3, (n,) + shape)
    return (a * (256 if dtype == np.uint16 else 1)).astype(dtype)


def model_for(a):
    layout = Layout("u1", 0, 8) if a.dtype == np.uint8 else Layout("u2", 0, 16)
    D = int(np.prod(a.shape[1:])) * layout.planes
    return random_model(1, [-1] + [v // 2 for v in range(D - 1)], 3, 256, shape=a.shape[1:], layout=layout)


def write_folder(path, files):
    os.mkdir(path)
    for name, data in files.items():
        (path / name).write_bytes(data)


def save(array, fmt, **options):
    out = io.BytesIO()
    Image.fromarray(array).save(out, fmt, **options)
    return out.getvalue()


def roundtrip(tmp_path, files, model):
    write_folder(tmp_path / "in", files)
    out = io.BytesIO()
    stats = compress_folder(str(tmp_path / "in"), out, model=model)
    decompress_folder(io.BytesIO(out.getvalue()), str(tmp_path / "out"), model=model)
    assert sorted(os.listdir(tmp_path / "out")) == sorted(files)
    for name, data in files.items():
        assert (tmp_path / "out" / name).read_bytes() == data, name
    return stats, out.getvalue()


@pytest.mark.parametrize("dtype,shape,fmt", [(np.uint8, (6, 5), "PNG"), (np.uint16, (6, 5), "PNG"),
                                             (np.uint8, (6, 5, 3), "PNG"), (np.uint8, (6, 5), "PPM"),
                                             (np.uint16, (6, 5), "TIFF"), (np.uint8, (6, 5, 3), "TIFF")])
def test_folders_of_images_roundtrip_byte_for_byte(tmp_path, dtype, shape, fmt):
    a = images(40, dtype, shape)
    files = {f"im{i:03d}.{fmt.lower()}": save(x, fmt) for i, x in enumerate(a)}
    files["notes.txt"] = b"not an image\n"
    files["odd size.png"] = save(a[0][:3], "PNG")             # another shape: coded as bytes
    files["pic.bmp"] = save(a[0].astype(np.uint8), "BMP")     # no exact template: as bytes
    model = model_for(a)
    _, blob = roundtrip(tmp_path, files, model)
    assert folders.is_folder_stream(_write(tmp_path / "x.pcz", blob))
    inside = pcz.decompress(blob, model=model)
    (length,) = struct.unpack_from("<I", inside, len(folders.MAGIC))
    manifest = json.loads(inside[len(folders.MAGIC) + 4:len(folders.MAGIC) + 4 + length])
    assert manifest["kinds"] == ("p" if fmt == "PNG" else "s") * 40 + "ooo"   # sorted names: im*, notes, odd, pic
    assert manifest["shape"] == list(shape) and manifest["dtype"] == np.dtype(dtype).newbyteorder("<").str


@pytest.mark.parametrize("shape", [(6, 5), (6, 5, 3)])
def test_a_model_with_the_med_transform_codes_folders(tmp_path, shape):
    a = images(30, np.uint8, shape)
    files = {f"im{i:03d}.png": save(x, "PNG") for i, x in enumerate(a)}
    model = model_for(a)
    med = random_model(1, model.parent, 3, 256, shape=shape, transform="med")
    _, blob = roundtrip(tmp_path, files, med)
    (tmp_path / "plain").mkdir()
    assert blob != roundtrip(tmp_path / "plain", files, model)[1]      # the residuals were coded


def _write(path, data):
    path.write_bytes(data)
    return str(path)


def test_names_and_no_model(tmp_path):
    files = {"é ü.png": save(images(1)[0], "PNG"), "a\nb": b"x" * 100, "-dash": b"", ".hidden": b"h"}
    stats, _ = roundtrip(tmp_path, files, None)      # no model: every file coded as bytes
    assert not any(m.startswith("hclt") for m in stats.methods)


def test_images_the_model_cannot_code_are_kept_as_bytes(tmp_path):
    a = images(5)
    model = random_model(1, [-1] + [v // 2 for v in range(29)], 2, 100, shape=(6, 5))   # K = 100
    files = {f"{i}.png": save(x, "PNG") for i, x in enumerate(a)}
    roundtrip(tmp_path, files, model)


def test_training_reads_the_common_images(tmp_path):
    a = images(12)
    write_folder(tmp_path / "in", {**{f"{i:02d}.png": save(x, "PNG") for i, x in enumerate(a)},
                                   "small.png": save(a[0][:2], "PNG"), "t.txt": b"text"})
    np.testing.assert_array_equal(folders.folder_array(str(tmp_path / "in")), a)
    write_folder(tmp_path / "none", {"t.txt": b"text"})
    with pytest.raises(InputError, match="no images"):
        folders.folder_array(str(tmp_path / "none"))


def test_subfolders_links_and_existing_targets_are_refused(tmp_path):
    write_folder(tmp_path / "in", {"a.txt": b"a"})
    os.mkdir(tmp_path / "in" / "sub")
    with pytest.raises(InputError, match="regular files"):
        compress_folder(str(tmp_path / "in"), io.BytesIO())
    os.rmdir(tmp_path / "in" / "sub")
    os.symlink("/etc/passwd", tmp_path / "in" / "link")
    with pytest.raises(InputError, match="regular files"):
        compress_folder(str(tmp_path / "in"), io.BytesIO())
    os.remove(tmp_path / "in" / "link")
    out = io.BytesIO()
    compress_folder(str(tmp_path / "in"), out)
    with pytest.raises(InputError, match="already exists"):
        decompress_folder(io.BytesIO(out.getvalue()), str(tmp_path / "in"))
    assert os.listdir(tmp_path / "in") == ["a.txt"]
    assert sorted(os.listdir(tmp_path)) == ["in"]                 # no temporary folder left


def content(manifest, rests=b"", records=b""):
    text = json.dumps(manifest).encode()
    return folders.MAGIC + struct.pack("<I", len(text)) + text + rests + records


GOOD = {"version": 1, "crc": 0, "shared": [0], "names": ["a"], "kinds": "o", "rests": [0], "params": [{}],
        "use": [0]}


@pytest.mark.parametrize("change", [
    {"names": ["../evil"]}, {"names": ["a/b"]}, {"names": [".."]}, {"names": [""]}, {"names": ["a\0"]},
    {"shared": [1]}, {"kinds": "x"}, {"kinds": "p"}, {"rests": [-1]}, {"use": [3]}, {"version": 2},
    {"names": ["a", "a"], "shared": [0, 0], "kinds": "oo", "rests": [0, 0], "use": [0, 0]},
    {"dtype": "<f4", "shape": [2, 2]}, {"dtype": "|u1", "shape": [2]}, {"crc": 5}, {"names": 5},
])
def test_hostile_manifests_are_refused_and_leave_nothing(tmp_path, change):
    writer = folders.FolderWriter(str(tmp_path / "out"))
    with pytest.raises(FormatError):
        writer.write(content({**GOOD, **change}))
        writer.finish()
    writer.abort()
    assert os.listdir(tmp_path) == []


def test_truncated_and_trailing_content_is_refused(tmp_path):
    for data in (content(GOOD, b"")[:-3], content({**GOOD, "rests": [4]}, b"ab"), content(GOOD, b"x"),
                 b"PCZnope" + bytes(20)):
        writer = folders.FolderWriter(str(tmp_path / "out"))
        with pytest.raises(FormatError):
            writer.write(data)
            writer.finish()
        assert os.listdir(tmp_path) == []


def test_cli_compresses_and_restores_a_folder(run_cli, tmp_path):
    a = images(30)
    files = {f"{i}.png": save(x, "PNG") for i, x in enumerate(a)} | {"readme": b"hello"}
    write_folder(tmp_path / "imgs", files)
    r = run_cli("train", str(tmp_path / "imgs"), "-o", str(tmp_path / "m.pczm"), "-M", "2", "--epochs", "1",
                "--full-epochs", "1", "-q")
    assert r.code == 0, r.err
    r = run_cli("compress", "--model", str(tmp_path / "m.pczm"), str(tmp_path / "imgs") + "/")
    assert r.code == 0 and "imgs.pcz" in r.err, r.err
    r = run_cli("decompress", "--model", str(tmp_path / "m.pczm"), "-o", str(tmp_path / "back"),
                str(tmp_path / "imgs.pcz"))
    assert r.code == 0, r.err
    assert {n: (tmp_path / "back" / n).read_bytes() for n in os.listdir(tmp_path / "back")} == files
    r = run_cli("decompress", "--model", str(tmp_path / "m.pczm"), "-o", str(tmp_path / "back"),
                str(tmp_path / "imgs.pcz"))
    assert r.code == 1 and "already exists" in r.err and r.err.count("\n") == 1
    r = run_cli("compress", "--rm", "--model", str(tmp_path / "m.pczm"), "-f", str(tmp_path / "imgs"))
    assert r.code == 1 and "--rm" in r.err
    r = run_cli("test", "--model", str(tmp_path / "m.pczm"), str(tmp_path / "imgs.pcz"))
    assert r.code == 0
