"""Guided samplers with exact scores: exponential integrators of the reverse SDE and the
probability-flow ODE.

Sampling runs backward in ``tau = T - t`` from ``x_T ~ N(0, I_d)`` to ``t = 0``:

* reverse SDE: ``dx = [x + 2 s(x, t)] dtau + sqrt(2) dW``;
* probability-flow ODE: ``dx/dtau = x + s(x, t)``,

with the guided score (:func:`cfgmft.validation.scores.guided_score`, convention
``s = (1 + omega) s_c - omega s_u``, guidance scale ``w = 1 + omega``)

    s = -x / Gamma_t + (e^{-t} / Gamma_t) D(x, t),   D = (1 + omega(t)) mu_c - omega(t) E[mu | x, t].

Frozen-D step (``scheme='frozen'``, ``order=1``). Over a step from ``t1`` down to ``t0 < t1``
the drift is linear in ``x`` plus a source proportional to ``D``; ``D`` is frozen at
``(x_{t1}, t1)`` and the linear part is integrated exactly. With ``h = t1 - t0`` and
``Gamma_i = Gamma_{t_i}``:

* ODE: ``dx/dt = -(1 - 1/Gamma_t) x - (e^{-t}/Gamma_t) D`` and ``1/Gamma_t - 1 = Gamma_t'/(2 Gamma_t)``,
  so the homogeneous solution is ``x ~ sqrt(Gamma_t)``, and ``e^{-t} D`` is a particular
  solution:  ``Phi = sqrt(Gamma_0/Gamma_1)``, ``x_0 = Phi x_1 + (e^{-t0} - Phi e^{-t1}) D``.
* SDE: the backward drift coefficient is ``1 - 2/Gamma_t = -1 - Gamma_t'/Gamma_t``, so
  ``Phi = e^{-h} Gamma_0/Gamma_1``; ``e^{-t} D`` is again a particular solution, and the Ito
  integral of the noise has variance ``int 2 Phi(t -> t0)^2 dt = Gamma_0 - Phi^2 Gamma_1``:
  ``x_0 = Phi x_1 + (e^{-t0} - Phi e^{-t1}) D + sqrt(Gamma_0 - Phi^2 Gamma_1) xi``.

Both maps are exact whenever ``D`` is constant along the step, e.g. ``omega = 0`` (exact
conditional sampling in a single step from ``N(e^{-T} mu_c, Gamma_T I)``). This is DPM-Solver++(1)
and its SDE variant with ``alpha_t = e^{-t}``, ``sigma_t^2 = Gamma_t``. It is first order, and
its error constant grows quickly with ``omega``: the term ``-omega E[mu|x,t]`` is linear in
``x`` with slope ``~ e^{-t}/G`` and is treated explicitly. For the Gaussian continuum at
``omega = 2``, ``sigma2 = 0.1`` it needs ~10^4 steps for a 0.4% variance error.

Local-Gaussian step (``scheme='local_gaussian'``, default). At ``(x_1, t_1)`` the unconditional
posterior is replaced by that of a Gaussian prior ``mu ~ N(m0, v I)`` matched to the exact
posterior mean ``E_1`` and per-dimension posterior variance ``c_1 = tr Cov[mu|x_1,t_1]/d``:
``c_1 = v Gamma_1 / H_1``, ``H_t = v e^{-2t} + Gamma_t``, ``m0 = E_1 - (v e^{-t1}/Gamma_1)(x_1 - e^{-t1} E_1)``.
Under that model the guided dynamics over the step is CFG between two Gaussians, linear with
scalar coefficients, and is integrated exactly. With ``P(t0, t)`` the homogeneous propagator,

* ODE: ``P = (Gamma_0/Gamma_t)^{(1+omega)/2} (H_t/H_0)^{omega/2}``,
  ``x_0 = P x_1 + (e^{-t0} - P e^{-t1}) mu_c + omega I_H (mu_c - m0)``, ``I_H = int_{t0}^{t1} P e^{-t}/H_t dt``;
* SDE: ``P = e^{-(t-t0)} (Gamma_0/Gamma_t)^{1+omega} (H_t/H_0)^{omega}``,
  ``x_0 = P x_1 + (e^{-t0} - P e^{-t1}) mu_c + 2 omega J_H (mu_c - m0) + sqrt(Q) xi``, with
  ``J_H = int P e^{-t}/H_t dt`` and ``Q = int 2 P^2 dt = Gamma_0 - P^2 Gamma_1 - 4 omega int P^2 v e^{-2t}/H_t dt``

(``(1+omega) int P e^{-t}/Gamma_t - omega int P e^{-t}/H_t = e^{-t0} - P e^{-t1}`` because
``e^{-t} z`` solves the dynamics when ``mu_c = m0 = z``). The remaining integrals are done by
8-point Gauss-Legendre quadrature in ``lambda`` over each step. ``v = 0`` gives back the
frozen-D step. The step is exact for the Gaussian continuum (``v = 1``, ``m0 = 0`` at all
times) for any ``omega`` and any number of steps, and for a committed finite mixture
(``w_c = 1``: ``v = 0``, ``m0 = mu_c``); in between its error comes from the change of
``(v, m0)`` along the step.

Second order (``order=2``, default). The residual ``r = E[mu|x,t] - E_model(x, t)`` of the
current step's model is taken linear in ``lambda``, with the slope given by the residual at the
previous step start (zero at the current one). It enters the score as ``e^{-t} r / Gamma_t``
and its contribution is integrated with the same quadrature (for ``scheme='frozen'`` this is
DPM-Solver++(2M) and its SDE variant). It costs no extra score evaluation. A step whose
predecessor had ``omega = 0`` (no evaluation) is first order. Measured orders of the default
(``benchmarks/study_step_error.py``, common random numbers against 3200 steps): 2 for the ODE,
but weak order 1 for the SDE (the error of the mean overlap halves from 800 to 1600 steps);
:mod:`cfgmft.validation.stepcontrol` chooses the steps for a tolerance with these orders.

Predictor-corrector (``stages=2``; exponential Heun). The multistep slope of the SDE is taken
between points that the previous step's Brownian increment separates, which leaves weak order 1.
With ``stages=2`` the step is made twice with the same draw ``xi``: first without residual (the
predictor ``x~_0``), then with the residual taken linear in ``lambda``, zero at ``(x_1, t_1)``
and equal at ``t_0`` to ``E[mu|x~_0, t_0] - E_model(x~_0, t_0)`` (the posterior mean at the
predicted end against the current step's model). For additive noise this is the weak
order-2 construction of Heun's method (Kloeden-Platen, the predictor carries the whole noise
increment, so the interpolated residual sees the path's mean and covariance to ``O(h^2)``);
measured orders in :mod:`cfgmft.validation.stepcontrol`. It costs two posterior evaluations
per step (the second at ``t_0 = 0`` on the last step) and is the ``--tol`` path's scheme for
the SDE.

Guidance rules. A rule that is not linear CFG (:mod:`cfgmft.guidance`: ``powerlaw``, ``apg``,
``zerostar``, ``rescale`` away from their CFG parameters) makes the guided target
``D = M_g(x, t)`` a nonlinear function of ``x`` (:func:`cfgmft.guidance.guided_target`), so the
local-Gaussian step (CFG between two Gaussians) does not apply. Those rules take the general
step: ``D`` frozen at the step start with the linear part ``-x/Gamma_t`` integrated exactly (the
frozen-D coefficients above) and ``D`` taken linear in ``lambda`` for the second order, its slope
from the previous step start (``stages=1``, DPM-Solver++(2M) on ``D``) or from the predicted end
(``stages=2``). Its measured orders are in ``tests/test_guidance_rules.py``. Its error constant is
that of the frozen scheme (larger than the local-Gaussian step's at strong guidance): choose the
steps by ``--tol`` or check them.

Randomness and batching. The ``n`` samples are cut into fixed blocks of ``block_size`` rows;
block ``j`` owns the generator ``PCG64(SeedSequence(entropy, spawn_key=(..., j)))`` derived
from ``rng``, which draws the block's ``x_T`` (``block_size x d``) and then one
``block_size x d`` standard normal array per step (SDE only). A batch touching part of a
block re-creates that block's generator and keeps the rows it needs. Hence, for a given
``rng`` and ``block_size``, the output does not depend on ``batch_size`` (up to the rounding
of the matrix products, ~1e-16 relative) nor on the chunking of the classes, and the first
``n'`` samples of a run with ``n > n'`` are those of the run with ``n'``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from cfgmft.conventions import SAMPLERS
from cfgmft.errors import ParameterError, check_choice, check_int
from cfgmft.guidance import as_rule, check_continuous, guided_target
from cfgmft.ranges import DEFAULT_STEPS as _DEFAULT_STEPS
from cfgmft.grids import (DEFAULT_GRID, DEFAULT_MC_T, GRIDS, check_grid_array, log_snr, omega_at_midpoints, t_of_log_snr,
                          time_grid, with_breakpoints)
from cfgmft.schedules import omega_function

from .mixture import as_seed_sequence
from .scores import Gamma, NonFiniteError, as_precision, check_mu, check_sigma2, guided_mean_from_posterior

__all__ = [
    "SAMPLERS",
    "SCHEMES",
    "DEFAULT_SCHEME",
    "DEFAULT_ORDER",
    "STAGES",
    "DEFAULT_STAGES",
    "GRIDS",
    "RECORDS",
    "DEFAULT_STEPS",
    "DEFAULT_GRID",
    "SampleResult",
    "time_grid",
    "step_coefficients",
    "sample",
]

SCHEMES = ("local_gaussian", "frozen")
#: Default integration scheme.
DEFAULT_SCHEME = "local_gaussian"
#: Default order (2: multistep correction of the frozen model).
DEFAULT_ORDER = 2
RECORDS = ("w_c", "m", "r")
#: Posterior evaluations per step: 1 (multistep second order) or 2 (predictor-corrector).
STAGES = (1, 2)
DEFAULT_STAGES = 1

#: Default number of steps. With the default grid, scheme and order the discretisation error is
#: second order, ~C / steps^2. Measured on exponential-regime mixtures (ODE, common x_T, against
#: 3200 steps; d = 12-32, K = 120-3000, omega = 2-8, sigma2 = 0.02-0.1): at 400 steps the bias of
#: the mean overlap is 1-2e-4 and that of the variance ratio 1e-4 to 7.5e-4, i.e. 0.1-0.7 standard
#: errors of a 4000-sample run; at 800 steps it is four times smaller (<= 0.2 standard errors).
#: The reverse SDE converges at weak order 1 only: at 800 steps its step error of the mean
#: overlap is 1.5e-4 to 6.6e-4 on the cases of ``benchmarks/study_step_error.py`` (ODE: 1e-6
#: to 1e-4), within 1e-3 in all of them.
#: The Gaussian continuum is integrated exactly at any number of steps.
DEFAULT_STEPS = _DEFAULT_STEPS  # defined once, in cfgmft.ranges


@dataclass
class SampleResult:
    """Output of :func:`sample`.

    Attributes
    ----------
    x : (n, d) array
        Samples at ``t = 0``.
    t_grid : (steps + 1,) array
        Times, decreasing from ``T`` to exactly ``0``.
    omega_grid : (steps,) array
        Guidance strength used on each step (evaluated at the step midpoint; the
        schedule's breakpoints are grid points, so no step straddles a jump).
    records : dict
        Requested trajectories, each ``(steps + 1, n)``, row ``k`` at time ``t_grid[k]``:
        ``'w_c'`` posterior weight of the target class (FiniteMixture), ``'m'`` overlap
        ``x.mu_c/|mu_c|^2``, ``'r'`` ``|x|^2/d``.
    sampler : str
    seconds : float
        Wall-clock time of the integration.
    precision : str
        Arithmetic of the denoiser's streamed sums (``'float64'`` or ``'float32'``, see
        :class:`~cfgmft.validation.scores.FiniteMixture`); the integration is float64.
    rule : str
        The guidance rule's text form (:mod:`cfgmft.guidance`).
    scheme : str
        The integration scheme that ran (``'frozen'`` for the general step of a rule).
    """

    x: np.ndarray
    t_grid: np.ndarray
    omega_grid: np.ndarray
    records: dict = field(default_factory=dict)
    sampler: str = "sde"
    seconds: float = 0.0
    precision: str = "float64"
    rule: str = "cfg"
    scheme: str = DEFAULT_SCHEME


# ----------------------------------------------------------------------------- grids


def step_coefficients(t1, t0, sigma2: float, sampler: str):
    """Coefficients of the exponential-integrator step from ``t1`` down to ``t0``.

    Returns ``(Phi, c, noise_std)`` such that ``x_{t0} = Phi x_{t1} + c D + noise_std xi``
    (``noise_std = 0`` for the ODE); see the module docstring for the derivation.
    With ``h = t1 - t0`` and ``delta = Gamma_0/Gamma_1 - 1 = (1 - sigma2) e^{-2 t0} expm1(-2h) / Gamma_1``:

    * ODE: ``Phi = sqrt(1 + delta)``, ``c = e^{-t0} - Phi e^{-t1} = -e^{-t0} expm1(log1p(delta)/2 - h)``;
    * SDE: ``q = 1 - e^{-2h}(1 + delta)``, ``Phi = e^{-h}(1 + delta)``, ``c = e^{-t0} q``,
      ``noise_std = sqrt(Gamma_0 q)``.
    """
    t1 = np.asarray(t1, dtype=np.float64)
    t0 = np.asarray(t0, dtype=np.float64)
    h = t1 - t0
    G1 = Gamma(t1, sigma2)
    G0 = Gamma(t0, sigma2)
    delta = (1.0 - sigma2) * np.exp(-2.0 * t0) * np.expm1(-2.0 * h) / G1
    l1p = np.log1p(delta)
    if sampler == "ode":
        Phi = np.exp(0.5 * l1p)
        c = -np.exp(-t0) * np.expm1(0.5 * l1p - h)
        return Phi, c, np.zeros_like(Phi)
    if sampler == "sde":
        q = -np.expm1(l1p - 2.0 * h)
        Phi = np.exp(-h) * (1.0 + delta)
        return Phi, np.exp(-t0) * q, np.sqrt(G0 * q)
    check_choice("sampler", sampler, SAMPLERS)


_NQ = 8
_QX, _QW = np.polynomial.legendre.leggauss(_NQ)
_QX = 0.5 * (_QX + 1.0)
_QW = 0.5 * _QW


def _local_prior(x1, E1, c1, t1, sigma2):
    """Local Gaussian model of the unconditional posterior at ``(x1, t1)``.

    Returns ``(v, m0)`` such that a Gaussian prior ``mu ~ N(m0, v I)`` reproduces the posterior
    mean ``E1`` and the per-dimension posterior variance ``c1 = v Gamma_1 / (v e^{-2t1} + Gamma_1)``.
    ``v`` is capped where the posterior is wider than any Gaussian prior allows.
    """
    G1 = float(Gamma(t1, sigma2))
    e1 = math.exp(-2.0 * t1)
    v = c1 * G1 / (G1 - np.minimum(c1 * e1, 0.999 * G1))
    m0 = E1 - (v * math.exp(-t1) / G1)[:, None] * (x1 - math.exp(-t1) * E1)
    return v, m0


def _nodes(t1, t0, sigma2):
    """Gauss-Legendre nodes uniform in ``lambda`` over ``[t0, t1]``: ``(lambda_j, t_j, Gamma_j, dt_j)``
    (``dt = Gamma dlambda / 2``)."""
    l1, l0 = float(log_snr(t1, sigma2)), float(log_snr(t0, sigma2))
    lj = l0 + (l1 - l0) * _QX
    tj = np.clip(t_of_log_snr(lj, sigma2), t0, t1)
    Gj = Gamma(tj, sigma2)
    return lj, l1, tj, Gj, _QW * (l1 - l0) * 0.5 * Gj


def _frozen_step(x1, D1, slope, omega, t1, t0, sigma2, sampler, xi, Phi, coef, noise_std):
    """Frozen-D step with the closed-form coefficients (``v = 0``); ``slope`` (of ``E[mu|x,t]``
    in ``lambda``) adds the second-order term ``-(src) int P e^{-t}/Gamma_t (lambda - lambda_1) dt * slope``."""
    x0 = Phi * x1 + coef * D1
    if slope is not None:
        lj, l1, tj, Gj, dtj = _nodes(t1, t0, sigma2)
        G0 = float(Gamma(t0, sigma2))
        if sampler == "ode":
            P = np.sqrt(G0 / Gj)
            src = omega
        else:
            P = np.exp(-(tj - t0)) * G0 / Gj
            src = 2.0 * omega
        x0 -= (src * float(np.sum(P * np.exp(-tj) * dtj / Gj * (lj - l1)))) * slope
    if sampler == "sde":
        x0 += noise_std * xi
    return x0


def _guided_step(x1, mu_c, m0, v, slope, omega, t1, t0, sigma2, sampler, xi):
    """One exponential-integrator step from ``t1`` down to ``t0`` of CFG between the class
    ``N(e^{-t} mu_c, Gamma_t I)`` and the local unconditional model ``N(e^{-t} m0, H_t I)``,
    ``H_t = v e^{-2t} + Gamma_t``, plus, if ``slope`` is given, a residual
    ``r = (lambda(t) - lambda(t1)) slope`` added to the model's posterior mean.

    ``v`` (``(N,)``) and ``slope`` (``(N, d)`` or ``None``) are per sample. ``xi``: standard
    normal draw (SDE) or ``None``.
    """
    s2 = sigma2
    h = t1 - t0
    G1 = float(Gamma(t1, s2))
    G0 = float(Gamma(t0, s2))
    e0 = math.exp(-2.0 * t0)
    H0 = v * e0 + G0
    lj, l1, tj, Gj, dtj = _nodes(t1, t0, s2)
    # time offsets from t0 (nodes, then the step end t1)
    taus = np.append(tj - t0, h)
    ex = np.expm1(-2.0 * taus)
    Gs = np.append(Gj, G1)
    log_G0_over = np.log1p((1.0 - s2) * e0 * ex / Gs)  # log(Gamma_0 / Gamma_t)
    Hs = v[:, None] * np.exp(-2.0 * (t0 + taus))[None, :] + Gs[None, :]
    log_H_over = np.log1p(((v + s2 - 1.0) * e0)[:, None] * ex[None, :] / H0[:, None])  # log(H_t / H_0)
    if sampler == "ode":
        logP = 0.5 * (1.0 + omega) * log_G0_over[None, :] + 0.5 * omega * log_H_over
        src_factor = omega
    else:
        logP = -taus[None, :] + (1.0 + omega) * log_G0_over[None, :] + omega * log_H_over
        src_factor = 2.0 * omega
    P = np.exp(logP[:, :-1])
    logP01 = logP[:, -1]
    P01 = np.exp(logP01)
    kern = P * (np.exp(-tj) * dtj)[None, :] / Hs[:, :-1]  # P(t0,t) e^{-t} / H_t dt at the nodes
    x0 = P01[:, None] * x1
    x0 += (-math.exp(-t0) * np.expm1(logP01 - h))[:, None] * mu_c
    x0 += (src_factor * kern.sum(axis=1))[:, None] * (mu_c - m0)
    if slope is not None:
        # the residual r enters the score as e^{-t} r / Gamma_t
        kern_G = P * (np.exp(-tj) * dtj / Gj)[None, :]
        x0 -= (src_factor * (kern_G @ (lj - l1)))[:, None] * slope
    if sampler == "sde":
        # Q = int 2 P^2 dt = Gamma_0 - P01^2 Gamma_1 - 4 omega int P^2 v e^{-2t} / H dt
        corr = (P * P * (v[:, None] * (np.exp(-2.0 * tj) * dtj)[None, :]) / Hs[:, :-1]).sum(axis=1)
        base = -G0 * np.expm1(2.0 * logP01 - log_G0_over[-1])
        Q = np.maximum(base - 4.0 * omega * corr, 0.0)
        x0 += np.sqrt(Q)[:, None] * xi
    return x0


def _model_mean(m0, v, x, t, sigma2):
    """Posterior mean at ``(x, t)`` of the local Gaussian model ``mu ~ N(m0, v I)``:
    ``m0 Gamma_t / H_t + v e^{-t} x / H_t``, ``H_t = v e^{-2t} + Gamma_t``."""
    G = float(Gamma(t, sigma2))
    H = v * math.exp(-2.0 * t) + G
    return m0 * (G / H)[:, None] + (v * math.exp(-t) / H)[:, None] * x


def _heun_step(denoiser, x1, E1, c1, mu_c, omega, t1, t0, sigma2, sampler, xi, local, lam1, lam0, Phi, coef, noise_std):
    """Predictor-corrector step (``stages=2``, module docstring): a first-order step to
    ``x~_0`` with the draw ``xi``, the posterior mean at ``(x~_0, t0)``, then the step again with
    the same ``xi`` and the residual taken linear in ``lambda`` from 0 at ``t1`` to its value at
    ``(x~_0, t0)``. ``Phi, coef, noise_std``: the step's frozen-D coefficients."""
    if local:
        v, m0 = _local_prior(x1, E1, c1, t1, sigma2)
        pred = _guided_step(x1, mu_c, m0, v, None, omega, t1, t0, sigma2, sampler, xi)
        E0, _, _ = denoiser.posterior_stats(pred, t0, want_lse=False, want_spread=False)
        slope = (E0 - _model_mean(m0, v, pred, t0, sigma2)) / (lam0 - lam1)
        return _guided_step(x1, mu_c, m0, v, slope, omega, t1, t0, sigma2, sampler, xi)
    D1 = guided_mean_from_posterior(mu_c, omega, E1)
    pred = _frozen_step(x1, D1, None, omega, t1, t0, sigma2, sampler, xi, Phi, coef, noise_std)
    E0, _, _ = denoiser.posterior_stats(pred, t0, want_lse=False, want_spread=False)
    return _frozen_step(x1, D1, (E0 - E1) / (lam0 - lam1), omega, t1, t0, sigma2, sampler, xi, Phi, coef, noise_std)


def _rule_step(denoiser, rule, x1, E1, mu_c, omega, t1, t0, sigma2, sampler, xi, prev_D, lam1, lam0, stages,
               Phi, coef, noise_std):
    """General step of a guidance rule that is not linear CFG (module docstring, "Guidance
    rules"): the rule's guided target ``D`` (:func:`cfgmft.guidance.guided_target`) frozen at
    ``(x1, t1)``, with the linear part integrated exactly (the frozen-D coefficients), plus the
    second-order term of ``D`` taken linear in ``lambda``: its slope from the previous step start
    (``prev_D = (lambda_p, D_p)``, ``stages=1``) or from the predicted end (``stages=2``, the same
    draw ``xi``). Returns ``(x0, D1)``."""
    D1 = guided_target(rule, x1, t1, sigma2, mu_c, E1, omega)
    x0 = Phi * x1 + coef * D1
    slope = None
    if stages == 2:
        pred = x0 + noise_std * xi if sampler == "sde" else x0
        E0, _, _ = denoiser.posterior_stats(pred, t0, want_lse=False, want_spread=False)
        slope = (guided_target(rule, pred, t0, sigma2, mu_c, E0, omega) - D1) / (lam0 - lam1)
    elif prev_D is not None:
        slope = (prev_D[1] - D1) / (prev_D[0] - lam1)
    if slope is not None:
        lj, l1, tj, Gj, dtj = _nodes(t1, t0, sigma2)
        G0 = float(Gamma(t0, sigma2))
        if sampler == "ode":
            P, fac = np.sqrt(G0 / Gj), 1.0
        else:
            P, fac = np.exp(-(tj - t0)) * G0 / Gj, 2.0
        x0 = x0 + (fac * float(np.sum(P * np.exp(-tj) * dtj / Gj * (lj - l1)))) * slope
    if sampler == "sde":
        x0 = x0 + noise_std * xi
    return x0, D1


# ----------------------------------------------------------------------------- sampling


def _block_generator(ss: np.random.SeedSequence, j: int) -> np.random.Generator:
    child = np.random.SeedSequence(entropy=ss.entropy, spawn_key=tuple(ss.spawn_key) + (j,), pool_size=ss.pool_size)
    return np.random.Generator(np.random.PCG64(child))


class _BlockNoise:
    """Per-block streams for the rows ``[a, b)`` of one batch."""

    def __init__(self, ss, a, b, block_size, d):
        self.d = d
        self.block_size = block_size
        self.parts = []  # (generator, row slice inside the block, row slice inside the batch)
        j0, j1 = a // block_size, (b - 1) // block_size
        for j in range(j0, j1 + 1):
            lo, hi = max(a, j * block_size), min(b, (j + 1) * block_size)
            self.parts.append(
                (_block_generator(ss, j), slice(lo - j * block_size, hi - j * block_size), slice(lo - a, hi - a))
            )
        self.rows = b - a

    def draw(self) -> np.ndarray:
        out = np.empty((self.rows, self.d))
        for gen, in_block, in_batch in self.parts:
            out[in_batch] = gen.standard_normal((self.block_size, self.d))[in_block]
        return out


def _step_noise(noise, noise_source, k, a, b, d):
    if noise_source is None:
        return noise.draw()
    xi = np.asarray(noise_source(k, a, b), dtype=np.float64)
    if xi.shape != (b - a, d):
        raise ParameterError("noise_source", f"must return shape ({b - a}, {d}) at step {k}, got {xi.shape}")
    return xi


def sample(
    denoiser,
    mu_c,
    sigma2,
    omega,
    sampler: str = "sde",
    *,
    T: float = DEFAULT_MC_T,
    steps: int = DEFAULT_STEPS,
    n: int = 1000,
    rng=None,
    grid=DEFAULT_GRID,
    record=None,
    batch_size: int = 2048,
    block_size: int = 256,
    x_T=None,
    scheme: str = DEFAULT_SCHEME,
    order: int = DEFAULT_ORDER,
    precision: str | None = None,
    noise_source=None,
    stages: int = DEFAULT_STAGES,
    rule=None,
) -> SampleResult:
    """Draw ``n`` samples of the CFG sampler toward the class of mean ``mu_c``.

    One integration of the guided sampler; :func:`cfgmft.validation.montecarlo.run_monte_carlo`
    adds the estimators. Every argument after ``sampler`` is keyword-only.

    Parameters
    ----------
    denoiser : Denoiser
        Exact unconditional model: any :class:`~cfgmft.validation.scores.Denoiser` (the
        protocol of :mod:`cfgmft.validation.scores`: ``FiniteMixture``, ``ContinuumGaussian``,
        ``ContinuumSphere``). The sampler reads ``d``, ``sigma2``, ``precision``,
        ``has_log_partition``, ``posterior_stats`` and (for ``record='w_c'``) ``logit_of``.
    mu_c : (d,) array
        Target class mean.
    sigma2 : float
        Class variance; must equal ``denoiser.sigma2``.
    omega : float or callable
        Guidance strength (convention ``s = (1 + omega) s_c - omega s_u``, guidance scale
        ``w = 1 + omega``), constant or a schedule ``omega(t)`` vectorised over numpy arrays. It
        is evaluated once, on the step-start times of the grid, and held over each step.
    sampler : {'sde', 'ode'}
        Reverse SDE or probability-flow ODE.
    T : float
        Initial time (default :data:`cfgmft.grids.DEFAULT_MC_T` = 12); ``x_T ~ N(0, I_d)``
        (the exact ``P_T`` differs by ``O(e^{-T})``).
    steps : int
        Number of integration steps (ignored when ``grid`` is an array).
    n : int
        Number of samples (ignored when ``x_T`` is given).
    rng : Generator, int, SeedSequence or None
        Source of all randomness (see the module docstring for the block streams).
    grid : {'logsnr', 'edm', 'uniform'} or array
        Time grid (see :func:`time_grid`), or explicit decreasing times ending at 0 (then
        ``T = grid[0]``).
    record : None, str or iterable of {'w_c', 'm', 'r'}
        Trajectories to return in ``SampleResult.records``. ``'w_c'`` needs a denoiser with a
        log-partition (``FiniteMixture``).
    batch_size : int
        Samples integrated together (for a ``FiniteMixture`` the posterior is streamed in
        row blocks of at most 256, memory ``O(min(batch_size, 256) * chunk_size)``). Does not
        change the result.
    block_size : int
        Rows per random stream. Part of the definition of the random streams: changing it
        changes the samples.
    x_T : (n, d) array, optional
        Explicit initial points. The block streams still skip their ``x_T`` draw, so the SDE
        noise is the one of the run with the same ``rng`` and drawn ``x_T``.
    scheme : {'local_gaussian', 'frozen'}
        Integration scheme (module docstring).
    order : {1, 2}
        2 adds the multistep correction (module docstring).
    precision : {None, 'float64', 'float32'}
        Arithmetic of the posterior's streamed sums over classes. ``None`` (default): that of
        ``denoiser``; otherwise a :class:`~cfgmft.validation.scores.FiniteMixture` in another
        precision is converted (a copy of its means) and a continuum denoiser refuses
        ``'float32'``. The sampler state, the noise and the integrator are float64 always.
    stages : {1, 2}
        Posterior evaluations per step. 1 (default): the step above, second order for
        ``order=2`` by the multistep correction. 2: predictor-corrector (exponential Heun, module
        docstring), weak order 2 for the SDE as well; needs ``order=2``.
    noise_source : callable, optional
        SDE only: ``noise_source(k, a, b)`` returns the ``(b - a, d)`` standard normal draw of
        step ``k`` for the sample rows ``[a, b)``, in place of the block streams (which then
        draw nothing but ``x_T``). For common random numbers across grids, e.g.
        :class:`cfgmft.validation.stepcontrol.NestedNoise`. Its draws must be independent
        standard normals across steps for the samples to have the sampler's law.

    Returns
    -------
    SampleResult
    """
    check_choice("sampler", sampler, SAMPLERS)
    check_choice("scheme", scheme, SCHEMES)
    rule = as_rule(rule)
    check_continuous(rule)
    general = not rule.reduces_to_cfg
    check_choice("order", order, (1, 2))
    stages = check_int("stages", stages, lo=min(STAGES), hi=max(STAGES), strict=True)
    if stages == 2 and order != 2:
        raise ParameterError("order", f"must be 2 with stages=2 (the corrector is the second-order term), got {order}")
    denoiser = as_precision(denoiser, precision)
    if sigma2 is None:
        sigma2 = denoiser.sigma2
    sigma2 = check_sigma2(sigma2)
    if sigma2 != denoiser.sigma2:
        raise ParameterError("sigma2", f"must equal the denoiser's sigma2 = {denoiser.sigma2}, got {sigma2}")
    mu_c = check_mu(mu_c, getattr(denoiser, "d", None))
    d = mu_c.shape[0]
    omega = omega_function(omega)
    if isinstance(grid, str):
        t_grid = with_breakpoints(time_grid(T, steps, sigma2, grid), omega.breakpoints)
    else:
        t_grid = check_grid_array(grid)
    steps = t_grid.size - 1
    batch_size = check_int("batch_size", batch_size, lo=1, strict=True)
    block_size = check_int("block_size", block_size, lo=1, strict=True)
    if x_T is not None:
        x_T = np.asarray(x_T, dtype=np.float64)
        if x_T.ndim != 2 or x_T.shape[1] != d:
            raise ParameterError("x_T", f"must have shape (n, {d}), got {x_T.shape}")
        if not np.all(np.isfinite(x_T)):
            raise ParameterError("x_T", "must be finite, got NaN or infinite entries")
        n = x_T.shape[0]
    n = check_int("n", n, lo=1, strict=True)
    if record is None:
        record = ()
    elif isinstance(record, str):
        record = (record,)
    record = tuple(record)
    for name in record:
        if name not in RECORDS:
            check_choice("record", name, RECORDS)
    want_lse = "w_c" in record
    if want_lse and not denoiser.has_log_partition:
        raise ParameterError("record", f"'w_c' needs a denoiser with a log-partition (FiniteMixture), got {denoiser!r}")

    omega_grid = omega_at_midpoints(omega, t_grid)
    lam_grid = log_snr(t_grid, sigma2)
    Phi, coef, noise_std = step_coefficients(t_grid[:-1], t_grid[1:], sigma2, sampler)
    if noise_source is not None and not callable(noise_source):
        raise ParameterError("noise_source", f"must be callable (k, a, b) -> (b - a, d) array, got {noise_source!r}")
    ss = as_seed_sequence(rng) if (sampler == "sde" or x_T is None) else None
    records = {name: np.empty((steps + 1, n)) for name in record}
    mu_norm2 = float(mu_c @ mu_c)
    local = scheme == "local_gaussian" and not general
    out = np.empty((n, d))

    start_clock = time.perf_counter()
    for a in range(0, n, batch_size):
        b = min(n, a + batch_size)
        noise = _BlockNoise(ss, a, b, block_size, d) if ss is not None else None
        if x_T is None:
            x = noise.draw()
        else:
            x = x_T[a:b].copy()
            if noise is not None:
                noise.draw()  # skip the x_T draw: the SDE noise is that of the run with drawn x_T
        prev = None  # (lambda, x, t, E) at the previous step start, for order 2
        prev_D = None  # (lambda, D) at the previous step start: the general step of a rule
        for k in range(steps + 1):
            t1 = float(t_grid[k])
            om = float(omega_grid[k]) if k < steps else 0.0
            evaluate = om != 0.0 and k < steps
            if evaluate or want_lse:
                E, lse, c = denoiser.posterior_stats(x, t1, want_lse=want_lse, want_spread=evaluate and local)
                if want_lse:
                    records["w_c"][k, a:b] = np.minimum(np.exp(denoiser.logit_of(x, t1, mu_c) - lse), 1.0)
            if "m" in record:
                records["m"][k, a:b] = (x @ mu_c) / mu_norm2
            if "r" in record:
                records["r"][k, a:b] = np.einsum("nd,nd->n", x, x) / d
            if k == steps:
                break
            t0 = float(t_grid[k + 1])
            if evaluate:
                xi = _step_noise(noise, noise_source, k, a, b, d) if sampler == "sde" else None
                if general:
                    x_new, D1 = _rule_step(denoiser, rule, x, E, mu_c, om, t1, t0, sigma2, sampler, xi,
                                           prev_D if order == 2 else None, lam_grid[k], lam_grid[k + 1], stages,
                                           Phi[k], coef[k], noise_std[k])
                    prev_D = (lam_grid[k], D1)
                elif stages == 2:
                    x_new = _heun_step(denoiser, x, E, c, mu_c, om, t1, t0, sigma2, sampler, xi, local,
                                       lam_grid[k], lam_grid[k + 1], Phi[k], coef[k], noise_std[k])
                elif local:
                    v, m0 = _local_prior(x, E, c, t1, sigma2)
                    slope = None
                    if order == 2 and prev is not None:
                        # residual of the current local model at the previous step start
                        lam_p, x_p, t_p, E_p = prev
                        slope = (E_p - _model_mean(m0, v, x_p, t_p, sigma2)) / (lam_p - lam_grid[k])
                    x_new = _guided_step(x, mu_c, m0, v, slope, om, t1, t0, sigma2, sampler, xi)
                else:
                    slope = None
                    if order == 2 and prev is not None:
                        slope = (prev[3] - E) / (prev[0] - lam_grid[k])
                    D = guided_mean_from_posterior(mu_c, om, E)
                    x_new = _frozen_step(x, D, slope, om, t1, t0, sigma2, sampler, xi, Phi[k], coef[k], noise_std[k])
                prev = (lam_grid[k], x, t1, E)
            else:
                prev = prev_D = None
                x_new = Phi[k] * x + coef[k] * mu_c
                if sampler == "sde":
                    x_new += noise_std[k] * _step_noise(noise, noise_source, k, a, b, d)
            x = x_new
            if not np.all(np.isfinite(x)):
                raise NonFiniteError(f"non-finite sample after the step {t1!r} -> {t0!r} (omega = {om})")
        out[a:b] = x
    seconds = time.perf_counter() - start_clock
    return SampleResult(x=out, t_grid=t_grid, omega_grid=omega_grid, records=records, sampler=sampler, seconds=seconds,
                        precision=getattr(denoiser, "precision", "float64"), rule=rule.spec,
                        scheme="frozen" if general else scheme)
