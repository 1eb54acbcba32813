"""Guided samplers with exact scores: exponential integrators of the reverse SDE and the
probability-flow ODE.

Sampling runs backward in ``tau = T - t`` from ``x_T ~ N(0, I_d)`` to ``t = 0``:

* reverse SDE: ``dx = [x + 2 s(x, t)] dtau + sqrt(2) dW``;
* probability-flow ODE: ``dx/dtau = x + s(x, t)``,

with the guided score (:func:`cfgmft.validation.scores.guided_score`, convention
``s = (1 + omega) s_c - omega s_u``)

    s = -x / Gamma_t + (e^{-t} / Gamma_t) D(x, t),   D = (1 + omega(t)) mu_c - omega(t) E[mu | x, t].

The integrator. Over a step from ``t1`` down to ``t0 < t1`` the drift is linear in ``x`` plus
a source proportional to ``D``; ``D`` is frozen at its value at the step start ``(x_{t1}, t1)``
and the linear part is integrated exactly (exponential Euler). Writing
``h = t1 - t0`` and ``Gamma_i = Gamma_{t_i}``:

* ODE: ``dx/dt = -(1 - 1/Gamma_t) x - (e^{-t}/Gamma_t) D`` with ``1/Gamma_t - 1 = Gamma_t'/(2 Gamma_t)``,
  so the homogeneous solution is ``x ~ sqrt(Gamma_t)`` and ``e^{-t} D`` is a particular
  solution:

      Phi = sqrt(Gamma_0 / Gamma_1),   x_0 = Phi x_1 + (e^{-t0} - Phi e^{-t1}) D.

* SDE: the backward drift coefficient is ``1 - 2/Gamma_t = -1 - Gamma_t'/Gamma_t``, so
  ``Phi = e^{-h} Gamma_0 / Gamma_1``; ``e^{-t} D`` is again a particular solution, and the
  Ito noise integral has variance ``int 2 Phi(t -> t0)^2 dt = Gamma_0 - Phi^2 Gamma_1``:

      x_0 = Phi x_1 + (e^{-t0} - Phi e^{-t1}) D + sqrt(Gamma_0 - Phi^2 Gamma_1) xi.

Both maps are exact whenever ``D`` is constant along the step, e.g. ``omega = 0`` (exact
conditional sampling in a single step from ``N(e^{-T} mu_c, Gamma_T I)``). The coefficients are
evaluated through ``expm1``/``log1p`` so that they stay accurate for tiny steps near ``t = 0``.
The scheme is first order in the step size for ``omega != 0``.

Randomness and batching. The ``n`` samples are cut into fixed blocks of ``block_size`` rows;
block ``j`` owns the generator ``PCG64(SeedSequence(entropy, spawn_key=(..., j)))`` derived
from ``rng``, which draws the block's ``x_T`` (``block_size x d``) and then one
``block_size x d`` standard normal array per step (SDE only). A batch touching part of a
block re-creates that block's generator and keeps the rows it needs. Hence, for a given
``rng`` and ``block_size``, the output does not depend on ``batch_size`` (up to the rounding
of the matrix products, ~1e-16 relative) nor on the chunking of the classes.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from .mixture import as_seed_sequence
from .scores import (
    Gamma,
    NonFiniteError,
    _check_mu,
    _check_sigma2,
    _guided_mean,
)

__all__ = [
    "SAMPLERS",
    "GRIDS",
    "RECORDS",
    "DEFAULT_STEPS",
    "DEFAULT_GRID",
    "SampleResult",
    "time_grid",
    "step_coefficients",
    "sample",
]

SAMPLERS = ("sde", "ode")
GRIDS = ("logsnr", "edm", "uniform")
RECORDS = ("w_c", "m", "r")

#: Default number of steps (see the module README / report for the convergence study).
DEFAULT_STEPS = 200
#: Default time grid.
DEFAULT_GRID = "logsnr"


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
        Guidance strength used on each step (evaluated at the step start).
    records : dict
        Requested trajectories, each ``(steps + 1, n)``, row ``k`` at time ``t_grid[k]``:
        ``'w_c'`` posterior weight of the target class (FiniteMixture), ``'m'`` overlap
        ``x.mu_c/|mu_c|^2``, ``'r'`` ``|x|^2/d``.
    sampler : str
    seconds : float
        Wall-clock time of the integration.
    """

    x: np.ndarray
    t_grid: np.ndarray
    omega_grid: np.ndarray
    records: dict = field(default_factory=dict)
    sampler: str = "sde"
    seconds: float = 0.0


# ----------------------------------------------------------------------------- grids


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
    * ``'edm'``: EDM spacing (Karras et al. 2022) with exponent ``rho`` of the effective noise
      level ``sqrt(sigma2 + e^{2t} - 1)`` between its values at ``T`` and ``0``.
    * ``'uniform'``: uniform in ``t`` (reference only; it wastes steps at large ``t`` and
      under-resolves ``t ~ sigma2``).
    """
    T = float(T)
    if not (math.isfinite(T) and T > 0):
        raise ValueError(f"T must be finite and > 0, got {T}")
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    sigma2 = _check_sigma2(sigma2)
    i = np.arange(steps + 1, dtype=np.float64) / steps
    if grid == "logsnr":
        log_s2 = math.log(sigma2)
        lam_T = math.log(sigma2 + math.expm1(2.0 * T))
        lam = lam_T + i * (log_s2 - lam_T)
        t = 0.5 * np.log1p(sigma2 * np.expm1(lam - log_s2))
    elif grid == "edm":
        if not (math.isfinite(rho) and rho > 0):
            raise ValueError(f"rho must be finite and > 0, got {rho}")
        s_T = math.sqrt(sigma2 + math.expm1(2.0 * T)) ** (1.0 / rho)
        s_0 = math.sqrt(sigma2) ** (1.0 / rho)
        s = (s_T + i * (s_0 - s_T)) ** rho
        t = 0.5 * np.log1p(np.maximum(s * s - sigma2, 0.0))
    elif grid == "uniform":
        t = T * (1.0 - i)
    else:
        raise ValueError(f"grid must be one of {GRIDS} or an array of times, got {grid!r}")
    t[0] = T
    t[-1] = 0.0
    if np.any(np.diff(t) >= 0):
        raise ValueError("time grid is not strictly decreasing; use fewer steps or another grid")
    return t


def _check_grid_array(grid) -> np.ndarray:
    t = np.array(grid, dtype=np.float64)
    if t.ndim != 1 or t.size < 2:
        raise ValueError("an explicit grid must be a 1-d array of at least two times")
    if not np.all(np.isfinite(t)) or t[-1] != 0.0 or np.any(np.diff(t) >= 0):
        raise ValueError("an explicit grid must be finite, strictly decreasing and end at exactly 0")
    return t


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
    raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")


# ----------------------------------------------------------------------------- sampling


def _omega_on_grid(omega, t_start: np.ndarray) -> np.ndarray:
    if callable(omega):
        vals = omega(t_start.copy())
        vals = np.broadcast_to(np.asarray(vals, dtype=np.float64), t_start.shape).copy()
    elif isinstance(omega, numbers.Real) and not isinstance(omega, bool):
        vals = np.full(t_start.shape, float(omega))
    else:
        raise TypeError(f"omega must be a real number or a callable omega(t), got {type(omega).__name__}")
    if not np.all(np.isfinite(vals)):
        raise ValueError("omega(t) must be finite on the time grid")
    return vals


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


def _check_int(value, name, minimum):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def sample(
    denoiser,
    mu_c,
    sigma2,
    omega,
    sampler: str = "sde",
    T: float = 10.0,
    steps: int = DEFAULT_STEPS,
    n: int = 1000,
    rng=None,
    grid=DEFAULT_GRID,
    record=None,
    batch_size: int = 2048,
    block_size: int = 256,
    x_T=None,
) -> SampleResult:
    """Draw ``n`` samples of the CFG sampler toward the class of mean ``mu_c``.

    Parameters
    ----------
    denoiser : Denoiser
        Exact unconditional model (``FiniteMixture``, ``ContinuumGaussian``, ``ContinuumSphere``).
    mu_c : (d,) array
        Target class mean.
    sigma2 : float
        Class variance; must equal ``denoiser.sigma2``.
    omega : float or callable
        Guidance strength (convention ``s = (1 + omega) s_c - omega s_u``, guidance scale
        ``w = 1 + omega``), constant or a schedule ``omega(t)`` vectorised over numpy arrays. It
        is evaluated once on the step-start times of the grid.
    sampler : {'sde', 'ode'}
        Reverse SDE or probability-flow ODE.
    T : float
        Initial time; ``x_T ~ N(0, I_d)`` (the exact ``P_T`` differs by ``O(e^{-T})``).
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
        log-partition (``FiniteMixture``) and costs one extra class pass at ``t = 0``.
    batch_size : int
        Samples integrated together (memory ``O(batch_size * chunk_size)`` for a
        ``FiniteMixture``). Does not change the result.
    block_size : int
        Rows per random stream. Part of the definition of the random streams: changing it
        changes the samples.
    x_T : (n, d) array, optional
        Explicit initial points. The block streams still skip their ``x_T`` draw, so the SDE
        noise is the one of the run with the same ``rng`` and drawn ``x_T``.

    Returns
    -------
    SampleResult
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    if sigma2 is None:
        sigma2 = denoiser.sigma2
    sigma2 = _check_sigma2(sigma2)
    if sigma2 != denoiser.sigma2:
        raise ValueError(f"sigma2 = {sigma2} differs from the denoiser's sigma2 = {denoiser.sigma2}")
    mu_c = _check_mu(mu_c, getattr(denoiser, "d", None))
    d = mu_c.shape[0]
    if isinstance(grid, str):
        t_grid = time_grid(T, steps, sigma2, grid)
    else:
        t_grid = _check_grid_array(grid)
    steps = t_grid.size - 1
    batch_size = _check_int(batch_size, "batch_size", 1)
    block_size = _check_int(block_size, "block_size", 1)
    if x_T is not None:
        x_T = np.asarray(x_T, dtype=np.float64)
        if x_T.ndim != 2 or x_T.shape[1] != d:
            raise ValueError(f"x_T must have shape (n, {d}), got {x_T.shape}")
        if not np.all(np.isfinite(x_T)):
            raise ValueError("x_T contains NaN or infinite entries")
        n = x_T.shape[0]
    n = _check_int(n, "n", 1)
    if record is None:
        record = ()
    elif isinstance(record, str):
        record = (record,)
    record = tuple(record)
    for name in record:
        if name not in RECORDS:
            raise ValueError(f"record entries must be among {RECORDS}, got {name!r}")
    if "w_c" in record and not hasattr(denoiser, "_posterior_mean_and_lse"):
        raise ValueError(f"record 'w_c' needs a denoiser with a log-partition (FiniteMixture), got {denoiser!r}")

    omega_grid = _omega_on_grid(omega, t_grid[:-1])
    Phi, coef, noise_std = step_coefficients(t_grid[:-1], t_grid[1:], sigma2, sampler)
    ss = as_seed_sequence(rng) if (sampler == "sde" or x_T is None) else None
    records = {name: np.empty((steps + 1, n)) for name in record}
    mu_norm2 = float(mu_c @ mu_c)
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
        for k in range(steps + 1):
            t1 = float(t_grid[k])
            om = float(omega_grid[k]) if k < steps else 0.0
            E = None
            if "w_c" in record:
                E, lse = denoiser._posterior_mean_and_lse(x, t1)
                records["w_c"][k, a:b] = np.exp(denoiser._logit_of(x, t1, mu_c) - lse)
            if "m" in record:
                records["m"][k, a:b] = (x @ mu_c) / mu_norm2
            if "r" in record:
                records["r"][k, a:b] = np.einsum("nd,nd->n", x, x) / d
            if k == steps:
                break
            D = _guided_mean(denoiser, x, t1, mu_c, om, E)
            x_new = Phi[k] * x + coef[k] * D
            if sampler == "sde":
                x_new += noise_std[k] * noise.draw()
            x = x_new
            if not np.all(np.isfinite(x)):
                raise NonFiniteError(
                    f"non-finite sample after the step {t1!r} -> {float(t_grid[k + 1])!r} (omega = {om})"
                )
        out[a:b] = x
    seconds = time.perf_counter() - start_clock
    return SampleResult(x=out, t_grid=t_grid, omega_grid=omega_grid, records=records, sampler=sampler, seconds=seconds)
