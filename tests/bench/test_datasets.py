import gzip

import numpy as np
import pytest

from pcz.bench.datasets import DatasetMissing, load, load_all
from pcz.errors import InputError


def _idx(array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def _images(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 6, 5), dtype=np.uint8)


def test_missing_fashion_mnist_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetMissing) as e:
        load("fashion-mnist", data_dir=str(tmp_path))
    message = str(e.value)
    assert "apt-get install dataset-fashion-mnist" in message and "--data-dir" in message
    assert "\n" not in message


def test_missing_canterbury_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetMissing) as e:
        load("canterbury", data_dir=str(tmp_path))
    assert "cantrbry.tar.gz" in str(e.value) and "\n" not in str(e.value)


def test_unknown_name_lists_the_named_sets():
    with pytest.raises(DatasetMissing, match="fashion-mnist, canterbury"):
        load("no-such-dataset")


def test_fashion_mnist_layout_from_a_data_dir(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(_images(7, 1))))
    (tmp_path / "train-images-idx3-ubyte").write_bytes(_idx(_images(9, 2)))
    d = load("fashion-mnist", data_dir=str(tmp_path), limit=3, train_limit=4)
    assert d.kind == "image" and d.unit == "pixel" and len(d.items) == 3 and d.units == 3 * 30
    assert np.array_equal(d.items[2], _images(7, 1)[2])
    assert d.train.shape == (4, 6, 5) and np.array_equal(d.train, _images(9, 2)[:4])
    assert "t10k test images 0..2" in d.split and "train images 0..3" in d.split


def test_npy_records_and_images(tmp_path):
    np.save(tmp_path / "rows.npy", np.arange(40, dtype=np.uint8).reshape(4, 2, 5, 1)[..., 0].reshape(4, 10))
    rows = load(str(tmp_path / "rows.npy"))
    assert rows.kind == "records" and rows.unit == "value" and rows.items[1].tolist() == list(range(10, 20))
    assert rows.train is None and "--train" in rows.split
    np.save(tmp_path / "img.npy", _images(5))
    np.save(tmp_path / "train.npy", _images(8, 3))
    images = load(str(tmp_path / "img.npy"), train_path=str(tmp_path / "train.npy"), train_limit=6)
    assert images.kind == "image" and images.train.shape == (6, 6, 5)


def test_a_flat_array_is_one_item(tmp_path):
    (tmp_path / "labels-idx1-ubyte").write_bytes(_idx(np.arange(7, dtype=np.uint8)))
    d = load(str(tmp_path / "labels-idx1-ubyte"))
    assert d.kind == "files" and d.unit == "value" and d.items[0].tolist() == list(range(7))


def test_bad_arrays_are_input_errors(tmp_path):
    np.save(tmp_path / "f.npy", np.zeros((3, 3), np.float32))
    with pytest.raises(InputError, match="uint8"):
        load(str(tmp_path / "f.npy"))
    (tmp_path / "bad-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x09abc")
    with pytest.raises(InputError, match="9 records announced"):
        load(str(tmp_path / "bad-ubyte"))
    np.save(tmp_path / "train.npy", np.zeros((3, 4, 4), np.uint8))
    np.save(tmp_path / "x.npy", np.zeros((3, 5, 5), np.uint8))
    np.save(tmp_path / "empty.npy", np.zeros((0, 3), np.uint8))
    with pytest.raises(InputError, match="non-empty"):
        load(str(tmp_path / "empty.npy"))
    with pytest.raises(InputError, match="training records have shape"):
        load(str(tmp_path / "x.npy"), train_path=str(tmp_path / "train.npy"))


def test_a_folder_is_one_item_per_file(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"bbb")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.bin").write_bytes(b"\x00\x01")
    (tmp_path / ".hidden").write_bytes(b"x")
    d = load(str(tmp_path))
    assert d.kind == "files" and d.unit == "char" and d.names == ["b.txt", "sub/a.bin"]
    assert [i.tobytes() for i in d.items] == [b"bbb", b"\x00\x01"]
    assert load(str(tmp_path), limit=1).names == ["b.txt"]


def test_an_empty_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no files"):
        load(str(tmp_path))


def test_quick_sets_are_shipped_and_split():
    images, text = load_all("quick")
    assert len(images.items) == 200 and images.train.shape == (300, 28, 28)
    assert "shipped HCLT model, trained on Fashion-MNIST train images 500..59999" in images.split
    from pcz import models
    assert models.load(images.model).shape == (28, 28)
    assert text.names == ["sample.txt"] and text.units > 1000
