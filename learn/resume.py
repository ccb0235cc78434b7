"""Continuing a stopped ``pcz train`` run (no tuning options) from its checkpoint.

With ``--checkpoint C.pczm``, training with no options writes, before each checkpoint
model, what it chose to ``C.pczm.json``: the representation, the smoothing of each size,
the over-relaxation, the dense size M and the seconds of one of its full-batch epochs.
``pcz train DATA -o OUT --resume C.pczm --time-budget T`` reads both and goes on for T
with the steps left: a dense model (the size reached) gets full-batch EM until flat,
then sparse cycles; a sparse one (pruned or widened) goes on cycling.  The data must be the
same records (their number, values and validation split are checked).

Both files are untrusted input: the model is parsed and validated as any model file, the
JSON (at most 64 KiB) field by field; anything wrong is an InputError.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "c.pczm")
>>> write(path, records=100, valid=20, K=4, transform="none", relax=1.7, smooth_of={8: (1.0, 1.0)},
...       full_s=0.5, M=8)
>>> settings(path, records=100, valid=20, K=4)["smooth_of"]
{8: (1.0, 1.0)}
"""
import json
import math

from pcz.errors import InputError, ModelError
from pcz.runtime.fileio import AtomicOutput

SUFFIX = ".json"
KIND = "pcz train checkpoint"
VERSION = 1
MAX_BYTES = 1 << 16


def write(path: str, *, records: int, valid: int, K: int, transform: str, relax: float, smooth_of: dict,
          full_s: float | None, M: int, shifted: bool = False, tied: bool = False) -> None:
    """Write the settings of a run whose checkpoint model is ``path`` (replaced atomically)."""
    state = {"kind": KIND, "version": VERSION, "records": records, "valid": valid, "K": K,
             "transform": transform, "relax": relax, "M": M, "full_s": full_s, "shifted": bool(shifted),
             "tied": bool(tied), "smooth": {str(m): list(s) for m, s in smooth_of.items()}}
    with AtomicOutput(path + SUFFIX, force=True) as f:
        f.write(json.dumps(state).encode())


def settings(path: str, *, records: int, valid: int, K: int) -> dict:
    """The settings ``write`` stored next to ``path``, checked against the data: transform,
    relax, M, full_s, smooth_of ({M: (sigma, weight)}), shifted (whether the training records'
    shifted copies were trained on too), tied (whether its parameters are tied, :mod:`pcz.learn.ties`);
    the last two False in files written before they were recorded."""
    where = path + SUFFIX
    try:
        with open(where, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
        state = json.loads(raw) if len(raw) <= MAX_BYTES else None
    except FileNotFoundError:
        raise InputError(f"{where}: not found (--resume needs the checkpoint a run with no tuning "
                         "options wrote, with its settings file)") from None
    except (OSError, ValueError) as e:
        raise InputError(f"{where}: not a training checkpoint's settings ({e})") from None
    if not (isinstance(state, dict) and state.get("kind") == KIND and state.get("version") == VERSION):
        raise InputError(f"{where}: not a training checkpoint's settings")
    try:
        out = {"transform": str(state["transform"]), "relax": _number(state["relax"], 1.0, 2.0),
               "M": int(_number(state["M"], 1, 1 << 16)),
               "full_s": None if state["full_s"] is None else _number(state["full_s"], 0.0, 1e9),
               "smooth_of": {int(m): (_number(s[0], 0.0, 1e6), _number(s[1], 0.0, 1e6))
                             for m, s in dict(state["smooth"]).items()}}
        for flag in ("shifted", "tied"):
            out[flag] = state.get(flag, False)
            if not isinstance(out[flag], bool):
                raise ValueError(f"{flag} must be true or false")
        found = {"records": int(state["records"]), "valid": int(state["valid"]), "K": int(state["K"])}
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise InputError(f"{where}: a field is missing or wrong ({e})") from None
    if found != {"records": records, "valid": valid, "K": K}:
        raise InputError(f"{where}: written for other data ({found['records']} records, {found['valid']} "
                         f"for validation, {found['K']} values; these: {records}, {valid}, {K})")
    return out


def model(path: str, shape: tuple, D: int, K: int, max_bytes: int):
    """The checkpoint model at ``path`` (an HCLT of records of this shape, D variables of K values)."""
    from pcz import models
    from pcz.models.hclt import HcltModel
    try:
        with open(path, "rb") as f:
            blob = f.read(max_bytes + 1)
        found = models.load(blob)
    except OSError as e:
        raise InputError(f"{path}: {e.strerror or e}") from None
    except ModelError as e:
        raise InputError(f"{path}: {e}") from None
    if not isinstance(found, HcltModel) or (found.D, found.K, tuple(found.shape)) != (D, K, tuple(shape)):
        raise InputError(f"{path}: not an HCLT checkpoint of these records "
                         f"({'x'.join(map(str, shape))}, {D} values of {K} levels)")
    return found


def _number(x, lo: float, hi: float) -> float:
    x = float(x)
    if not (math.isfinite(x) and lo <= x <= hi):
        raise ValueError(f"{x} is out of range")
    return x
