"""The prediction transform: image records coded as residuals against the MED predictor.

Classic lossless image coders (LOCO-I / JPEG-LS, CALIC) code each pixel's *residual*
against a prediction from its already coded neighbours: residuals are peaked near 0 and
alike at every position, so few records teach a model much more than raw levels do.  An
HCLT model may name the transform ``"med"``: the symbols of a record (one variable per
element, what :mod:`pcz.models.values` makes of it) are then replaced by their residuals
before the tree sees them, and restored after decoding.

**Which records** (:func:`applies`): single-plane layouts (one variable per element) whose
record shape has at least 2 axes.  The last two axes are (H, W) -- unless the shape has 3
or more axes and the last one is at most 4 (:data:`MAX_CHANNELS`), which then holds the
channels of (H, W, C) pixels.  Axes before the image's are independent images.  Each
channel is predicted from its own plane only.

**The residual** of x at row i, column j, with a = left (i, j-1), b = up (i-1, j) and
c = up-left (i-1, j-1), against the MED (median edge detector) prediction
``p = median(a, b, a + b - c)``; on the first row p = a, in the first column p = b, and
p = 0 at the origin.  ``r = (x - p) mod K`` is folded to a signed s
(``s = r`` if ``2 r < K``, else ``r - K``) and mapped so that small magnitudes get small
symbols: ``2 s`` for s >= 0, ``-2 s - 1`` for s < 0.  This is a bijection on 0..K-1 for
every K >= 2 (even K: s in [-K/2, K/2); odd K: s in [-(K-1)/2, (K-1)/2]); for K = 2 the
symbol is x XOR p.

**Colour** (``"med-rgb"``, records with C >= 3 channels): the residuals of one pixel's
channels are correlated (an edge shows in R, G and B alike), so channels 0 and 2 are coded
relative to channel 1, as JPEG-LS and JPEG-XL decorrelate colour: ``r0 - r1`` and
``r2 - r1`` (mod K) take the place of r0 and r2 before the folding; channel 1 and any
fourth channel (alpha) stay as they are.  On scikit-learn's sample photos (16x16x3
patches) this lowers the order-0 entropy of the residuals from 4.46 to 3.86 bits.

>>> import numpy as np
>>> X = np.array([[10, 11, 12, 10, 12, 13]], np.uint8)   # one 2x3 record, K = 16
>>> Z = forward(X, (2, 3), 16)
>>> Z.tolist()
[[11, 2, 2, 0, 2, 2]]
>>> inverse(Z, (2, 3), 16).tolist() == X.tolist()
True
"""
import numpy as np

NONE, MED, MED_RGB = "none", "med", "med-rgb"
TRANSFORMS = (NONE, MED, MED_RGB)   # stored in a model file as the index (0 is never stored)
MAX_CHANNELS = 4
BLOCK_VALUES = 1 << 17           # values transformed at once (whole records, at least one)
WORK_BYTES = 32 * BLOCK_VALUES   # a block's int32/int64 temporaries (measured: under 17 per value)


def geometry(shape) -> tuple[int, int, int, int] | None:
    """(images, H, W, C) a record of ``shape`` (in elements) is read as, or None when the
    shape has fewer than 2 axes.

    >>> geometry((28, 28)), geometry((16, 16, 3)), geometry((5, 8, 8)), geometry((784,))
    ((1, 28, 28, 1), (1, 16, 16, 3), (5, 8, 8, 1), None)
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        return None
    if len(shape) >= 3 and shape[-1] <= MAX_CHANNELS:
        return int(np.prod(shape[:-3], dtype=np.int64)), shape[-3], shape[-2], shape[-1]
    return int(np.prod(shape[:-2], dtype=np.int64)), shape[-2], shape[-1], 1


def applies(shape, planes: int = 1, name: str = MED) -> bool:
    """Whether transform ``name`` is defined for records of this shape and planes per element.

    >>> applies((28, 28)), applies((16, 16, 3)), applies((784,)), applies((28, 28), planes=2)
    (True, True, False, False)
    >>> applies((16, 16, 3), name="med-rgb"), applies((28, 28), name="med-rgb")
    (True, False)
    """
    g = geometry(shape)
    return planes == 1 and g is not None and (name != MED_RGB or g[3] >= 3)


def candidates(shape, planes: int = 1) -> list[str]:
    """The transforms defined for such records, none first.

    >>> candidates((28, 28)), candidates((8, 8, 4)), candidates((784,))
    (['none', 'med'], ['none', 'med', 'med-rgb'], ['none'])
    """
    return [name for name in TRANSFORMS if name == NONE or applies(shape, planes, name)]


def check(name: str, shape, planes: int = 1) -> str:
    """``name`` if it is a known transform defined for such records, else ValueError.

    >>> check("med", (4, 4))
    'med'
    >>> check("med", (16,))
    Traceback (most recent call last):
    ...
    ValueError: the med transform needs records of at least 2 axes and one plane per element
    """
    if name not in TRANSFORMS:
        raise ValueError(f"unknown prediction transform {name!r} (known: {', '.join(TRANSFORMS)})")
    if name != NONE and not applies(shape, planes, name):
        raise ValueError(f"the {name} transform needs records of at least 2 axes"
                         + (" and 3 channels" if name == MED_RGB else "") + " and one plane per element")
    return name


def _images(X: np.ndarray, shape) -> np.ndarray:
    n, h, w, c = geometry(shape)
    return np.asarray(X).reshape(-1, h, w, c).astype(np.int32)


def _predict(x: np.ndarray) -> np.ndarray:
    """The MED prediction of every pixel of images x (B, H, W, C) from its neighbours."""
    a = np.zeros_like(x)
    b = np.zeros_like(x)
    c = np.zeros_like(x)
    a[:, :, 1:] = x[:, :, :-1]
    b[:, 1:] = x[:, :-1]
    c[:, 1:, 1:] = x[:, :-1, :-1]
    p = _median(a, b, c)
    p[:, 0, :] = a[:, 0, :]          # first row: left (0 at the origin)
    p[:, 1:, 0] = b[:, 1:, 0]        # first column: up
    return p


def _median(a, b, c):
    """median(a, b, a + b - c): the MED prediction away from the first row and column."""
    return np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), a + b - c))


def _fold(r: np.ndarray, K: int) -> np.ndarray:
    s = np.where(2 * r < K, r, r - K)
    return np.where(s >= 0, 2 * s, -2 * s - 1)


def _unfold(z: np.ndarray, K: int) -> np.ndarray:
    s = np.where(z % 2 == 0, z // 2, -(z + 1) // 2)
    return s % K


def _blocks(X: np.ndarray, out, step):
    """Apply ``step`` to blocks of whole records of X (N, D), about BLOCK_VALUES values
    each, into ``out`` (a new uint8 array if None; may be X itself)."""
    X = np.asarray(X)
    out = np.empty(X.shape, np.uint8) if out is None else out
    rows = max(1, BLOCK_VALUES // max(1, X[0].size if len(X) else 1))
    for start in range(0, len(X), rows):
        out[start:start + rows] = step(X[start:start + rows])
    return out


def forward(X: np.ndarray, shape, K: int, out: np.ndarray | None = None,
            colour: bool = False) -> np.ndarray:
    """The residual symbols (N, D) uint8 of records X (N, D) of ``shape`` with values in 0..K-1
    (into ``out`` if given, which may be X); ``colour``: channels 0 and 2 relative to 1.

    >>> forward(np.array([[0, 1, 1, 0]], np.uint8), (2, 2), 2).tolist()    # K = 2: x XOR p
    [[0, 1, 1, 1]]
    >>> forward(np.array([[50, 60, 70]], np.uint8), (1, 1, 3), 256, colour=True).tolist()
    [[19, 120, 20]]
    """
    def step(block):
        x = _images(block, shape)
        r = (x - _predict(x)) % K
        if colour:
            r[..., 0] = (r[..., 0] - r[..., 1]) % K
            r[..., 2] = (r[..., 2] - r[..., 1]) % K
        return _fold(r, K).reshape(block.shape)
    return _blocks(X, out, step)


def inverse(Z: np.ndarray, shape, K: int, out: np.ndarray | None = None,
            colour: bool = False) -> np.ndarray:
    """The records (N, D) uint8 whose residual symbols are Z: :func:`forward` undone exactly
    (into ``out`` if given, which may be Z: decoders restore in place).

    Pixels on one anti-diagonal (i + j = d) depend only on earlier diagonals, so the loop
    runs over the H + W - 1 diagonals, each computed for a block of records and all their
    channels at once; blocks bound the working memory (:data:`WORK_BYTES`).

    >>> Z = forward(np.arange(12, dtype=np.uint8).reshape(1, 12) % 5, (3, 4), 5)
    >>> inverse(Z, (3, 4), 5).tolist()
    [[0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]]
    """
    return _blocks(Z, out, lambda block: _inverse(block, shape, K, colour))


def _inverse(Z: np.ndarray, shape, K: int, colour: bool) -> np.ndarray:
    r = _unfold(_images(Z, shape), K)
    if colour:
        r[..., 0] = (r[..., 0] + r[..., 1]) % K
        r[..., 2] = (r[..., 2] + r[..., 1]) % K
    _, h, w, _ = geometry(shape)
    if h == 1 or w == 1:                # one row (column): each value predicted by the one before
        return (np.cumsum(r, axis=2 if h == 1 else 1, dtype=np.int64) % K).reshape(Z.shape)
    x = np.zeros((r.shape[0], h + 1, w + 1, r.shape[3]), np.int32)   # a zero row and column in front
    for d in range(h + w - 1):
        i = np.arange(max(0, d - w + 1), min(h, d + 1))
        j = d - i
        a, b, c = x[:, i + 1, j], x[:, i, j + 1], x[:, i, j]
        p = np.where((i == 0)[None, :, None], a,          # first row: left; first column: up
                     np.where((j == 0)[None, :, None], b, _median(a, b, c)))
        x[:, i + 1, j + 1] = (p + r[:, i, j]) % K
    return x[:, 1:, 1:].reshape(Z.shape)


def code(X: np.ndarray, shape, K: int, name: str) -> np.ndarray:
    """The symbols a model with transform ``name`` codes for the record symbols X (N, D).

    >>> X = np.array([[3, 3]], np.uint8)
    >>> code(X, (1, 2), 4, "none").tolist(), code(X, (1, 2), 4, "med").tolist()
    ([[3, 3]], [[1, 0]])
    """
    return np.asarray(X) if name == NONE else forward(X, shape, K, colour=name == MED_RGB)


def decode(Z: np.ndarray, shape, K: int, name: str, in_place: bool = False) -> np.ndarray:
    """The record symbols whose coded symbols (transform ``name``) are Z: :func:`code` undone
    (``in_place``: overwriting Z, a writable uint8 array).

    >>> decode(np.array([[1, 0]], np.uint8), (1, 2), 4, "med").tolist()
    [[3, 3]]
    """
    if name == NONE:
        return np.asarray(Z)
    return inverse(Z, shape, K, out=Z if in_place else None, colour=name == MED_RGB)
