"""The one place that decides how an input is coded: which model the file names, which
chunk methods are tried on each chunk, and whether the input is a record file.

Every front end (the CLI, :func:`pcz.compress`, :func:`pcz.open`, the streams, the
array calls and the benchmark) asks :func:`choose` and follows its :class:`Plan`.

- ``level`` 1..9 (like zstd/xz; ``fast`` is level 1), for byte streams without a model:

  ===== ============================================================================
  1     ``lz-rans`` (an LZ77 parse and rANS tables in numba, never much larger than
        order-0); chunks under 64 KiB try order-0 and ``lz-rans`` in plain Python (same
        bytes, no numba start-up), the smaller wins
  2-6   order-0 and ``cm`` (context mixing, no model file, 2-3 MB/s), the smaller wins;
        chunks under 4 KiB run ``cm`` in plain Python (same bytes, no numba start-up)
  7-8   order-0 and the shipped text model's mixture where it pays (below), else order-0
  9     as 7-8, with ``cm`` tried too on every chunk
  ===== ============================================================================

- ``windows=W``: Equal-Info windows of W bits with the given or shipped text model.
- a model: the methods its kind lists (:class:`pcz.models.Kind`); a record model
  (HCLT) codes ``.npy``/IDX record files.
- no model: the shipped text model's mixture where it beats the order-0 model on a
  sample of the input by more than the 32 bytes it costs to name the model; else order-0.
- ``candidates``: exactly these methods (benchmarks and experiments).
- ``long``: long-range matching across chunks (:mod:`pcz.engine.long_range`), on by
  default at levels 2-9 for byte streams (never with ``windows`` or a record model);
  ``long=True`` asks for it at level 1 or with ``candidates`` too.

>>> plan = choose(fast=True)
>>> plan.model, plan.candidates, plan.records
(None, (13,), False)
>>> choose().long, choose(fast=True).long, choose(fast=True, long=True).long
(True, False, True)
>>> choose(sample=lambda: b"It was the best of times, it was the worst of times. " * 4).candidates
(1, 9)
>>> choose(level=7, sample=lambda: b"It was the best of times, it was the worst of times. " * 4).model is not None
True
>>> choose(level=7, sample=lambda: bytes(range(256))).model is None
True
"""
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable, Iterable, Iterator

from pcz import models
from pcz.errors import ModelError
from pcz.methods.registry import CM, HMM, HMM_MIX, LZ_RANS, ORDER0, ORDER0_RANS, RAW, Method, get

Candidates = tuple   # method ids or Method objects, tried in order on every chunk
# --fast tries constriction's order-0 coder besides lz-rans on chunks this small (lz-rans then
# runs in plain Python, pcz.coders.lz_small: loading numba's kernels costs over a second per
# process).  Measured on pieces of the Canterbury files (method payload sizes): order-0 is the
# smaller on most pieces of 256 bytes, half of those of 512 and a few of 1 KiB (plrabn12.txt,
# ptt5, sum; none of 4 KiB), its table being cheaper than lz-rans' four or more, while lz-rans
# wins even on 48 bytes of runs (ptt5); no size threshold separates the two, and order-0 costs
# a few ms next to the Python parse, so both are tried (order-0 first: it wins ties)
SMALL = 1 << 16


@dataclass(frozen=True)
class Plan:
    """How an input is coded."""
    model: bytes | None            # model file bytes the file names (None: no model)
    candidates: Candidates         # tried on every chunk; the smallest payload wins (raw if none)
    records: bool = False          # the input is a record file (.npy, IDX) coded by the model
    known: tuple | None = None     # (chunk, method id, payload) already coded while deciding
    small: Candidates | None = None  # for chunks under ``small_below`` bytes, if set (no numba start-up)
    small_below: int = SMALL
    long: bool = False             # long-range matching across chunks (pcz.engine.long_range)

    def segments(self, chunks: Iterable[bytes]) -> Iterator[tuple[bytes, Candidates]]:
        """(chunk, candidates) for each chunk of a byte stream; a chunk that was coded while
        deciding gets its payload back instead of being coded again."""
        for chunk in chunks:
            if self.known is not None and chunk == self.known[0]:
                yield chunk, tuple(_known(self.known[1], self.known[2]) if _id(c) == self.known[1] else c
                                   for c in self.candidates)
            elif self.small is not None and len(chunk) < self.small_below:
                yield chunk, self.small
            else:
                yield chunk, self.candidates


def choose(model: Any = None, *, sample: Callable[[], bytes] | None = None, fast: bool = False,
           windows: int | None = None, candidates: Iterable | None = None, level: int | None = None,
           long: bool | None = None) -> Plan:
    """The :class:`Plan` for an input; ``sample()`` returns its first chunk and is called
    only when the decision depends on the data (no model, nothing forced)."""
    plan = _choose(model, sample, fast, windows, candidates, level)
    level = check_level(level, fast)
    wanted = level > 1 and candidates is None if long is None else long
    if wanted and (windows or plan.records):
        if long:
            raise ValueError("long-range matching codes byte streams: not with windows or a record model")
        wanted = False
    return replace(plan, long=bool(wanted and all(_id(c) in LONG_INNER for c in plan.candidates)))


# the methods a long chunk's literals may be coded by (pcz.methods.long.INNER)
LONG_INNER = (RAW, ORDER0, ORDER0_RANS, CM, HMM, HMM_MIX, LZ_RANS)


def fresh(candidates: Candidates) -> Candidates:
    """The candidates with any payload coded while deciding replaced by its method (for
    other bytes than the chunk it was coded for)."""
    return tuple(get(c.id) if isinstance(c, Method) and isinstance(c.encode, partial)
                 and c.encode.func is _known_payload else c for c in candidates)


def _choose(model: Any, sample: Callable[[], bytes] | None, fast: bool, windows: int | None,
            candidates: Iterable | None, level: int | None) -> Plan:
    level = check_level(level, fast)
    if level == 1 and (windows or model is not None or candidates is not None):
        raise ValueError("fast (level 1) takes neither windows, a model nor candidates")
    if level == 1:
        return Plan(None, (LZ_RANS,), small=(ORDER0, LZ_RANS))
    if windows:
        from pcz.methods.text import default_model_bytes, windows_method
        model_bytes = models.as_bytes(model) if model is not None else default_model_bytes()
        return Plan(model_bytes, (windows_method(int(windows)),))
    if model is not None:
        model_bytes = models.as_bytes(model)
        kind = models.kind_of(model_bytes)
        if kind is None:
            raise ModelError("not a pcz model file (unknown magic)")
        chosen = kind.methods if candidates is None else tuple(candidates)
        return Plan(model_bytes, chosen, kind.records)
    if candidates is not None:
        return Plan(None, tuple(candidates))
    if level < 7:
        return Plan(None, (ORDER0, CM), small=(ORDER0,), small_below=TINY)
    return _text_or_order0(sample() if sample is not None else b"", level)


DEFAULT_LEVEL = 3
TINY = 64    # chunks this short are coded by order-0 alone (cm would save 0-10 % on text there;
             # changing it would change level 3's output for such inputs)


def check_level(level: int | None, fast: bool = False) -> int:
    """The level to use: ``level`` (1..9), 1 for ``fast``, else :data:`DEFAULT_LEVEL`.

    >>> check_level(None), check_level(None, fast=True), check_level(9)
    (3, 1, 9)
    """
    if fast and level not in (None, 1):
        raise ValueError("fast is level 1; give one or the other")
    level = 1 if fast else DEFAULT_LEVEL if level is None else level
    if not isinstance(level, int) or not 1 <= level <= 9:
        raise ValueError(f"compression level must be 1..9, not {level!r}")
    return level


def _text_or_order0(first: bytes, level: int) -> Plan:
    from pcz.methods import text
    fallback = Plan(None, (ORDER0, CM), small=(ORDER0,), small_below=TINY) if level == 9 else Plan(None, (ORDER0,))
    try:
        model_bytes = text.default_model_bytes()
    except FileNotFoundError:
        return fallback
    # the mixture must save more than the model id costs: inputs that short never qualify
    worth_trying = len(first) > text.MODEL_ID_COST + 1
    pays, payload = text.mix_trial(first, models.load(model_bytes)) if worth_trying else (False, None)
    if not pays:
        return fallback
    chosen = models.kind_of(model_bytes).methods + ((CM,) if level == 9 else ())
    return Plan(model_bytes, chosen, known=(first, HMM_MIX, payload) if payload else None)


def _id(candidate) -> int:
    return candidate.id if isinstance(candidate, Method) else candidate


def _known_payload(data: bytes, model: Any, payload: bytes) -> bytes:
    return payload


def _known(method_id: int, payload: bytes) -> Method:
    """The method ``method_id`` whose encoder returns ``payload`` (already computed)."""
    method = get(method_id)
    return Method(method.id, method.name, partial(_known_payload, payload=payload), method.decode,
                  method.needs_model)
