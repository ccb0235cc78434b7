"""A generated corpus of damaged and forged model files (made by code, never committed).

For each model kind a tiny valid model is built; the corpus holds every
truncation, single-bit flips, and forgeries whose CRC32 is recomputed (both
model formats end with a CRC32 of everything before it), so the validation
behind the checksum runs too: sizes far beyond the data, zero sizes, broken
trees, unknown versions and flags, payloads of the wrong length.
"""
import struct
import zlib

import numpy as np

from pcz.models.hclt import _HEAD as HCLT_HEAD, HcltModel
from pcz.models.hmm import _HEAD as HMM_HEAD, HMM
from pcz.models.values import Layout


def tiny_hclt() -> bytes:
    rng = np.random.default_rng(0)
    parent = np.array([-1, 0, 0, 1])
    return HcltModel.from_float(parent, rng.dirichlet(np.ones(2)), rng.dirichlet(np.ones(2), (4, 2)),
                                rng.dirichlet(np.ones(4), (4, 2)), shape=(2, 2)).to_bytes()


def tiny_hclt_typed() -> bytes:
    """Records of two uint16 elements: four byte variables."""
    rng = np.random.default_rng(2)
    parent = np.array([-1, 0, 0, 1])
    return HcltModel.from_float(parent, rng.dirichlet(np.ones(2)), rng.dirichlet(np.ones(2), (4, 2)),
                                rng.dirichlet(np.ones(4), (4, 2)), shape=(2,), layout=Layout("u2", 0, 16)).to_bytes()


def tiny_hclt_med() -> bytes:
    """A 2x2 image model that codes MED residuals (flag bit 2, one transform byte)."""
    rng = np.random.default_rng(3)
    parent = np.array([-1, 0, 0, 1])
    return HcltModel.from_float(parent, rng.dirichlet(np.ones(2)), rng.dirichlet(np.ones(2), (4, 2)),
                                rng.dirichlet(np.ones(4), (4, 2)), shape=(2, 2), transform="med").to_bytes()


def tiny_hclt_pruned() -> bytes:
    """Variables using 3, 2, 1 and 2 of M = 3 latent states (version 3: the states follow the tree)."""
    rng = np.random.default_rng(4)
    parent = np.array([-1, 0, 0, 1])
    return HcltModel.from_float(parent, rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3), (4, 3)),
                                rng.dirichlet(np.ones(4), (4, 3)), states=[3, 2, 1, 2]).to_bytes()


def tiny_hmm() -> bytes:
    rng = np.random.default_rng(1)
    return HMM.from_probs(rng.dirichlet(np.ones(2)), rng.dirichlet(np.ones(2), 2),
                          rng.dirichlet(np.ones(256), 2)).to_bytes()


def valid_models() -> dict[str, bytes]:
    return {"hclt": tiny_hclt(), "hclt-typed": tiny_hclt_typed(), "hclt-med": tiny_hclt_med(),
            "hclt-pruned": tiny_hclt_pruned(), "hmm": tiny_hmm()}


def recrc(body: bytes) -> bytes:
    """Replace the trailing CRC32 with the right one for the rest."""
    return body[:-4] + struct.pack("<I", zlib.crc32(body[:-4]))


def _patch(blob: bytes, offset: int, fmt: str, value) -> bytes:
    out = bytearray(blob)
    struct.pack_into(fmt, out, offset, value)
    return recrc(bytes(out))


EXTREMES = [0, 1, 2, 255, 1 << 16, 1 << 20, (1 << 31) - 1, (1 << 32) - 1]


def _forgeries(kind: str, blob: bytes):
    if kind == "hclt-pruned":
        states_at = HCLT_HEAD.size + 4 + 4 * 4                 # after the shape (4,) and the tree
        for tag, states in [("zero", [3, 0, 1, 2]), ("above-M", [3, 4, 1, 2]), ("all-M", [3, 3, 3, 3]),
                            ("max-below-M", [2, 2, 1, 2]), ("huge", [65535, 2, 1, 2])]:
            out = bytearray(blob)
            out[states_at:states_at + 8] = np.array(states, "<u2").tobytes()
            yield f"{kind}-forged-states-{tag}", recrc(bytes(out))
        yield f"{kind}-forged-version-2", _patch(blob, 8, "<H", 2)   # the states read as parameters
        return
    if kind == "hclt-med":
        transform_at = HCLT_HEAD.size + 4 * 2                  # after the shape (2, 2)
        for value in (0, 3, 255):
            yield f"{kind}-forged-transform={value}", _patch(blob, transform_at, "<B", value)
        flat = blob[:HCLT_HEAD.size - 1] + b"\x01" + struct.pack("<I", 4) + blob[HCLT_HEAD.size + 8:]
        yield f"{kind}-forged-flat-shape", recrc(flat)       # med on records of one axis
        return
    if kind == "hclt":
        # magic(8) version(H) flags(H) D(I) K(I) M(I) qbits(B) ndim(B)
        fields = [(8, "<H"), (10, "<H"), (12, "<I"), (16, "<I"), (20, "<I"), (24, "<B"), (25, "<B")]
        parent_at = HCLT_HEAD.size + 4 * 2
        for tag, parent in [("two-roots", [-1, -1, 0, 1]), ("cycle", [-1, 2, 1, 1]),
                            ("out-of-range", [-1, 0, 0, 9]), ("self-loop", [-1, 1, 0, 1])]:
            out = bytearray(blob)
            out[parent_at:parent_at + 16] = np.array(parent, "<i4").tobytes()
            yield f"{kind}-forged-tree-{tag}", recrc(bytes(out))
        shape_at = HCLT_HEAD.size
        yield f"{kind}-forged-shape", _patch(blob, shape_at, "<I", 3)
        yield f"{kind}-forged-packed-len", _patch(blob, parent_at + 16, "<I", (1 << 32) - 1)
        yield f"{kind}-forged-packed-garbage", recrc(blob[:parent_at + 20] + b"\x78\x9c" + bytes(20)
                                                     + blob[-4:])
        rows = np.full(2 + 3 * 4 + 4 * 2 * 4, 0, "<u2").tobytes()   # every q = 1: rows do not sum to 2**16
        packed = zlib.compress(rows)
        yield f"{kind}-forged-rows", recrc(blob[:parent_at + 16] + struct.pack("<I", len(packed)) + packed
                                           + b"\0\0\0\0")
    else:
        fields = [(8, "<I"), (12, "<I"), (16, "<I")]        # H, K, slots
        classes_at = 8 + HMM_HEAD.size
        out = bytearray(blob)
        out[classes_at + 7] = 5                               # a byte mapped to a missing slot
        yield f"{kind}-forged-classes", recrc(bytes(out))
    for offset, fmt in fields:
        limit = (1 << (8 * struct.calcsize(fmt))) - 1
        for value in sorted({min(v, limit) for v in EXTREMES}):
            if struct.unpack_from(fmt, blob, offset)[0] != value:
                yield f"{kind}-forged-field{offset}={value}", _patch(blob, offset, fmt, value)
    yield f"{kind}-forged-magic", recrc(b"XXXX" + blob[4:])
    yield f"{kind}-forged-extra-byte", recrc(blob[:-4] + b"\0" + blob[-4:])


def bad_models():
    """Yield (name, bytes) for every case."""
    for kind, blob in valid_models().items():
        for n in range(len(blob)):
            yield f"{kind}-trunc{n}", blob[:n]
        step = 1 if len(blob) < 400 else 7      # every bit of small models, a spread over larger
        for i in range(0, len(blob) * 8, step):
            bad = bytearray(blob)
            bad[i // 8] ^= 1 << (i % 8)
            yield f"{kind}-flip{i}", bytes(bad)
        yield f"{kind}-appended", blob + b"\0"
        yield from _forgeries(kind, blob)
