"""Exact scores of the noised Gaussian mixture and its infinite-class limits.

Conventions (docs/explanation/model.md, sections 1-3). Forward Ornstein-Uhlenbeck process
``dx = -x dt + sqrt(2) dB``, ``Delta_t = 1 - e^{-2t}``. Class ``k`` is ``N(mu_k, sigma2 I_d)``,
noised to ``P_t(x|k) = N(e^{-t} mu_k, Gamma_t I_d)`` with ``Gamma_t = sigma2 e^{-2t} + Delta_t``.
The unconditional density is ``P_t = (1/K) sum_k P_t(x|k)``.

Every denoiser below exposes the posterior mean of the class mean under the unconditional
model, ``E[mu | x, t] = sum_k w_k(x, t) mu_k``, with the class posteriors::

    w_k = softmax_k( e^{-t} x.mu_k / Gamma_t - e^{-2t} |mu_k|^2 / (2 Gamma_t) ),

because every score used in this package is a function of it:

* unconditional score ``s_u = -(x - e^{-t} E[mu|x,t]) / Gamma_t``;
* conditional score of a class of mean ``mu_c``: ``s_c = -(x - e^{-t} mu_c) / Gamma_t``;
* guided score (classifier-free guidance with strength ``omega``, convention
  ``s = (1 + omega) s_c - omega s_u``; the diffusers/EDM guidance scale is ``w = 1 + omega``)

      s = -x / Gamma_t + (e^{-t} / Gamma_t) D(x, t),
      D = (1 + omega) mu_c - omega E[mu | x, t].

:func:`guided_mean` (``D``, validating) and :func:`guided_score` are the single definition of
guidance; the samplers form ``D`` from a posterior mean they already hold with
:func:`guided_mean_from_posterior`.

Arrays are float64. ``x`` is an ``(N, d)`` array of points (a single ``(d,)`` point is also
accepted by the public methods and returned with the same shape); ``t`` is a scalar time.

The denoiser protocol
---------------------
:class:`Denoiser` (a :class:`typing.Protocol`) is everything the samplers
(:func:`cfgmft.validation.samplers.sample`) and the Monte Carlo read from a model of the data;
:class:`FiniteMixture`, :class:`ContinuumGaussian` and :class:`ContinuumSphere` implement it
through :class:`DenoiserBase`. A denoiser has

* attributes ``d`` (the dimension, ``None`` when any is accepted), ``sigma2`` (the class
  variance), ``precision`` (``'float64'`` or ``'float32'``: the arithmetic of the streamed sums
  over classes; every returned array is float64) and ``has_log_partition`` (a finite set of
  classes whose log-partition and logits are available: :class:`FiniteMixture` only);
* validating methods ``posterior_mean(x, t)`` (``E[mu|x,t]``, shape of ``x``),
  ``posterior_spread(x, t)`` (``c = tr Cov[mu|x,t] / d``, ``(N,)``), ``log_density(x, t)``
  (``log P_t(x)``, ``(N,)``) and ``uncond_score(x, t)`` (shape of ``x``);
* two unchecked hot-path methods, for ``x`` a finite float64 ``(N, d)`` array, ``t`` a float
  in ``[0, TIME_MAX]`` and ``mu_c`` a finite float64 ``(d,)`` array:

  - ``posterior_stats(x, t, *, want_lse=False, want_spread=False) -> (E, lse, c)``, in one
    pass: ``E`` the float64 ``(N, d)`` posterior mean ``E[mu|x,t]``; ``lse`` the float64
    ``(N,)`` log-partition ``log sum_k exp(l_k)`` of the class logits
    ``l_k = e^{-t} x.mu_k / Gamma_t - e^{-2t} |mu_k|^2 / (2 Gamma_t)`` (not divided by ``K``,
    so that ``w_k = exp(l_k - lse)``), ``None`` unless ``want_lse`` (which raises
    ``NotImplementedError`` without ``has_log_partition``); ``c`` the float64 ``(N,)``
    per-dimension posterior spread ``tr Cov[mu|x,t] / d = (E[|mu|^2|x,t] - |E|^2) / d >= 0``,
    ``None`` unless ``want_spread``;
  - ``logit_of(x, t, mu_c) -> (N,)``: the float64 logit ``l`` of a class of mean ``mu_c``, the
    same ``l_k`` that ``lse`` sums, so that ``exp(logit_of(x, t, mu_k) - lse)`` is ``w_k``
    (clip at 1 against rounding); only with ``has_log_partition``.

Non-finite statistics raise :class:`NonFiniteError`. :func:`check_mu` and :func:`check_sigma2`
are the argument checks that callers of the hot path use.
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Protocol, runtime_checkable

import numpy as np

from cfgmft.errors import ParameterError, check_choice, check_int, check_real
from cfgmft.guidance import cfg_target
from cfgmft.special import bessel_ratio, log_vmf_partition
from cfgmft.ranges import OMEGA_MAX, OMEGA_MIN, SIGMA2_MAX, SIGMA2_MIN, TIME_MAX

__all__ = [
    "PRECISIONS",
    "NonFiniteError",
    "Gamma",
    "Denoiser",
    "DenoiserBase",
    "FiniteMixture",
    "ContinuumGaussian",
    "ContinuumSphere",
    "bessel_ratio",
    "log_vmf_partition",
    "cond_score",
    "guided_mean",
    "guided_mean_from_posterior",
    "guided_score",
    "as_precision",
    "combine_sums",
    "finish_sums",
    "merge_best",
    "check_mu",
    "check_sigma2",
]

#: Arithmetic of the streamed sums over classes (see :class:`FiniteMixture`); everything
#: else is float64.
PRECISIONS = ("float64", "float32")


class NonFiniteError(FloatingPointError):
    """A NaN or an infinity appeared in a score computation."""


def Gamma(t, sigma2):
    """``Gamma_t = sigma2 e^{-2t} + (1 - e^{-2t})``, written with ``expm1`` so that it keeps
    full relative precision as ``t -> 0`` (where it tends to ``sigma2``)."""
    t = np.asarray(t, dtype=np.float64)
    return sigma2 * np.exp(-2.0 * t) - np.expm1(-2.0 * t)


# ----------------------------------------------------------------------------- validation


# Bad values raise cfgmft.errors.ParameterError (a ValueError) naming the argument and its
# allowed range (cfgmft.ranges); non-finite points and means raise NonFiniteError.


def check_sigma2(sigma2) -> float:
    """``sigma2`` as a float in ``[SIGMA2_MIN, SIGMA2_MAX]`` (:mod:`cfgmft.ranges`), or
    :class:`~cfgmft.errors.ParameterError` naming ``sigma2``."""
    return check_real("sigma2", sigma2, lo=SIGMA2_MIN, hi=SIGMA2_MAX)


def _check_t(t) -> float:
    if not isinstance(t, numbers.Real) or isinstance(t, bool):
        arr = np.asarray(t)
        if arr.ndim != 0:
            raise ParameterError("t", f"must be a scalar time in [0, {TIME_MAX:g}], got an array of shape {arr.shape}")
        t = arr.item()
    return check_real("t", t, lo=0.0, hi=TIME_MAX)


def _check_x(x, d):
    """Return ``(x2d, was_1d)`` with ``x2d`` a float64 ``(N, d)`` array."""
    x = np.asarray(x, dtype=np.float64)
    was_1d = x.ndim == 1
    if was_1d:
        x = x[None, :]
    if x.ndim != 2:
        raise ParameterError("x", f"must have shape (N, d) or (d,), got shape {x.shape}")
    if d is not None and x.shape[1] != d:
        raise ParameterError("x", f"must have dimension d = {d} (the denoiser's), got {x.shape[1]}")
    if not np.all(np.isfinite(x)):
        raise NonFiniteError("x contains NaN or infinite entries")
    return x, was_1d


def check_mu(mu_c, d):
    """``mu_c`` as a float64 ``(d,)`` array (any length when ``d`` is ``None``); a wrong shape
    raises :class:`~cfgmft.errors.ParameterError` naming ``mu_c``, a NaN or an infinity
    :class:`NonFiniteError`."""
    mu_c = np.asarray(mu_c, dtype=np.float64)
    if mu_c.ndim != 1:
        raise ParameterError("mu_c", f"must be a 1-d array of shape (d,), got shape {mu_c.shape}")
    if d is not None and mu_c.shape[0] != d:
        raise ParameterError("mu_c", f"must have dimension d = {d} (the problem's), got {mu_c.shape[0]}")
    if not np.all(np.isfinite(mu_c)):
        raise NonFiniteError("mu_c contains NaN or infinite entries")
    return mu_c


def _check_omega(omega) -> float:
    if not isinstance(omega, numbers.Real) or isinstance(omega, bool):
        arr = np.asarray(omega)
        if arr.ndim != 0:
            raise ParameterError("omega", f"must be a scalar in [{OMEGA_MIN:g}, {OMEGA_MAX:g}] here "
                                          "(use the sampler for schedules omega(t))")
        omega = arr.item()
    return check_real("omega", omega, lo=OMEGA_MIN, hi=OMEGA_MAX)


def _ensure_finite(arr, what: str, t: float):
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise NonFiniteError(f"{what} at t = {t!r}: {bad} non-finite entries (NaN or inf)")
    return arr


def _block(buf, n, C):
    """The first ``n * C`` elements of the C-contiguous buffer ``buf`` as a C-contiguous
    ``(n, C)`` array (a view), whatever ``buf``'s second dimension: the logit blocks of the
    streamed sums are contiguous also for a last, shorter chunk."""
    return buf.reshape(-1)[: n * C].reshape(n, C)


def _exp_inplace(L):
    """``L = exp(L)`` in place for a C-contiguous block: numpy's ``exp``, except for float64
    when :func:`cfgmft.validation._fastexp.use_fast_exp` (``CFGMFT_EXP``: by default where
    numpy's float64 ``exp`` has no SIMD loop, i.e. without AVX-512), which uses the numba
    kernel :func:`~cfgmft.validation._fastexp.exp_inplace` (within 1 ulp of numpy's;
    ``benchmarks/bench_exp.py``). numba is imported on the first float64 call only."""
    if L.dtype == np.float64 and L.flags.c_contiguous:  # the kernel works on a flat view
        from . import _fastexp

        if _fastexp.use_fast_exp():
            _fastexp.exp_inplace(L.reshape(-1))
            return
    np.exp(L, out=L)


def _restore(arr, was_1d):
    return arr[0] if was_1d else arr


# ----------------------------------------------------------------------------- the protocol


@runtime_checkable
class Denoiser(Protocol):
    """What a model of the data provides to the samplers and the Monte Carlo.

    Implemented by :class:`FiniteMixture`, :class:`ContinuumGaussian` and
    :class:`ContinuumSphere` (through :class:`DenoiserBase`). The module docstring states the
    model; every statistic below is under the unconditional model at time ``t``, with the
    class logits ``l_k(x, t) = e^{-t} x.mu_k / Gamma_t - e^{-2t} |mu_k|^2 / (2 Gamma_t)`` and
    the class posteriors ``w_k = softmax_k(l_k)``.

    Attributes
    ----------
    d : int or None
        Dimension of the points (``None`` when any dimension is accepted).
    sigma2 : float
        Class variance.
    precision : {'float64', 'float32'}
        Arithmetic of the streamed sums over classes; every array returned is float64.
    has_log_partition : bool
        Whether :meth:`posterior_stats` can return the log-partition (``want_lse=True``) and
        :meth:`logit_of` is available (a finite set of classes: :class:`FiniteMixture`).

    The four validating methods accept ``x`` as an ``(N, d)`` array or one ``(d,)`` point
    (returned with the same leading shape) and a scalar time ``t`` in ``[0, TIME_MAX]``.
    :meth:`posterior_stats` and :meth:`logit_of` are the hot path of the samplers: they check
    nothing, and take ``x`` a finite float64 ``(N, d)`` array, ``t`` a float in
    ``[0, TIME_MAX]`` and ``mu_c`` a finite float64 ``(d,)`` array. Statistics that come out
    non-finite raise :class:`NonFiniteError`.
    """

    d: int | None
    sigma2: float
    precision: str
    has_log_partition: bool

    def posterior_mean(self, x, t) -> np.ndarray:
        """``E[mu | x, t] = sum_k w_k mu_k``; shape of ``x``."""
        ...

    def posterior_spread(self, x, t) -> np.ndarray:
        """``c = tr Cov[mu | x, t] / d >= 0``; shape ``(N,)`` (a scalar for one point)."""
        ...

    def log_density(self, x, t) -> np.ndarray:
        """``log P_t(x)``; shape ``(N,)`` (a scalar for one point)."""
        ...

    def uncond_score(self, x, t) -> np.ndarray:
        """``grad log P_t(x) = -(x - e^{-t} E[mu|x,t]) / Gamma_t``; shape of ``x``."""
        ...

    def posterior_stats(self, x: np.ndarray, t: float, *, want_lse: bool = False,
                        want_spread: bool = False) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """``(E, lse, c)`` of the posterior at the points ``x``, in one pass, unchecked input.

        * ``E``: float64 ``(N, d)``, the posterior mean ``E[mu | x, t]``;
        * ``lse``: float64 ``(N,)``, the log-partition ``log sum_k exp(l_k(x, t))`` of the
          class logits (not divided by ``K``: ``w_k = exp(l_k - lse)``), or ``None`` unless
          ``want_lse``; with ``has_log_partition`` false, ``want_lse=True`` raises
          ``NotImplementedError``;
        * ``c``: float64 ``(N,)``, the per-dimension posterior spread of the class mean
          ``c = tr Cov[mu | x, t] / d = (E[|mu|^2 | x, t] - |E|^2) / d >= 0``, or ``None``
          unless ``want_spread``.
        """
        ...

    def logit_of(self, x: np.ndarray, t: float, mu_c: np.ndarray) -> np.ndarray:
        """Logit ``e^{-t} x.mu_c / Gamma_t - e^{-2t} |mu_c|^2 / (2 Gamma_t)`` of a class of
        mean ``mu_c``, float64 ``(N,)``, unchecked input. It is the ``l_k`` that
        :meth:`posterior_stats` sums into ``lse``, so ``exp(logit_of(x, t, mu_k) - lse)`` is
        the posterior weight ``w_k`` (up to rounding: clip at 1). Only with
        ``has_log_partition`` (otherwise ``NotImplementedError``)."""
        ...


# ----------------------------------------------------------------------------- base class


class DenoiserBase(Denoiser):
    """Shared implementation of :class:`Denoiser`: input validation, the spread, the scores.

    Subclasses implement ``_posterior_mean(x, t)`` and ``_log_density(x, t)`` (and
    ``_posterior_spread(x, t, E)`` for :meth:`posterior_spread`) on validated input: ``x`` a
    float64 ``(N, d)`` array, ``t`` a float. The public methods validate. Without a
    log-partition (the default, ``has_log_partition = False``) :meth:`posterior_stats` refuses
    ``want_lse`` and :meth:`logit_of` raises; :class:`FiniteMixture` overrides both.

    Attributes
    ----------
    sigma2 : float
        Class variance.
    d : int or None
        Dimension (``None`` when any dimension is accepted).
    """

    sigma2: float
    d: int | None = None
    #: arithmetic of the posterior statistics; only :class:`FiniteMixture` has a float32 mode
    precision: str = "float64"
    #: where the sums over classes run (:mod:`cfgmft.validation.backends`): numpy in this
    #: process unless a subclass says otherwise
    backend: str = "numpy"
    device: str = "cpu"
    #: whether ``posterior_stats(want_lse=True)`` and ``logit_of`` are available
    has_log_partition: bool = False

    # -- to implement
    def _posterior_mean(self, x: np.ndarray, t: float) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _log_density(self, x: np.ndarray, t: float) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _posterior_spread(self, x, t, E):  # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} does not provide tr Cov[mu|x,t]")

    # -- the hot path (see Denoiser)
    def posterior_stats(self, x, t, *, want_lse=False, want_spread=False):
        """``(E, lse, c)`` on validated input (see :meth:`Denoiser.posterior_stats`)."""
        if want_lse:
            raise NotImplementedError(f"{type(self).__name__} has no log-partition")
        E = self._posterior_mean(x, t)
        c = self._posterior_spread(x, t, E) if want_spread else None
        return E, None, c

    def logit_of(self, x, t, mu_c):
        """Class logit on validated input (see :meth:`Denoiser.logit_of`)."""
        raise NotImplementedError(f"{type(self).__name__} has no log-partition")

    # -- public
    def posterior_mean(self, x, t):
        """``E[mu | x, t]`` under the unconditional model; shape of ``x``."""
        x, was_1d = _check_x(x, self.d)
        t = _check_t(t)
        return _restore(self._posterior_mean(x, t), was_1d)

    def log_density(self, x, t):
        """``log P_t(x)`` of the unconditional model; shape ``(N,)`` (scalar for one point)."""
        x, was_1d = _check_x(x, self.d)
        t = _check_t(t)
        return _restore(_ensure_finite(self._log_density(x, t), "log_density", t), was_1d)

    def posterior_spread(self, x, t):
        """``c = tr Cov[mu | x, t] / d``, the per-dimension posterior variance of the class mean
        (the isotropic part of ``Gamma_t e^{t} d E[mu|x,t] / dx``); shape ``(N,)``."""
        x, was_1d = _check_x(x, self.d)
        t = _check_t(t)
        _, _, c = self.posterior_stats(x, t, want_spread=True)
        return _restore(c, was_1d)

    def uncond_score(self, x, t):
        """``grad log P_t(x) = -(x - e^{-t} E[mu|x,t]) / Gamma_t``."""
        x, was_1d = _check_x(x, self.d)
        t = _check_t(t)
        E = self._posterior_mean(x, t)
        s = -(x - math.exp(-t) * E) / float(Gamma(t, self.sigma2))
        return _restore(_ensure_finite(s, "uncond_score", t), was_1d)


# ----------------------------------------------------------------------------- finite mixture


class FiniteMixture(DenoiserBase):
    """Equal-weight mixture of ``K`` Gaussians ``N(mu_k, sigma2 I_d)``, exact noised scores.

    Parameters
    ----------
    means : array_like, shape (K, d)
        Class means (copied).
    sigma2 : float
        Class variance (``> 0``).
    chunk_size : int
        Number of classes processed at once (default :data:`DEFAULT_CHUNK_SIZE`). Every sum over
        classes is a streaming (online) log-sum-exp over chunks: a running shift of the logits
        and running sums of the weights and of the weights times the means, rescaled whenever
        the shift moves. Memory is ``O(min(N, row_block) * chunk_size + N * d)`` besides the
        means, whatever ``K``; no ``N x K`` array is formed (except by
        :meth:`posterior_weights`, meant for small ``K``). The streamed sums differ between
        chunk sizes only by rounding (relative ``~1e-15``).
    precision : {'float64', 'float32'}
        Arithmetic of the streamed sums over classes (default float64). ``'float32'`` stores
        the means in float32 (``K (d + 2) 4 + 8 K`` bytes) and does the two matrix products
        per chunk, the shift and the ``exp`` in float32; the per-chunk sums are added into
        float64 accumulators, and the log-partition, the posterior mean and spread, and
        everything outside the streamed sums (:meth:`logits`, :meth:`bayes_classify`,
        :meth:`target_weight`'s own logit, the samplers and estimators) stay float64. The
        mixture is then the one whose means are the float32 roundings of the given (or drawn)
        means, and ``norms2`` are their squared norms computed in float64. The logits carry an
        absolute rounding error of order ``2^-24`` times the energy scale
        ``a_t |x| |mu| + b_t |mu|^2`` (:meth:`float32_logit_error`), which is what the
        posterior weights inherit (relative); see docs/explanation/infinite-class.md, "float32".

    Notes
    -----
    The logits ``l_k = a_t x.mu_k - b_t |mu_k|^2``, ``a_t = e^{-t}/Gamma_t``,
    ``b_t = e^{-2t}/(2 Gamma_t)``, reach ``O(d / sigma2)`` as ``t -> 0``; only their
    differences matter and they are taken against a running shift, so nothing overflows.

    Storage. The means are held once, in a ``(K, d + 2)`` array ``[mu_k, |mu_k|^2, 1]``
    (``K (d + 2) 8`` bytes, ``1 + 2/d`` times the means themselves); :attr:`means` and
    :attr:`norms2` are read-only views of it. One matrix product of a chunk of it with
    ``[a_t x, -b_t, -m]`` (``m`` the per-point running shift) gives the shifted logits
    ``l_k - m``, and one product of the exponentiated block with the same chunk gives the
    streamed sums of ``w``, ``w mu`` and ``w |mu|^2`` at once.
    """

    #: Default number of classes per chunk, from measurements at ``K = 2^17``, ``d = 32``,
    #: ``N = 256`` and ``1024`` (``benchmarks/bench_scores.py --chunks``): the time per
    #: (point, class) pair is flat from 1024 to 3072 classes and ~10% higher at 512 and at
    #: 4096 and above. At 2048 the ``256 x 2048`` logit block (4 MiB) and the chunk of the
    #: storage (0.56 MiB) stay in the 32 MiB last-level cache; smaller chunks pay more
    #: per-call overhead and thinner matrix products.
    DEFAULT_CHUNK_SIZE = 2048
    #: Rows of ``x`` processed together; larger batches are cut into row blocks so that the
    #: logit block stays ``row_block x chunk_size`` (rows are independent: no effect on results).
    ROW_BLOCK = 256
    #: The running shift of a row is only moved when a chunk's logits exceed it by more than
    #: this (``e^{64}`` times ``K`` stays far from overflow); any shift gives the same sums
    #: up to rounding, so this only saves passes.
    _SHIFT_SLACK = 64.0
    #: Shifted logits below this have ``exp`` exactly 0 in float64 (the smallest subnormal is
    #: ``exp(-745.13)``): a row of a chunk with all its logits below it contributes nothing.
    _SKIP_BELOW = -746.0

    #: float32 mode: the shift is moved when a chunk's logits exceed it by more than this
    #: (``e^{32}`` times ``chunk_size`` times ``|mu|^2`` stays far below the float32 maximum
    #: ``3.4e38``).
    _SHIFT_SLACK32 = 32.0
    #: float32 mode: shifted logits below this have float32 ``exp`` exactly 0 (the smallest
    #: float32 subnormal is ``exp(-103.28)``): a row of a chunk with all its logits below it is
    #: skipped. Terms between ``exp(-103)`` and ``exp(-87.3)`` are float32 subnormals; they are
    #: kept (clipping them cost 13% of the step and measured no subnormal penalty in the
    #: products on this machine's OpenBLAS, ``benchmarks/bench_scores.py``), and next to a
    #: largest term ``>= 1`` they are below the float32 rounding anyway.
    _SKIP_BELOW32 = -104.0

    has_log_partition = True
    #: Pruning fraction ``f`` (0: none; see :meth:`pruned`).
    prune = 0.0
    _log_prune = -math.inf
    #: ``[added, total]`` (row, chunk) pairs of the streamed sums, counted when a list
    #: (benchmarks); ``None``: not counted.
    pair_counts = None

    def pruned(self, fraction: float) -> "FiniteMixture":
        """This mixture (sharing its storage) with exact pruning of the streamed sums.

        With ``fraction = f > 0``, a row of a chunk whose largest logit is below the row's
        running maximum over the chunks seen so far by more than ``log(K / f)`` is not added
        (no ``exp``, no second matrix product). Every class so skipped has
        ``w_k <= (f / K) sum_j w_j`` (the running maximum's term is in the sum), so the skipped
        weight is at most the fraction ``f`` of the total, and

        * ``|lse_pruned - lse| <= -log(1 - f)``;
        * ``|E_pruned - E| <= 2 f / (1 - f) max_k |mu_k|``;
        * ``|c_pruned - c| <= 5 f / (1 - f) max_k |mu_k|^2 / d``

        (up to the rounding of the unpruned sums). ``f = 0`` gives back the exact sums.
        The fraction must be in ``[0, 0.5]``.
        """
        f = check_real("prune", fraction, lo=0.0, hi=0.5)
        other = copy.copy(self)
        other.prune = f
        other._log_prune = math.log(f / self.K) if f > 0 else -math.inf
        return other

    def __init__(self, means, sigma2, chunk_size: int | None = None, precision: str = "float64"):
        precision = check_choice("precision", precision, PRECISIONS)
        means = np.asarray(means, dtype=np.float64)
        if means.ndim != 2 or means.shape[0] < 1 or means.shape[1] < 1:
            raise ParameterError("means", f"must be a (K, d) array with K, d >= 1, got shape {means.shape}")
        if not np.all(np.isfinite(means)):
            raise ParameterError("means", "must be finite, got NaN or infinite entries")
        K, d = means.shape
        aug = np.empty((K, d + 2), dtype=np.dtype(precision))
        aug[:, :d] = means
        self._init_storage(aug, sigma2, chunk_size)

    @classmethod
    def from_prior(cls, K: int, d: int, prior: str, sigma2, rng=None, chunk_size: int | None = None,
                   block: int = 1 << 16, precision: str = "float64", rows: tuple[int, int] | None = None):
        """Mixture with means drawn from ``prior`` (see :func:`cfgmft.validation.mixture.draw_means`),
        written block by block straight into the storage, so that peak memory is the storage
        itself (``K (d + 2) 8`` bytes, or ``K (d + 2) 4 + 8 K`` in float32) rather than twice
        the means. The means are bit-for-bit those of
        ``FiniteMixture(draw_means(K, d, prior, rng), sigma2, precision=precision)`` (both fill
        the generator's normal stream row after row; in float32 both round the float64 draws).

        ``rows = (start, stop)`` keeps only the classes ``start..stop-1`` of that draw (a shard of
        the mixture, :mod:`cfgmft.validation.sharded`): the stream is drawn from its beginning
        block by block and the rows before ``start`` are discarded, so the shard's means are
        bit-for-bit those rows of the whole draw, in ``(stop - start) (d + 2)`` numbers of
        memory plus one block."""
        from .mixture import _check_prior_dims, as_generator

        precision = check_choice("precision", precision, PRECISIONS)
        K, d = _check_prior_dims(K, d, prior)
        lo, hi = (0, K) if rows is None else (check_int("rows[0]", rows[0], lo=0, hi=K - 1),
                                              check_int("rows[1]", rows[1], lo=int(rows[0]) + 1, hi=K))
        gen = as_generator(rng)
        aug = np.empty((hi - lo, d + 2), dtype=np.dtype(precision))
        for start in range(0, hi, block):
            stop = min(K, start + block)
            z = gen.standard_normal((stop - start, d))
            a, b = max(start, lo), min(stop, hi)
            if a >= b:
                continue
            z = z[a - start : b - start]
            if prior == "sphere":
                z = np.sqrt(d) * z / np.linalg.norm(z, axis=1, keepdims=True)
            aug[a - lo : b - lo, :d] = z
        self = cls.__new__(cls)
        self._init_storage(aug, sigma2, chunk_size)
        return self

    def _init_storage(self, aug, sigma2, chunk_size):
        if chunk_size is None:
            chunk_size = self.DEFAULT_CHUNK_SIZE
        chunk_size = check_int("chunk_size", chunk_size, lo=1)
        self.sigma2 = check_sigma2(sigma2)
        self.chunk_size = int(chunk_size)
        K, d2 = aug.shape
        d = d2 - 2
        self.K, self.d = K, d
        self.precision = "float32" if aug.dtype == np.float32 else "float64"
        if self.precision == "float64":
            # |mu_k|^2 once, block-wise (no K x d temporary)
            for start in range(0, K, 1 << 16):
                blk = aug[start : start + (1 << 16)]
                np.einsum("kd,kd->k", blk[:, :d], blk[:, :d], out=blk[:, d])
            norms2 = aug[:, d]
        else:
            # |mu_k|^2 of the float32 means, computed in float64 (the float32 values are exact
            # in float64) and kept in float64; the storage's column is their float32 rounding
            norms2 = np.empty(K)
            for start in range(0, K, 1 << 16):
                blk = aug[start : start + (1 << 16), :d].astype(np.float64)
                np.einsum("kd,kd->k", blk, blk, out=norms2[start : start + (1 << 16)])
            aug[:, d] = norms2
            norms2.setflags(write=False)
        aug[:, d + 1] = 1.0
        aug.setflags(write=False)
        self._aug = aug
        self.means = aug[:, :d]
        self.norms2 = norms2

    def with_precision(self, precision: str) -> "FiniteMixture":
        """This mixture in ``precision`` (``self`` if it is already; otherwise a copy of the
        means in the new storage: float64 -> float32 rounds them)."""
        precision = check_choice("precision", precision, PRECISIONS)
        if precision == self.precision:
            return self
        return FiniteMixture(self.means, self.sigma2, chunk_size=self.chunk_size, precision=precision)

    def float32_logit_error(self, t: float = 0.0, x_norm: float | None = None) -> float:
        """Estimated absolute rounding error of the float32 logits at time ``t``:
        ``2^-24 (2 a_t |x| max|mu| + 2 b_t max|mu|^2)``, the unit roundoff times the sizes of
        the terms that the float32 product ``a_t x.mu_k - b_t |mu_k|^2 - shift`` adds (the
        shift is of the size of the other two). ``|x|`` defaults to
        ``sqrt(max|mu|^2 + d sigma2)``, the size of a sample of the largest class at ``t = 0``.
        The error of the class posteriors is this, relative (``dw_k / w_k = dl_k - sum_j w_j dl_j``).
        """
        t = _check_t(t)
        a, b = self._coefficients(t)
        n2 = self.max_norm2
        if x_norm is None:
            x_norm = math.sqrt(n2 + self.d * self.sigma2)
        return 2.0**-24 * (2.0 * a * x_norm * math.sqrt(n2) + 2.0 * b * n2)

    @property
    def max_norm2(self) -> float:
        """``max_k |mu_k|^2``."""
        return float(np.max(self.norms2))

    def mean_of(self, c) -> np.ndarray:
        """The float64 mean ``mu_c`` of class index ``c`` (a copy)."""
        return self.means[self._index(c)].astype(np.float64)

    def __repr__(self):
        prec = "" if self.precision == "float64" else f", precision={self.precision!r}"
        return f"FiniteMixture(K={self.K}, d={self.d}, sigma2={self.sigma2}, chunk_size={self.chunk_size}{prec})"

    # -- internals
    def _coefficients(self, t: float):
        G = float(Gamma(t, self.sigma2))
        e = math.exp(-t)
        return e / G, e * e / (2.0 * G)

    def _chunks(self):
        for start in range(0, self.K, self.chunk_size):
            yield start, min(start + self.chunk_size, self.K)

    def _stream(self, x: np.ndarray, t: float, want_mean: bool = True, want_spread: bool = False):
        """Online log-sum-exp over class chunks.

        Returns ``(E, lse, c)``: the posterior mean ``sum_k w_k mu_k`` (``None`` unless
        ``want_mean``), ``lse = log sum_k exp(l_k)`` and the per-dimension posterior spread
        ``c = tr Cov[mu|x,t] / d = (sum_k w_k |mu_k|^2 - |E|^2) / d`` (``None`` unless
        ``want_spread``; clipped at 0 against rounding).
        """
        acc, shift = self.partial_sums(x, t)
        return finish_sums(acc, shift, want_mean=want_mean, want_spread=want_spread)

    def partial_sums(self, x: np.ndarray, t: float):
        """The streamed sums of this mixture's classes before they are normalised:
        ``(acc, shift)`` with ``acc`` the float64 ``(N, d + 2)`` array
        ``[sum_k w_k mu_k, sum_k w_k |mu_k|^2, sum_k w_k]``, ``w_k = exp(l_k - shift)``, and
        ``shift`` the float64 ``(N,)`` per-point shift. Sums of disjoint sets of classes
        (shards of one mixture, on other workers or devices) combine exactly with
        :func:`combine_sums`; :func:`finish_sums` turns them into ``(E, lse, c)``. Unchecked
        input (``x`` a finite float64 ``(N, d)`` array, ``t`` in ``[0, TIME_MAX]``)."""
        a, b = self._coefficients(t)
        N, d = x.shape
        # columns of the streamed sums: [sum w mu (d), sum w |mu|^2, sum w]
        acc = np.empty((N, d + 2))
        shift = np.empty(N)
        rb = self.ROW_BLOCK
        C = min(self.chunk_size, self.K)
        L = np.empty((min(N, rb), C), dtype=self._aug.dtype)
        rows = self._stream_rows if self.precision == "float64" else self._stream_rows32
        for r0 in range(0, N, rb):
            r1 = min(N, r0 + rb)
            rows(x[r0:r1], a, b, acc[r0:r1], shift[r0:r1], L)
        return acc, shift

    def _stream_rows(self, x, a, b, acc, shift, Lbuf):
        """Streamed sums for one row block, written into ``acc`` (``[sum w mu, sum w |mu|^2,
        sum w]`` with ``w = exp(l - shift)``) and ``shift``.

        Per chunk: one GEMM ``[a x, -b, -shift] @ [mu, |mu|^2, 1]^T`` into the reused buffer
        (the shifted logits), a row maximum, an in-place ``exp``, and one GEMM of the result
        with the same chunk. A row's shift is moved (and its sums rescaled) only when the
        chunk's logits exceed it by more than ``_SHIFT_SLACK``, so after the first chunk
        re-shifts are rare; with the shift at most ``_SHIFT_SLACK`` below the running maximum
        no term can overflow, and a shift below the maximum only makes fewer terms underflow.
        """
        n, d = x.shape
        aug = self._aug
        xs = np.empty((n, d + 2))
        np.multiply(x, a, out=xs[:, :d])
        xs[:, d] = -b
        xs[:, d + 1] = 0.0
        acc[:] = 0.0
        part = np.empty((n, d + 2))
        Lbuf2 = None
        slack = self._SHIFT_SLACK
        first = True
        for start, stop in self._chunks():
            C = stop - start
            L = _block(Lbuf, n, C)
            B = aug[start:stop]
            np.matmul(xs, B.T, out=L)
            cmax = L.max(axis=1)
            if first:
                # the first chunk fixes the shift at its row maxima
                L -= cmax[:, None]
                shift[:] = cmax
                xs[:, d + 1] = -shift
                cmax[:] = 0.0
                rmax = np.zeros(n)  # running maximum of the logits minus the shift
                first = False
            elif (cmax > slack).any():
                delta = np.where(cmax > slack, cmax, 0.0)
                L -= delta[:, None]
                acc *= np.exp(-delta)[:, None]
                shift += delta
                xs[:, d + 1] = -shift
                cmax -= delta
                rmax -= delta
            # rows whose shifted logits are all below -746 in this chunk: exp gives exactly 0
            # there (exp(x) rounds to 0 for x < -745.14): their terms are exactly zero, skipped;
            # with pruning, also rows whose chunk maximum is below the running maximum by more
            # than log(K / prune) (see the class docstring)
            Lbuf2 = self._add_exp_rows(L, B, self._active(cmax, rmax, self._SKIP_BELOW), acc, part, Lbuf, Lbuf2)

    def _active(self, cmax, rmax, skip_below):
        """Rows of a chunk to add: ``cmax`` (the chunk's row maxima minus the shift) above
        ``skip_below`` and, with pruning, above ``rmax + log(prune / K)``; updates the running
        maximum ``rmax`` in place (it includes this chunk, so the chunk holding it is kept)."""
        np.maximum(rmax, cmax, out=rmax)
        active = cmax > skip_below
        if self.prune > 0.0:
            active &= cmax > rmax + self._log_prune
        if self.pair_counts is not None:
            self.pair_counts[0] += int(np.count_nonzero(active))
            self.pair_counts[1] += cmax.size
        return active

    @staticmethod
    def _add_exp_rows(L, B, active, acc, part, Lbuf, Lbuf2):
        """``acc += exp(L) @ B`` over the rows marked ``active`` (the others are exactly zero),
        ``exp`` in place (:func:`_exp_inplace`: in float64 the numba ``exp`` of
        :mod:`cfgmft.validation._fastexp` where numpy's is scalar); rows are gathered into
        ``Lbuf2`` (allocated like ``Lbuf`` on first need, and returned) when only some are
        active. Shared by both precisions."""
        n, C = L.shape
        nact = int(np.count_nonzero(active))
        if nact == n:
            _exp_inplace(L)
            np.matmul(L, B, out=part)
            acc += part
        elif nact:
            idx = np.flatnonzero(active)
            if Lbuf2 is None:
                Lbuf2 = np.empty_like(Lbuf)
            La = np.take(L, idx, axis=0, out=_block(Lbuf2, nact, C))
            _exp_inplace(La)
            np.matmul(La, B, out=part[:nact])
            acc[idx] += part[:nact]
        return Lbuf2

    def _stream_rows32(self, x, a, b, acc, shift, Lbuf):
        """float32 version of :meth:`_stream_rows` (same outputs, float64 ``acc`` and ``shift``).

        Per chunk: one float32 GEMM ``[a x, -b, -shift] @ [mu, |mu|^2, 1]^T`` into the float32
        buffer, row maxima, an in-place float32 ``exp``, and one float32
        GEMM of the result with the chunk, whose ``(n, d + 2)`` result is added into the
        float64 accumulators. The shift is a float32 number (held exactly in the float64
        ``shift``), so that the one subtracted inside the product is exactly the one added back
        in ``lse = shift + log(sum w)``. When a chunk's logits exceed it by more than
        ``_SHIFT_SLACK32`` the shift is moved to a float32 value near the new maximum, the
        accumulators are rescaled by ``exp(old - new)`` in float64, and the chunk's product is
        redone against the new shift (rare after the first chunk).
        """
        n, d = x.shape
        aug = self._aug
        f32 = np.float32
        xs = np.empty((n, d + 2), dtype=f32)
        np.multiply(x, a, out=xs[:, :d], casting="same_kind")
        xs[:, d] = -b
        xs[:, d + 1] = 0.0
        acc[:] = 0.0
        part = np.empty((n, d + 2), dtype=f32)
        Lbuf2 = None
        slack = self._SHIFT_SLACK32
        skip = self._SKIP_BELOW32
        first = True
        for start, stop in self._chunks():
            C = stop - start
            L = _block(Lbuf, n, C)
            B = aug[start:stop]
            np.matmul(xs, B.T, out=L)
            cmax = L.max(axis=1)
            if first:
                L -= cmax[:, None]
                xs[:, d + 1] = -cmax
                shift[:] = cmax
                cmax[:] = 0.0
                rmax = np.zeros(n)
                first = False
            elif (cmax > slack).any():
                move = cmax > slack
                new = shift.copy()
                new[move] = (shift[move] + cmax[move]).astype(f32)
                acc *= np.exp(shift - new)[:, None]
                rmax += shift - new
                shift[:] = new
                xs[:, d + 1] = -new
                np.matmul(xs, B.T, out=L)
                cmax = L.max(axis=1)
            Lbuf2 = self._add_exp_rows(L, B, self._active(cmax, rmax, skip), acc, part, Lbuf, Lbuf2)

    def _posterior_mean(self, x, t):
        E, _, _ = self._stream(x, t)
        return _ensure_finite(E, "FiniteMixture.posterior_mean", t)

    def posterior_stats(self, x, t, *, want_lse=False, want_spread=False):
        """``(E, lse, c)`` in one streamed pass, on validated input (see
        :meth:`Denoiser.posterior_stats`); float64 in both precisions."""
        E, lse, c = self._stream(x, t, want_spread=want_spread)
        _ensure_finite(E, "FiniteMixture.posterior_mean", t)
        if want_lse:
            _ensure_finite(lse, "FiniteMixture log-partition", t)
        if want_spread:
            _ensure_finite(c, "FiniteMixture posterior spread", t)
        return E, (lse if want_lse else None), c

    def _posterior_mean_and_lse(self, x, t):
        E, lse, _ = self.posterior_stats(x, t, want_lse=True)
        return E, lse

    def logit_of(self, x, t, mu_c):
        """``a_t x.mu_c - b_t |mu_c|^2`` in float64, on validated input (see
        :meth:`Denoiser.logit_of`)."""
        a, b = self._coefficients(t)
        return a * (x @ mu_c) - b * float(mu_c @ mu_c)

    def _log_density(self, x, t):
        _, lse, _ = self._stream(x, t, want_mean=False)
        G = float(Gamma(t, self.sigma2))
        return (
            lse
            - math.log(self.K)
            - np.einsum("nd,nd->n", x, x) / (2.0 * G)
            - 0.5 * self.d * math.log(2.0 * math.pi * G)
        )

    # -- public
    def posterior_mean_and_log_partition(self, x, t):
        """``(E[mu|x,t], log sum_k exp(l_k))`` in one streamed pass."""
        x, was_1d = _check_x(x, self.d)
        t = _check_t(t)
        E, lse = self._posterior_mean_and_lse(x, t)
        return _restore(E, was_1d), _restore(lse, was_1d)

    def logits(self, x, t, classes=None):
        """Dense logits ``l_k(x, t)``, shape ``(N, len(classes))``; ``classes`` defaults to all
        ``K`` (small ``K`` only)."""
        x, was_1d = _check_x(x, self.d)
        t = _check_t(t)
        idx = np.arange(self.K) if classes is None else np.atleast_1d(np.asarray(classes, dtype=np.int64))
        a, b = self._coefficients(t)
        L = a * (x @ self.means[idx].T) - b * self.norms2[idx]
        return _restore(L, was_1d)

    def posterior_weights(self, x, t, max_elements: int = 50_000_000):
        """Dense class posteriors ``w_k(x, t)``, shape ``(N, K)``.

        For small ``K`` and tests only: it materialises the ``N x K`` array and refuses when
        ``N * K > max_elements``. Use :meth:`posterior_mean` or :meth:`target_weight` for large
        ``K``.
        """
        x, was_1d = _check_x(x, self.d)
        t = _check_t(t)
        if x.shape[0] * self.K > max_elements:
            raise MemoryError(
                f"posterior_weights would form an N x K = {x.shape[0]} x {self.K} array "
                f"(> max_elements = {max_elements}); use posterior_mean / target_weight"
            )
        L = self.logits(x, t)
        L -= L.max(axis=1, keepdims=True)
        W = np.exp(L)
        W /= W.sum(axis=1, keepdims=True)
        return _restore(_ensure_finite(W, "posterior_weights", t), was_1d)

    def target_weight(self, x, t, c):
        """Posterior weight ``w_c(x, t)`` of one class, streamed over the others; shape ``(N,)``.

        ``c`` is a class index, or a mean vector (then the weight of a class with that mean,
        which is ``w_c`` when the vector is one of the means).
        """
        x, was_1d = _check_x(x, self.d)
        t = _check_t(t)
        mu = self.means[self._index(c)] if _is_index(c) else check_mu(c, self.d)
        _, lse, _ = self._stream(x, t, want_mean=False)
        # clipped: the streamed lse may round below the single logit
        return _restore(np.minimum(np.exp(self.logit_of(x, t, mu) - lse), 1.0), was_1d)

    def class_index(self, mu_c):
        """Index of the class whose mean equals ``mu_c`` exactly, or ``None``."""
        mu_c = check_mu(mu_c, self.d)
        hits = np.flatnonzero(np.all(self.means == mu_c, axis=1))
        return int(hits[0]) if hits.size else None

    def _index(self, c) -> int:
        return check_int("c", c, lo=0, hi=self.K - 1)

    def cond_score(self, x, t, c):
        """``grad log P_t(x|c) = -(x - e^{-t} mu_c) / Gamma_t`` for class index ``c``."""
        return cond_score(x, t, self.means[self._index(c)], self.sigma2)

    def guided_score(self, x, t, c, omega):
        """Guided score toward class index ``c``; see :func:`guided_score`."""
        return guided_score(self, x, t, self.means[self._index(c)], self.sigma2, omega)

    def bayes_parts(self, x, c, t):
        """The streamed pieces of :meth:`bayes_classify` on validated input: the best logit and
        its class index per point, and the best logit over the classes other than index ``c``
        (``-inf`` where there is none; over all when ``c`` is ``None``). Shards of a mixture
        combine them by the largest value (ties to the lower index)."""
        a, b = self._coefficients(t)
        N = x.shape[0]
        best_val = np.full(N, -np.inf)
        best_idx = np.zeros(N, dtype=np.int64)
        comp_val = np.full(N, -np.inf)  # best over k != c
        for start, stop in self._chunks():
            L = a * (x @ self.means[start:stop].T) - b * self.norms2[start:stop]
            j = L.argmax(axis=1)
            best_val, best_idx = merge_best(best_val, best_idx, L[np.arange(N), j], start + j)
            if c is not None and start <= c < stop:
                L[:, c - start] = -np.inf
            comp_val = np.maximum(comp_val, L.max(axis=1))
        return best_val, best_idx, comp_val

    def bayes_classify(self, x, c=None, t: float = 0.0):
        """Streamed Bayes classifier of the whole mixture at time ``t`` (default ``t = 0``).

        Returns ``(argmax, margin)``: ``argmax`` is the index of the most probable class
        (shape ``(N,)``). If ``c`` is given, ``margin`` is the per-dimension log-likelihood
        margin of class ``c`` over its best competitor,
        ``[log P_t(x|c) - max_{k != c} log P_t(x|k)] / d`` (``None`` without ``c`` or when
        ``K = 1``).
        """
        x, was_1d = _check_x(x, self.d)
        t = _check_t(t)
        c = None if c is None else self._index(c)
        best_val, best_idx, comp_val = self.bayes_parts(x, c, t)
        margin = None
        if c is not None and self.K > 1:
            margin = (self.logit_of(x, t, self.means[c]) - comp_val) / self.d
            margin = _restore(margin, was_1d)
        return _restore(best_idx, was_1d), margin


def as_precision(denoiser, precision, argument: str = "precision"):
    """``denoiser`` in ``precision`` (``None``: as it is). A :class:`FiniteMixture` is converted
    by :meth:`FiniteMixture.with_precision`; the continuum denoisers are float64 only, and
    asking them for float32 raises :class:`~cfgmft.errors.ParameterError` naming ``argument``."""
    if precision is None:
        return denoiser
    precision = check_choice(argument, precision, PRECISIONS)
    if isinstance(denoiser, FiniteMixture):
        return denoiser.with_precision(precision)
    if precision != getattr(denoiser, "precision", "float64"):
        raise ParameterError(argument, f"{precision} is available for finite mixtures only; "
                                       f"{type(denoiser).__name__} (infinite classes) runs in float64")
    return denoiser


def merge_best(best_val, best_idx, val, idx):
    """The running best ``(value, index)`` per point after a block of classes with best
    ``(val, idx)``, blocks taken in increasing class order: only a strictly larger value
    replaces, so ties go to the lower index (chunks of a mixture, shards of a sharded one)."""
    upd = val > best_val
    return np.where(upd, val, best_val), np.where(upd, idx, best_idx)


def combine_sums(parts):
    """``(acc, shift)`` of the union of disjoint sets of classes from the ``(acc_i, shift_i)`` of
    each (:meth:`FiniteMixture.partial_sums`): the shift is the largest, and each part's sums
    are rescaled by ``exp(shift_i - shift) <= 1`` (no overflow; a part whose terms all
    underflow there adds zero). Exact up to the rounding of the rescaling (relative ~1e-16)."""
    parts = list(parts)
    if not parts:
        raise ValueError("combine_sums needs at least one part")
    if len(parts) == 1:
        return parts[0]
    shift = np.max(np.stack([s for _, s in parts]), axis=0)
    acc = np.zeros_like(parts[0][0])
    for a, s in parts:
        acc += a * np.exp(s - shift)[:, None]
    return acc, shift


def finish_sums(acc, shift, *, want_mean: bool = True, want_spread: bool = False):
    """``(E, lse, c)`` from streamed sums ``(acc, shift)`` (:meth:`FiniteMixture.partial_sums`):
    ``lse = shift + log sum w``, ``E = sum w mu / sum w`` (``None`` unless ``want_mean`` or
    ``want_spread``) and ``c = (sum w |mu|^2 / sum w - |E|^2) / d`` clipped at 0 (``None``
    unless ``want_spread``)."""
    d = acc.shape[1] - 2
    S = acc[:, d + 1]
    lse = shift + np.log(S)
    E = acc[:, :d] / S[:, None] if (want_mean or want_spread) else None
    c = None
    if want_spread:
        c = np.maximum(acc[:, d] / S - np.einsum("nd,nd->n", E, E), 0.0) / d
    return E, lse, c


def _is_index(c) -> bool:
    return isinstance(c, (numbers.Integral, np.integer)) and not isinstance(c, bool)


# ----------------------------------------------------------------------------- continuum limits


class ContinuumGaussian(DenoiserBase):
    """Infinite-class limit with the ``gaussian`` prior (``mu ~ N(0, I_d)``).

    The unconditional density is ``N(0, (1 + sigma2) I)`` at ``t = 0``, noised to
    ``N(0, G_t I)`` with ``G_t = e^{-2t}(1 + sigma2) + Delta_t = 1 + sigma2 e^{-2t}``.
    The posterior of ``mu`` given ``x_t`` is Gaussian with mean

        E[mu | x, t] = e^{-t} x / G_t,

    so that ``-(x - e^{-t} E[mu|x,t]) / Gamma_t = -x / G_t`` (because ``G_t - e^{-2t} = Gamma_t``).
    Any dimension is accepted unless ``d`` is given.
    """

    def __init__(self, sigma2, d: int | None = None):
        self.sigma2 = check_sigma2(sigma2)
        if d is not None:
            d = check_int("d", d, lo=1)
        self.d = None if d is None else int(d)

    def __repr__(self):
        return f"ContinuumGaussian(sigma2={self.sigma2}, d={self.d})"

    def G(self, t):
        """Variance of the noised unconditional density, ``G_t = 1 + sigma2 e^{-2t}``."""
        return 1.0 + self.sigma2 * np.exp(-2.0 * np.asarray(t, dtype=np.float64))

    def _posterior_mean(self, x, t):
        return (math.exp(-t) / float(self.G(t))) * x

    def _posterior_spread(self, x, t, E):
        # Cov[mu|x,t] = (1 - e^{-2t}/G_t) I = (Gamma_t / G_t) I
        return np.full(x.shape[0], float(Gamma(t, self.sigma2)) / float(self.G(t)))

    def _log_density(self, x, t):
        G = float(self.G(t))
        return -np.einsum("nd,nd->n", x, x) / (2.0 * G) - 0.5 * x.shape[1] * math.log(2.0 * math.pi * G)


class ContinuumSphere(DenoiserBase):
    """Infinite-class limit with the ``sphere`` prior (``mu`` uniform on the sphere of radius
    ``sqrt(d)``).

    Given ``x_t`` the posterior of the direction of ``mu`` is von Mises-Fisher with
    concentration ``kappa = e^{-t} sqrt(d) |x| / Gamma_t``, hence::

        E[mu | x, t] = sqrt(d) A_{d/2}(kappa) x / |x|,   A_nu = I_nu / I_{nu-1}.

    ``log_density`` is the exact normalised density
    ``-|x|^2/(2 Gamma_t) - d e^{-2t}/(2 Gamma_t) - (d/2) log(2 pi Gamma_t) + log_vmf_partition(d, kappa)``;
    the vMF log-partition is accurate to ~1e-14 relative for all ``kappa`` (see
    :func:`log_vmf_partition`).
    """

    def __init__(self, d: int, sigma2):
        d = check_int("d", d, lo=2)
        self.d = int(d)
        self.sigma2 = check_sigma2(sigma2)

    def __repr__(self):
        return f"ContinuumSphere(d={self.d}, sigma2={self.sigma2})"

    def _kappa(self, x, t):
        G = float(Gamma(t, self.sigma2))
        r = np.sqrt(np.einsum("nd,nd->n", x, x))
        return math.exp(-t) * math.sqrt(self.d) * r / G, r

    def _posterior_mean(self, x, t):
        kappa, r = self._kappa(x, t)
        A = bessel_ratio(0.5 * self.d, kappa)
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(r > 0, math.sqrt(self.d) * A / r, 0.0)
        return _ensure_finite(f[:, None] * x, "ContinuumSphere.posterior_mean", t)

    def _posterior_spread(self, x, t, E):
        # |mu|^2 = d on the sphere: tr Cov / d = 1 - |E|^2 / d = 1 - A^2
        return np.maximum(1.0 - np.einsum("nd,nd->n", E, E) / self.d, 0.0)

    def _log_density(self, x, t):
        G = float(Gamma(t, self.sigma2))
        kappa, r = self._kappa(x, t)
        return (
            -(r**2) / (2.0 * G)
            - self.d * math.exp(-2.0 * t) / (2.0 * G)
            - 0.5 * self.d * math.log(2.0 * math.pi * G)
            + log_vmf_partition(self.d, kappa)
        )


# ----------------------------------------------------------------------------- scores


def cond_score(x, t, mu_c, sigma2):
    """Conditional score ``grad log P_t(x|c) = -(x - e^{-t} mu_c) / Gamma_t``."""
    sigma2 = check_sigma2(sigma2)
    mu_c = check_mu(mu_c, None)
    x, was_1d = _check_x(x, mu_c.shape[0])
    t = _check_t(t)
    return _restore(-(x - math.exp(-t) * mu_c) / float(Gamma(t, sigma2)), was_1d)


def guided_mean_from_posterior(mu_c, omega, E):
    """``D = (1 + omega) mu_c - omega E`` from an already computed posterior mean
    ``E = E[mu | x, t]`` (the samplers' hot path: nothing is checked; ``mu_c`` ``(d,)``,
    ``E`` ``(N, d)``, ``omega`` a float). :func:`guided_mean` is the validating version that
    evaluates ``E`` itself. The formula is :func:`cfgmft.guidance.cfg_target`."""
    return cfg_target(mu_c, omega=omega, E=E)


def _guided_target(denoiser, x, t, mu_c, omega):
    """``D`` on validated input; at ``omega == 0`` it is ``mu_c`` and the posterior is not
    evaluated (exact conditional sampling)."""
    if omega == 0.0:
        return np.broadcast_to(mu_c, x.shape)
    E, _, _ = denoiser.posterior_stats(x, t)
    return guided_mean_from_posterior(mu_c, omega, E)


def guided_mean(denoiser, x, t, mu_c, omega):
    """The guided target ``D(x, t) = (1 + omega) mu_c - omega E[mu | x, t]``.

    With it the guided score is ``s = -x / Gamma_t + (e^{-t} / Gamma_t) D`` (see
    :func:`guided_score`). Validates its input (``x`` ``(N, d)`` or one ``(d,)`` point); shape
    of ``x``. With ``E`` already at hand, :func:`guided_mean_from_posterior`.
    """
    mu_c = check_mu(mu_c, denoiser.d)
    x, was_1d = _check_x(x, mu_c.shape[0])
    t = _check_t(t)
    omega = _check_omega(omega)
    D = np.array(_guided_target(denoiser, x, t, mu_c, omega))
    return _restore(_ensure_finite(D, "guided_mean", t), was_1d)


def guided_score(denoiser, x, t, mu_c, sigma2, omega):
    """Classifier-free guided score toward the class of mean ``mu_c``.

    ``s = (1 + omega) s_c - omega s_u = -x / Gamma_t + (e^{-t} / Gamma_t) D``, with
    ``s_c = -(x - e^{-t} mu_c)/Gamma_t``, ``s_u = -(x - e^{-t} E[mu|x,t])/Gamma_t`` and
    ``D = (1 + omega) mu_c - omega E[mu|x,t]``. ``omega`` is the guidance strength
    (guidance scale ``w = 1 + omega`` in the diffusers/EDM convention); ``omega = 0`` is the
    conditional score. ``sigma2`` must equal ``denoiser.sigma2`` (or be ``None``).

    Raises :class:`NonFiniteError` if the result is not finite.
    """
    if sigma2 is None:
        sigma2 = denoiser.sigma2
    sigma2 = check_sigma2(sigma2)
    if sigma2 != denoiser.sigma2:
        raise ParameterError("sigma2", f"must equal the denoiser's sigma2 = {denoiser.sigma2}, got {sigma2}")
    mu_c = check_mu(mu_c, denoiser.d)
    x, was_1d = _check_x(x, mu_c.shape[0])
    t = _check_t(t)
    omega = _check_omega(omega)
    G = float(Gamma(t, sigma2))
    D = _guided_target(denoiser, x, t, mu_c, omega)
    s = (math.exp(-t) * D - x) / G
    return _restore(_ensure_finite(s, "guided_score", t), was_1d)
