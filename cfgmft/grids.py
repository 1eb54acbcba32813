"""Time grids of the backward integration, shared by the Monte Carlo sampler and the finite-d
model: the grid itself (:func:`time_grid`), the schedule's breakpoints inserted as grid points
(:func:`with_breakpoints`) and the guidance read at the steps' midpoints
(:func:`omega_at_midpoints`).

Times are forward times ``t`` (``t = 0`` is the data end); a grid decreases from ``T`` to
exactly 0. :data:`DEFAULT_MC_T` is the start time ``T`` of every Monte Carlo integration that is
not given one.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ParameterError, check_int, check_real
from .ranges import SIGMA2_MAX, SIGMA2_MIN, TIME_MAX
from .schedules import OmegaFunction

__all__ = ["GRIDS", "DEFAULT_GRID", "DEFAULT_MC_T", "log_snr", "t_of_log_snr", "time_grid", "check_grid_array",
           "with_breakpoints", "omega_at_midpoints"]

GRIDS = ("logsnr", "edm", "uniform")
#: Default time grid.
DEFAULT_GRID = "logsnr"

#: Start time used by Monte Carlo when the theory's ``T -> infinity`` is asked for:
#: the sampler's start ``N(0, I)`` differs from ``P_T`` by ``O(e^{-T})`` in the mean.
DEFAULT_MC_T = 12.0


#: beyond this ``2t`` (``expm1`` overflows at 709.8) the grid variables switch to their
#: asymptotic forms, exact to rounding
_EXP_SAFE = 700.0


def log_snr(t, sigma2):
    """Grid variable ``lambda(t) = log(e^{2t} Gamma_t) = log(sigma2 + e^{2t} - 1)`` (minus the
    log signal-to-noise ratio of a noised class), for any ``t <= TIME_MAX`` (beyond
    ``2t = 700``: ``2t + log1p((sigma2 - 1) e^{-2t})``). ``dt = Gamma_t dlambda / 2``."""
    t2 = 2.0 * np.asarray(t, dtype=np.float64)
    with np.errstate(over="ignore"):
        direct = np.log(sigma2 + np.expm1(np.minimum(t2, _EXP_SAFE)))
    out = np.where(t2 > _EXP_SAFE, t2 + np.log1p((sigma2 - 1.0) * np.exp(-t2)), direct)
    return out[()]


def t_of_log_snr(lam, sigma2):
    """The inverse of :func:`log_snr`: ``t = log1p(sigma2 expm1(lambda - log sigma2))/2`` (for
    ``lambda - log sigma2 > 700``: ``(lambda + log1p((1 - sigma2) e^{-lambda}))/2``)."""
    lam = np.asarray(lam, dtype=np.float64)
    x = lam - math.log(sigma2)
    direct = 0.5 * np.log1p(sigma2 * np.expm1(np.minimum(x, _EXP_SAFE)))
    out = np.where(x > _EXP_SAFE, 0.5 * (lam + np.log1p((1.0 - sigma2) * np.exp(-lam))), direct)
    return out[()]


def time_grid(T: float, steps: int, sigma2: float, grid: str = DEFAULT_GRID, rho: float = 7.0) -> np.ndarray:
    """Times ``t_0 = T > t_1 > ... > t_steps = 0`` for the backward integration.

    ``grid``:

    * ``'logsnr'`` (default): uniform in ``lambda(t) = log(e^{2t} Gamma_t) = log(sigma2 + e^{2t} - 1)``,
      minus the log signal-to-noise ratio of the noised *class* ``N(e^{-t} mu_k, Gamma_t I)``.
      Because the class variance ``sigma2`` is included, ``lambda`` stays finite at ``t = 0``
      (``log sigma2``), so the grid ends exactly at ``t = 0`` without a cut-off. The drift
      varies on the scale of ``lambda``: near ``t = 0`` the steps are ``~ (sigma2 + 2t)``
      (they resolve the ``t ~ sigma2`` layer where ``Gamma_t`` goes from ``sigma2`` to ``2t``),
      and for ``t >~ 1`` they become uniform in ``t`` (``lambda ~ 2t``), where the class
      posteriors and ``E[mu|x,t]`` still evolve on ``O(1)`` time scales.
      The local-Gaussian step coefficients are integrated on the same variable. On
      exponential-regime mixtures this grid gives a ~4x smaller error than ``'edm'`` at equal
      steps (the commitment of the class posterior happens at ``t = O(1)``, which EDM
      spacing under-resolves).
    * ``'edm'``: EDM spacing (Karras et al. 2022) with exponent ``rho`` of the effective noise
      level ``sqrt(sigma2 + e^{2t} - 1)`` between its values at ``T`` and ``0``.
    * ``'uniform'``: uniform in ``t`` (reference only; it wastes steps at large ``t`` and
      under-resolves ``t ~ sigma2``).
    """
    T = check_real("T", T, lo=0.0, hi=TIME_MAX, lo_open=True)
    steps = check_int("steps", steps, lo=1, strict=True)
    sigma2 = check_real("sigma2", sigma2, lo=SIGMA2_MIN, hi=SIGMA2_MAX)
    i = np.arange(steps + 1, dtype=np.float64) / steps
    if grid == "logsnr":
        log_s2 = math.log(sigma2)
        lam_T = math.log(sigma2 + math.expm1(2.0 * T)) if 2.0 * T <= _EXP_SAFE else float(log_snr(T, sigma2))
        lam = lam_T + i * (log_s2 - lam_T)
        t = t_of_log_snr(lam, sigma2)
    elif grid == "edm":
        rho = check_real("rho", rho, lo=0.0, lo_open=True)
        s_0 = math.sqrt(sigma2) ** (1.0 / rho)
        if 2.0 * T <= _EXP_SAFE:
            s_T = math.sqrt(sigma2 + math.expm1(2.0 * T)) ** (1.0 / rho)
            s = (s_T + i * (s_0 - s_T)) ** rho
            t = 0.5 * np.log1p(np.maximum(s * s - sigma2, 0.0))
        else:  # the same grid in the log domain: s^2 = e^{lambda} overflows here
            u_T = math.exp(float(log_snr(T, sigma2)) / (2.0 * rho))
            lam = 2.0 * rho * np.log(u_T * (1.0 - i) + i * s_0)
            t = np.maximum(t_of_log_snr(lam, sigma2), 0.0)
    elif grid == "uniform":
        t = T * (1.0 - i)
    else:
        raise ParameterError("grid", f"must be one of {', '.join(map(repr, GRIDS))} or an array of times, got {grid!r}")
    t[0] = T
    t[-1] = 0.0
    if np.any(np.diff(t) >= 0):
        raise ParameterError("steps", f"the {grid!r} grid from T = {T:g} in {steps} steps is not strictly decreasing; "
                                      "use fewer steps or another grid")
    return t


def check_grid_array(grid) -> np.ndarray:
    t = np.array(grid, dtype=np.float64)
    if t.ndim != 1 or t.size < 2:
        raise ParameterError("grid", f"an explicit grid must be a 1-d array of at least two times, got shape {t.shape}")
    if not np.all(np.isfinite(t)) or t[-1] != 0.0 or np.any(np.diff(t) >= 0):
        raise ParameterError("grid", "an explicit grid must be finite, strictly decreasing and end at exactly 0")
    return t

def with_breakpoints(t_grid: np.ndarray, breakpoints) -> np.ndarray:
    """``t_grid`` with the schedule's ``breakpoints`` (times where ``omega(t)`` jumps or kinks)
    inserted, so that no step straddles a jump; each adds one step."""
    bps = [float(b) for b in breakpoints if np.isfinite(b) and 0.0 < b < t_grid[0]]
    if not bps:
        return t_grid
    merged = np.unique(np.concatenate([t_grid, bps]))[::-1]
    keep = np.concatenate([[True], np.diff(merged) < -1e-12 * max(1.0, float(t_grid[0]))])
    return merged[keep]


def omega_at_midpoints(omega: OmegaFunction, t_grid: np.ndarray) -> np.ndarray:
    """``omega`` at the midpoints of the steps of ``t_grid``: second order in the step for a
    smooth ``omega(t)``, and never at a jump when the breakpoints are grid points."""
    return np.asarray(omega(0.5 * (t_grid[:-1] + t_grid[1:])), dtype=np.float64).reshape(-1)
