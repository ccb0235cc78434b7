"""Tied parameters (pcz.learn.ties): groups, tied EM, and auto_train's trial (step 3a)."""
import json

import numpy as np

import pcz
from pcz.learn.auto import auto_train
from pcz.learn.em import fit
from pcz.learn.structure import chow_liu_tree
from pcz.learn.ties import image_ties
from pcz.models import predict

from hclt_helpers import smooth_images


def grid_tree(h: int, w: int) -> np.ndarray:
    """Each pixel's parent: the one above it, on the first row the one to its left."""
    v = np.arange(h * w)
    return np.where(v >= w, v - w, v - 1)


def test_groups_of_a_colour_image():
    shape = (6, 5, 3)
    parent = np.where(np.arange(90) >= 15, np.arange(90) - 15, np.arange(90) - 3)     # up; left on row 0
    parent[:3] = [-1, 0, 0]
    ties = image_ties(shape, parent)
    n_emit, n_trans = ties.groups
    assert n_emit == 12                      # 3 channels x (origin, first row, first column, inside)
    i, j, c = np.unravel_index(np.arange(90), shape)
    kind = np.where(i == 0, np.where(j == 0, 0, 1), np.where(j == 0, 2, 3))
    for g in range(n_emit):                  # one channel and one kind of position per group
        members = ties.emit == g
        assert len(set(c[members])) == 1 and len(set(kind[members])) == 1
    assert np.count_nonzero(ties.trans == ties.trans[0]) == 1        # the root on its own
    # edges of one kind: same groups at both ends and the same offset
    for g in range(n_trans):
        members = np.flatnonzero(ties.trans == g)
        if members[0] == 0:
            continue
        keys = {(ties.emit[parent[v]], ties.emit[v], i[v] - i[parent[v]], j[v] - j[parent[v]]) for v in members}
        assert len(keys) == 1
    # the root; the origin's channels 1 and 2 from channel 0; per channel, from the left on
    # the first row and from above elsewhere, the parent's group depending on whether it
    # lies on the first row or column: 1 + 2 + 3 x (2 + 2 + 2), whatever the image's size
    assert n_trans == 21


def test_tied_em_keeps_every_group_tied_and_improves():
    h = w = 6
    X = smooth_images(300, size=h).reshape(300, -1)
    Z = predict.forward(X, (h, w), 256)
    parent = grid_tree(h, w)
    ties = image_ties((h, w), parent)
    (prior, trans, emit), log = fit(Z[:240], Z[240:], parent, 256, 4, epochs=2, full_epochs=4,
                                    progress=False, ties=ties)
    for g in range(ties.groups[0]):
        rows = emit[ties.emit == g]
        np.testing.assert_allclose(rows, np.broadcast_to(rows[0], rows.shape), rtol=1e-6, atol=1e-9)
    for g in range(ties.groups[1]):
        rows = trans[ties.trans == g]
        np.testing.assert_allclose(rows, np.broadcast_to(rows[0], rows.shape), rtol=1e-6, atol=1e-9)
    full = [e["train_bpd"] for e in log if e["phase"] == "full-batch EM"]
    assert all(np.isfinite(full)) and full[-1] < full[0]


def test_a_grown_tied_model_stays_tied_and_its_copies_differ():
    """grow draws the copies' noise per group: noise drawn per variable and averaged over a
    group would leave a state's two copies all but equal (and tied EM would keep them so)."""
    from pcz.learn.train import grow
    from pcz.models.hclt import HcltModel
    h = w = 6
    Z = predict.forward(smooth_images(200, size=h).reshape(200, -1), (h, w), 256)
    parent = grid_tree(h, w)
    ties = image_ties((h, w), parent)
    params, _ = fit(Z, Z[:20], parent, 256, 4, epochs=1, full_epochs=1, progress=False, ties=ties)
    _, trans, emit = grow(HcltModel.from_float(parent, *params), 8, ties=ties)
    for rows, groups in ((emit, ties.emit), (trans, ties.trans)):
        for g in range(groups.max() + 1):
            np.testing.assert_array_equal(rows[groups == g], np.broadcast_to(rows[groups == g][0],
                                                                             rows[groups == g].shape))
    copies = np.abs(np.log(emit[:, 4:] / emit[:, :4]))            # state m + 4 copies state m
    assert np.median(copies) > 0.03


def test_tying_beats_untied_on_few_residual_records():
    """What step 3a measures: on few records of many pixels, one table per kind of pixel
    generalises better than one per pixel."""
    h = w = 10
    X = smooth_images(150, size=h).reshape(150, -1)
    Z = predict.forward(X, (h, w), 256)
    parent = chow_liu_tree(Z[:100], 256)
    untied = fit(Z[:100], Z[100:], parent, 256, 4, epochs=3, full_epochs=3, progress=False)[1]
    tied = fit(Z[:100], Z[100:], parent, 256, 4, epochs=3, full_epochs=3, progress=False,
               ties=image_ties((h, w), parent))[1]
    assert min(e["valid_bpd"] for e in tied) < min(e["valid_bpd"] for e in untied) - 0.1


def test_auto_train_ties_residual_images_and_codes_them(tmp_path):
    a = smooth_images(200, size=8)
    path = str(tmp_path / "ck.pczm")
    model, log = auto_train(a, time_budget=30, max_latents=16, progress=False, checkpoint=path)
    assert log["chosen"]["transform"] == "med" and log["chosen"]["tied"] is True
    assert log["chosen"]["states"] is None and log["cycles"] == []      # a tied model is not pruned
    assert log["chosen"]["smooth"] == [0.0, 0.0]
    assert np.isfinite(log["fresh_tied"])                                # step 6b ran; kept if lower
    assert log["valid_bpd"] == min(e["valid_bpd"] for e in log["epochs"]) <= log["fresh_tied"]
    assert log["fresh_tied"] > log["valid_bpd"] or log["M"] == log["stages"][-1]["M"]
    # the model kept is the best one (here the fresh start: 3.619 against 3.650 grown)
    assert abs(log["stored_valid_bpd"] - log["valid_bpd"]) < 0.005
    np.testing.assert_array_equal(pcz.decompress_array(pcz.compress_array(a, model), model), a)
    with open(path + ".json") as f:
        assert json.load(f)["tied"] is True
    again, log2 = auto_train(a, time_budget=5, max_latents=16, progress=False, resume=path)
    assert log2["chosen"]["tied"] is True
    np.testing.assert_array_equal(pcz.decompress_array(pcz.compress_array(a, again), again), a)


def test_tying_is_declined_where_it_does_not_pay_and_not_tried_without_pixels():
    """Sparse noise: the values cost under half a bit, residuals mix neighbours, tied or not."""
    rng = np.random.default_rng(0)
    a = np.where(rng.random((200, 6, 6)) < 0.1, 200, 0).astype(np.uint8)
    _, log = auto_train(a, time_budget=30, max_latents=8, progress=False)   # the tie trial starts in time
    assert log["chosen"]["transform"] == "none" and log["chosen"]["tied"] is False
    assert log["tie_trial"] > min(log["transform_trials"].values()) and log["fresh_tied"] is None
    _, log = auto_train(a.reshape(200, -1), time_budget=5, max_latents=8, progress=False)
    assert log["tie_trial"] is None and log["chosen"]["tied"] is False
