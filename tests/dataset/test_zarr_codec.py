"""The pcz codec in zarr (v3, sharded, v2 via numcodecs), on disk, and in a fresh process
that finds it by entry point."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")
numcodecs = pytest.importorskip("numcodecs")

from helpers import MODEL, SHAPE, records  # noqa: E402
from pcz.dataset import chunks  # noqa: E402
from pcz.errors import InputError, ModelError  # noqa: E402
from pcz.models import store  # noqa: E402
from pcz.zarr import PczCodec, PczNumcodec  # noqa: E402

N = 50


@pytest.fixture
def models(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    monkeypatch.setenv("PCZ_MODEL_STORE", str(folder))
    store.add(MODEL.to_bytes())
    return folder


def make(path, X, **layout):
    a = zarr.create_array(str(path), shape=X.shape, dtype="u1", serializer=PczCodec(model=MODEL),
                          compressors=None, **layout)
    a[:] = X
    return a


@pytest.mark.parametrize("layout", [{"chunks": (8, *SHAPE)}, {"chunks": (1, *SHAPE)},
                                    {"chunks": (1, *SHAPE), "shards": (16, *SHAPE)}])
def test_round_trip_and_selections(tmp_path, models, layout):
    X = records(N)
    make(tmp_path / "a.zarr", X, **layout)
    a = zarr.open_array(str(tmp_path / "a.zarr"), mode="r")
    assert np.array_equal(a[:], X)
    assert np.array_equal(a[17], X[17])
    assert np.array_equal(a[5:30], X[5:30])
    assert np.array_equal(a[3:45:4], X[3:45:4])
    assert np.array_equal(a[-1, 2], X[-1, 2])
    assert np.array_equal(a.get_orthogonal_selection(([3, 40, 9], slice(None), [0, 3])), X[[3, 40, 9]][:, :, [0, 3]])
    assert np.array_equal(a.vindex[[1, 33], [2, 0], [3, 1]], X[[1, 33], [2, 0], [3, 1]])
    assert np.array_equal(a.get_mask_selection(X > 10), X[X > 10])


def test_metadata_names_the_model_once(tmp_path, models):
    make(tmp_path / "a.zarr", records(N), chunks=(8, *SHAPE))
    meta = json.loads((tmp_path / "a.zarr" / "zarr.json").read_text())
    assert meta["codecs"] == [{"name": "pcz", "configuration": {"model": store.remember(MODEL.to_bytes())}}]


def test_one_record_decodes_alone(tmp_path, models, monkeypatch):
    X = records(N)
    make(tmp_path / "a.zarr", X, chunks=(32, *SHAPE))
    decoded = []
    real = chunks.decode_words

    def counting(body, lengths, model):
        decoded.append(len(lengths))
        return real(body, lengths, model)
    monkeypatch.setattr(chunks, "decode_words", counting)
    a = zarr.open_array(str(tmp_path / "a.zarr"), mode="r")
    assert np.array_equal(a[20], X[20]) and decoded == [1]
    decoded.clear()
    assert np.array_equal(a[3:6], X[3:6]) and decoded == [3]


def test_numcodecs_codec_in_a_zarr_v2_array(tmp_path, models):
    X = records(N)
    a = zarr.create_array(str(tmp_path / "v2.zarr"), shape=X.shape, chunks=(16, *SHAPE), dtype="u1",
                          zarr_format=2, compressors=PczNumcodec(model=MODEL))
    a[:] = X
    assert np.array_equal(zarr.open_array(str(tmp_path / "v2.zarr"), mode="r")[:], X)
    assert numcodecs.get_codec(PczNumcodec(model=MODEL).get_config()).model == PczNumcodec(model=MODEL).model


FRESH = """
import json, sys
import numpy as np, zarr, numcodecs
a = zarr.open_array(sys.argv[1], mode="r")
b = zarr.open_array(sys.argv[2], mode="r")
x = np.load(sys.argv[3])
print(json.dumps({"v3": bool(np.array_equal(a[:], x)), "one": bool(np.array_equal(a[7], x[7])),
                  "v2": bool(np.array_equal(b[:], x)),
                  "imported_pcz_zarr": "pcz.zarr" in sys.modules}))
"""


def test_a_fresh_process_importing_only_zarr_reads_the_arrays(tmp_path, models):
    X = records(N)
    make(tmp_path / "a.zarr", X, chunks=(8, *SHAPE))
    zarr.create_array(str(tmp_path / "v2.zarr"), shape=X.shape, chunks=(16, *SHAPE), dtype="u1",
                      zarr_format=2, compressors=PczNumcodec(model=MODEL))[:] = X
    np.save(tmp_path / "x.npy", X)
    env = dict(os.environ, PCZ_MODEL_STORE=str(models))
    out = subprocess.run([sys.executable, "-c", FRESH, str(tmp_path / "a.zarr"), str(tmp_path / "v2.zarr"),
                          str(tmp_path / "x.npy")], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"v3": True, "one": True, "v2": True, "imported_pcz_zarr": False}
    env["PCZ_MODEL_STORE"] = str(tmp_path / "empty")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    out = subprocess.run([sys.executable, "-c", FRESH, str(tmp_path / "a.zarr"), str(tmp_path / "v2.zarr"),
                          str(tmp_path / "x.npy")], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode != 0 and "pcz models add" in out.stderr


def test_misuse(tmp_path, models):
    with pytest.raises(ValueError, match="uint8"):
        zarr.create_array({}, shape=(4, 3), dtype="u2", serializer=PczCodec(model=MODEL), compressors=None)
    a = zarr.create_array({}, shape=(4, 5), chunks=(2, 5), dtype="u1", serializer=PczCodec(model=MODEL),
                          compressors=None)
    with pytest.raises(InputError, match="records of 12"):
        a[:] = 1
    unknown = zarr.create_array({}, shape=(4, *SHAPE), dtype="u1", serializer=PczCodec(model="00" * 32),
                                compressors=None)
    with pytest.raises(ModelError, match="not found"):
        unknown[:] = 1
    with pytest.raises(ModelError, match="model id"):
        PczCodec(model="not-hex")
