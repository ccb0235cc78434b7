"""Model footprints (docs/SECURITY.md, "Untrusted model files"): read from the header alone,
at least what loading a model and coding with it allocate, and checked against the
budget before anything is inflated or parsed."""
import tracemalloc
import zlib

import numpy as np
import pytest

from pcz import methods, models
from pcz.bench.experiments.security_probe import hclt_bomb_model
from pcz.coders.tree_tables import padded
from pcz.errors import LimitError, ModelError
from pcz.methods import hclt as hclt_method, text
from pcz.models import hclt, hmm, registry
from hclt_helpers import random_model

MIB = 1 << 20


def _traced(work) -> tuple[int, int]:
    """(peak, still held at the end) of the bytes numpy and Python allocate while ``work`` runs
    (numpy reports to tracemalloc; numba's own allocations are not seen)."""
    tracemalloc.start()
    try:
        kept = work()
        held, peak = tracemalloc.get_traced_memory()
        del kept
        return peak, held
    finally:
        tracemalloc.stop()


def _traced_peak(work) -> int:
    return _traced(work)[0]


def test_text_model_footprint_covers_loading_and_its_tables():
    data = text.default_model_bytes()

    def load_and_build():
        model = hmm.HMM.from_bytes(data)
        model.kernel_args(), model.mix_args()
        return model
    peak, held = _traced(load_and_build)
    tree = hmm.HMM.from_bytes(data).tree.nbytes          # the kernels' adapting copy (numba)
    foot = models.footprint(data)
    assert peak <= foot and held + tree <= foot <= 1.25 * (held + tree), (peak, held, foot)


@pytest.mark.parametrize("D, M, K, qbits", [(40, 16, 32, 16), (10, 64, 256, 24), (300, 4, 2, 20), (60, 13, 64, 20)])
def test_hclt_footprint_covers_loading_coding_tables_and_messages(D, M, K, qbits):
    parent = np.concatenate([[-1], np.arange(D - 1)])
    model = random_model(0, parent, M, K)
    if qbits != hclt.QBITS:
        model = hclt.HcltModel.from_float(parent, model.prior, model.transition, model.emission, qbits=qbits)
    data = model.to_bytes()
    records = np.random.default_rng(1).integers(0, K, (3000, D)).astype(np.uint8).tobytes()
    payloads = {m: methods.get(m).encode(records, model) for m in (methods.HCLT_RANS, methods.HCLT)}

    def load_and_decode():
        loaded = hclt.HcltModel.from_bytes(data)
        for m, payload in payloads.items():
            assert methods.get(m).decode(payload, len(records), loaded) == records
    peak = _traced_peak(load_and_decode)
    buffers = sum(methods.get(m).memory(len(records), len(p)) for m, p in payloads.items())
    assert peak <= models.footprint(data) + buffers


@pytest.mark.parametrize("transform", ["none", "med"])
def test_a_pruned_models_footprint_counts_only_its_used_blocks(transform):
    rng = np.random.default_rng(5)
    D, M, K = 64, 24, 256
    parent = np.concatenate([[-1], rng.integers(0, np.arange(1, D))])
    states = rng.integers(2, M // 2, D)
    states[7] = M
    dense = random_model(0, parent, M, K, shape=(8, 8), transform=transform)
    pruned = hclt.HcltModel.from_float(parent, dense.prior, dense.transition, dense.emission, shape=(8, 8),
                                       states=states, transform=transform)
    data = pruned.to_bytes()
    coder = hclt_method._coder(pruned)                 # the coder keeps exactly the used blocks
    _, blocks, rows = hclt.hclt_file._used_blocks(data, 4 if transform == "med" else 0, D, M, 2)
    assert blocks == sum(states[parent[1:]] * states[1:])
    assert coder.Tp.size == sum(states[parent[1:]] * padded(states[1:]))          # rows padded to whole vectors
    assert coder.Ttp.size == sum(states[1:] * padded(states[parent[1:]]))
    assert coder.Cp.size == (K + 1) * rows and rows == states.sum()
    assert models.footprint(data) < models.footprint(dense.to_bytes()) - 16 * (D - 1) * M * M // 2
    records = np.random.default_rng(1).integers(0, K, (3000, D)).astype(np.uint8).tobytes()
    rans = methods.get(methods.HCLT_RANS)
    payload = rans.encode(records, pruned)

    def load_and_decode():
        assert rans.decode(payload, len(records), hclt.HcltModel.from_bytes(data)) == records
    assert _traced_peak(load_and_decode) <= models.footprint(data) + rans.memory(len(records), len(payload))


def test_footprint_reads_the_header_only():
    bomb = hclt_bomb_model()
    assert hclt.footprint(bomb) > 2 << 30                    # 2**27 parameters of 24 bits, and their tables
    assert _traced_peak(lambda: models.footprint(bomb)) < MIB
    with pytest.raises(ModelError):
        models.footprint(b"\x89PCZhclt" + bytes(8))


@pytest.mark.parametrize("budget", [64 * MIB, 512 * MIB])
def test_a_deflate_bomb_is_refused_before_it_is_inflated(budget):
    bomb = hclt_bomb_model()
    errors = []

    def load():
        try:
            models.load(bomb, budget=budget)
        except LimitError as e:
            errors.append(str(e))
    assert _traced_peak(load) < 2 * MIB
    assert errors and "the model needs" in errors[0]


def test_inflating_never_goes_past_the_stated_size():
    model = random_model(0, [-1, 0, 1], 2, 3)
    data = bytearray(model.to_bytes())
    body = bytes(1 << 24)                                  # far more than the header states
    packed = zlib.compress(body, 9)
    head = data[:hclt._HEAD.size + 4 + 4 * 3]
    forged = bytes(head) + len(packed).to_bytes(4, "little") + packed
    forged += zlib.crc32(forged).to_bytes(4, "little")
    errors = []

    def load():
        try:
            hclt.HcltModel.from_bytes(forged)
        except ModelError as e:
            errors.append(str(e))
    assert _traced_peak(load) < MIB and "wrong size" in errors[0]


def test_the_cache_keeps_models_within_the_budget():
    a, b = (random_model(seed, [-1, 0], 2, 3).to_bytes() for seed in (1, 2))
    budget = models.footprint(a) + models.footprint(b) - 1
    models.load(a, budget=budget)
    models.load(b, budget=budget)
    kept = [registry._CACHE[k][1] for k in registry._CACHE]
    assert sum(kept) <= budget and models.footprint(b) in kept
    with pytest.raises(LimitError):                          # a cached model is charged too
        models.load(b, budget=models.footprint(b) - 1)


def test_hclt_coder_floor_uses_the_model():
    model = random_model(0, [-1, 0], 2, 3)
    assert hclt_method.min_bits(model) > methods.get(methods.HCLT_RANS).min_bits
