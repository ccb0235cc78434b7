"""The full-batch E step over fixed partitions: exact sums, whatever the grouping or order."""
import numpy as np

from pcz.learn.em import Trainer
from pcz.learn.partition import InMemory, Partial, partition_counts, partitions, total


def test_fixed_point_sums_do_not_depend_on_grouping_or_order():
    rng = np.random.default_rng(0)
    parts = [Partial.of((rng.random((5, 7)).astype(np.float32) * 4096,), -rng.random() * 1e6, 4096)
             for _ in range(9)]
    sequential = total(parts)
    grouped = total([total(parts[:4]), total(parts[4:7]), total(parts[7:])])
    shuffled = total([parts[i] for i in rng.permutation(9)])
    for other in (grouped, shuffled):
        assert np.array_equal(other.counts[0], sequential.counts[0])
        assert other.ll == sequential.ll and other.n == sequential.n == 9 * 4096
    # the float sum of the same partials in another order differs somewhere: why fixed point
    floats = [p.floats()[0].astype(np.float32) for p in parts]
    orders = [sum(floats[i] for i in rng.permutation(9)) for _ in range(20)]
    assert any(not np.array_equal(o, orders[0]) for o in orders)


def test_partitions_are_whole_batches_and_cover_every_record():
    for n, batch in [(1, 512), (4096, 512), (10_001, 300), (5000, 5000)]:
        ranges = partitions(n, batch)
        assert ranges[0][0] == 0 and ranges[-1][1] == n
        assert all(b == c for (_, b), (c, _) in zip(ranges, ranges[1:]))
        assert all((b - a) % batch == 0 for a, b in ranges[:-1])


def test_in_memory_counts_are_the_sum_of_the_partitions_counts():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 3, (9000, 4)).astype(np.uint8)
    trainer = Trainer(np.array([-1, 0, 1, 0]), 512, 1.0)
    params = trainer.to_device(np.full(2, 0.5), rng.dirichlet(np.ones(2), (4, 2)), rng.dirichlet(np.ones(3), (4, 2)))
    whole = InMemory(X).full_counts(trainer, params)
    by_hand = [partition_counts(trainer, params, X[a:b]) for a, b in partitions(9000, 512)]
    assert len(by_hand) == 3 and whole.n == 9000
    assert np.array_equal(whole.counts[2], total(reversed(by_hand)).counts[2])
    # the counts are the expected counts: each node's posterior sums to the number of records
    np.testing.assert_allclose(whole.floats()[2].sum((1, 2)), 9000, rtol=1e-5)
