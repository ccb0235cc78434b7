"""The generated bad-model corpus (tests/badmodels.py): every case refused with a ModelError."""
import pytest

import pcz
from pcz import models
import badmodels


def test_valid_models_load():
    for kind, blob in badmodels.valid_models().items():
        models.load(blob)


def test_every_bad_model_is_refused():
    counts = {}
    for name, blob in badmodels.bad_models():
        with pytest.raises(pcz.ModelError):
            models.load(blob)
        kind = name.split("-")[0]
        counts[kind] = counts.get(kind, 0) + 1
    assert counts["hclt"] > 500 and counts["hmm"] > 1000, counts


def test_bad_models_through_the_cli(run_cli, tmp_path):
    data = tmp_path / "x.npy"
    import numpy as np
    np.save(data, np.zeros((3, 2, 2), np.uint8))
    for name, blob in list(badmodels.bad_models())[::25]:
        (tmp_path / "m").write_bytes(blob)
        r = run_cli("compress", "--model", str(tmp_path / "m"), str(data))
        assert r.code == 1 and r.err.count("\n") == 1 and "Traceback" not in r.err, (name, r.err)
        r = run_cli("info", str(tmp_path / "m"))
        assert r.code == 1 and r.err.count("\n") == 1, (name, r.err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "x.npy"]
