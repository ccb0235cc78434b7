"""How a decode shares its memory limit out (pcz.engine.budget, docs/SECURITY.md)."""
import io

import pytest

import pcz
from pcz import methods, models
from pcz.engine import budget
from pcz.engine.pipeline import iter_decompress
from pcz.errors import LimitError
from pcz.format.fields import Record
from pcz.methods.text import default_model_bytes

MIB = 1 << 20


def test_workers_are_cut_until_the_model_copies_and_a_chunk_fit_in_each():
    text = default_model_bytes()
    first = Record(methods.HMM_MIX, MIB, 200_000, 0)
    per_worker = len(text) + models.footprint(text) + budget.chunk_cost(first, 2)
    def fits(workers):
        return budget.READER + len(text) + workers * per_worker <= limit
    for limit in (150 * MIB, 300 * MIB, 512 * MIB, 2 << 30):
        p = budget.plan(limit, text, 8, first)
        assert p.workers == 1 or fits(p.workers)
        assert p.workers == 8 or not fits(p.workers + 1)
        copies = p.workers * (len(text) + p.model_cost) if p.workers > 1 else p.model_cost
        assert p.room == limit - budget.READER - len(text) - copies >= 0
    assert budget.plan(150 * MIB, text, 8, first).workers == 1
    assert budget.plan(2 << 30, text, 8, first).workers == 8


def test_a_chunk_costs_more_with_workers_and_every_method_states_its_memory():
    for method_id in (methods.RAW, methods.ORDER0, methods.HMM, methods.HMM_MIX, methods.WINDOWS,
                      methods.HCLT, methods.HCLT_RANS, methods.NPY_HEADER):
        record = Record(method_id, MIB, 1000, 0)
        alone, shared = budget.chunk_cost(record, 1), budget.chunk_cost(record, 4)
        assert 1000 <= alone < shared == alone + 2 * 1000 + 2 * MIB


def test_the_limit_has_a_minimum():
    with pytest.raises(LimitError, match="16 MiB minimum"):
        budget.plan(8 * MIB, None, 1, None)
    with pytest.raises(LimitError, match="16 MiB minimum"):
        pcz.decompress(pcz.compress(b"x"), memory_limit=8 * MIB)


def test_kept_content_is_charged():
    blob = pcz.compress(bytes(8 * MIB), chunk_size=MIB, fast=True)
    assert len(b"".join(iter_decompress(io.BytesIO(blob), memory_limit=16 * MIB))) == 8 * MIB
    with pytest.raises(LimitError):
        b"".join(iter_decompress(io.BytesIO(blob), memory_limit=16 * MIB, retain=2))
    assert pcz.decompress(blob, memory_limit=40 * MIB) == bytes(8 * MIB)
