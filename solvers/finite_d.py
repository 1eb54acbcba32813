"""Finite-``d`` prediction: a reduced stochastic model of the guided sampler with ``K`` classes.

The ``d -> infinity`` theory (:mod:`cfgmft.theory.exponential`) misses what makes Monte Carlo at
``d`` = 20-120 more distorted than its limit:

1. the commitment is not a sharp switch: the target's posterior weight is
   ``w_c = 1 / (1 + Z exp(-d e_c))`` with ``d (e_c - phi)`` of order one over a window of
   times of order ``1/d``;
2. each sample has its own overlap and orthogonal norm, with fluctuations of order
   ``d^{-1/2}``, hence its own commitment time;
3. the ``K - 1`` competitors form a random energy model at finite ``K``: the typical
   ``log Z`` lies below the annealed ``log E Z`` (by several units at ``K`` of a few hundred,
   near the condensation) and the annealed value commits too late;
4. with the ``gaussian`` prior the target's norm ``|mu_c|^2 / d`` fluctuates around one.

Model
-----
One sample is ``x = u mu_c + x_perp`` with ``u = x.mu_c/|mu_c|^2`` (the overlap ``m`` at
``t = 0``), ``s = |x_perp|^2/d``, ``n_c = |mu_c|^2/d`` (``1`` on the sphere, ``chi2(d)/d``
with the gaussian prior, drawn per sample). Given ``x`` the competitors' energies
``eps_k = e^{-t} x.mu_k/Gamma_t - e^{-2t}|mu_k|^2/(2 Gamma_t)`` are i.i.d. with a law that
depends on ``x`` only through ``kappa`` (sphere: ``y = mu.xhat/sqrt(d)`` has the density
``(1 - y^2)^{(d-3)/2}``, ``eps = kappa y - b d``, ``kappa = a |x| sqrt(d)``; gaussian:
``g = mu.xhat ~ N(0, 1)``, ``eps = kappa g - b (g^2 + chi2(d-1))``, ``kappa = a |x|``).
The reduced model keeps the exact guided drift ``s = -(x - e^{-t} D)/Gamma_t``,
``D = (1 + omega (1 - w_c)) mu_c - omega (1 - w_c) rho x``, with two replacements:

* ``log Z`` by its quenched average at the actual ``K``, computed exactly for i.i.d. energies
  from ``log Z = int_0^inf (e^{-s} - e^{-s Z}) ds/s`` and ``E e^{-s Z} = phi(s)^{K-1}``,
  ``phi(s) = E exp(-s e^{eps})`` (a one-dimensional law; the integral over ``log s`` is done
  by the trapezoid rule, spectrally accurate for this smooth, doubly exponentially decaying
  integrand); then ``w_c = 1/(1 + exp(E log Z - d e_c))``;
* the competitors' posterior mean by its part along ``x``, ``rho x``, with ``rho |x|`` the
  ``kappa``-derivative of ``E log Z`` (times ``sqrt(d)`` on the sphere): the drift is the
  gradient of the quenched potential, as in the ``d -> infinity`` theory.

The components then move exactly as in the full sampler: ``u`` is an Ornstein-Uhlenbeck
variable with noise ``2 dtau/(d n_c)`` (SDE), ``|x_perp|^2`` a non-central chi-square in
``d - 1`` dimensions. Each step is the exact solution of the linear dynamics with the
coefficients averaged between the two ends of the step (a predictor-corrector with the same
noise; the schedule is read at the midpoint of each step and its breakpoints are grid
points, as in :mod:`cfgmft.validation.samplers`, through :mod:`cfgmft.grids`); ``Gamma_t``, ``a_t`` and
``b_t`` come from the generated module :mod:`cfgmft.solvers._generated.exponential`.

What it leaves out (and where it can fail): the fluctuations of ``log Z`` about its mean
(order one near condensation), the random part of the competitors' mean orthogonal to ``x``
(which the few dominant classes carry in the condensed phase), and the memory of *which*
classes compete (each step sees a fresh quenched average). It therefore loses accuracy when
the commitment happens deep in the condensed phase or with very few competitors
(``K`` of a few); :func:`predict_finite_d` does not refuse those cases, and the comparison
with Monte Carlo in ``cfgmft validate`` says how well it does. It needs ``K - 1`` i.i.d.
competitors: the ``antipodal`` pair is refused.

Guidance rules. A rule that is not linear CFG (:mod:`cfgmft.guidance`) combines the two
predictions ``mu_c`` and ``E = w_c mu_c + (1 - w_c) rho x`` (the unconditional posterior mean of
the model) through norms and inner products only. Both lie in ``span{mu_c, x}``, so per sample the
rule is evaluated exactly on the frame coordinates ``x = (u sqrt(n_c), sqrt(s))``,
``mu_c = (sqrt(n_c), 0)`` (per dimension) by the rule's own code
(:meth:`cfgmft.guidance.Rule.combine`, the code the Monte Carlo runs), and its guided target
``alpha mu_c + beta x`` gives the drift ``-A x + B mu_c`` as for cfg: the sample's own overlap,
norm and soft commitment enter, so the rule's finite-``d`` nonlinearity is kept. One more
approximation than for cfg: the coordinate means of the predictions (``rescale``'s ``std``) are
taken as 0, their ``d -> infinity`` value (they are ``O(d^{-1/2})``, an ``O(1/d)`` change of the
``std``). A rule that reduces to cfg runs cfg's code (bit for bit).

Everything is float64; outputs are the Monte Carlo's observables (``m_final`` = ``E[u]``,
``var_ratio`` = ``E[|x_perp|^2/(d-1)]/sigma2``, ``var_ratio_parallel`` = ``Var(u) |mu_c|^2/sigma2``)
as ``{"mean", "stderr"}`` over the reduced model's own samples.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import interpolate, special

from cfgmft.conventions import IID_PRIORS as PRIORS
from cfgmft.errors import NumericalError, ParameterError, check_int
from cfgmft.ranges import SAMPLES_MAX, STEPS_MAX, machine_memory
from cfgmft.grids import omega_at_midpoints, time_grid, with_breakpoints
from cfgmft.params import DEFAULT_MC_T
from cfgmft.schedules import omega_function

from cfgmft.special import bessel_ratio, log_vmf_partition

from ._generated import exponential as gen

__all__ = ["expected_log_sum_exp", "sphere_cosine_law", "gaussian_energy_law", "QuenchedCompetitors",
           "predict_finite_d", "predict_finite_d_grid", "PRIORS"]

#: integration variable step for log s (trapezoid; exponentially accurate, see module doc)
_DSIG = 0.25


def expected_log_sum_exp(levels, weights, n: float, dsig: float = _DSIG) -> float:
    """``E log sum_{k=1}^n exp(eps_k)`` for ``n`` i.i.d. ``eps_k`` with the discrete law
    ``P(eps = levels[j]) = weights[j]`` (``n >= 1``, may be a float for huge ``n``).

    Uses ``E log Z = int (exp(-e^sig) - phi(e^sig)^n) dsig`` with
    ``phi(s) = sum_j weights[j] exp(-s exp(levels[j]))``. The integral is cut where the
    integrand is below ``e^{-40}``; levels that cannot matter there are dropped.
    """
    lv = np.asarray(levels, dtype=np.float64).ravel()
    w = np.asarray(weights, dtype=np.float64).ravel()
    keep = w > 0
    lv, w = lv[keep], w[keep] / w[keep].sum()
    n = float(n)
    if not n >= 1:
        raise ParameterError("n", f"the number of terms must be >= 1, got {n}")
    order = np.argsort(lv)[::-1]
    tail = np.cumsum(w[order])
    # theta: n P(eps >= theta) >= 60, so that P(max < theta) <= e^{-60}; for small n the lowest level
    j = int(np.searchsorted(tail, min(1.0, 60.0 / n)))
    theta = float(lv[order][min(j, lv.size - 1)])
    hi = max(-theta + 6.0, 4.0)  # and exp(-e^sig) < e^{-54} beyond
    log_mean = float(special.logsumexp(lv + np.log(w)))
    # below lo the integrand is s (n E e^eps - 1) with |.| < e^{-40}, whatever the sign of log(n E e^eps)
    lo = -max(0.0, math.log(n) + log_mean) - 40.0
    sig = np.arange(lo, hi + dsig, dsig)
    sel = lv > -hi - 40.0
    lv, w = lv[sel], w[sel]
    total = 0.0
    for start in range(0, sig.size, 256):
        sg = sig[start:start + 256]
        arg = np.minimum(sg[:, None] + lv[None, :], 700.0)
        one_minus_phi = (-np.expm1(-np.exp(arg))) @ w
        with np.errstate(divide="ignore"):
            log_phi = np.log1p(-np.minimum(one_minus_phi, 1.0))
        integrand = np.exp(-np.exp(np.minimum(sg, 700.0))) - np.exp(n * log_phi)
        total += float(integrand.sum())
    # trapezoid: end points carry half weight; both ends are below e^{-40}
    return total * dsig


@functools.lru_cache(maxsize=16)
def sphere_cosine_law(d: int, nodes: int = 2001):
    """Nodes and weights of ``y = u.e`` for ``u`` uniform on the unit sphere of ``R^d``
    (density ``(1 - y^2)^{(d-3)/2}`` on ``(-1, 1)``), on a uniform grid."""
    y = np.linspace(-1.0, 1.0, nodes)[1:-1]
    with np.errstate(divide="ignore"):
        logp = 0.5 * (d - 3) * np.log1p(-y * y)
    w = np.exp(logp - logp.max())
    return y, w / w.sum()


def gaussian_energy_law(d: int, kappa: float, b: float, bins: int = 800):
    """Levels and weights of ``eps = kappa g - b (g^2 + chi)``, ``g ~ N(0,1)``, ``chi ~ chi2(d-1)``,
    on a grid of ``bins`` levels (cloud-in-cell binning of a product quadrature)."""
    g = np.linspace(-12.0, 12.0, 961)
    wg = np.exp(-0.5 * g * g)
    nu = d - 1
    sd = math.sqrt(2.0 * nu)
    chi = np.linspace(max(1e-9, nu - 14.0 * sd), nu + 16.0 * sd, 241)
    wc = np.exp(special.xlogy(0.5 * nu - 1.0, chi) - 0.5 * chi - (0.5 * nu - 1.0) * math.log(nu))
    eps = (kappa * g - b * g * g)[:, None] - b * chi[None, :]
    w = (wg[:, None] * wc[None, :]).ravel()
    eps = eps.ravel()
    keep = w > w.max() * 1e-300
    eps, w = eps[keep], w[keep] / w[keep].sum()
    lo, hi = float(eps.min()), float(eps.max())
    if hi - lo < 1e-12:
        return np.array([lo]), np.array([1.0])
    pos = (eps - lo) / (hi - lo) * (bins - 1)
    i0 = np.minimum(np.floor(pos).astype(np.int64), bins - 2)
    f = pos - i0
    out = np.bincount(i0, w * (1 - f), minlength=bins) + np.bincount(i0 + 1, w * f, minlength=bins)
    levels = lo + (hi - lo) * np.arange(bins) / (bins - 1)
    return levels, out


def _check_prior_and_K(prior, K) -> None:
    if prior not in PRIORS:
        raise ParameterError("prior", f"the finite-d prediction needs i.i.d. competitors: one of {', '.join(PRIORS)}, got {prior!r}")
    if not isinstance(K, int) or K < 2:
        raise ParameterError("classes", f"needs an integer K >= 2 classes, got {K!r}")


class QuenchedCompetitors:
    """``E log Z`` of ``K - 1`` i.i.d. competitors and its ``kappa``-derivative at dimension ``d``.

    Stored as the gap ``Delta = log E Z - E log Z >= 0`` (Jensen) on a grid, splined; the
    annealed ``log E Z`` is exact (sphere: the von Mises-Fisher partition function; gaussian:
    ``kappa^2/(2(1+2b)) - (d/2) log(1+2b)``). Sphere: ``Delta(kappa)``; gaussian:
    ``Delta(log(1+2b), kappa)``.
    """

    def __init__(self, prior: str, d: int, K: int, sigma2: float, kappa_max: float):
        _check_prior_and_K(prior, K)
        self.prior, self.d, self.K, self.sigma2 = prior, int(d), int(K), float(sigma2)
        self.n = float(K - 1)
        self.kappa_max = float(kappa_max)
        # nodes crowd towards small kappa, where the trajectories commit when kappa_max is set
        # by a large a_t = 1/sigma2 near t = 0 (small sigma2)
        ks = self.kappa_max * np.linspace(0.0, 1.0, 81 if prior == "sphere" else 49) ** 2
        if prior == "sphere":
            y, w = sphere_cosine_law(self.d)
            quenched = np.array([expected_log_sum_exp(k * y, w, self.n) for k in ks])
            annealed = math.log(self.n) + log_vmf_partition(self.d, ks)
            self._gap = interpolate.CubicSpline(ks, np.maximum(annealed - quenched, 0.0))
        else:
            self._beta_max = math.log1p(1.0 / self.sigma2)
            betas = np.linspace(0.0, self._beta_max, 13)
            gap = np.empty((betas.size, ks.size))
            for i, beta in enumerate(betas):
                b = 0.5 * math.expm1(beta)
                annealed = math.log(self.n) + ks * ks / (2.0 * (1.0 + 2.0 * b)) - 0.5 * self.d * beta
                for j, k in enumerate(ks):
                    lv, w = gaussian_energy_law(self.d, float(k), b)
                    gap[i, j] = annealed[j] - expected_log_sum_exp(lv, w, self.n)
            self._gap2 = interpolate.RectBivariateSpline(betas, ks, np.maximum(gap, 0.0), kx=3, ky=3)
        self._dgap = self._gap.derivative() if prior == "sphere" else None

    def log_Z_and_mean(self, t: float, kappa):
        """``(E log Z, ybar)`` at time ``t`` for an array ``kappa``; ``ybar = d E log Z/d kappa``
        (sphere: the competitors' mean cosine with ``xhat``; gaussian: their mean ``mu.xhat``).
        The energies include ``-b |mu_k|^2``."""
        b = gen.b_t(t, self.sigma2)
        k = np.asarray(kappa, dtype=np.float64)
        if np.any(k > self.kappa_max):
            raise _OutOfTable(float(k.max()))
        if self.prior == "sphere":
            logZ = math.log(self.n) - b * self.d + log_vmf_partition(self.d, k) - self._gap(k)
            ybar = bessel_ratio(0.5 * self.d, k) - self._dgap(k)
        else:
            beta = math.log1p(2.0 * b)
            logZ = (math.log(self.n) + k * k / (2.0 * (1.0 + 2.0 * b)) - 0.5 * self.d * beta
                    - self._gap2.ev(np.full_like(k, beta), k))
            ybar = k / (1.0 + 2.0 * b) - self._gap2.ev(np.full_like(k, beta), k, dy=1)
        return logZ, ybar


class _OutOfTable(Exception):
    def __init__(self, kappa):
        self.kappa = kappa


@functools.lru_cache(maxsize=8)
def _competitors(prior, d, K, sigma2, kappa_max):
    return QuenchedCompetitors(prior, d, K, sigma2, kappa_max)


def _kappa_bound(prior, d, sigma2, omega_max):
    # a_t <= max(1, 1/sigma2); |x|^2/d rarely beyond (2 + omega)^2 + 2 (1 + sigma2); doubled on demand
    a_max = max(1.0, 1.0 / sigma2)
    r_max = (2.0 + abs(omega_max)) ** 2 + 2.0 * (1.0 + sigma2)
    return a_max * math.sqrt(r_max) * (d if prior == "sphere" else math.sqrt(d))


def predict_finite_d(prior: str, sigma2: float, omega, sampler: str = "sde", *, K: int, d: int,
                     T: float = DEFAULT_MC_T, steps: int = 1000, samples: int = 20000, seed: int = 0,
                     rule=None) -> dict:
    """The reduced model of the module docstring for ``K`` classes (``K - 1`` competitors) at
    dimension ``d``, guidance ``omega`` (a number or a schedule callable ``omega(t)``), sampler
    ``'sde'`` or ``'ode'``, from ``x_T ~ N(0, I)`` at ``T``, guidance rule ``rule``
    (:mod:`cfgmft.guidance`; ``None``: cfg; module docstring, "Guidance rules"). Returns
    ``{"m_final", "var_ratio", "var_ratio_parallel", "mean_shift"}`` as ``{"mean", "stderr"}``
    plus the settings."""
    from cfgmft.guidance import as_rule, check_continuous

    rule = as_rule(rule)
    check_continuous(rule, "the finite-d model (continuous time)")
    _check_prior_and_K(prior, K)
    if sampler not in ("sde", "ode"):
        raise ParameterError("sampler", f"must be sde or ode, got {sampler!r}")
    if not isinstance(d, int) or d < 3:
        raise ParameterError("d", f"the finite-d prediction needs an integer d >= 3, got {d!r}")
    samples = check_int("samples", samples, lo=200, hi=SAMPLES_MAX, strict=True)
    check_int("steps", steps, lo=1, hi=STEPS_MAX, strict=True)
    need = 40.0 * 8.0 * samples  # the model's per-sample arrays, a few dozen float64 each
    if need > 0.3 * machine_memory():
        raise ParameterError("samples", f"{samples} model samples need about {need / 2**30:.1f} GiB, more than this "
                                        f"machine can spare ({machine_memory() / 2**30:.0f} GiB)")
    omega = omega_function(omega)
    t_grid = with_breakpoints(time_grid(T, steps, sigma2), omega.breakpoints)
    om = omega_at_midpoints(omega, t_grid)
    kappa_max = _kappa_bound(prior, d, sigma2, float(np.max(np.abs(om))))
    for _ in range(6):
        try:
            comp = _competitors(prior, d, K, float(sigma2), kappa_max)
            out = _integrate(comp, prior, sigma2, K, d, t_grid, om, sampler, samples, seed,
                             None if rule.reduces_to_cfg else rule)
            out["guidance"] = rule.spec
            return out
        except _OutOfTable as e:
            kappa_max = 2.0 * max(kappa_max, e.kappa)
    raise NumericalError("finite-d prediction: the samples left every table of the competitors' free energy")


def _rule_coef(rule, t, u, s, n_c, w_c, rho, omega, sigma2):
    """``(A, B)`` of the guided drift ``-A x + B mu_c`` of a rule that is not linear CFG, per sample
    (module docstring, "Guidance rules"): the rule's own code on the frame coordinates."""
    from cfgmft.guidance import guided_target

    from .rules import MF_OPS

    sq_n, sq_s = np.sqrt(n_c), np.sqrt(s)
    x = np.stack([u * sq_n, sq_s], axis=1)
    mu = np.stack([sq_n, np.zeros_like(sq_n)], axis=1)
    E = w_c[:, None] * mu + ((1.0 - w_c) * rho)[:, None] * x
    g = guided_target(rule, x, t, sigma2, mu, E, omega, MF_OPS)
    beta = g[:, 1] / sq_s  # the guided target is alpha mu_c + beta x
    alpha = (g[:, 0] - beta * x[:, 0]) / sq_n
    G = gen.Gamma_t(t, sigma2)
    et = math.exp(-t)
    return (1.0 - et * beta) / G, et * alpha / G


def _coefficients(comp, prior, sigma2, d, n_c, t, u, s, omega, rule=None):
    """The reduced model's guided score ``-A x + B mu_c`` (per sample ``A``, ``B``) at time ``t``
    for the samples ``(u, s)`` (mixture scale) of target norms ``n_c``, guidance ``omega``, guidance
    rule ``rule`` (``None``: cfg; else a rule that is not linear CFG, :func:`_rule_coef`)."""
    G = gen.Gamma_t(t, sigma2)
    a = gen.a_t(t, sigma2)
    b = gen.b_t(t, sigma2)
    r = u * u * n_c + s
    norm_x = np.sqrt(d * r)
    kappa = a * norm_x * (math.sqrt(d) if prior == "sphere" else 1.0)
    logZ, ybar = comp.log_Z_and_mean(t, kappa)
    rho = ybar * (math.sqrt(d) if prior == "sphere" else 1.0) / np.maximum(norm_x, 1e-300)
    w_c = special.expit(d * n_c * (a * u - b) - logZ)
    if rule is not None and omega != 0.0:
        return _rule_coef(rule, t, u, s, n_c, w_c, rho, omega, sigma2)
    gam = omega * (1.0 - w_c)
    A = (1.0 + gam * rho * math.exp(-t)) / G
    B = math.exp(-t) * (1.0 + gam) / G
    return A, B


def _integrate(comp, prior, sigma2, K, d, t_grid, om, sampler, N, seed, rule=None) -> dict:
    rng = np.random.default_rng(np.random.SeedSequence([seed, d, K]))
    # samples come in groups sharing one target norm (one "mixture" each), as in the Monte Carlo
    groups = max(2, N // 100)
    N = groups * (N // groups)
    group_nc = rng.chisquare(d, groups) / d if prior == "gaussian" else np.ones(groups)
    n_c = np.repeat(group_nc, N // groups)
    u = rng.standard_normal(N) / np.sqrt(d * n_c)
    s = rng.chisquare(d - 1, N) / d
    noise_scale = 2.0 if sampler == "sde" else 1.0

    def coef(t, u, s, omega):
        return _coefficients(comp, prior, sigma2, d, n_c, t, u, s, omega, rule)

    def step(A, B, h, xi1, xi2, chi):
        c = 1.0 - noise_scale * A  # SDE: x + 2s; ODE: x + s
        ch = c * h
        small = np.abs(ch) < 1e-8
        csafe = np.where(small, 1.0, c)
        g1 = np.where(small, h * (1 + 0.5 * ch), np.expm1(ch) / csafe)
        e = np.exp(ch)
        un = e * u + noise_scale * B * g1
        if sampler == "sde":
            g2 = np.where(small, h * (1 + ch), np.expm1(2 * ch) / (2 * csafe))
            un = un + np.sqrt(2.0 * g2 / (d * n_c)) * xi1
            v = 2.0 * g2
            sn = ((e * np.sqrt(s * d) + np.sqrt(v) * xi2) ** 2 + v * chi) / d
        else:
            sn = e * e * s
        return un, sn

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for i in range(t_grid.size - 1):
            t1, t0 = t_grid[i], t_grid[i + 1]
            h = t1 - t0
            if sampler == "sde":
                xi1, xi2, chi = rng.standard_normal(N), rng.standard_normal(N), rng.chisquare(d - 2, N)
            else:
                xi1 = xi2 = chi = None
            A1, B1 = coef(t1, u, s, om[i])
            un, sn = step(A1, B1, h, xi1, xi2, chi)
            A0, B0 = coef(t0, un, sn, om[i])
            u, s = step(0.5 * (A1 + A0), 0.5 * (B1 + B0), h, xi1, xi2, chi)
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(s))):
        raise NumericalError("finite-d prediction: non-finite overlap or variance")
    out = _summary(u, s, n_c, group_nc, groups, prior, sigma2, K, d, sampler, t_grid.size - 1, N, seed)
    out["T"] = float(t_grid[0])
    return out


# -- the reduced model on a sampler grid ------------------------------------------------------

def predict_finite_d_grid(prior: str, sigma2: float, omega, update: str, grid, *, K: int, d: int,
                          samples: int = 20000, seed: int = 0, start: str = "edm", rule=None) -> dict:
    """The reduced model of the module docstring run by the sampler's own steps: the update rule
    ``update`` (:data:`cfgmft.updates.UPDATES`) on the sampler grid ``grid``
    (:func:`cfgmft.grids.sigma_grid`), from ``xs ~ N(0, sigma_0^2 I)`` in EDM's scale (``start``:
    :data:`cfgmft.updates.STARTS`), step ``i`` with the guidance ``omega_i`` of
    :func:`cfgmft.updates.step_omegas`.

    What is exact and what is not. Given one sample's ``(u, s)`` the reduced model's guided score is
    ``-A x + B mu_c`` with scalars ``A``, ``B`` of that sample, so its denoiser is affine in ``xs``
    (``D = a xs + b mu_c``, ``a = 1 - Delta_t A``, ``b = e^t Delta_t B``, as in
    :mod:`cfgmft.solvers.discrete_grid`), and every update rule is, per sample, ``xs' = P xs + Q mu_c
    + sigma_up z`` with the scalars ``P``, ``Q`` of :mod:`cfgmft.solvers.discrete_grid` evaluated at
    that sample's coefficients (Heun's corrector at its own predictor's ``(u, s)``). The step then
    moves the sample's components exactly: ``u' = P u + Q + sigma_up xi_1/|mu_c|``, ``|x_perp'|^2 =
    (P |x_perp| + sigma_up xi_2)^2 + sigma_up^2 chi^2_{d-2}``. So the grid adds no approximation
    of its own (no time integration: the steps are the object); what is approximate is the reduced
    model's denoiser, as in continuous time (the quenched ``E log Z`` for the actual competitors'
    ``log Z``, their mean replaced by its part along ``x``, a fresh quenched average at every model
    evaluation). At ``omega = 0`` the denoiser is the exact conditional one and the model is exact.

    ``rule``: the guidance rule (``None``: cfg), as in :func:`predict_finite_d`; its grid-only options
    (APG's momentum, CFG-Zero*'s zero-init) are not in the model (refused).

    Returns the dict of :func:`predict_finite_d` with ``grid``, ``update``, ``start`` and ``steps``
    (the grid's)."""
    from cfgmft.guidance import as_rule
    from cfgmft.grids import sigma_grid

    rule = as_rule(rule)
    if rule.grid_only:
        raise ParameterError("guidance", f"the finite-d model does not take {rule.spec}'s grid-only options (momentum, "
                                         "zero_init): leave them out, or use the Monte Carlo on the grid")
    from cfgmft.updates import check_start, check_update, start_log_variance, step_contraction, step_omegas

    _check_prior_and_K(prior, K)
    if not isinstance(d, int) or d < 3:
        raise ParameterError("d", f"the finite-d prediction needs an integer d >= 3, got {d!r}")
    samples = check_int("samples", samples, lo=200, hi=SAMPLES_MAX, strict=True)
    update, start = check_update(update), check_start(start)
    try:
        g = sigma_grid(grid)
    except ParameterError as e:
        raise ParameterError("grid", str(e)) from None
    need = 40.0 * 8.0 * samples
    if need > 0.3 * machine_memory():
        raise ParameterError("samples", f"{samples} model samples need about {need / 2**30:.1f} GiB, more than this "
                                        f"machine can spare ({machine_memory() / 2**30:.0f} GiB)")
    om = step_omegas(g, omega)
    if np.any(om < -1.0):
        raise ParameterError("omega", "must be >= -1 on every step")
    kappa_max = _kappa_bound(prior, d, sigma2, float(np.max(np.abs(om))))
    for _ in range(6):
        try:
            comp = _competitors(prior, d, K, float(sigma2), kappa_max)
            out = _integrate_grid(comp, prior, float(sigma2), K, d, g, om, update, start, samples, seed,
                                  step_contraction, start_log_variance, None if rule.reduces_to_cfg else rule)
            out["guidance"] = rule.spec
            from cfgmft.updates import CONTINUUM_SAMPLER

            out.update(grid=g.spec, update=update, start=start, T=float(g.t[0]), sampler=CONTINUUM_SAMPLER[update],
                       method="reduced stochastic model (quenched finite-K competitors, smooth commitment), run by the "
                              f"{update} update on the grid {g.spec}")
            return out
        except _OutOfTable as e:
            kappa_max = 2.0 * max(kappa_max, e.kappa)
    raise NumericalError("finite-d prediction: the samples left every table of the competitors' free energy")


def _integrate_grid(comp, prior, sigma2, K, d, g, om, update, start, N, seed, step_contraction, start_log_variance,
                    rule=None):
    rng = np.random.default_rng(np.random.SeedSequence([seed, d, K]))
    groups = max(2, N // 100)
    N = groups * (N // groups)
    group_nc = rng.chisquare(d, groups) / d if prior == "gaussian" else np.ones(groups)
    n_c = np.repeat(group_nc, N // groups)
    sig = np.asarray(g.sigmas, dtype=np.float64)
    v0 = math.exp(start_log_variance(float(sig[0]), start))
    # EDM scale: xs = U mu_c + xs_perp, S = |xs_perp|^2/d
    U = math.sqrt(v0) * rng.standard_normal(N) / np.sqrt(d * n_c)
    S = v0 * rng.chisquare(d - 1, N) / d

    def ab(sigma, U, S, omega):
        """``(a, b, 1 - a)`` of the denoiser ``D = a xs + b mu_c`` per sample at the noise level ``sigma``."""
        t = 0.5 * math.log1p(sigma * sigma)
        e = math.exp(-t)
        A, B = _coefficients(comp, prior, sigma2, d, n_c, t, e * U, e * e * S, omega, rule)
        delta = sigma * sigma / (1.0 + sigma * sigma)
        oma = delta * A
        return 1.0 - oma, delta * B / e, oma

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for i in range(g.steps):
            s, sp, w = float(sig[i]), float(sig[i + 1]), float(om[i])
            a1, b1, oma1 = ab(s, U, S, w)
            c, up = step_contraction(update, s, sp)
            P, Q = 1.0 - (1.0 - c) * oma1, (1.0 - c) * b1
            if update == "heun" and sp > 0.0:
                P1, Q1 = P, Q
                _, b2, oma2 = ab(sp, P1 * U + Q1, P1 * P1 * S, w)
                f = 0.5 * (1.0 - c) / c
                P = 1.0 - 0.5 * (1.0 - c) * oma1 - f * oma2 * P1
                Q = 0.5 * (1.0 - c) * b1 - f * oma2 * Q1 + f * b2
            if up > 0.0:
                xi1, xi2, chi = rng.standard_normal(N), rng.standard_normal(N), rng.chisquare(d - 2, N)
                U = P * U + Q + up * xi1 / np.sqrt(d * n_c)
                S = ((P * np.sqrt(S * d) + up * xi2) ** 2 + up * up * chi) / d
            else:
                U = P * U + Q
                S = P * P * S
    if not (np.all(np.isfinite(U)) and np.all(np.isfinite(S))):
        raise NumericalError("finite-d prediction on the grid: non-finite overlap or variance")
    return _summary(U, S, n_c, group_nc, groups, prior, sigma2, K, d, update, g.steps, N, seed)


def _summary(u, s, n_c, group_nc, groups, prior, sigma2, K, d, sampler, steps, N, seed) -> dict:
    """The observables of the reduced model's final samples ``(u, s)`` at ``t = 0``, as
    :func:`predict_finite_d` reports them."""
    v = s * d / (d - 1) / sigma2
    par = u.reshape(groups, -1).var(axis=1, ddof=1) * d * group_nc / sigma2
    gu, gv = u.reshape(groups, -1).mean(axis=1), v.reshape(groups, -1).mean(axis=1)

    def est(mean, se):
        return {"mean": float(mean), "stderr": float(se)}

    return {
        "method": "reduced stochastic model (quenched finite-K competitors, smooth commitment)",
        "prior": prior, "sigma2": float(sigma2), "K": int(K), "d": int(d), "sampler": sampler,
        "steps": int(steps), "samples": int(N), "seed": int(seed), "precision": "float64",
        "m_final": est(u.mean(), gu.std(ddof=1) / math.sqrt(groups)),
        "mean_shift": est(u.mean() - 1.0, gu.std(ddof=1) / math.sqrt(groups)),
        "var_ratio": est(v.mean(), gv.std(ddof=1) / math.sqrt(groups)),
        "var_ratio_parallel": est(par.mean(), par.std(ddof=1) / math.sqrt(groups)),
    }
