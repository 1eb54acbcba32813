"""Estimators of the distortion observables (docs/explanation/model.md, section 4), with standard errors.

For samples ``x_i`` (``i = 1..N``, at ``t = 0``) of the target class of mean ``mu_c``:

* overlap ``m_i = x_i.mu_c / |mu_c|^2`` (exact sampling: mean 1, variance ``sigma2 / |mu_c|^2``);
* orthogonal variance ``v_i = |x_i - m_i mu_c|^2 / (d - 1)`` (exact: mean ``sigma2``);
* ``var_m``: the sample variance of ``m``;
* ``mean_shift = E[m] - 1``, ``var_ratio = E[v] / sigma2``, ``var_ratio_parallel = var_m |mu_c|^2 / sigma2``;
* ``kl_per_dim``: ``KL(N(M mu_c, S I) || N(mu_c, sigma2 I)) / d`` for the isotropic Gaussian fit
  ``M = E[m]``, ``S = E[v]``::

      kl_per_dim = (1/2) [ rho - 1 - log rho + (M - 1)^2 q / sigma2 ],   rho = S / sigma2,  q = |mu_c|^2 / d

  (it uses the actual ``|mu_c|^2 / d`` of the target mean, not its prior average);
* ``kl_per_dim_aniso``: the same with the fitted variance ``var_m |mu_c|^2`` along ``mu_c`` and
  ``S`` in the ``d - 1`` orthogonal directions:
  ``(1/(2d)) [ (d-1)(rho - 1 - log rho) + (rho_par - 1 - log rho_par) + (M - 1)^2 |mu_c|^2 / sigma2 ]``;
* ``accuracy``: fraction of samples that the Bayes classifier of the whole mixture at ``t = 0``
  assigns to ``c`` (streamed over class chunks), and ``margin``: mean per-dimension
  log-likelihood margin ``[log P_0(x|c) - max_{k != c} log P_0(x|k)] / d``;
* ``log_odds``: mean per-dimension log-odds of the implicit classifier,
  ``[log P_0(x|c) - log P_0(x)] / d`` with ``P_0(x|c) = N(mu_c, sigma2 I)`` and ``P_0(x)`` the
  unconditional density of the denoiser at ``t = 0`` (the continuum's, or the finite mixture's
  ``(1/K) sum_k P_0(x|k)``): the separability that stays defined in the infinite-class limit
  (``None`` without a denoiser).

Standard errors: sample means use ``std / sqrt(N)``; nonlinear functions of sample means use
the delta method with the sample covariance of the per-sample influence terms; the sample
variance ``var_m`` uses ``Var(s^2) ~ (mu_4 - s^4 (N - 3)/(N - 1)) / N``; the accuracy uses the
binomial ``sqrt(p (1 - p) / N)``. Plug-in KL estimates carry a positive bias of order
``stderr(M)^2 q / (2 sigma2) + stderr(rho)^2 / 4``, negligible when the error bars are small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from cfgmft.errors import NumericalError, ParameterError, check_int
from cfgmft.results import Estimate, over_draws

from .scores import FiniteMixture, check_mu, check_sigma2

#: Largest sample coordinate the estimators take: their fourth moments (``x^4``, the standard
#: errors of the variances) stay within float64 below it.
SAMPLE_ABS_MAX = 1e75
#: Smallest measurable variance per coordinate, relative to the mean square of the samples'
#: coordinates: 1e6 eps^2 (~5e-26), so that float64's rounding of the samples (variance ~ eps^2 x^2)
#: is at most ~1e-6 of it.
ROUNDING_VARIANCE = 1e6 * float(np.finfo(np.float64).eps) ** 2

__all__ = ["Estimate", "SampleEstimates", "estimate_observables", "gaussian_kl_per_dim", "per_sample_observables",
           "paired_difference", "PAIRED_CONVENTION"]


@dataclass
class SampleEstimates:
    """Observables of a set of samples; every field but the metadata is an :class:`Estimate`
    (``accuracy`` and ``margin`` are ``None`` without a finite mixture and a target index)."""

    n: int
    d: int
    sigma2: float
    mu_norm2_per_d: float
    m: Estimate
    v_perp: Estimate
    var_m: Estimate
    mean_shift: Estimate
    var_ratio: Estimate
    var_ratio_parallel: Estimate
    kl_per_dim: Estimate
    kl_per_dim_aniso: Estimate
    accuracy: Estimate | None = None
    margin: Estimate | None = None
    log_odds: Estimate | None = None

    def to_dict(self) -> dict:
        """Flat dictionary: ``name`` and ``name_stderr`` for every estimate."""
        out = {}
        for f in fields(self):
            val = getattr(self, f.name)
            if isinstance(val, Estimate):
                out[f.name] = float(val.value)
                out[f.name + "_stderr"] = float(val.stderr)
            elif val is None:
                out[f.name] = None
                out[f.name + "_stderr"] = None
            else:
                out[f.name] = val
        return out


def gaussian_kl_per_dim(mean_overlap, var_ratio, sigma2, mu_norm2_per_d=1.0):
    """``KL(N(M mu_c, S I) || N(mu_c, sigma2 I)) / d`` with ``M = mean_overlap``,
    ``S = var_ratio * sigma2`` and ``|mu_c|^2 / d = mu_norm2_per_d`` (vectorised)."""
    rho = np.asarray(var_ratio, dtype=np.float64)
    M = np.asarray(mean_overlap, dtype=np.float64)
    return 0.5 * (rho - 1.0 - np.log(rho) + (M - 1.0) ** 2 * mu_norm2_per_d / sigma2)


def _mean_est(a: np.ndarray) -> Estimate:
    n = a.shape[0]
    sd = float(a.std(ddof=1)) if n > 1 else float("nan")
    return Estimate(float(a.mean()), sd / math.sqrt(n))


def _delta(value: float, grad: np.ndarray, influence: np.ndarray) -> Estimate:
    """Delta method: ``influence`` is ``(N, p)`` (per-sample terms whose means enter), ``grad``
    the gradient of the function of those means."""
    n = influence.shape[0]
    if n < 2:
        return Estimate(value, float("nan"))
    cov = np.atleast_2d(np.cov(influence, rowvar=False))
    var = float(grad @ cov @ grad) / n
    return Estimate(value, math.sqrt(max(var, 0.0)))


def estimate_observables(x, mu_c, sigma2, *, mixture: FiniteMixture | None = None, c=None,
                         denoiser=None) -> SampleEstimates:
    """Distortion observables of the samples ``x`` (``(N, d)``, ``N >= 2``, ``d >= 2``).

    Parameters
    ----------
    x : (N, d) array
        Samples at ``t = 0``.
    mu_c : (d,) array
        Target class mean.
    sigma2 : float
        Class variance.
    mixture : FiniteMixture, optional
        The whole mixture, for the Bayes-classifier accuracy and the margin (keyword-only,
        as is ``c``).
    c : int, optional
        Target class index in ``mixture``; found from ``mu_c`` when omitted (exact match).
    denoiser : Denoiser, optional
        The unconditional model whose ``log_density(x, 0)`` is ``log P_0(x)``, for ``log_odds``
        (``mixture``, when given, serves as well).
    """
    sigma2 = check_sigma2(sigma2)
    mu_c = check_mu(mu_c, None)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != mu_c.shape[0]:
        raise ParameterError("x", f"must have shape (N, {mu_c.shape[0]}), got {x.shape}")
    n, d = x.shape
    if n < 2:
        raise ParameterError("x", f"needs N >= 2 samples for standard errors, got N = {n}")
    if d < 2:
        raise ParameterError("x", f"needs dimension d >= 2 for the orthogonal variance, got d = {d}")
    if not np.all(np.isfinite(x)):
        raise ParameterError("x", "must be finite, got NaN or infinite entries")
    big = float(np.max(np.abs(x)))
    if big > SAMPLE_ABS_MAX:
        raise NumericalError(f"the samples reach |x| = {big:.3g}, beyond {SAMPLE_ABS_MAX:g}: their fourth moments "
                             "(standard errors of the variances) overflow float64")
    mu2 = float(mu_c @ mu_c)
    if mu2 == 0.0:
        raise ParameterError("mu_c", "must be non-zero")
    q = mu2 / d

    m = (x @ mu_c) / mu2
    # |x - m mu_c|^2 from the residual, not as |x|^2 - m^2 |mu_c|^2 (cancellation)
    resid = x - m[:, None] * mu_c
    v = np.einsum("nd,nd->n", resid, resid) / (d - 1)

    m_est = _mean_est(m)
    v_est = _mean_est(v)
    M = m_est.value
    S = v_est.value

    # sample variance of m and its standard error
    dm = m - M
    s2m = float(dm @ dm) / (n - 1)
    # a spread at the rounding of the samples themselves (relative variance below ~1e-26) is not a
    # measurement: the estimate would be float64's rounding noise (a one-step grid from sigma = 1e16)
    floor = ROUNDING_VARIANCE * float(np.mean(x * x))
    if S <= floor or s2m * mu2 / d <= floor:
        which = "orthogonal" if S <= floor else "along mu_c"
        raise NumericalError(f"the samples' variance {which} ({S if S <= floor else s2m * mu2 / d:.3g} per coordinate) "
                             f"is at the rounding of float64 for samples of size {math.sqrt(np.mean(x * x)):.3g}: "
                             "it cannot be measured (the samples collapsed)")
    mu4 = float(np.mean(dm**4))
    var_s2 = (mu4 - s2m**2 * (n - 3) / (n - 1)) / n
    var_m = Estimate(s2m, math.sqrt(max(var_s2, 0.0)))

    rho = S / sigma2
    rho_par = s2m * mu2 / sigma2
    mean_shift = Estimate(M - 1.0, m_est.stderr)
    var_ratio = Estimate(rho, v_est.stderr / sigma2)
    var_ratio_par = Estimate(rho_par, var_m.stderr * mu2 / sigma2)

    # isotropic Gaussian-fit KL per dimension, delta method over (m_i, v_i)
    kl = float(gaussian_kl_per_dim(M, rho, sigma2, q))
    grad = np.array([(M - 1.0) * q / sigma2, 0.5 * (1.0 / sigma2 - 1.0 / S)])
    kl_est = _delta(kl, grad, np.column_stack([m, v]))

    # anisotropic fit: influence terms (m_i, v_i, (m_i - M)^2)
    kl_an = (
        (d - 1) * (rho - 1.0 - math.log(rho))
        + (rho_par - 1.0 - math.log(rho_par))
        + (M - 1.0) ** 2 * mu2 / sigma2
    ) / (2.0 * d)
    grad_an = np.array(
        [
            (M - 1.0) * mu2 / sigma2 / d,
            (d - 1) * (1.0 / sigma2 - 1.0 / S) / (2.0 * d),
            (mu2 / sigma2 - 1.0 / s2m) / (2.0 * d),
        ]
    )
    kl_an_est = _delta(kl_an, grad_an, np.column_stack([m, v, dm**2]))

    accuracy = margin = None
    if mixture is not None:
        if c is None:
            c = mixture.class_index(mu_c)
            if c is None:
                raise ParameterError("mu_c", "is not one of the mixture's means; pass the target index c")
        else:
            c = check_int("c", c, lo=0, hi=mixture.K - 1)
            if not np.array_equal(mixture.mean_of(c), mu_c):
                raise ParameterError("mu_c", f"must equal the mean of class c = {c}")
        pred, marg = mixture.bayes_classify(x, c=int(c), t=0.0)
        hit = (pred == int(c)).astype(np.float64)
        p = float(hit.mean())
        accuracy = Estimate(p, math.sqrt(p * (1.0 - p) / n))
        if marg is not None:
            margin = _mean_est(marg)

    log_odds = None
    model = denoiser if denoiser is not None else mixture
    if model is not None:
        log_cond = -np.einsum("nd,nd->n", x - mu_c, x - mu_c) / (2.0 * sigma2) - 0.5 * d * math.log(2.0 * math.pi * sigma2)
        ell = (log_cond - np.asarray(model.log_density(x, 0.0), dtype=np.float64)) / d
        if not np.all(np.isfinite(ell)):
            raise ParameterError("x", "the log-odds of the implicit classifier is not finite at these samples")
        log_odds = _mean_est(ell)

    return SampleEstimates(
        n=n,
        d=d,
        sigma2=sigma2,
        mu_norm2_per_d=q,
        m=m_est,
        v_perp=v_est,
        var_m=var_m,
        mean_shift=mean_shift,
        var_ratio=var_ratio,
        var_ratio_parallel=var_ratio_par,
        kl_per_dim=kl_est,
        kl_per_dim_aniso=kl_an_est,
        accuracy=accuracy,
        margin=margin,
        log_odds=log_odds,
    )


def per_sample_observables(x, mu_c, sigma2, *, mixture: FiniteMixture | None = None, c=None) -> dict:
    """The per-sample terms whose means are the observables of :func:`estimate_observables`:
    ``m_final`` (the overlap ``m_i``), ``var_ratio`` (``v_i / sigma2``), and with a finite
    ``mixture`` and target index ``c``: ``accuracy`` (1 where the Bayes classifier of the
    mixture at ``t = 0`` assigns ``x_i`` to ``c``, else 0) and ``margin`` (the per-dimension
    log-likelihood margin of ``c`` over its best competitor). Each is a float64 array of
    shape ``(N,)``: the terms that :func:`paired_difference` pairs sample by sample."""
    sigma2 = check_sigma2(sigma2)
    mu_c = check_mu(mu_c, None)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != mu_c.shape[0] or x.shape[1] < 2:
        raise ParameterError("x", f"must have shape (N, {mu_c.shape[0]}) with d >= 2, got {x.shape}")
    mu2 = float(mu_c @ mu_c)
    if mu2 == 0.0:
        raise ParameterError("mu_c", "must be non-zero")
    d = x.shape[1]
    m = (x @ mu_c) / mu2
    resid = x - m[:, None] * mu_c
    out = {"m_final": m, "var_ratio": np.einsum("nd,nd->n", resid, resid) / (d - 1) / sigma2}
    if mixture is not None:
        if c is None:
            raise ParameterError("c", "the target index is needed with a mixture")
        c = check_int("c", c, lo=0, hi=mixture.K - 1)
        pred, marg = mixture.bayes_classify(x, c=c, t=0.0)
        out["accuracy"] = (np.asarray(pred) == c).astype(np.float64)
        if marg is not None:
            out["margin"] = np.asarray(marg, dtype=np.float64)
    return out


#: how :func:`paired_difference` computes its standard error, in words (for JSON outputs)
PAIRED_CONVENTION = ("paired difference on common random numbers: the mean over draws of the per-draw mean of the "
                     "per-sample differences; standard error sqrt(max(Var_draws(per-draw mean difference), "
                     "mean_draws(s_j^2 / n_j)) / J), s_j the standard deviation of the per-sample differences in draw j")


def paired_difference(a, b, what: str = "paired difference") -> Estimate:
    """The difference ``E[a] - E[b]`` of two observables measured on common random numbers,
    with the standard error of the paired (clustered) difference.

    ``a`` and ``b`` are sequences over ``J`` independent draws (of the class means and of the
    sampler's noise); draw ``j`` holds ``n_j`` per-sample terms ``a_ji`` and ``b_ji``
    (:func:`per_sample_observables`) of two schedules run on the same means, the same initial
    noise and the same Brownian increments, so that sample ``i`` of ``a`` and sample ``i`` of
    ``b`` form a pair. With the per-sample differences ``D_ji = a_ji - b_ji``:

    * per draw: ``Dbar_j = (1/n_j) sum_i D_ji`` and ``s_j^2 = (1/(n_j - 1)) sum_i (D_ji - Dbar_j)^2``
      (``s_j^2 = s_a^2 + s_b^2 - 2 cov(a, b)``: the correlation of the pair enters here);
    * the estimate ``Delta = (1/J) sum_j Dbar_j`` (every draw weighted equally);
    * its variance over draws and samples, ``Var(Delta) = (1/J) Var(Dbar_j) = (1/J) [tau^2 +
      E(sigma_j^2 / n_j)]``, ``tau^2`` the variance over draws of the draw's own difference and
      ``sigma_j^2`` the within-draw variance of ``D``. The draws are independent, so the spread of
      the ``Dbar_j`` estimates it without bias (the clustered variance, the draw being the
      cluster): ``se^2 = S^2 / J`` with ``S^2 = (1/(J - 1)) sum_j (Dbar_j - Delta)^2``;
    * with few draws ``S^2`` is noisy, and it cannot be below the within-draw part it contains,
      so it is floored by ``(1/J) sum_j s_j^2 / n_j``: ``se = sqrt(max(S^2, mean_j s_j^2/n_j) / J)``
      (the convention of :func:`cfgmft.results.over_draws`, applied to ``(Dbar_j, s_j/sqrt(n_j))``);
      with ``J = 1``, ``se = s_1 / sqrt(n_1)``.

    On independent runs (``cov(a, b) = 0`` and independent draws) ``se`` equals the unpaired
    ``hypot(se_a, se_b)`` of the two observables' own :func:`~cfgmft.results.over_draws` errors
    (statistically); on common random numbers the draw-to-draw variation of the class means and the
    shared noise cancel in ``D``, and ``se`` is the error of the difference itself, not of the two
    levels. Never combine ``se_a`` and ``se_b`` as if independent when the runs share draws.
    """
    if len(a) != len(b) or len(a) == 0:
        raise ValueError(f"{what}: need the same number (>= 1) of draws for both, got {len(a)} and {len(b)}")
    means, errs = [], []
    for j, (aj, bj) in enumerate(zip(a, b)):
        aj, bj = np.asarray(aj, dtype=np.float64), np.asarray(bj, dtype=np.float64)
        if aj.ndim != 1 or aj.shape != bj.shape or aj.size < 2:
            raise ValueError(f"{what}: draw {j} needs two equal 1-d arrays of >= 2 paired samples, "
                             f"got shapes {aj.shape} and {bj.shape}")
        dj = aj - bj
        means.append(float(dj.mean()))
        errs.append(float(dj.std(ddof=1)) / math.sqrt(dj.size))
    return over_draws(means, errs, what=what)
