"""Update rules of practitioners' samplers on a discrete grid of EDM noise levels.

Conventions (docs/explanation/model.md section 1). A grid ``sigma_0 > sigma_1 > ... > sigma_{N-1} >
sigma_N = 0`` (:func:`cfgmft.grids.sigma_grid`) has ``N`` steps; step ``i`` goes from
``s = sigma_i`` to ``s' = sigma_{i+1}``. The state is EDM's ``xs = e^{t} x_t = x_0 + sigma z``
(the mixture's scale ``x_t = e^{-t} xs``, ``t = log1p(sigma^2)/2``, ``alpha_bar = e^{-2t} =
1/(1 + sigma^2)``), started from ``xs ~ N(0, sigma_0^2 I)``. The model is the guided denoiser

    D_w(xs; sigma) = D_u + w (D_c - D_u),    w = 1 + omega_i,

the same for every model evaluation of step ``i`` (both of a Heun step), with ``omega_i`` the
schedule at the midpoint in ``t`` of the step (:func:`step_omegas`; the rule of ``cfgmft
schedule export``, so an exported table gives back the same ``omega_i``). With exact scores
``D_w = (sigma2 xs + sigma^2 Dmu_w)/(sigma2 + sigma^2)``, ``Dmu_w = (1 + omega) mu_c - omega
E[mu | x_t, t]`` (section 3). The derivative is ``d(xs; s) = (xs - D_w(xs; s))/s``.

Rules (:data:`UPDATES`):

* ``euler`` (k-diffusion ``sample_euler``, ``s_churn = 0``; EDM's probability-flow ODE
  ``dxs/dsigma = (xs - D)/sigma``): ``xs' = xs + (s' - s) d(xs; s)``. The last step (``s' = 0``)
  returns ``D_w(xs; sigma_{N-1})``.
* ``heun`` (EDM Algorithm 1 / k-diffusion ``sample_heun``, no churn): ``x~ = xs + (s' - s)
  d(xs; s)``; if ``s' > 0``, ``xs' = xs + (s' - s) (d(xs; s) + d(x~; s'))/2``; the last step is
  Euler (returns ``D_w``). Two model evaluations per step except the last.
* ``ddim`` (deterministic DDIM, ``eta = 0``, as diffusers' ``DDIMScheduler.step`` with
  ``set_alpha_to_one``): ``x0 = D_w``, ``eps = (xs - x0)/s``, ``xs' = x0 + s' eps`` (in the
  ``x_t`` of DDPM: ``x_{t'} = sqrt(alpha_bar') x0 + sqrt(1 - alpha_bar') eps``). This is
  algebraically the Euler step: ``xs + (s' - s)(xs - D)/s = D + (s'/s)(xs - D)``. DDIM and
  ``euler`` differ in practice through their grids (``ddim:...`` timesteps of a DDPM beta
  schedule, :func:`cfgmft.grids.sigma_grid`), not through the step.
* ``ancestral`` (k-diffusion ``sample_euler_ancestral``, ``eta = 1``): ``sigma_up = min(s',
  eta sqrt(s'^2 (s^2 - s'^2)/s^2))``, ``sigma_down = sqrt(s'^2 - sigma_up^2)``,
  ``xs' = xs + (sigma_down - s) d(xs; s) + sigma_up z``, ``z ~ N(0, I)``; the last step
  returns ``D_w``. With ``eta = 1`` it is DDPM's ancestral step in EDM's scale.

Continuous-time limits (``N -> infinity``): ``euler``, ``heun`` and ``ddim`` integrate the
probability-flow ODE, ``ancestral`` the reverse SDE (:data:`CONTINUUM_SAMPLER`); the start
``N(0, sigma_0^2 I)`` is the ``N(0, I)`` of the mixture's scale at ``t_0`` up to a factor
``sigma_0^2/(1 + sigma_0^2)`` on its variance.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ParameterError, check_choice
from .schedules import omega_function

__all__ = ["UPDATES", "CONTINUUM_SAMPLER", "STOCHASTIC", "check_update", "ancestral_sigmas", "step_contraction",
           "step_omegas",
           "model_evaluations", "check_grid_rule",
           "UPDATE_FORMULAS", "STARTS", "check_start", "start_std", "start_log_variance"]

UPDATES = ("euler", "heun", "ddim", "ancestral")
#: the sampler each rule integrates as the number of steps grows
CONTINUUM_SAMPLER = {"euler": "ode", "heun": "ode", "ddim": "ode", "ancestral": "sde"}
#: rules that draw noise
STOCHASTIC = ("ancestral",)
#: one-line statement of each rule (echoed in the outputs)
UPDATE_FORMULAS = {
    "euler": "xs' = xs + (s' - s) (xs - D_w(xs; s))/s (k-diffusion sample_euler); last step returns D_w",
    "heun": "EDM Heun, no churn: x~ = Euler step, xs' = xs + (s' - s)(d(xs; s) + d(x~; s'))/2, d = (x - D_w)/sigma; "
            "last step Euler",
    "ddim": "deterministic DDIM (eta = 0): xs' = D_w + (s'/s)(xs - D_w) (the same map as euler)",
    "ancestral": "Euler ancestral, eta = 1 (k-diffusion sample_euler_ancestral): sigma_up = min(s', sqrt(s'^2 (s^2 - "
                 "s'^2)/s^2)), sigma_down = sqrt(s'^2 - sigma_up^2), xs' = xs + (sigma_down - s)(xs - D_w)/s "
                 "+ sigma_up z",
}


#: start laws of the grid's first state, EDM scale: ``edm`` ``N(0, sigma_0^2 I)`` (k-diffusion, EDM,
#: diffusers' Euler discrete); ``unit`` ``N(0, (1 + sigma_0^2) I)``, i.e. ``x_T ~ N(0, I)`` in the VP
#: scale (diffusers' DDIM and EDM schedulers) and the continuous theory's start at ``T = t_0``
STARTS = {"edm": "xs ~ N(0, sigma_0^2 I) in EDM's scale (x = e^{-t} xs)",
          "unit": "xs ~ N(0, (1 + sigma_0^2) I) in EDM's scale (x_T ~ N(0, I) in the VP scale; x = e^{-t} xs)"}


def check_start(start) -> str:
    """``start`` if it is one of :data:`STARTS`, else a :class:`ParameterError` naming ``start``."""
    return check_choice("start", start, tuple(STARTS))


def start_std(sigma_0: float, start: str) -> float:
    """Per-coordinate standard deviation of the start law :data:`STARTS` ``[start]``."""
    s0 = float(sigma_0)
    return s0 if check_start(start) == "edm" else math.sqrt(1.0 + s0 ** 2)


def start_log_variance(sigma_0: float, start: str) -> float:
    """``log`` of the per-coordinate variance of the start law :data:`STARTS` ``[start]``."""
    s0 = float(sigma_0)
    return 2.0 * math.log(s0) if check_start(start) == "edm" else math.log1p(s0 * s0)


def check_update(update) -> str:
    """``update`` if it is one of :data:`UPDATES`, else a :class:`ParameterError` naming ``update``."""
    if not isinstance(update, str) or update not in UPDATES:
        raise ParameterError("update", f"must be one of {', '.join(UPDATES)}, got {update!r}")
    return update


def ancestral_sigmas(sigma_from, sigma_to, eta: float = 1.0):
    """``(sigma_down, sigma_up)`` of k-diffusion's ``get_ancestral_step``: ``sigma_up = min(s',
    eta sqrt(s'^2 (s^2 - s'^2)/s^2))``, ``sigma_down = sqrt(s'^2 - sigma_up^2)``; ``(0, 0)`` for
    ``s' = 0`` (arrays or floats).

    Computed with ``r = s'/s``: ``sigma_up = s' min(1, eta sqrt((1 - r)(1 + r)))`` and
    ``sigma_down = s' sqrt((1 - eta^2) + eta^2 r^2)`` (``= s'^2/s`` at
    ``eta = 1``): the literal forms overflow (``s'^2 s^2`` at ``s ~ 1e100``) or cancel
    (``s'^2 - sigma_up^2`` is 0 in float64 once ``r < 1e-8``)."""
    s = np.asarray(sigma_from, dtype=np.float64)
    sp = np.asarray(sigma_to, dtype=np.float64)
    r = sp / np.where(s > 0.0, s, 1.0)
    frac = eta * np.sqrt(np.maximum((1.0 - r) * (1.0 + r), 0.0))
    up = sp * np.minimum(1.0, frac)
    down = sp * np.sqrt(np.maximum((1.0 - eta * eta) + eta * eta * r * r, 0.0))  # 0 where sigma_up = s'
    return down[()], up[()]


def step_contraction(update: str, sigma_from: float, sigma_to: float) -> tuple[float, float]:
    """``(c, sigma_up)`` of one step of ``update`` from ``sigma_from`` to ``sigma_to`` (floats): the
    factor of the residual ``xs - D`` that the step keeps (``sigma_down/sigma`` for ``ancestral``,
    ``sigma'/sigma`` for the others) and the noise it adds (``sigma_up``; 0 but for ``ancestral``).
    The one place the Monte Carlo on a grid, the grid theory's moment maps and the finite-d model on
    a grid read a step from."""
    if update == "ancestral":
        down, up = (float(x) for x in ancestral_sigmas(sigma_from, sigma_to))
        return down / sigma_from, up
    return sigma_to / sigma_from, 0.0


def model_evaluations(sigmas, update: str) -> int:
    """The model evaluations of ``update`` on the grid ``sigmas`` (``N + 1`` levels): one per step,
    and heun's corrector on every step that does not end at ``sigma = 0``."""
    s = np.asarray(sigmas, dtype=np.float64)
    steps = s.size - 1
    return steps + (int(np.count_nonzero(s[1:] > 0.0)) if update == "heun" else 0)


def check_grid_rule(rule, grid, update: str) -> None:
    """A guidance rule's grid-only options on the grid ``grid`` (a :class:`cfgmft.grids.SigmaGrid`)
    with ``update``: ``zerostar``'s ``zero_init`` may not exceed the run's model evaluations
    (``ParameterError`` naming ``guidance``)."""
    zero_init = int(getattr(rule, "zero_init", 0) or 0)
    if zero_init:
        n = model_evaluations(grid.sigmas, update)
        if zero_init > n:
            raise ParameterError("guidance", f"{rule.spec}: zero_init = {zero_init} exceeds the {n} model evaluations "
                                             f"of {update} on {grid.spec}")


def step_omegas(grid, omega) -> np.ndarray:
    """The guidance ``omega_i`` of each step of the sampler grid ``grid`` (a
    :class:`cfgmft.grids.SigmaGrid`): the schedule (or constant) ``omega`` at the midpoint in
    ``t`` of the step, ``omega((t_i + t_{i+1})/2)`` (as ``cfgmft schedule export``). A
    ``table:sigma:const`` schedule on the grid's own noise levels gives its values exactly."""
    t = np.asarray(grid.t, dtype=np.float64)
    fn = omega_function(omega)
    w = np.asarray(fn(0.5 * (t[:-1] + t[1:])), dtype=np.float64).reshape(-1)
    if w.size == 1 and t.size > 2:
        w = np.full(t.size - 1, float(w[0]))
    if not np.all(np.isfinite(w)):
        raise ParameterError("schedule", "is not finite on the grid")
    return w

