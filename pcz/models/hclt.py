"""HCLT model objects and their file format (spec: docs/HCLT.md).

An HCLT (hidden Chow-Liu tree) has D observed variables X_v in 0..K-1 on a
tree (``parent``, root -1), each with a latent Z_v of M states: a root prior,
an M x M transition per non-root node (rows: parent state) and an M x K
emission per node.  Every distribution is stored quantised: a row of n
integers q >= 1 summing to exactly 2**qbits (qbits 16 to 24, in the header),
written as q - 1 in 2 or 3 byte planes.  The coding path uses exactly the
dequantised values q / 2**qbits (float64, exact).  16 bits cost a trained
Fashion-MNIST model 0.003 bits per pixel (small emission probabilities are
rounded coarsely); 20 bits cost 0.0002 (docs/HCLT.md).

A model file is untrusted input: :func:`from_bytes` validates the magic,
version, reserved flags, sizes against caps (before allocating), the tree,
every row's sum, and a CRC32; it never unpickles.  A model written by training
also holds its validation bits per value (flag bit 0), which ``pcz info`` shows; one may
name a prediction transform (flag bit 2; absent in older files: none), :meth:`HcltModel.coded`.
A model is named by the SHA-256 of its bytes (:func:`pcz.format.fields.model_id`).

>>> import numpy as np
>>> m = HcltModel.from_float(np.array([-1, 0]), np.array([0.5, 0.5]),
...                          np.full((2, 2, 2), 0.5), np.full((2, 2, 3), 1 / 3), shape=(2,))
>>> m2 = HcltModel.from_bytes(m.to_bytes())
>>> (m2.D, m2.K, m2.M, m2.shape), bool(np.all(m2.emission.sum(-1) == 1))
((2, 3, 2, (2,)), True)
"""
import math
import struct
import zlib
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from pcz.errors import ModelError
from pcz.models import predict
from pcz.models.hclt_caps import MAX_D, MAX_K, MAX_M, MAX_QBITS, MAX_VALUES, MIN_QBITS, ONE, QBITS
from pcz.models.values import CODES, Layout

MAGIC = b"\x89PCZhclt"
VERSION = 2             # 2: parameters as byte planes; 1 (read only): interleaved uint16
GROUP_VALUES = 1 << 21   # float64 values of one message array in a lockstep group (pcz.coders.tree_rans)
_HEAD = struct.Struct("<8sHHIIIBB")   # magic, version, flags, D, K, M, qbits, ndim
FLAG_VALIDATION = 1      # a validation record follows the parameters
FLAG_DTYPE = 2           # the records' element layout follows the shape (absent: uint8)
FLAG_TRANSFORM = 4       # one byte, the prediction transform, follows the layout (absent: none)
_DTYPE = struct.Struct("<cBqB")       # kind ('u', 'i', 'b'), bytes per element, offset, bits
_VALIDATION = struct.Struct("<Id")    # held-out records, bits per value of the stored model


def preorder(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pcz.coders.tree_pc.preorder`, imported on use (numba loads only for coding)."""
    from pcz.coders.tree_pc import preorder as walk_order
    return walk_order(parent)


def quantise_rows(p: np.ndarray, qbits: int = QBITS) -> np.ndarray:
    """Integers >= 1 summing to exactly 2**qbits along the last axis, close to p * 2**qbits.

    Largest remainder: every entry gets 1, the rest of the mass is shared in
    proportion to p, and the leftover units go to the largest remainders.

    >>> quantise_rows(np.array([0.5, 0.5, 0.0])).tolist()
    [32768, 32767, 1]
    """
    one = 1 << qbits
    p = np.asarray(p, dtype=np.float64)
    if not np.all(np.isfinite(p)):
        raise ValueError("probabilities must be finite")
    n = p.shape[-1]
    if n > one:
        raise ValueError("too many outcomes to quantise")
    p = np.maximum(p, 0)
    total = p.sum(-1, keepdims=True)
    p = np.where(total > 0, p / np.where(total > 0, total, 1), 1.0 / n)
    share = p * (one - n)
    q = np.floor(share).astype(np.int64)
    left = (one - n) - q.sum(-1)                       # units still to hand out, < n
    rank = np.argsort(-(share - q), axis=-1, kind="stable")
    bonus = np.zeros_like(q)
    np.put_along_axis(bonus, rank, (np.arange(n) < left[..., None]).astype(np.int64), axis=-1)
    return q + bonus + 1


def _planes(qbits: int) -> int:
    """Byte planes per stored value."""
    return (qbits + 7) // 8


@dataclass(eq=False)
class HcltModel:
    MAGIC = MAGIC
    parent: np.ndarray       # (D,) int64, root -1
    prior_q: np.ndarray      # (M,) int32, sums to 2**16
    trans_q: np.ndarray      # (D, M, M) int32; the root's slot is unused (uniform)
    emit_q: np.ndarray       # (D, M, K) int32
    shape: tuple[int, ...]   # shape of one record in elements (product x planes = D)
    qbits: int = QBITS       # rows sum to 2**qbits
    validation: tuple[int, float] | None = None   # (held-out records, bits per value) if trained
    layout: Layout = Layout()  # element type and value range (pcz.models.values): planes per element
    transform: str = predict.NONE  # what the coded symbols are (pcz.models.predict): none, med, med-rgb
    _bytes: bytes | None = field(default=None, repr=False)

    @property
    def D(self) -> int:
        return len(self.parent)

    @property
    def M(self) -> int:
        return len(self.prior_q)

    @property
    def K(self) -> int:
        return self.emit_q.shape[2]

    @property
    def elements(self) -> int:
        """Elements per record (D / bytes per element)."""
        return self.D // self.layout.planes

    @property
    def dtype(self) -> str:
        """The records' element type code ('u1', 'u2', ...)."""
        return self.layout.code

    def coded(self, X: np.ndarray) -> np.ndarray:
        """The symbols the tree codes for record symbols X (N, D) (values < K): X itself, or
        its residuals when the model names a transform.  Every coding path goes through it.

        >>> m = HcltModel.from_float([-1, 0], [1.0], np.ones((2, 1, 1)), np.full((2, 1, 4), 0.25),
        ...                          shape=(1, 2), transform="med")
        >>> m.coded(np.array([[3, 3]], np.uint8)).tolist(), m.restored(np.array([[1, 0]])).tolist()
        ([[1, 0]], [[3, 3]])
        """
        return predict.code(X, self.shape, self.K, self.transform)

    def restored(self, Z: np.ndarray, in_place: bool = False) -> np.ndarray:
        """The record symbols (N, D) whose coded symbols are Z: :meth:`coded` undone (decoders
        restore ``in_place``, in blocks: :data:`pcz.models.predict.WORK_BYTES` more at most)."""
        return predict.decode(Z, self.shape, self.K, self.transform, in_place)

    @property
    def one(self) -> int:
        """2**qbits: the sum of every quantised row."""
        return 1 << self.qbits

    @cached_property
    def prior(self) -> np.ndarray:
        """Dequantised root prior (M,), float64: exactly what the coders use."""
        return self.prior_q / self.one

    @cached_property
    def transition(self) -> np.ndarray:
        """Dequantised transitions (D, M, M), rows indexed by the parent's state."""
        return self.trans_q / self.one

    @cached_property
    def emission(self) -> np.ndarray:
        """Dequantised emissions (D, M, K)."""
        return self.emit_q / self.one

    @cached_property
    def emission32(self) -> np.ndarray:
        """:attr:`emission` in float32, what the walk keeps: exact (multiples of 2^-qbits,
        qbits <= 24), so its float64 products are the same, in half the memory."""
        E = self.emit_q.astype(np.float32)          # integers up to 2^24: exact
        E *= np.float32(1.0 / self.one)
        return E

    @cached_property
    def order(self) -> np.ndarray:
        """The coding order: depth-first pre-order of the tree."""
        return preorder(self.parent)[0]

    @cached_property
    def depth(self) -> np.ndarray:
        return preorder(self.parent)[1]

    @property
    def root(self) -> int:
        return int(np.flatnonzero(self.parent < 0)[0])

    @classmethod
    def from_float(cls, parent, prior, transition, emission, shape=None,
                   qbits: int = QBITS, layout: Layout = Layout(),
                   transform: str = predict.NONE) -> "HcltModel":
        """Quantise float parameters (rows need not be normalised exactly) to ``qbits`` bits.

        ``layout``: the records' element type and range; each element is ``layout.planes`` variables, so
        the record ``shape`` (in elements) times that is the number of variables; ``transform``:
        :mod:`pcz.models.predict`."""
        if not MIN_QBITS <= qbits <= MAX_QBITS:
            raise ValueError(f"qbits must be {MIN_QBITS} to {MAX_QBITS}")
        parent = np.asarray(parent, dtype=np.int64)
        M = len(prior)
        transition = np.array(np.broadcast_to(transition, (len(parent), M, M)), dtype=np.float64)
        transition[parent < 0] = 1.0
        shape = (len(parent) // layout.planes,) if shape is None else tuple(int(s) for s in shape)
        predict.check(transform, shape, layout.planes)
        model = cls(parent, *(quantise_rows(p, qbits).astype(np.int32)
                              for p in (prior, transition, emission)), shape, qbits, layout=layout,
                    transform=transform)
        return cls.from_bytes(model.to_bytes())   # one validation path for every model

    def with_validation(self, records: int, bits: float) -> "HcltModel":
        """This model, noting that it codes ``records`` held-out records in ``bits`` per value.

        >>> m = HcltModel.from_float([-1], [1.0], np.ones((1, 1, 1)), [[[0.5, 0.5]]])
        >>> HcltModel.from_bytes(m.with_validation(300, 1.0).to_bytes()).validation
        (300, 1.0)
        """
        return self.from_bytes(replace(self, validation=(int(records), float(bits)),
                                       _bytes=None).to_bytes())

    def to_bytes(self) -> bytes:
        """The model file bytes (deterministic: equal models give equal bytes)."""
        if self._bytes is None:
            values = np.concatenate([self.prior_q, self.trans_q[self.parent >= 0].ravel(),
                                     self.emit_q.ravel()]) - 1
            # high bytes first, low bytes last: zlib packs planes 16 % smaller than interleaved
            planes = [((values >> (8 * i)) & 0xFF).astype(np.uint8).tobytes()
                      for i in reversed(range(_planes(self.qbits)))]
            packed = zlib.compress(b"".join(planes), 9)
            flags = ((0 if self.validation is None else FLAG_VALIDATION)
                     | (0 if self.dtype == "u1" else FLAG_DTYPE)       # uint8 models: as before
                     | (0 if self.transform == predict.NONE else FLAG_TRANSFORM))
            out = bytearray(_HEAD.pack(MAGIC, VERSION, flags, self.D, self.K, self.M, self.qbits,
                                       len(self.shape)))
            out += struct.pack(f"<{len(self.shape)}I", *self.shape)
            if flags & FLAG_DTYPE:
                out += _DTYPE.pack(self.dtype[0].encode(), int(self.dtype[1]), self.layout.offset,
                                   self.layout.bits)
            if flags & FLAG_TRANSFORM:
                out += bytes([predict.TRANSFORMS.index(self.transform)])
            out += self.parent.astype("<i4").tobytes()
            out += struct.pack("<I", len(packed)) + packed
            if self.validation is not None:
                out += _VALIDATION.pack(*self.validation)
            out += struct.pack("<I", zlib.crc32(out))
            self._bytes = bytes(out)
        return self._bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> "HcltModel":
        """Parse and validate a model file; ModelError on anything wrong.

        The parameters are inflated to exactly the size the header states, never
        more; :func:`footprint` tells from the header alone what loading costs.
        """
        data = bytes(data)
        version, flags, D, K, M, qbits, ndim = _head(data)
        if struct.unpack_from("<I", data, len(data) - 4)[0] != zlib.crc32(data[:-4]):
            raise ModelError("HCLT model file is damaged (CRC mismatch)")
        n_values = M + (D - 1) * M * M + D * M * K
        pos = _HEAD.size
        try:
            shape = struct.unpack_from(f"<{ndim}I", data, pos)
            pos += 4 * ndim
            layout = Layout()
            if flags & FLAG_DTYPE:
                kind, size, offset, bits = _DTYPE.unpack_from(data, pos)
                pos += _DTYPE.size
                code = kind.decode("latin-1") + str(size)
                if code not in CODES or code == "u1":
                    raise ModelError("HCLT model has an unknown record element type")
                try:
                    layout = Layout(code, offset, bits)
                except ValueError:
                    raise ModelError("HCLT model has an invalid record value range") from None
            transform = predict.NONE
            if flags & FLAG_TRANSFORM:
                (index,) = struct.unpack_from("<B", data, pos)
                pos += 1
                if not 1 <= index < len(predict.TRANSFORMS):
                    raise ModelError(f"HCLT model names an unknown prediction transform ({index})")
                transform = predict.TRANSFORMS[index]
            parent = np.frombuffer(data, "<i4", D, pos).astype(np.int64)
            pos += 4 * D
            (packed_len,) = struct.unpack_from("<I", data, pos)
        except (struct.error, ValueError):
            raise ModelError("HCLT model file is truncated") from None
        pos += 4
        extra = _VALIDATION.size if flags & FLAG_VALIDATION else 0
        if pos + packed_len + extra + 4 != len(data):
            raise ModelError("HCLT model file size does not match its header")
        validation = None
        if extra:
            records, bits = _VALIDATION.unpack_from(data, pos + packed_len)
            if records < 1 or not (math.isfinite(bits) and bits >= 0):
                raise ModelError("HCLT model validation record is invalid")
            validation = (records, bits)
        if int(np.prod(shape, dtype=np.int64)) * layout.planes != D:
            raise ModelError("HCLT model record shape does not match D")
        if not predict.applies(shape, layout.planes, transform) and transform != predict.NONE:
            raise ModelError(f"HCLT model's {transform} transform does not apply to its records")
        try:
            preorder(parent)
        except ValueError as e:
            raise ModelError(f"HCLT model tree is invalid: {e}") from None
        n_bytes = _planes(qbits) * n_values
        inflater = zlib.decompressobj()
        try:
            body = inflater.decompress(data[pos:pos + packed_len], n_bytes + 1)
        except zlib.error:
            raise ModelError("HCLT model parameters are damaged") from None
        if len(body) != n_bytes or not inflater.eof or inflater.unconsumed_tail:
            raise ModelError("HCLT model parameters have the wrong size")
        values = _values(body, n_values, version)
        del body
        prior_q = values[:M]
        trans_q = np.full((D, M, M), 0, dtype=np.int32)
        trans_q[parent >= 0] = values[M:M + (D - 1) * M * M].reshape(D - 1, M, M)
        trans_q[parent < 0] = quantise_rows(np.ones(M), qbits)
        emit_q = values[M + (D - 1) * M * M:].reshape(D, M, K)
        for name, q in (("prior", prior_q), ("transition", trans_q), ("emission", emit_q)):
            if np.any(q.sum(-1, dtype=np.int64) != 1 << qbits):
                raise ModelError(f"HCLT model {name} rows do not sum to one")
        return cls(parent, prior_q, trans_q, emit_q, tuple(shape), qbits, validation, layout,
                   transform, data if version == VERSION else None)

    def nll_bits(self, records: np.ndarray) -> np.ndarray:
        """The ideal code length of each record (its symbols, as :func:`pcz.models.values.array_symbols`
        gives them: the values for uint8) under the stored model, through its transform."""
        records = np.asarray(records)
        return -log2_likelihood(self, self.coded(records.reshape(len(records), -1)))

    def walk(self, batch: int):
        """The exact pre-order conditionals of ``batch`` records in lockstep
        (:class:`pcz.coders.tree_pc.TreeWalk` over the dequantised parameters)."""
        from pcz.coders.tree_pc import TreeWalk      # numba: imported when records are coded
        return TreeWalk(self.parent, self.prior, self.transition, self.emission32, batch,
                        order=self.order, depth=self.depth)

    def describe(self) -> str:
        """A few lines for ``pcz info``."""
        return "\n".join([
            f"  kind:        HCLT v{VERSION} (hidden Chow-Liu tree)",
            f"  record:      {'x'.join(map(str, self.shape))}"
            + ("" if self.dtype == "u1" else f" {self.layout.describe()}") + f" = {self.D} variables"
            + f", values 0..{self.K - 1}",
            f"  transform:   " + ("none (the values themselves)" if self.transform == predict.NONE
                                  else f"{self.transform} (residuals against the MED predictor)"),
            f"  latents:     {self.M} per variable",
            f"  tree:        root {self.root}, depth {int(self.depth.max())}",
            f"  parameters:  {self.M + (self.D - 1) * self.M ** 2 + self.D * self.M * self.K} "
            f"({self.qbits}-bit quantised)",
        ] + ([] if self.validation is None else [
            f"  validation:  {self.validation[1]:.4f} bits per value on {self.validation[0]} "
            "held-out records (measured when trained)"
            + ("" if self.layout.planes == 1 else
               f"; {self.validation[1] * self.layout.planes:.4f} bits per element")]))


def _values(body: bytes, n_values: int, version: int) -> np.ndarray:
    """The quantised parameters (q >= 1) from the inflated body, built in place."""
    if version == 1:
        values = np.frombuffer(body, "<u2").astype(np.int32)
    else:
        values = np.zeros(n_values, np.int32)
        for plane in np.frombuffer(body, np.uint8).reshape(-1, n_values):   # high byte first
            values <<= 8
            values += plane
    values += 1
    return values


def _head(data: bytes) -> tuple[int, int, int, int, int, int, int]:
    """(version, flags, D, K, M, qbits, ndim) from the fixed header, checked against the caps."""
    if len(data) < _HEAD.size + 8:
        raise ModelError("HCLT model file is truncated")
    magic, version, flags, D, K, M, qbits, ndim = _HEAD.unpack_from(data)
    if magic != MAGIC:
        raise ModelError("not an HCLT model file")
    if version not in (1, VERSION):
        raise ModelError(f"unsupported HCLT model version {version}")
    if (flags & ~(FLAG_VALIDATION | FLAG_DTYPE | FLAG_TRANSFORM) or not MIN_QBITS <= qbits <= MAX_QBITS
            or (version == 1 and (qbits != QBITS or flags))):
        raise ModelError("HCLT model uses unknown flags or precision")
    if not (1 <= D <= MAX_D and 2 <= K <= MAX_K and 1 <= M <= MAX_M and 1 <= ndim <= 8):
        raise ModelError("HCLT model sizes out of range")
    if M + (D - 1) * M * M + D * M * K > MAX_VALUES:
        raise ModelError("HCLT model too large")
    return version, flags, D, K, M, qbits, ndim


def footprint(data: bytes) -> int:
    """The most bytes loading this model and coding with it take, from the header's D, K,
    M and qbits alone (nothing is inflated): the file, the inflated parameters, the
    quantised and dequantised arrays, the coders' tables (:class:`pcz.coders.tree_rans.TreeCoder`
    and the reference walk's transposed transitions), the messages of a lockstep group, and
    the tree's order.  ModelError when the header is invalid.

    >>> m = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 3), 1 / 3))
    >>> footprint(m.to_bytes()) >> 20
    32
    """
    version, flags, D, K, M, qbits, ndim = _head(bytes(data[:_HEAD.size + 8]))
    transform = predict.WORK_BYTES if flags & FLAG_TRANSFORM else 0     # restoring a block of records
    return len(data) + working_bytes(D, K, M, qbits, version) + transform


def working_bytes(D: int, K: int, M: int, qbits: int, version: int = 2) -> int:
    """:func:`footprint` without the file itself: what coding with a model of this shape
    takes (also what :mod:`pcz.learn.auto` keeps under the decoder's default memory limit).

    >>> working_bytes(784, 256, 64, 20) >> 20, working_bytes(784, 256, 128, 20) >> 20
    (277, 719)
    """
    n = M + (D - 1) * M * M + D * M * K
    trans, emit, cdf = D * M * M, D * M * K, D * (K + 1) * M
    body = (2 if version == 1 else _planes(qbits)) * n                  # inflated, freed once parsed
    kept = 4 * n + 4 * trans + 8 * trans + 4 * emit + 200 * D           # quantised, dequantised, order
    coders = 8 * trans + 4 * cdf + 8 * trans                            # TreeCoder's Tt and CDFs, TreeWalk's Tt
    building = 24 * (K + 1) * M                                         # TreeCoder: one node's cumulative sums
    messages = 2 * 8 * max(GROUP_VALUES, D * M)                         # down and beta of a lockstep group
    return kept + max(body, coders + building + messages)


def load(data: bytes) -> HcltModel:
    """Parse and validate a model file (the registry's loader for this kind)."""
    return HcltModel.from_bytes(data)


def log2_likelihood(model, X: np.ndarray, batch: int = 1024) -> np.ndarray:
    """log2 p(x) of each record (row of X) under the model, from the coding path's conditionals.

    >>> from pcz.models.hclt import HcltModel
    >>> m = HcltModel.from_float([-1], [1.0], np.ones((1, 1, 1)), [[[0.5, 0.5]]])
    >>> log2_likelihood(m, np.array([[0], [1]])).tolist()
    [-1.0, -1.0]
    """
    X = np.asarray(X).reshape(len(X), model.D)
    out = np.zeros(len(X))
    for start in range(0, len(X), batch):
        x = X[start:start + batch]
        walk = model.walk(len(x))
        rows = np.arange(len(x))
        for i, v in enumerate(model.order):
            p = walk.probs(i)
            out[start:start + batch] += np.log2(p[rows, x[:, v]] / p.sum(axis=1))
            walk.observe(i, x[:, v])
    return out
