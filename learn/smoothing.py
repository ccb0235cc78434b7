"""Smoothing of expected emission counts along the value axis (ordinal values: pixel levels).

With M states per pixel and 256 levels, each state's emission row is
estimated from a few hundred expected counts: the raw M step overfits.
Pixel levels are ordinal, so a count at level k is also evidence for the
levels next to it: the M step may replace counts c by

    (1 - w) * c + w * (c smoothed by a Gaussian kernel of ``sigma`` levels),

a kernel-density estimate mixed with the raw counts.  Every count keeps its
mass (the kernel is renormalised at the ends of the range).  Some values are
*atoms*: spikes such as 0 (background) and 255 (saturated) in images, far
more frequent than their neighbours.  Their counts stay where they are and no
other count is spread onto them.  The kernel is truncated at 4 sigma and
applied as a sum of shifted slices (O(K sigma) per row, no K x K product).

>>> import numpy as np
>>> s = Smoother(K=6, sigma=1.0, weight=1.0, atoms=[0])
>>> out = np.asarray(s(np.array([[3, 0, 0, 2, 0, 0]], np.float32))).astype(float)
>>> out.round(2).tolist(), round(float(out.sum()), 4)
([[3.0, 0.11, 0.49, 0.81, 0.49, 0.11]], 5.0)
"""
import numpy as np
import jax.numpy as jnp


def find_atoms(X: np.ndarray, K: int, ratio: float = 3.0) -> list[int]:
    """Values more than ``ratio`` times as frequent as each of their neighbours (spikes).

    >>> find_atoms(np.repeat([0, 1, 2, 3, 4], [10, 2, 3, 2, 8]), K=5)
    [0, 4]
    """
    return atoms_of(np.bincount(np.asarray(X).ravel(), minlength=K), ratio)


def atoms_of(hist: np.ndarray, ratio: float = 3.0) -> list[int]:
    """:func:`find_atoms` from the histogram of the values (K,).

    >>> atoms_of(np.array([10, 2, 3, 2, 8]))
    [0, 4]
    """
    h = np.asarray(hist, dtype=np.float64)
    pad = np.concatenate([[0.0], h, [0.0]])
    spike = (h > ratio * pad[:-2]) & (h > ratio * pad[2:]) & (h > 0)
    return np.flatnonzero(spike).tolist()


class Smoother:
    """``counts (..., K) -> (1 - weight) * counts + weight * kernel-smoothed counts`` (a JAX
    function); the identity when weight or sigma is 0."""

    def __init__(self, K: int, sigma: float, weight: float, atoms=()):
        if sigma < 0 or not 0 <= weight <= 1:
            raise ValueError("smoothing needs sigma >= 0 and a weight in [0, 1]")
        self.K, self.sigma, self.weight = K, float(sigma), float(weight)
        self.atoms = sorted({int(a) for a in atoms if 0 <= a < K})
        self.active = self.sigma > 0 and self.weight > 0
        if not self.active:
            return
        self.radius = max(1, min(K - 1, int(np.ceil(4 * self.sigma))))
        d = np.arange(-self.radius, self.radius + 1)
        self.taps = np.exp(-0.5 * (d / self.sigma) ** 2)
        mask = np.ones(K)
        mask[self.atoms] = 0.0
        # mass that a count at k spreads over the non-atom values in range
        spread = np.zeros(K)
        for tap, shift in zip(self.taps, d):
            lo, hi = max(0, -shift), min(K, K - shift)
            spread[lo:hi] += tap * mask[lo + shift:hi + shift]
        self.mask = mask
        self.source = np.where(mask > 0, 1.0 / np.maximum(spread, 1e-300), 0.0)

    def __call__(self, counts):
        if not self.active:
            return counts
        K, r = self.K, self.radius
        src = counts * jnp.asarray(self.source, counts.dtype)
        pad = jnp.pad(src, [(0, 0)] * (counts.ndim - 1) + [(r, r)])
        smooth = sum(float(tap) * pad[..., r - s:r - s + K]
                     for tap, s in zip(self.taps, range(-r, r + 1)))
        mask = jnp.asarray(self.mask, counts.dtype)
        smooth = smooth * mask + counts * (1 - mask)
        return (1 - self.weight) * counts + self.weight * smooth
