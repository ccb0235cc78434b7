"""pcz.pack / pcz.unpack / pcz.open_dataset for every kind of source, run in this process
(the Dask runs are in test_cluster.py)."""
import gzip
import io
import json
import os

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")
h5py = pytest.importorskip("h5py")
Image = pytest.importorskip("PIL.Image")

import pcz  # noqa: E402
from helpers import MODEL, SHAPE, records  # noqa: E402
from pcz.dataset import layout  # noqa: E402
from pcz.errors import InputError, ModelError  # noqa: E402
from pcz.models import shipped, store  # noqa: E402
from record_helpers import idx_bytes, npy_bytes  # noqa: E402

N = 45
SYNC = {"scheduler": "synchronous", "chunk_records": 8}


@pytest.fixture(autouse=True)
def isolated_model_store(tmp_path, monkeypatch):
    monkeypatch.setenv("PCZ_MODEL_STORE", str(tmp_path / "models"))


def round_trip(tmp_path, source, dest_name, **options):
    store = tmp_path / "s.zarr"
    stats = pcz.pack(str(source), str(store), MODEL, **SYNC, **options)
    dest = tmp_path / dest_name
    pcz.unpack(str(store), str(dest), scheduler="synchronous")
    return store, dest, stats


@pytest.mark.parametrize("name, data", [("a.npy", lambda X: npy_bytes(X)), ("a.idx", lambda X: idx_bytes(X)),
                                        ("v1.npy", lambda X: npy_bytes(X, version=(1, 0)))])
def test_record_files_come_back_byte_for_byte(tmp_path, name, data):
    raw = data(records(N))
    (tmp_path / name).write_bytes(raw)
    store, dest, stats = round_trip(tmp_path, tmp_path / name, "out")
    assert dest.read_bytes() == raw
    assert stats["records"] == N and stats["tasks"] == 6 and 0 < stats["bits_per_value"] < 16
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]


def test_gzipped_idx_comes_back_as_the_idx_inside(tmp_path):
    raw = idx_bytes(records(N))
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(raw))
    store, dest, _ = round_trip(tmp_path, tmp_path / "a.idx.gz", "a.idx")
    assert dest.read_bytes() == raw
    assert not os.path.exists(store / "source.records")


def test_hdf5_dataset(tmp_path):
    X = records(N)
    with h5py.File(tmp_path / "a.h5", "w") as f:
        f.create_dataset("group/images", data=X)
        f.create_dataset("labels", data=np.arange(N))
    with pytest.raises(InputError, match="holds 2 datasets"):
        pcz.pack(str(tmp_path / "a.h5"), str(tmp_path / "x.zarr"), MODEL, **SYNC)
    store, dest, _ = round_trip(tmp_path, f"{tmp_path / 'a.h5'}:/group/images", "b.h5")
    with h5py.File(dest, "r") as f:
        assert np.array_equal(f["group/images"][:], X) and f["group/images"].dtype == np.uint8
    pcz.unpack(str(store), f"{tmp_path / 'c.h5'}:/x", scheduler="synchronous")
    with h5py.File(tmp_path / "c.h5", "r") as f:
        assert np.array_equal(f["x"][:], X)


def test_zarr_array(tmp_path):
    X = records(N)
    zarr.create_array(str(tmp_path / "in.zarr"), shape=X.shape, chunks=(10, *SHAPE), dtype="u1")[:] = X
    _, dest, _ = round_trip(tmp_path, tmp_path / "in.zarr", "out.zarr")
    assert np.array_equal(zarr.open_array(str(dest), mode="r")[:], X)


def image_folder(folder, X):
    """PNGs as Pillow writes them (level 6 and 9), binary PGMs, one PNG with a text chunk."""
    os.makedirs(folder / "sub")
    from PIL import PngImagePlugin
    for i, x in enumerate(X):
        img = Image.fromarray(x, "L")
        if i % 4 == 0:
            (folder / f"img{i:03d}.pgm").write_bytes(b"P5\n# comment\n4 3\n255\n" + x.tobytes())
        elif i % 4 == 1:
            img.save(folder / "sub" / f"img{i:03d}.png", compress_level=9)
        elif i == 2:
            info = PngImagePlugin.PngInfo()
            info.add_text("note", "kept verbatim")
            img.save(folder / f"img{i:03d}.png", pnginfo=info)
        else:
            img.save(folder / f"img{i:03d}.png")


def files_of(folder):
    out = {}
    for dirpath, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, folder)] = open(path, "rb").read()
    return out


def test_image_folder_comes_back_byte_for_byte(tmp_path):
    X = records(N)
    image_folder(tmp_path / "imgs", X)
    store, dest, stats = round_trip(tmp_path, tmp_path / "imgs", "restored")
    assert files_of(dest) == files_of(tmp_path / "imgs")
    assert stats["verbatim_files"] == 1
    ds = pcz.open_dataset(str(store))
    names = ds.names()
    assert names == sorted(files_of(tmp_path / "imgs")) and len(ds) == N
    i = names.index("img010.png")
    assert np.array_equal(ds[i], X[10])


def test_image_folders_must_be_uniform(tmp_path):
    (tmp_path / "imgs").mkdir()
    Image.fromarray(records(1)[0], "L").save(tmp_path / "imgs" / "a.png")
    Image.fromarray(np.zeros((4, 4), np.uint8), "L").save(tmp_path / "imgs" / "b.png")
    with pytest.raises(InputError, match="b.png: a L image of shape"):
        pcz.pack(str(tmp_path / "imgs"), str(tmp_path / "s.zarr"), MODEL, **SYNC)
    (tmp_path / "imgs" / "b.png").write_bytes(b"not an image")
    with pytest.raises(InputError, match="b.png: not a readable image"):
        pcz.pack(str(tmp_path / "imgs"), str(tmp_path / "s.zarr"), MODEL, **SYNC)
    assert sorted(os.listdir(tmp_path)) == ["imgs"]          # nothing left behind


def test_open_dataset_indexes_like_an_array(tmp_path):
    X = records(N)
    np.save(tmp_path / "a.npy", X)
    pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "s.zarr"), MODEL, **SYNC)
    ds = pcz.open_dataset(str(tmp_path / "s.zarr"))
    assert ds.shape == X.shape and len(ds) == N and ds.dtype == np.uint8
    assert np.array_equal(ds[17], X[17]) and np.array_equal(ds[10:30], X[10:30])
    assert np.array_equal(ds[[44, 0, 8]], X[[44, 0, 8]]) and np.array_equal(np.asarray(ds), X)
    assert ds.model_id == store.remember(MODEL.to_bytes())
    assert ds.source["kind"] == "npy" and "records of shape (3, 4)" in repr(ds)


def test_the_store_layout(tmp_path):
    np.save(tmp_path / "a.npy", records(N))
    stats = pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "s.zarr"), MODEL, **SYNC)
    meta = json.loads((tmp_path / "s.zarr" / "zarr.json").read_text())["attributes"]["pcz"]
    assert meta["complete"] is True and meta["records"] == N and meta["record_shape"] == list(SHAPE)
    assert meta["model"] == stats["model"]
    assert (tmp_path / "s.zarr" / ".pcz-models" / f"{stats['model']}.pczm").read_bytes() == MODEL.to_bytes()
    assert (tmp_path / "models" / f"{stats['model']}.pczm").exists()          # added to the model store
    pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "n.zarr"), MODEL, embed_model=False, **SYNC)
    assert not (tmp_path / "n.zarr" / ".pcz-models").exists()
    assert np.array_equal(pcz.open_dataset(str(tmp_path / "n.zarr"))[3], records(N)[3])


def test_an_incomplete_store_is_refused(tmp_path):
    np.save(tmp_path / "a.npy", records(N))
    pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "s.zarr"), MODEL, **SYNC)
    meta_path = tmp_path / "s.zarr" / "zarr.json"
    meta = json.loads(meta_path.read_text())
    meta["attributes"]["pcz"]["complete"] = False
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(InputError, match="incomplete store"):
        pcz.open_dataset(str(tmp_path / "s.zarr"))
    with pytest.raises(InputError, match="incomplete store"):
        pcz.unpack(str(tmp_path / "s.zarr"), str(tmp_path / "b.npy"), scheduler="synchronous")
    with pytest.raises(InputError, match="not a pcz data set store"):
        pcz.open_dataset(str(tmp_path))


def test_a_failed_pack_leaves_nothing_and_keeps_the_old_store(tmp_path):
    X = records(N)
    np.save(tmp_path / "a.npy", X)
    pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "s.zarr"), MODEL, **SYNC)
    with pytest.raises(InputError, match="already exists"):
        pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "s.zarr"), MODEL, **SYNC)
    bad = X.copy()
    bad[40, 1, 1] = 99                                # out of the model's range: a task fails
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(InputError, match="out of range"):
        pcz.pack(str(tmp_path / "bad.npy"), str(tmp_path / "s.zarr"), MODEL, force=True, **SYNC)
    assert sorted(p for p in os.listdir(tmp_path) if p.startswith("s.zarr")) == ["s.zarr"]
    assert np.array_equal(pcz.open_dataset(str(tmp_path / "s.zarr"))[:], X)


def test_model_checks(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((5, 7), np.uint8))
    with pytest.raises(ModelError, match="records of 12 values"):
        pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "s.zarr"), MODEL, **SYNC)
    with pytest.raises(ModelError, match="record model"):
        pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "s.zarr"), shipped("text-en.pczm"), **SYNC)
    with pytest.raises(ModelError, match="not found"):
        pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "s.zarr"), "ab" * 32, **SYNC)


def test_unsafe_names_in_a_store_are_refused(tmp_path):
    X = records(3)
    (tmp_path / "imgs").mkdir()
    for i in range(3):
        Image.fromarray(X[i], "L").save(tmp_path / "imgs" / f"{i}.png")
    pcz.pack(str(tmp_path / "imgs"), str(tmp_path / "s.zarr"), MODEL, **SYNC)
    names = zarr.open_array(str(tmp_path / "s.zarr" / layout.FILES / "name"), mode="r+")
    names[1] = "../escape.png"
    with pytest.raises(InputError, match="unsafe file name"):
        pcz.unpack(str(tmp_path / "s.zarr"), str(tmp_path / "out"), scheduler="synchronous")
    assert not (tmp_path / "escape.png").exists() and not (tmp_path / "out").exists()


def test_shards_group_chunks_and_a_record_still_decodes_alone(tmp_path, monkeypatch):
    X = records(N)
    np.save(tmp_path / "a.npy", X)
    stats = pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "s.zarr"), MODEL, scheduler="synchronous",
                     chunk_records=4, shard_records=16)
    assert stats["tasks"] == 3 and sorted(os.listdir(tmp_path / "s.zarr" / "records" / "c")) == ["0", "1", "2"]
    from pcz.dataset import chunks
    decoded, real = [], chunks.decode_words

    def counting(body, lengths, model):
        decoded.append(len(lengths))
        return real(body, lengths, model)
    monkeypatch.setattr(chunks, "decode_words", counting)
    ds = pcz.open_dataset(str(tmp_path / "s.zarr"))
    assert np.array_equal(ds[21], X[21]) and decoded == [1]
    pcz.unpack(str(tmp_path / "s.zarr"), str(tmp_path / "b.npy"), scheduler="synchronous")
    assert (tmp_path / "b.npy").read_bytes() == (tmp_path / "a.npy").read_bytes()
    with pytest.raises(InputError, match="whole chunks"):
        pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "t.zarr"), MODEL, scheduler="synchronous",
                 chunk_records=4, shard_records=10)


def test_metadata_that_lies_about_the_records_is_refused(tmp_path):
    np.save(tmp_path / "a.npy", records(N))
    pcz.pack(str(tmp_path / "a.npy"), str(tmp_path / "s.zarr"), MODEL, **SYNC)
    meta_path = tmp_path / "s.zarr" / "zarr.json"
    meta = json.loads(meta_path.read_text())
    meta["attributes"]["pcz"]["records"] = 10 ** 12
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(InputError, match="does not match"):
        pcz.unpack(str(tmp_path / "s.zarr"), str(tmp_path / "b.npy"), scheduler="synchronous")
    assert not (tmp_path / "b.npy").exists()
