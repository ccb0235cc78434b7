"""pcz's own modes as benchmark codecs: a small registry, one entry per mode.

A mode names what it needs from pcz (``available`` says why not, when it
cannot run in this build) and builds a :class:`~pcz.bench.codec.Codec`.
Learned modes train in ``prepare`` on the dataset's training split and report
their model's size; modes with a model report its theoretical rate.  A new
mode is one :func:`register` call.

>>> sorted(MODES)
['pcz', 'pcz-cm', 'pcz-fast', 'pcz-hclt', 'pcz-hmm', 'pcz-hmm-mix', 'pcz-order0']
>>> codec = MODES["pcz"].build()
>>> item = np.frombuffer(b"abracadabra" * 50, dtype=np.uint8)
>>> bool((codec.decode(codec.encode(item), item.shape) == item).all())
True
"""
import io
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

import pcz
from pcz import methods, models
from pcz.methods import order0
from pcz.engine import pipeline
from pcz.bench.codec import Codec, from_bytes
from pcz.errors import FormatError


@dataclass(frozen=True)
class Mode:
    name: str
    summary: str
    available: Callable[[], str | None]     # None when this pcz build has the mode, else why not
    build: Callable[[], Codec]


MODES: dict[str, Mode] = {}


def register(mode: Mode) -> None:
    """Add (or replace) a pcz mode in the benchmark."""
    MODES[mode.name] = mode


def _version() -> str:
    return f"pcz {pcz.__version__}"


def order0_bits(data: bytes, chunk: int = pipeline.DEFAULT_CHUNK) -> float:
    """Ideal code length of data under the order-0 tables pcz stores (per chunk; tables excluded).

    >>> order0_bits(b"aabb")
    4.0
    """
    bits = 0.0
    for at in range(0, len(data), chunk):
        counts = np.bincount(np.frombuffer(data[at:at + chunk], dtype=np.uint8), minlength=256)
        q = order0._quantised_counts(counts)
        used = counts > 0
        bits -= float((counts[used] * np.log2(q[used] / q.sum())).sum())
    return bits


class StreamCodec(Codec):
    """pcz's container on bytes: the default choice of methods, or the given candidates only."""

    def __init__(self, name: str, description: str, candidates: tuple[int, ...] | None = None,
                 theoretical: Callable[[bytes], float] | None = None, model: bytes | None = None):
        self.name, self.description = name, description
        self.candidates, self.theoretical, self.model = candidates, theoretical, model

    def encode(self, item: np.ndarray) -> bytes:
        if self.candidates is None:
            return pcz.compress(item.tobytes())
        out = io.BytesIO()
        pcz.compress_stream(io.BytesIO(item.tobytes()), out, candidates=self.candidates, model=self.model)
        return out.getvalue()

    def decode(self, blob: bytes, shape: tuple) -> np.ndarray:
        return from_bytes(pcz.decompress(blob), shape)

    def theoretical_bits(self, items: list, whole: bool) -> float | None:
        if self.theoretical is None:
            return None
        if whole:
            return self.theoretical(b"".join(item.tobytes() for item in items))
        return sum(self.theoretical(item.tobytes()) for item in items)


def method_available(method_id: int) -> Callable[[], str | None]:
    """An ``available`` check: the chunk method with this id is registered in pcz."""
    def check():
        try:
            methods.get(method_id)
        except FormatError:
            return f"this pcz has no chunk method {method_id}"
        return None
    return check


def _text_model() -> bytes:
    from pcz.methods.text import default_model_bytes
    return default_model_bytes()


def method_mode(method_id: int, name: str, summary: str,
                theoretical: Callable[[bytes], float] | None = None,
                model: Callable[[], bytes] | None = None) -> Mode:
    """A mode that codes bytes with one chunk method only (raw where it does not win),
    with the model ``model()`` returns, if any."""
    def build():
        method = methods.get(method_id)
        return StreamCodec(name, f"{summary}: {_version()}, chunk method {method.name} only",
                           candidates=(method_id,), theoretical=theoretical,
                           model=model() if model else None)
    return Mode(name, summary, method_available(method_id), build)


class RecordCodec(Codec):
    """pcz's record mode: a model learned on the training split codes equal-shape records."""
    family = "records"

    def __init__(self, name: str, description: str, train_options: dict):
        self.name, self.description, self.train_options = name, description, train_options
        self.model, self.info = None, {}

    def applies(self, dataset) -> str | None:
        if dataset.model is None and (dataset.train is None or len(dataset.train) == 0):
            return "no training split for these data (give --train PATH)"
        return super().applies(dataset)

    def prepare(self, dataset) -> None:
        if dataset.model is not None:
            self.model = models.load(dataset.model)
            self.info = {"model_bytes": len(dataset.model), "train_items": None, "train_s": None,
                         "shipped": True}
            return
        t0 = time.perf_counter()
        self.model = pcz.train(np.asarray(dataset.train), **self.train_options)
        self.info = {"model_bytes": len(models.as_bytes(self.model)),
                     "train_items": len(dataset.train), "train_s": time.perf_counter() - t0}

    def model_info(self) -> dict:
        return self.info

    def theoretical_bits(self, items: list, whole: bool) -> float | None:
        bits = getattr(self.model, "nll_bits", None)      # -log2 p(x) per record, if the model has it
        return None if bits is None else float(np.sum(bits(np.stack(items))))

    def encode(self, item: np.ndarray) -> bytes:
        return pcz.compress_array(item[None], self.model)

    def decode(self, blob: bytes, shape: tuple) -> np.ndarray:
        records = np.asarray(pcz.decompress_array(blob, self.model))
        if len(records) != 1:
            raise ValueError(f"decoded {len(records)} records from one")
        return records[0]

    def encode_set(self, items: list) -> bytes:
        return pcz.compress_array(np.stack(items), self.model)

    def decode_set(self, blob: bytes, shapes: list) -> list:
        return list(np.asarray(pcz.decompress_array(blob, self.model)))


def _has_api(*names: str) -> Callable[[], str | None]:
    def check():
        missing = [n for n in names if not hasattr(pcz, n)]
        return f"this pcz has no {', '.join('pcz.' + n for n in missing)}" if missing else None
    return check


register(Mode("pcz", "pcz default (pcz.compress)", lambda: None,
              lambda: StreamCodec("pcz", f"pcz default, pcz.compress (best method per 1 MiB chunk): {_version()}")))
register(method_mode(methods.LZ_RANS, "pcz-fast", "pcz --fast: LZ77 and rANS tables in numba (lz-rans, method 13)"))
register(method_mode(methods.CM, "pcz-cm", "pcz lean context mixing (method 9, no model file)"))
register(method_mode(methods.ORDER0, "pcz-order0", "pcz core order-0 byte model (theoretical: ideal "
                     "code length under the stored tables)", theoretical=order0_bits))
register(Mode("pcz-hclt", "pcz HCLT record model", _has_api("train", "compress_array", "decompress_array"),
              lambda: RecordCodec("pcz-hclt", f"pcz HCLT records (pcz.train defaults, compress_array): "
                                              f"{_version()}", {})))
register(method_mode(methods.HMM, "pcz-hmm", "pcz text HMM (shipped model)", model=_text_model))
register(method_mode(methods.HMM_MIX, "pcz-hmm-mix", "pcz text HMM mixed with context models (shipped model)",
                     model=_text_model))
