import numpy as np

from pcz.bench.memory import PeakMemory


def test_peak_grows_with_a_large_block_and_not_without():
    with PeakMemory() as big:
        block = np.ones(64 << 20, dtype=np.uint8)
        del block
    with PeakMemory() as small:
        sum(range(1000))
    if big.extra is None:      # not Linux: nothing measured
        assert small.extra is None
        return
    assert big.extra >= 48 << 20
    assert small.extra < 8 << 20
