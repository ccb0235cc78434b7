"""The full-batch E step as a map-reduce whose result does not depend on who computes it.

The training records are cut into **partitions** of ``partition_size(batch)`` records
(4096 for batches of 512), in training order, whatever the number of workers.  Each
partition's expected counts (the M step's sufficient statistics) and log-likelihood
are computed by the same jitted function (:meth:`pcz.learn.em.Trainer.counts`, batch by
batch, summed in float32 in batch order) and then rounded to **fixed point**: counts
times 2^24 as int64, the log-likelihood times 2^24 as a Python int.  Integer sums are
exact, so partials can be added in any order and grouping (a worker summing its own
partitions first, results arriving in any order) and still give the same totals: the
model is the same bit for bit on 1, 2 or 100 workers and in memory.  The rounding costs
2^-24 (6e-8) of a count per partition, far below float32's own precision on a
partition's sums.  Counts stay exact up to 2^39 records (int64).

>>> import numpy as np
>>> a = Partial.of((np.array([0.5, 1.25], np.float32),), -3.0, 2)
>>> b = Partial.of((np.array([0.25, 0.0], np.float32),), -1.5, 1)
>>> both = a + b
>>> both.n, both.floats()[0].tolist(), both.loglik()
(3, [0.75, 1.25], -4.5)
>>> (b + a).counts[0].tolist() == both.counts[0].tolist()
True
>>> partition_size(512), partition_size(5000), partition_size(1)
(4096, 5000, 4096)
"""
from dataclasses import dataclass

import numpy as np

PARTITION = 4096          # records per partition (rounded up to whole batches)
FRACTION_BITS = 24        # fixed point: counts and log-likelihoods in units of 2^-24
ONE = float(1 << FRACTION_BITS)


def _fixed(c) -> np.ndarray:
    """round(c * 2^24) as int64 (in place in one float64 buffer: the counts of M = 64 have
    13 million elements per partition)."""
    out = np.multiply(np.asarray(c), ONE, dtype=np.float64)
    np.rint(out, out=out)
    return out.astype(np.int64)


def partition_size(batch: int) -> int:
    """Records per partition: ``PARTITION`` rounded up to a whole number of batches."""
    return -(-PARTITION // batch) * batch


def partitions(n: int, batch: int) -> list[tuple[int, int]]:
    """(first, stop) training ranks of each partition of n training records.

    >>> partitions(10_000, 512)
    [(0, 4096), (4096, 8192), (8192, 10000)]
    """
    size = partition_size(batch)
    return [(start, min(n, start + size)) for start in range(0, n, size)]


@dataclass
class Partial:
    """Expected counts (int64 arrays in units of 2^-24), log-likelihood (int, same units)
    and the number of records, of one partition or a sum of partitions."""
    counts: tuple
    ll: int
    n: int

    @classmethod
    def of(cls, counts, ll: float, n: int) -> "Partial":
        """Round float counts and a log-likelihood to fixed point."""
        return cls(tuple(_fixed(c) for c in counts), int(round(float(ll) * ONE)), int(n))

    def __add__(self, other: "Partial") -> "Partial":
        return Partial(tuple(a + b for a, b in zip(self.counts, other.counts)), self.ll + other.ll,
                       self.n + other.n)

    def floats(self) -> tuple:
        """The counts as float64 arrays."""
        return tuple(c.astype(np.float64) / ONE for c in self.counts)

    def loglik(self) -> float:
        """The summed natural-log likelihood."""
        return self.ll / ONE


def partition_counts(trainer, params, X: np.ndarray) -> Partial:
    """One partition's expected counts and log-likelihood: ``trainer.counts`` batch by batch
    (rows of X in order, the last batch padded with weight 0), summed in float32 in batch
    order, then rounded to fixed point."""
    acc, lls = trainer.sum_counts(params, X)
    ll = 0.0
    for batch_ll in np.asarray(lls, dtype=np.float64):
        ll += float(batch_ll)
    return Partial.of(acc, ll, len(X))


def total(parts) -> Partial | None:
    """The sum of partials (None for none); any order gives the same result."""
    out = None
    for part in parts:
        if out is None:                      # a copy, then sums in place
            out = Partial(tuple(c.copy() for c in part.counts), part.ll, part.n)
        else:
            for a, b in zip(out.counts, part.counts):
                a += b
            out.ll, out.n = out.ll + part.ll, out.n + part.n
    return out


class InMemory:
    """Training records held in memory, for :func:`pcz.learn.em.fit`: mini-batches in a
    seeded random order of records, full-batch counts over the fixed partitions."""

    def __init__(self, X: np.ndarray):
        self.X = np.asarray(X)
        self.n, self.D = self.X.shape

    def histogram(self, K: int) -> np.ndarray:
        """(D, K) counts of each value per column."""
        return np.stack([np.bincount(self.X[:, v], minlength=K)[:K] for v in range(self.D)])

    def mini_batches(self, trainer, rng: np.random.Generator):
        return trainer.batches(self.X, rng.permutation(self.n))

    def full_counts(self, trainer, params) -> Partial:
        return total(partition_counts(trainer, params, self.X[a:b])
                     for a, b in partitions(self.n, trainer.batch))
