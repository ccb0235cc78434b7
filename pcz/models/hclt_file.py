"""The HCLT model file (spec: docs/HCLT.md): writing it, reading and validating it, and
what loading one costs, from its header alone.

Every distribution is stored quantised (:func:`quantise_rows`): a row of n integers
q >= 1 summing to exactly 2**qbits (qbits 16 to 24, in the header), written as q - 1 in
2 or 3 byte planes, high bytes first, deflated together.  A pruned model (variable v
uses only its first ``states[v]`` of the M latent states) is written as version 3: the
states after the tree, and only the used blocks of the parameters; a model whose every
variable uses all M states is written as version 2, byte for byte as before.

A model file is untrusted input: :func:`read` validates the magic, version, reserved flags,
sizes against the caps (:mod:`pcz.models.hclt_caps`, before allocating), the tree, every
row's sum, and a CRC32; it never unpickles.  The parameters are inflated to exactly the
size the header states, never more.  :class:`pcz.models.hclt.HcltModel` is built from what
:func:`read` returns and written by :func:`write`; it keeps the parameters as they are
stored, the used blocks only (:func:`split` gives them by variable, :func:`dense` M wide).

>>> from pcz.models.hclt import HcltModel
>>> m = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 3), 1 / 3))
>>> fields = read(write(m))
>>> fields["shape"], fields["qbits"], split(fields["values"], m.parent, m.states, 3)[2][1].sum(-1).tolist()
((2,), 16, [65536, 65536])
"""
import math
import struct
import zlib

import numpy as np

from pcz.coders.tree_tables import GROUP_RECORDS, GROUP_VALUES, LANES, offsets, padded
from pcz.errors import ModelError
from pcz.models import predict
from pcz.models.hclt_caps import MAX_D, MAX_K, MAX_M, MAX_QBITS, MAX_VALUES, MIN_QBITS, QBITS
from pcz.models.values import CODES, Layout

MAGIC = b"\x89PCZhclt"
VERSION = 2             # 2: parameters as byte planes; 1 (read only): interleaved uint16
PRUNED = 3              # 3: version 2 with a number of latent states per variable (pruned models)
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


def write(model) -> bytes:
    """The file bytes of ``model`` (an :class:`pcz.models.hclt.HcltModel`); deterministic:
    equal models give equal bytes."""
    pruned = bool(np.any(model.states < model.M))
    values = model.values - 1
    # high bytes first, low bytes last: zlib packs planes 16 % smaller than interleaved
    planes = [((values >> (8 * i)) & 0xFF).astype(np.uint8).tobytes() for i in reversed(range(_planes(model.qbits)))]
    packed = zlib.compress(b"".join(planes), 9)
    flags = ((0 if model.validation is None else FLAG_VALIDATION)
             | (0 if model.dtype == "u1" else FLAG_DTYPE)       # uint8 models: as before
             | (0 if model.transform == predict.NONE else FLAG_TRANSFORM))
    out = bytearray(_HEAD.pack(MAGIC, PRUNED if pruned else VERSION, flags, model.D, model.K, model.M,
                               model.qbits, len(model.shape)))
    out += struct.pack(f"<{len(model.shape)}I", *model.shape)
    if flags & FLAG_DTYPE:
        out += _DTYPE.pack(model.dtype[0].encode(), int(model.dtype[1]), model.layout.offset, model.layout.bits)
    if flags & FLAG_TRANSFORM:
        out += bytes([predict.TRANSFORMS.index(model.transform)])
    out += model.parent.astype("<i4").tobytes()
    if pruned:
        out += model.states.astype("<u2").tobytes()
    out += struct.pack("<I", len(packed)) + packed
    if model.validation is not None:
        out += _VALIDATION.pack(*model.validation)
    out += struct.pack("<I", zlib.crc32(out))
    return bytes(out)


def read(data: bytes) -> dict:
    """Parse and validate a model file: the fields of :class:`pcz.models.hclt.HcltModel` by
    name (``_bytes``: the file itself, kept when it is in the current version); ModelError
    on anything wrong.  :func:`footprint` tells from the header alone what this costs."""
    data = bytes(data)
    version, flags, D, K, M, qbits, ndim = _head(data)
    if struct.unpack_from("<I", data, len(data) - 4)[0] != zlib.crc32(memoryview(data)[:-4]):
        raise ModelError("HCLT model file is damaged (CRC mismatch)")
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
        states = np.full(D, M, dtype=np.int64)
        if version == PRUNED:
            states = np.frombuffer(data, "<u2", D, pos).astype(np.int64)
            pos += 2 * D
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
    if version == PRUNED and not (states.min() >= 1 and states.max() == M and states.min() < M):
        raise ModelError("HCLT model states per variable must be 1 to M, M at least once, "
                         "and fewer than M somewhere")
    n_values = used_values(parent, states, K)
    n_bytes = _planes(qbits) * n_values
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(memoryview(data)[pos:pos + packed_len], n_bytes + 1)
    except zlib.error:
        raise ModelError("HCLT model parameters are damaged") from None
    if len(body) != n_bytes or not inflater.eof or inflater.unconsumed_tail:
        raise ModelError("HCLT model parameters have the wrong size")
    values = _values(body, n_values, version)
    del body
    at = 0
    for name, lengths in zip(("prior", "transition", "emission"), _row_lengths(parent, states, K)):
        end = at + int(lengths.sum())
        rows = offsets(lengths)[:-1]                         # where each stored row starts
        if end > at and np.any(np.add.reduceat(values[at:end], rows, dtype=np.int64) != 1 << qbits):
            raise ModelError(f"HCLT model {name} rows do not sum to one")
        at = end
    return {"parent": parent, "values": values, "K": K,
            "states": states, "shape": tuple(shape), "qbits": qbits, "validation": validation, "layout": layout,
            "transform": transform, "_bytes": data if version in (VERSION, PRUNED) else None}


def used_values(parent: np.ndarray, states: np.ndarray, K: int) -> int:
    """How many parameters a model stores: the root's prior, each non-root variable's
    transition block (its parent's states x its own) and each variable's emission rows.

    >>> parent = np.array([-1, 0, 0])
    >>> used_values(parent, np.array([4, 4, 4]), 3), used_values(parent, np.array([4, 2, 1]), 3)
    (72, 37)
    """
    return int(states[parent < 0].sum() + transition_entries(parent, states) + K * states.sum())


def transition_entries(parent: np.ndarray, states: np.ndarray) -> int:
    """The entries of the used transition blocks, m_parent x m_v per edge: also the products
    one record's walk costs each way (what decoding time follows).

    >>> transition_entries(np.array([-1, 0, 0]), np.array([4, 2, 1]))
    12
    """
    child = parent >= 0
    return int((states[parent[child]] * states[child]).sum())


def _row_lengths(parent, states, K) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lengths of the stored rows, in the file's order: the root's prior (one row), the
    transition blocks (m_parent rows of m_v, variable by variable), the emissions (m_v rows of K)."""
    child = parent >= 0
    return states[~child], np.repeat(states[child], states[parent[child]]), np.full(int(states.sum()), K)


def split(values, parent, states, K) -> tuple[np.ndarray, list, list]:
    """The stored parameters by variable, as views of ``values`` (the file's order): the
    root's prior (m_root,), each variable's transition block (m_parent, m_v) (None for the
    root), each variable's emission rows (m_v, K).

    >>> prior, T, E = split(np.arange(1, 14), np.array([-1, 0]), np.array([2, 1]), 3)
    >>> prior.tolist(), T[0], T[1].tolist(), E[0].tolist(), E[1].tolist()
    ([1, 2], None, [[3], [4]], [[5, 6, 7], [8, 9, 10]], [[11, 12, 13]])
    """
    child = parent >= 0
    m_root = int(states[~child][0])
    block = np.where(child, states[np.where(child, parent, 0)], 0) * states
    at = m_root + offsets(block)
    T = [None if not child[v] else values[at[v]:at[v + 1]].reshape(states[parent[v]], states[v])
         for v in range(len(parent))]
    rows = at[-1] + offsets(states * K)
    E = [values[rows[v]:rows[v + 1]].reshape(states[v], K) for v in range(len(parent))]
    return values[:m_root], T, E


def _masks(parent, states):
    """Where a pruned model's stored parameters sit in its M-wide arrays: the root's used
    prior entries (M,), the used block of each non-root transition (D, M, M), the used
    emission rows (D, M).  Boolean indexing walks them in C order: variable, row, column,
    which is the file's order."""
    M = int(states.max())
    used = np.arange(M) < states[:, None]
    child = parent >= 0
    rows = np.zeros_like(used)
    rows[child] = used[parent[child]]
    return used[parent < 0][0], rows[:, :, None] & used[:, None, :], used


def dense(values, parent, states, K, qbits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored parameters M wide: (prior, transitions, emissions), int32 (for a dense
    model the prior and emissions are views of ``values``).  Every row is a distribution:
    the prior and the transitions are 0 at the states a variable does not use; the rows that
    are never reached (the emissions of those states, the transitions from the parent's) are
    uniform; so is the root's transition slot (unused)."""
    D, M = len(parent), int(states.max())
    if np.all(states == M):
        trans_q = np.zeros((D, M, M), dtype=np.int32)
        trans_q[parent >= 0] = values[M:M + (D - 1) * M * M].reshape(D - 1, M, M)
        trans_q[parent < 0] = quantise_rows(np.ones(M), qbits)
        return values[:M], trans_q, values[M + (D - 1) * M * M:].reshape(D, M, K)
    prior, trans, emit = _masks(parent, states)
    n_prior, n_trans = int(prior.sum()), int(trans.sum())
    prior_q = np.zeros(M, dtype=np.int32)
    prior_q[prior] = values[:n_prior]
    uniform = np.zeros((M + 1, M), dtype=np.int32)            # row c: uniform over the first c states
    for c in np.unique(states):
        uniform[c, :c] = quantise_rows(np.ones(c), qbits)
    reached = trans.any(-1)                                     # (D, M): rows of used parent states
    trans_q = np.where(reached[:, :, None], 0, uniform[states][:, None, :]).astype(np.int32)
    trans_q[trans] = values[n_prior:n_prior + n_trans]
    trans_q[parent < 0] = quantise_rows(np.ones(M), qbits)
    emit_q = np.empty((D, M, K), dtype=np.int32)
    emit_q[~emit] = quantise_rows(np.ones(K), qbits)              # unused states: uniform
    emit_q[emit] = values[n_prior + n_trans:].reshape(-1, K)
    return prior_q, trans_q, emit_q


def _values(body: bytes, n_values: int, version: int) -> np.ndarray:
    """The quantised parameters (q >= 1, int32) from the inflated body.

    Version 2 stores q - 1 as byte planes, high byte first: each plane is copied into its
    byte of a little-endian 32-bit word (one pass per plane, no temporaries), and the
    words are read as int32.

    >>> _values(bytes([0, 1, 0, 2, 255, 3]), 2, 2).tolist()       # 0x0000ff + 1, 0x010203 + 1
    [256, 66052]
    """
    if version == 1:
        values = np.frombuffer(body, "<u2").astype(np.int32)
    else:
        planes = np.frombuffer(body, np.uint8).reshape(-1, n_values)
        words = np.zeros((n_values, 4), np.uint8)
        for byte, plane in enumerate(planes[::-1]):      # the low byte (the last plane) first
            words[:, byte] = plane
        values = words.view("<i4").reshape(n_values)
        if not values.dtype.isnative:                   # a big-endian machine
            values = values.astype(np.int32)
    values += 1
    return values


def _head(data: bytes) -> tuple[int, int, int, int, int, int, int]:
    """(version, flags, D, K, M, qbits, ndim) from the fixed header, checked against the caps."""
    if len(data) < _HEAD.size + 8:
        raise ModelError("HCLT model file is truncated")
    magic, version, flags, D, K, M, qbits, ndim = _HEAD.unpack_from(data)
    if magic != MAGIC:
        raise ModelError("not an HCLT model file")
    if version not in (1, VERSION, PRUNED):
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
    """The most bytes loading this model and coding with it take, from its header (and a
    pruned model's states, stored raw after the tree; nothing is inflated): the file, the
    inflated parameters, the quantised arrays, the coders' tables
    (:class:`pcz.coders.tree_rans.TreeCoder`'s blocks, which method 2's walk shares, and
    its float32 emissions), the messages of a lockstep group, and the tree's order.
    ModelError when the header is invalid.

    >>> from pcz.models.hclt import HcltModel
    >>> m = HcltModel.from_float([-1, 0], [0.5, 0.5], np.full((2, 2, 2), 0.5), np.full((2, 2, 3), 1 / 3))
    >>> footprint(m.to_bytes()) >> 20
    1
    """
    version, flags, D, K, M, qbits, ndim = _head(bytes(data[:_HEAD.size + 8]))
    transform = predict.WORK_BYTES if flags & FLAG_TRANSFORM else 0     # restoring a block of records
    used = _used_blocks(data, flags, D, M, ndim) if version == PRUNED else None
    return len(data) + working_bytes(D, K, M, qbits, version, used) + transform


def _used_blocks(data: bytes, flags: int, D: int, M: int, ndim: int) -> tuple[int, int, int] | None:
    """(the root's used prior entries, entries of the used transition blocks, used emission
    rows) of a pruned model, from the tree and the states as the file gives them: exact for a
    valid file; for any other a bound (:func:`read` refuses it before a coder is built); None
    when they are cut off."""
    pos = _HEAD.size + 4 * ndim + (_DTYPE.size if flags & FLAG_DTYPE else 0) + (1 if flags & FLAG_TRANSFORM else 0)
    if len(data) < pos + 6 * D:
        return None
    parent = np.frombuffer(data, "<i4", D, pos).astype(np.int64)
    states = np.frombuffer(data, "<u2", D, pos + 4 * D).astype(np.int64).clip(1, M)
    valid = (parent >= 0) & (parent < D)
    rows = np.where(valid, states[np.where(valid, parent, 0)], np.where(parent == -1, 0, M))
    roots = np.flatnonzero(parent == -1)
    return (int(states[roots[0]]) if len(roots) == 1 else M), int((rows * states).sum()), int(states.sum())


def working_bytes(D: int, K: int, M: int, qbits: int, version: int = 2,
                  used: tuple[int, int, int] | None = None) -> int:
    """:func:`footprint` without the file itself: what coding with a model of this shape
    takes (also what :mod:`pcz.learn.auto` keeps under the decoder's default memory limit).
    ``used``: a pruned model's (used prior entries, entries of the used transition blocks,
    used emission rows); the model and the coder's tables hold only those (default: all,
    M, (D - 1) M^2 and D M).

    >>> working_bytes(784, 256, 64, 20) >> 20, working_bytes(784, 256, 128, 20) >> 20
    (240, 571)
    >>> working_bytes(784, 256, 96, 20, PRUNED, used=(96, 3_800_000, 54_500)) >> 20     # 69.5 states on average
    218
    """
    prior, blocks, rows = (M, (D - 1) * M * M, D * M) if used is None else used
    n = prior + blocks + K * rows                                       # the stored parameters
    body = (2 if version == 1 else _planes(qbits)) * n                  # inflated, freed once parsed
    kept = 4 * n + 200 * D                                              # the model's values (int32), order
    checking = 48 * D * M                                               # the row sums, their starts
    # the coder pads each row of a transition block and of its transpose to whole vectors: exact for a
    # dense model; a pruned one's block rows (its parents' states, at most M a node) and its transposes'
    # (its own states) get at most LANES - 1 entries each
    pad = 16 * (D - 1) * M * (padded(M) - M) if used is None else 8 * (LANES - 1) * (D * M + rows)
    coder = 16 * blocks + pad + 4 * (K + 1) * rows                      # TreeCoder: T and its transpose, CDFs
    walk = 0 if version == PRUNED else 4 * D * M * K                    # method 2: float32 emissions,
    walk += 0 if version == PRUNED or padded(M) == M else 16 * (D - 1) * M * M   # unpadded T copies
    building = 24 * (K + 1) * M                                         # TreeCoder: one node's cumulative sums
    group_levels = min(max(GROUP_VALUES, D * M) // M, GROUP_RECORDS * D)      # records x levels at once
    messages = 2 * 8 * group_levels * padded(M)                                  # down and beta, rows padded
    return kept + max(body, checking, coder + walk + building + messages)
