"""Train an HCLT on records: Chow-Liu structure, then EM, then a quantised model.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a = rng.integers(0, 4, 600)
>>> X = np.stack([a, (a + 1) % 4, a // 2], 1).astype(np.uint8)
>>> model, log = train(X, latents=4, epochs=2, full_epochs=2, batch=64, progress=False)
>>> model.D, model.K, model.M, model.shape
(3, 4, 4, (3,))
"""
import math
import time

import numpy as np

from pcz.errors import InputError, ModelError
from pcz.models import predict
from pcz.models.hclt import MAX_K, MAX_QBITS, MIN_QBITS, HcltModel
from pcz.models.values import array_symbols
from pcz.runtime.fileio import AtomicOutput
from pcz.learn.em import fit
from pcz.learn.prune import prune as prune_states, widen as widen_states
from pcz.learn.smoothing import Smoother, find_atoms
from pcz.learn.structure import chow_liu_tree


def validation_records(N: int) -> int:
    """Records held out for choosing: 5 %, but at least min(1000, 20 %); never all of them.

    >>> [validation_records(n) for n in (1, 178, 1797, 6000, 60000)]
    [0, 36, 359, 1000, 3000]
    """
    return max(0, min(N - 1, max(round(0.05 * N), min(1000, round(0.2 * N)))))


def validation_fraction(N: int, validation: float | None) -> float:
    """The fraction of N records held out: ``validation``, or by default :func:`validation_records`'s.

    >>> validation_fraction(600, None), validation_fraction(600, 0.05)
    (0.2, 0.05)
    """
    return validation_records(N) / N if validation is None else validation


def default_latents(latents: int | None, init: HcltModel | None) -> int:
    """The latent states to train: ``latents``, else the initial model's, else 16."""
    return latents or (init.M if init is not None else 16)


def init_states(init: HcltModel | None, latents: int) -> np.ndarray | None:
    """The states per variable training continues with: a pruned initial model's (it keeps
    its M: InputError for other ``latents``), else None (every state).

    >>> init_states(None, 16) is None
    True
    """
    if init is None or not init.pruned:
        return None
    if latents != init.M:
        raise InputError(f"the initial model is pruned: it trains with its own {init.M} latents at most")
    return init.states


def checked_transform(name: str, shape, planes: int) -> str:
    """:func:`pcz.models.predict.check` for training options: an InputError (a one-line refusal).

    >>> checked_transform("med", (4, 4), 1)
    'med'
    """
    try:
        return predict.check(name, shape, planes)
    except ValueError as e:
        raise InputError(str(e)) from None


def split(N: int, validation: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, valid): a random ``validation`` fraction of N rows is held out,
    but never the last one.

    >>> [len(i) for i in split(100, 0.05)], [len(i) for i in split(1, 0.9)]
    ([95, 5], [1, 0])
    """
    if not 0 <= validation < 1:
        raise ValueError("validation fraction must be in [0, 1)")
    perm = np.random.default_rng(seed).permutation(N)
    n_valid = min(int(round(N * validation)), N - 1)
    return np.sort(perm[n_valid:]), np.sort(perm[:n_valid])


def grow(model: HcltModel, latents: int, seed: int = 0, noise: float = 0.1, ties=None):
    """Float parameters with ``latents`` states per variable that define exactly the same
    distribution as ``model`` before a little noise breaks the symmetry.

    New state j copies old state j mod M; probability flowing into a copied state
    is shared among its copies.  With as many states as the model (nothing copied)
    no noise is added: training continues exactly where the model stopped.  ``ties``
    (:class:`pcz.learn.ties.Ties`): the noise is drawn per group, so a tied model stays
    tied and its copies differ (noise drawn per variable and then averaged over a group
    of hundreds would leave them nearly alike, and tied EM would keep them so).

    >>> m = HcltModel.from_float([-1, 0], [0.3, 0.7], np.full((2, 2, 2), 0.5), np.full((2, 2, 3), 1 / 3))
    >>> prior, T, E = grow(m, 5, noise=0.0)
    >>> prior.round(3).tolist(), T.shape, E.shape
    ([0.1, 0.35, 0.1, 0.35, 0.1], (2, 5, 5), (2, 5, 3))
    """
    rng = np.random.default_rng(seed)
    noise = noise if latents > model.M else 0.0
    old = np.arange(latents) % model.M
    copies = np.bincount(old, minlength=model.M)[old]
    prior = model.prior[old] / copies
    trans = model.transition[:, old][:, :, old] / copies
    emit_of, trans_of = (np.arange(model.D),) * 2 if ties is None else (ties.emit, ties.trans)
    emit = model.emission[:, old] * rng.lognormal(0.0, noise, size=(emit_of.max() + 1, latents, model.K))[emit_of]
    trans = trans * rng.lognormal(0.0, noise, size=(trans_of.max() + 1,) + trans.shape[1:])[trans_of]
    return (prior, trans / trans.sum(-1, keepdims=True), emit / emit.sum(-1, keepdims=True))


def store(parent, params, shape, qbits: int, layout, X_valid: np.ndarray,
          transform: str = predict.NONE, states=None) -> HcltModel:
    """The quantised model, with the bits per value it codes the validation records in
    (``X_valid``: their symbols before the ``transform``, which the model applies itself;
    ``states``: a pruned model's states per variable)."""
    model = HcltModel.from_float(parent, *params, shape, qbits, layout, transform, states)
    if not len(X_valid):
        return model
    bits = float(model.nll_bits(X_valid).mean()) / model.D
    if not math.isfinite(bits):     # not expected: every stored probability is > 0
        raise ModelError("training failed: the stored model's validation likelihood is not finite")
    return model.with_validation(len(X_valid), bits)


def train(array: np.ndarray, latents: int | None = None, *, epochs: int = 10, full_epochs: int = 5,
          validation: float | None = None, batch: int = 512, step: float = 0.5, step_end: float = 0.05,
          alpha: float = 1.0, patience: int = 2, mi_bits: int = 3, mi_samples: int = 10_000,
          values: int | None = None, init: HcltModel | None = None, seed: int = 0,
          smooth: tuple[float, float] = (0.0, 0.0), atoms=None, relax: float = 1.0, qbits: int = 20,
          checkpoint: str | None = None, progress: bool = True,
          transform: str | None = None, prune: float | None = None,
          widen: float | None = None) -> tuple[HcltModel, dict]:
    """Learn an HCLT for the records ``array[i]`` (first axis = records) of any integer type
    :mod:`pcz.models.values` codes (uint8, int8, bool, 2- and 4-byte integers: each
    element becomes byte variables of the tree, its value above the smallest one cut into
    planes from the top).

    ``validation``: the fraction of records held out (default: :func:`validation_records`,
    the split ``pcz train`` makes with no options, so a run continued with ``init`` from
    its checkpoint keeps the same validation records).
    ``values`` (K) defaults to the largest symbol (byte) + 1.  ``init``: start from this
    model's tree and parameters (grown to ``latents`` states if it has fewer; ``latents``
    defaults to its M, else 16)
    instead of learning a structure and starting at random.  ``smooth = (sigma,
    weight)`` smooths the emission counts along the value axis in every M step
    (:mod:`pcz.learn.smoothing`; values are then taken as ordinal) except at
    ``atoms`` (default: the spikes of the training histogram).  ``relax`` > 1
    over-relaxes the full-batch EM steps (:func:`pcz.learn.em.fit`).  The model is
    stored with ``qbits`` bits per probability (20: 0.0002 bits per value above
    the float model on Fashion-MNIST, where 16 cost 0.003).  ``checkpoint``: a
    path where the best model so far is written every 5 epochs (long runs).
    ``transform``: ``"med"`` or ``"med-rgb"`` learns the records' MED residuals
    (:mod:`pcz.models.predict`), ``"none"`` their values; default: the initial model's, else none.
    ``prune`` (with ``init``): first keep, per variable, the fewest latent states that carry
    this share of the posterior flow on the training records (:func:`pcz.learn.prune.prune`),
    then train that pruned model; a pruned ``init`` is trained with its own states.
    ``widen`` (with ``init``, after ``prune``): multiply each variable's states by this
    factor, at most ``latents``, copying its most used ones (:func:`pcz.learn.prune.widen`).
    The model notes the bits per value it codes the validation records in
    (:meth:`HcltModel.with_validation`).  Returns (model, log) where log holds the
    epochs' train/validation bits per dimension and timings.  Non-finite
    parameters or likelihoods raise a ModelError (the model is not returned).
    """
    array = np.asarray(array)
    if array.ndim < 1 or len(array) < 1:
        raise InputError("training data must be an array of at least 1 record")
    X, layout = array_symbols(array)      # InputError for a type records cannot have
    if init is not None and init.layout != layout and init.dtype == layout.code:
        X, layout = array_symbols(array, init.layout)     # continue in the initial model's range
    validation = validation_fraction(len(X), validation)      # the default: as pcz train without options
    latents = default_latents(latents, init)
    numbers = {"validation": validation, "step": step, "step_end": step_end, "alpha": alpha,
               "relax": relax, "smooth": smooth[0], "smooth weight": smooth[1]}
    bad = [name for name, value in numbers.items() if not math.isfinite(value)]
    if bad:
        raise InputError(f"training options must be finite ({', '.join(bad)})")
    K = int(X.max()) + 1 if values is None else int(values)
    if values is None and init is not None and init.K > K:
        K = init.K
    K = max(K, 2)
    if not MIN_QBITS <= qbits <= MAX_QBITS:
        raise InputError(f"qbits must be {MIN_QBITS} to {MAX_QBITS}")
    if K > MAX_K or int(X.max()) >= K:
        raise InputError(f"values must be below K = {K} (at most {MAX_K})")
    if prune is not None and (init is None or not 0 < prune <= 1):
        raise InputError("pruning needs an initial model and a share of the flow in (0, 1]")
    if widen is not None and (init is None or not 1 <= widen <= 16):
        raise InputError("widening needs an initial model and a factor from 1 to 16")
    states = init_states(init, latents if widen is None else init.M)
    if init is not None and (init.D != X.shape[1] or init.K != K or init.M > latents
                             or init.layout != layout):
        raise InputError(f"the initial model (D={init.D}, K={init.K}, M={init.M}) does not fit "
                         f"these records (D={X.shape[1]}, K={K}) and {latents} latents")
    if transform is None:
        transform = predict.NONE if init is None else init.transform
    shape = array.shape[1:] or (1,)
    checked_transform(transform, shape, layout.planes)
    if init is not None and init.transform != transform:
        raise InputError(f"the initial model codes with the {init.transform} transform, not {transform}")
    X_raw, X = X, predict.code(X, shape, K, transform)
    t0 = time.perf_counter()
    train_idx, valid_idx = split(len(X), validation, seed)
    if init is None:
        parent, start = chow_liu_tree(X[train_idx], K, mi_bits, mi_samples, seed), None
    else:
        parent, start = init.parent, grow(init, init.M if widen else latents, seed)
    if prune is not None:
        start, states = prune_states(parent, start, X[train_idx], prune, states)
    if widen is not None:
        states = np.full(len(parent), len(start[0])) if states is None else states
        start, states = widen_states(parent, start, states, widen, latents, seed)
    if atoms is None:
        atoms = find_atoms(X[train_idx], K)
    smoother = Smoother(K, smooth[0], smooth[1], atoms)

    def stored(params) -> HcltModel:
        return store(parent, params, shape, qbits, layout, X_raw[valid_idx], transform, states)

    def save(params):
        with AtomicOutput(checkpoint, force=True) as f:
            f.write(stored(params).to_bytes())

    t1 = time.perf_counter()
    params, epochs_log = fit(X[train_idx], X[valid_idx], parent, K, latents, epochs=epochs,
                             full_epochs=full_epochs, batch=batch, step=step, step_end=step_end,
                             alpha=alpha, patience=patience, seed=seed, progress=progress,
                             init=start, smoother=smoother, relax=relax,
                             checkpoint=save if checkpoint else None, states=states)
    t2 = time.perf_counter()
    model = stored(params)
    log = {"records": len(X), "train": len(train_idx), "valid": len(valid_idx), "K": K, "M": model.M,
           "states": None if states is None else float(np.mean(states)),
           "smooth": list(smooth), "atoms": smoother.atoms, "relax": relax, "qbits": qbits,
           "transform": transform, "structure_s": t1 - t0, "em_s": t2 - t1, "epochs": epochs_log,
           "stored_valid_bpd": None if model.validation is None else model.validation[1]}
    return model, log
