"""HCLT model objects (spec: docs/HCLT.md); their file is read and written by
:mod:`pcz.models.hclt_file`.

An HCLT (hidden Chow-Liu tree) has D observed variables X_v in 0..K-1 on a
tree (``parent``, root -1), each with a latent Z_v of M states: a root prior,
an M x M transition per non-root node (rows: parent state) and an M x K
emission per node.  Every distribution is stored quantised: a row of n
integers q >= 1 summing to exactly 2**qbits (qbits 16 to 24, in the header),
written as q - 1 in 2 or 3 byte planes.  The coding path uses exactly the
dequantised values q / 2**qbits (float64, exact).  16 bits cost a trained
Fashion-MNIST model 0.003 bits per pixel (small emission probabilities are
rounded coarsely); 20 bits cost 0.0002 (docs/HCLT.md).

A model file is untrusted input: :meth:`HcltModel.from_bytes` validates the magic,
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
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from pcz.models import hclt_file, predict
from pcz.models.hclt_caps import MAX_D, MAX_K, MAX_M, MAX_QBITS, MAX_VALUES, MIN_QBITS, ONE, QBITS  # noqa: F401
from pcz.models.hclt_file import (  # noqa: F401  (the file's names, importable from here as before)
    _DTYPE, _HEAD, _VALIDATION, FLAG_DTYPE, FLAG_TRANSFORM, FLAG_VALIDATION, GROUP_VALUES, MAGIC, VERSION, _head,
    _planes, _values, footprint, preorder, quantise_rows, working_bytes)
from pcz.models.values import Layout


@dataclass(eq=False)
class HcltModel:
    MAGIC = MAGIC
    parent: np.ndarray       # (D,) int64, root -1
    values: np.ndarray       # the stored parameters, int32 rows summing to 2**qbits, in the file's order
    K: int                   # values per variable
    states: np.ndarray       # (D,) latent states each variable uses, its first ones (M = the most)
    shape: tuple[int, ...]   # shape of one record in elements (product x planes = D)
    qbits: int = QBITS       # rows sum to 2**qbits
    validation: tuple[int, float] | None = None   # (held-out records, bits per value) if trained
    layout: Layout = Layout()  # element type and value range (pcz.models.values): planes per element
    transform: str = predict.NONE  # what the coded symbols are (pcz.models.predict): none, med, med-rgb
    _bytes: bytes | None = field(default=None, repr=False)
    # The model keeps its parameters as the file stores them: the root's prior, each non-root
    # variable's used transition block (m_parent x m_v), each variable's used emission rows
    # (hclt_file.split gives them by variable), so it takes memory in proportion to the used
    # parameters; prior_q, trans_q and emit_q are the M-wide arrays, built when asked for.

    @property
    def pruned(self) -> bool:
        """Whether some variable uses fewer than M latent states (the parameters of the
        others are 0 in the arrays, and not stored)."""
        return bool(np.any(self.states < self.M))

    @property
    def D(self) -> int:
        return len(self.parent)

    @property
    def M(self) -> int:
        return int(self.states.max())

    @cached_property
    def prior_q(self) -> np.ndarray:
        """The root's prior (M,), int32, 0 at the states it does not use."""
        m = int(self.states[self.root])                   # the file stores the root's used prior first
        return np.concatenate([self.values[:m], np.zeros(self.M - m, np.int32)])

    @cached_property
    def trans_q(self) -> np.ndarray:
        """The transitions (D, M, M), int32, rows indexed by the parent's state; outside the
        used blocks 0 in used rows, uniform over the used states in the others; the root's
        slot uniform (unused)."""
        return self._dense[1]

    @cached_property
    def emit_q(self) -> np.ndarray:
        """The emissions (D, M, K), int32; a variable's unused states uniform (a dense model's:
        a view of the stored parameters)."""
        if not self.pruned:                                 # the file stores them last, all M rows each
            return self.values[len(self.values) - self.D * self.M * self.K:].reshape(self.D, self.M, self.K)
        return self._dense[2]

    @cached_property
    def _dense(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return hclt_file.dense(self.values, self.parent, self.states, self.K, self.qbits)

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
                   transform: str = predict.NONE, states=None) -> "HcltModel":
        """Quantise float parameters (rows need not be normalised exactly) to ``qbits`` bits.

        ``layout``: the records' element type and range; each element is ``layout.planes`` variables, so
        the record ``shape`` (in elements) times that is the number of variables; ``transform``:
        :mod:`pcz.models.predict`; ``states``: (D,) how many of its first latent states each
        variable uses (default all M; the parameters of the others are ignored and stored as 0).

        >>> m = HcltModel.from_float([-1, 0], [0.5, 0.3, 0.2], np.full((2, 3, 3), 1 / 3),
        ...                          np.full((2, 3, 2), 0.5), states=[3, 1])
        >>> m.pruned, m.transition[1].tolist()
        (True, [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
        """
        if not MIN_QBITS <= qbits <= MAX_QBITS:
            raise ValueError(f"qbits must be {MIN_QBITS} to {MAX_QBITS}")
        parent = np.asarray(parent, dtype=np.int64)
        M = len(prior)
        transition = np.array(np.broadcast_to(transition, (len(parent), M, M)), dtype=np.float64)
        transition[parent < 0] = 1.0
        shape = (len(parent) // layout.planes,) if shape is None else tuple(int(s) for s in shape)
        predict.check(transform, shape, layout.planes)
        params = (prior, transition, emission)
        if states is not None:
            states = np.asarray(states, dtype=np.int64)
            if states.shape != parent.shape or states.min() < 1 or states.max() > M:
                raise ValueError("states must give 1 to M latent states for every variable")
            M = int(states.max())                       # states no variable uses are dropped
            params = (np.asarray(prior)[:M], transition[:, :M, :M], np.asarray(emission)[:, :M])
        if states is None:
            states = np.full(len(parent), M, dtype=np.int64)
        model = cls(parent, _quantised_values(parent, states, params, qbits), np.shape(emission)[-1], states, shape,
                    qbits, layout=layout, transform=transform)
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
        """The model file bytes (deterministic: equal models give equal bytes;
        :func:`pcz.models.hclt_file.write`)."""
        if self._bytes is None:
            self._bytes = hclt_file.write(self)
        return self._bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> "HcltModel":
        """Parse and validate a model file; ModelError on anything wrong
        (:func:`pcz.models.hclt_file.read`).

        The parameters are inflated to exactly the size the header states, never
        more; :func:`footprint` tells from the header alone what loading costs.
        """
        return cls(**hclt_file.read(data))

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
            f"  kind:        HCLT v{hclt_file.PRUNED if self.pruned else VERSION} (hidden Chow-Liu tree)",
            f"  record:      {'x'.join(map(str, self.shape))}"
            + ("" if self.dtype == "u1" else f" {self.layout.describe()}") + f" = {self.D} variables"
            + f", values 0..{self.K - 1}",
            f"  transform:   " + ("none (the values themselves)" if self.transform == predict.NONE
                                  else f"{self.transform} (residuals against the MED predictor)"),
            f"  latents:     " + (f"{self.M} per variable" if not self.pruned else
                                  f"{int(self.states.min())} to {self.M} per variable, "
                                  f"{self.states.mean():.1f} on average (pruned)"),
            f"  tree:        root {self.root}, depth {int(self.depth.max())}",
            f"  parameters:  {hclt_file.used_values(self.parent, self.states, self.K)} "
            f"({self.qbits}-bit quantised)",
        ] + ([] if self.validation is None else [
            f"  validation:  {self.validation[1]:.4f} bits per value on {self.validation[0]} "
            "held-out records (measured when trained)"
            + ("" if self.layout.planes == 1 else
               f"; {self.validation[1] * self.layout.planes:.4f} bits per element")]))


def _quantised_values(parent, states, params, qbits: int) -> np.ndarray:
    """The quantised parameters a model stores, in the file's order (:func:`hclt_file.split`):
    the root's used prior entries, each non-root variable's used transition block, each
    variable's used emission rows, every row quantised on its own."""
    prior, trans, emit = params
    child = parent >= 0
    if np.all(states == len(prior)):                      # dense: whole arrays at once
        parts = [quantise_rows(prior, qbits), quantise_rows(trans[child], qbits), quantise_rows(emit, qbits)]
    else:
        root = int(np.flatnonzero(~child)[0])
        parts = [quantise_rows(np.asarray(prior)[:states[root]], qbits)]
        parts += [quantise_rows(trans[v, :states[p], :states[v]], qbits) for v, p in enumerate(parent) if p >= 0]
        parts += [quantise_rows(np.asarray(emit[v])[:states[v]], qbits) for v in range(len(parent))]
    return np.concatenate([np.ravel(q) for q in parts]).astype(np.int32)


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
