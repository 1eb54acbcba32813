"""Time grids of the backward integration, shared by the Monte Carlo sampler and the finite-d
model: the grid itself (:func:`time_grid`), the schedule's breakpoints inserted as grid points
(:func:`with_breakpoints`) and the guidance read at the steps' midpoints
(:func:`omega_at_midpoints`); and a practitioner's sampler grid in EDM noise levels
(:func:`sigma_grid`) with the per-step guidance rules of the usual libraries turned into
exact schedules on it (:func:`per_step_schedule`, :func:`diffusers_schedule`,
:func:`edm_interval_schedule`, :func:`sigma_limits_schedule`).

Times are forward times ``t`` (``t = 0`` is the data end); a grid decreases from ``T`` to
exactly 0. :data:`DEFAULT_MC_T` is the start time ``T`` of every Monte Carlo integration that is
not given one.

Sampler grids and per-step guidance
-----------------------------------
``sigma_grid(spec)`` reads a sampler's noise levels ``sigma_0 > ... > sigma_{N-1} > sigma_N = 0``
(``N`` steps; step ``i`` goes from ``sigma_i`` to ``sigma_{i+1}``):

* ``karras:N:SIGMA_MIN:SIGMA_MAX[:RHO]`` (``RHO`` defaults to 7): k-diffusion's
  ``get_sigmas_karras``, ``sigma_i = (SIGMA_MAX^{1/RHO} + i/(N-1) (SIGMA_MIN^{1/RHO} -
  SIGMA_MAX^{1/RHO}))^RHO`` for ``i = 0..N-1`` (``sigma_0`` alone if ``N = 1``), then 0; computed
  in float64 (k-diffusion computes in torch's default dtype);
* ``sigmas:S1,S2,...``: explicit, strictly decreasing, positive except a final 0; a 0 is
  appended when the list does not end with one;
* ``ddim:N[:T[:BETAS[:BETA_START:BETA_END[:SPACING[:OFFSET]]]]]`` (defaults ``T = 1000``,
  ``BETAS = linear``, ``BETA_START = 0.0001``, ``BETA_END = 0.02``, ``SPACING = leading``,
  ``OFFSET = 0``: diffusers' ``DDIMScheduler`` defaults; Stable Diffusion's is
  ``ddim:N:1000:scaled_linear:0.00085:0.012:leading:1``): ``N`` timesteps of a ``T``-step DDPM
  beta schedule, ``betas = linspace(BETA_START, BETA_END, T)`` (``linear``) or
  ``linspace(sqrt(BETA_START), sqrt(BETA_END), T)^2`` (``scaled_linear``),
  ``alpha_bar_k = prod_{j <= k} (1 - beta_j)``; timesteps ``k_i`` (decreasing) by diffusers'
  ``timestep_spacing``: ``leading`` ``(arange(N) * (T // N))[::-1] + OFFSET``, ``trailing``
  ``round(arange(T, 0, -T/N)) - 1``, ``linspace`` ``round(linspace(0, T - 1, N))[::-1]``; noise
  levels ``sigma_i = sqrt((1 - alpha_bar_{k_i})/alpha_bar_{k_i})``, then 0 (DDIM with
  ``set_alpha_to_one``: the last step lands on the data). Step ``i`` goes from ``k_i`` to
  ``k_{i+1}``: with ``leading`` spacing this is diffusers' DDIM step (``prev = k - T // N``);
  with the other spacings diffusers' DDIM still steps to ``k - T // N``, which is not always the
  next timestep, and such a grid is then the ``sigmas:`` list of what it does.

Its times are ``t_i = log1p(sigma_i^2)/2`` (:func:`cfgmft.schedules.t_of_sigma`, the same
function a ``table:sigma`` schedule uses, so the grid's times are the schedule's breakpoints
exactly); ``SigmaGrid.t`` is an explicit time grid for the Monte Carlo.

Per-step guidance ``omega_i`` (a practitioner's guidance scale ``w_i = 1 + omega_i`` of step
``i``, used for every model evaluation of the step, e.g. both of a Heun step) becomes the schedule
``table:sigma:const:sigma_0,...,sigma_{N-1}:omega_0,...,omega_{N-1}``, i.e.
``omega(t) = omega_i`` on ``(t_{i+1}, t_i]`` (``omega_0`` also for ``t > t_0``): whether a
solver reads a step at its start or its midpoint it gets ``omega_i``. A step without guidance
has ``omega_i = 0`` (the conditional model alone, ``w = 1``). The rules:

* :func:`diffusers_schedule` (diffusers' guiders, ``start``/``stop`` fractions of the steps):
  guidance on the steps ``int(start N) <= i < int(stop N)``, with ``0 <= start < 1`` and
  ``start <= stop <= 1`` as diffusers checks them; ``omega = guidance_scale - 1``
  (``guidance_scale`` itself with ``original_formulation=True``, diffusers'
  ``use_original_formulation``); a scale that diffusers treats as no guidance
  (``math.isclose`` to 1, resp. 0) gives 0;
* :func:`edm_interval_schedule` (a guidance interval in step indices on an EDM/Karras grid, as
  the guidance-interval EDM sampler takes it): guidance ``G`` on the steps
  ``first_step <= i <= last_step`` (both included), ``omega = G - 1``;
* :func:`sigma_limits_schedule` (ComfyUI-style sigma limits): guidance ``cfg`` on the steps
  whose starting noise level satisfies ``sigma_min_limit <= sigma_i <= sigma_max_limit``,
  ``omega = cfg - 1``. (A second-order sampler that tests the limits again at ``sigma_{i+1}``
  for its corrector would differ from this on the step that crosses a limit.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError, check_int, check_real
from .ranges import OMEGA_MAX, OMEGA_MIN, SIGMA2_MAX, SIGMA2_MIN, SIGMA_MAX, TIME_MAX
from .schedules import OmegaFunction, Table, _fmt, t_of_sigma

__all__ = ["GRIDS", "DEFAULT_GRID", "DEFAULT_MC_T", "log_snr", "t_of_log_snr", "time_grid", "check_grid_array",
           "with_breakpoints", "omega_at_midpoints", "SigmaGrid", "sigma_grid", "SIGMA_GRID_KINDS", "ddpm_alpha_bar", "per_step_schedule",
           "diffusers_schedule", "edm_interval_schedule", "sigma_limits_schedule"]

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
    """Times ``t_0 = T``, decreasing to ``t_steps = 0``, for the backward integration.

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


# --- a sampler's grid of noise levels and its per-step guidance --------------------------------------
SIGMA_GRID_KINDS = ("karras", "sigmas", "ddim")
DDIM_BETAS = ("linear", "scaled_linear")
DDIM_SPACINGS = ("leading", "trailing", "linspace")
#: most training timesteps of a ddim grid
DDIM_T_MAX = 100_000
#: most steps of a sampler grid
SIGMA_GRID_STEPS_MAX = 100_000


@dataclass(frozen=True, eq=False)
class SigmaGrid:
    """A sampler's grid of noise levels (module docstring).

    ``sigmas``: ``(N + 1,)`` EDM noise levels strictly decreasing to ``sigmas[-1] = 0``, ``t`` the matching forward times ``log1p(sigma^2)/2``
    (``t[-1] = 0``), ``spec`` its canonical text form (``sigma_grid(g.spec) == g``); read-only."""

    spec: str
    sigmas: np.ndarray
    t: np.ndarray

    @property
    def steps(self) -> int:
        """Number of steps ``N``."""
        return self.sigmas.size - 1

    def __eq__(self, other):
        return isinstance(other, SigmaGrid) and self.spec == other.spec

    def __hash__(self):
        return hash(self.spec)

    def __repr__(self):
        return f"SigmaGrid({self.spec!r})"


def _grid_error(kind: str | None, field: str | None, message: str) -> ParameterError:
    return ParameterError(" ".join(["sigma_grid", *(x for x in (kind, field) if x)]), message)


def _grid_numbers(kind: str, field: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _grid_error(kind, field, f"must be a number, got {text!r}") from None


def _make_grid(spec: str, sigmas: np.ndarray, kind: str) -> SigmaGrid:
    """The one validation of every sampler grid, whatever its kind: finite noise levels in
    ``(0, SIGMA_MAX]`` then a final 0, strictly decreasing, and distinct times in float64."""
    finite = np.isfinite(sigmas)
    if not finite.all() or sigmas[:-1].max(initial=0.0) > SIGMA_MAX or sigmas[-1] != 0.0 or (sigmas[:-1] <= 0).any():
        bad = int(np.flatnonzero(~finite | (sigmas > SIGMA_MAX) | (sigmas <= 0))[0]) if sigmas.size else 0
        raise _grid_error(kind, None, f"the noise level sigma_{bad} = {float(sigmas[bad]):g} of {spec!r} is outside "
                                      f"(0, {SIGMA_MAX:g}] (noise levels are finite, positive except the final 0)")
    t = np.asarray(t_of_sigma(sigmas), dtype=np.float64)
    if not (np.all(np.diff(sigmas) < 0) and np.all(np.diff(t) < 0)):
        raise _grid_error(kind, None, f"the noise levels of {spec!r} are not strictly decreasing distinct times "
                                      "t = log1p(sigma^2)/2 in float64")
    for a in (sigmas, t):
        a.setflags(write=False)
    return SigmaGrid(spec, sigmas, t)


def sigma_grid(spec) -> SigmaGrid:
    """A sampler's grid of noise levels from its text form ``karras:N:SIGMA_MIN:SIGMA_MAX[:RHO]``,
    ``sigmas:S1,S2,...`` or ``ddim:N[:T[:...]]`` (module docstring); a :class:`SigmaGrid` is returned as it is. Bad
    input raises :class:`ParameterError` naming the argument (e.g. ``sigma_grid karras N``)."""
    if isinstance(spec, SigmaGrid):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise _grid_error(None, None, "must be a text such as 'karras:10:0.002:80:7' or 'sigmas:80,10,1,0.1', "
                                      f"got {spec!r}")
    kind, *raw = [p.strip() for p in spec.strip().split(":")]
    if kind == "karras":
        if not 3 <= len(raw) <= 4:
            raise _grid_error(kind, None, f"takes the form karras:N:SIGMA_MIN:SIGMA_MAX[:RHO], got {spec!r}")
        n = check_int("sigma_grid karras N", raw[0], lo=1, hi=SIGMA_GRID_STEPS_MAX)
        s_min = check_real("sigma_grid karras SIGMA_MIN", _grid_numbers(kind, "SIGMA_MIN", raw[1]),
                           lo=0.0, hi=SIGMA_MAX, lo_open=True)
        s_max = check_real("sigma_grid karras SIGMA_MAX", _grid_numbers(kind, "SIGMA_MAX", raw[2]),
                           lo=s_min, hi=SIGMA_MAX, lo_open=True)
        rho = check_real("sigma_grid karras RHO", _grid_numbers(kind, "RHO", raw[3]) if len(raw) == 4 else 7.0,
                         lo=0.0, hi=1000.0, lo_open=True)
        ramp = np.arange(n, dtype=np.float64) / (n - 1) if n > 1 else np.zeros(1)
        max_inv, min_inv = s_max ** (1.0 / rho), s_min ** (1.0 / rho)
        sigmas = np.append((max_inv + ramp * (min_inv - max_inv)) ** rho, 0.0)
        if n > 1 and not abs(sigmas[n - 1] - s_min) <= 1e-12 * s_min:
            # the literal ramp's last level is SIGMA_MIN to rounding, except where SIGMA_MAX/SIGMA_MIN is
            # so large that it cancels (to 0 at karras:10:1e-100:1e100): there it is SIGMA_MIN exactly
            sigmas[n - 1] = s_min
        return _make_grid(f"karras:{n}:{_fmt(s_min)}:{_fmt(s_max)}:{_fmt(rho)}", sigmas, kind)
    if kind == "sigmas":
        if len(raw) != 1 or not raw[0]:
            raise _grid_error(kind, None, f"takes the form sigmas:S1,S2,... (comma-separated), got {spec!r}")
        vals = [check_real(f"sigma_grid sigmas S{i + 1}", _grid_numbers(kind, f"S{i + 1}", x), lo=0.0, hi=SIGMA_MAX)
                for i, x in enumerate(raw[0].split(","))]
        if vals[-1] != 0.0:
            vals.append(0.0)
        if len(vals) < 2 or not all(a > b for a, b in zip(vals, vals[1:])):
            raise _grid_error(kind, None, "must be strictly decreasing noise levels, positive except a final 0, "
                                          f"got {spec!r}")
        sigmas = np.array(vals, dtype=np.float64)
        return _make_grid("sigmas:" + ",".join(_fmt(x) for x in vals), sigmas, kind)
    if kind == "ddim":
        return _ddim_grid(spec, raw)
    raise _grid_error(None, None, f"unknown kind {kind!r}; allowed: {', '.join(SIGMA_GRID_KINDS)}")


def ddpm_alpha_bar(T: int, betas: str = "linear", beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """``alpha_bar_k = prod_{j <= k} (1 - beta_j)``, ``k = 0..T-1``, of a DDPM beta schedule
    (``linear`` or ``scaled_linear``, as diffusers), in float64."""
    if betas == "linear":
        b = np.linspace(beta_start, beta_end, T, dtype=np.float64)
    else:
        b = np.linspace(math.sqrt(beta_start), math.sqrt(beta_end), T, dtype=np.float64) ** 2
    return np.cumprod(1.0 - b)


def _ddim_grid(spec: str, raw: list) -> SigmaGrid:
    kind = "ddim"
    if not 1 <= len(raw) <= 7 or len(raw) == 4:
        raise _grid_error(kind, None, "takes the form ddim:N[:T[:BETAS[:BETA_START:BETA_END[:SPACING[:OFFSET]]]]], "
                                      f"got {spec!r}")
    T = check_int("sigma_grid ddim T", raw[1], lo=2, hi=DDIM_T_MAX) if len(raw) > 1 else 1000
    n = check_int("sigma_grid ddim N", raw[0], lo=1, hi=T)
    betas = raw[2] if len(raw) > 2 else "linear"
    if betas not in DDIM_BETAS:
        raise _grid_error(kind, "BETAS", f"must be one of {', '.join(DDIM_BETAS)}, got {betas!r}")
    b0 = check_real("sigma_grid ddim BETA_START", _grid_numbers(kind, "BETA_START", raw[3]), lo=0.0, hi=1.0,
                    lo_open=True, hi_open=True) if len(raw) > 3 else 1e-4
    b1 = check_real("sigma_grid ddim BETA_END", _grid_numbers(kind, "BETA_END", raw[4]), lo=b0, hi=1.0,
                    hi_open=True) if len(raw) > 4 else 0.02
    spacing = raw[5] if len(raw) > 5 else "leading"
    if spacing not in DDIM_SPACINGS:
        raise _grid_error(kind, "SPACING", f"must be one of {', '.join(DDIM_SPACINGS)}, got {spacing!r}")
    offset = check_int("sigma_grid ddim OFFSET", raw[6], lo=0, hi=T - 1) if len(raw) > 6 else 0
    if spacing == "leading":
        k = (np.arange(n) * (T // n))[::-1] + offset
    elif spacing == "trailing":
        k = np.round(np.arange(T, 0, -T / n)).astype(np.int64) - 1
    else:
        k = np.round(np.linspace(0, T - 1, n))[::-1].astype(np.int64)
    if k.max() > T - 1 or k.min() < 0:
        raise _grid_error(kind, "OFFSET", f"puts a timestep outside 0..{T - 1} in {spec!r}")
    ab = ddpm_alpha_bar(T, betas, b0, b1)[k.astype(np.int64)]
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # alpha_bar underflows: refused below
        sigmas = np.append(np.sqrt((1.0 - ab) / ab), 0.0)
    if not np.all(sigmas[:-1] <= SIGMA_MAX):
        i = int(np.flatnonzero(~(sigmas[:-1] <= SIGMA_MAX))[0])
        raise _grid_error(kind, None, f"alpha_bar = {float(ab[i]):.3g} at timestep {int(k[i])} of {spec!r} gives the "
                                      f"noise level sigma = sqrt((1 - alpha_bar)/alpha_bar) beyond {SIGMA_MAX:g}; "
                                      "use fewer training steps T or smaller betas")
    canon = f"ddim:{n}:{T}:{betas}:{_fmt(b0)}:{_fmt(b1)}:{spacing}:{offset}"
    return _make_grid(canon, sigmas, kind)


def per_step_schedule(grid, omegas) -> Table:
    """The schedule of per-step guidance ``omegas[i]`` on step ``i`` (from ``sigma_i`` to
    ``sigma_{i+1}``) of the sampler grid ``grid`` (a :class:`SigmaGrid` or its text form):
    ``table:sigma:const:sigma_0,...,sigma_{N-1}:omegas``, exactly ``omegas[i]`` on
    ``(t_{i+1}, t_i]`` (module docstring)."""
    g = sigma_grid(grid)
    try:
        w = np.array(omegas, dtype=np.float64) if not isinstance(omegas, (str, bytes, dict)) else np.array([])
    except (TypeError, ValueError):
        w = np.array([])
    if w.shape != (g.steps,):
        raise ParameterError("omegas", f"must be one value per step, {g.steps} for {g.spec!r}, got {omegas!r}")
    bad = np.flatnonzero(~((w >= OMEGA_MIN) & (w <= OMEGA_MAX)))
    if bad.size:
        raise ParameterError("omegas", f"each must be in [{OMEGA_MIN:g}, {OMEGA_MAX:g}] (w = 1 + omega >= 0), "
                                       f"got omegas[{bad[0]}] = {float(w[bad[0]])!r}")
    return Table("sigma", "const", tuple(g.sigmas[:-1].tolist()), tuple(w.tolist()))


def _scale(name: str, value, zero_at: float) -> float:
    """A guidance scale whose ``omega = value - zero_at`` must be in ``[-1, 1000]``."""
    return check_real(name, value, lo=zero_at + OMEGA_MIN, hi=zero_at + OMEGA_MAX)


def diffusers_schedule(grid, guidance_scale, start=0.0, stop=1.0, *, original_formulation=False) -> Table:
    """diffusers' guider rule on ``grid``: guidance on the steps ``int(start N) <= i < int(stop N)``,
    ``omega = guidance_scale - 1`` (``guidance_scale`` with ``original_formulation``), 0 on the
    other steps (module docstring)."""
    g = sigma_grid(grid)
    zero_at = 0.0 if original_formulation else 1.0
    scale = _scale("guidance_scale", guidance_scale, zero_at)
    start = check_real("start", start, lo=0.0, hi=1.0, hi_open=True)
    stop = check_real("stop", stop, lo=start, hi=1.0)
    first, end = int(start * g.steps), int(stop * g.steps)
    on = 0.0 if math.isclose(scale, zero_at) else scale - zero_at
    return per_step_schedule(g, [on if first <= i < end else 0.0 for i in range(g.steps)])


def edm_interval_schedule(grid, guidance, first_step, last_step) -> Table:
    """A guidance interval in step indices: guidance ``G = guidance`` (``omega = G - 1``) on the
    steps ``first_step <= i <= last_step`` of ``grid`` (both included), 0 on the others."""
    g = sigma_grid(grid)
    omega = _scale("guidance", guidance, 1.0) - 1.0
    first = check_int("first_step", first_step, lo=0, strict=True)
    last = check_int("last_step", last_step, lo=first, strict=True)
    return per_step_schedule(g, [omega if first <= i <= last else 0.0 for i in range(g.steps)])


def sigma_limits_schedule(grid, cfg, sigma_min_limit, sigma_max_limit) -> Table:
    """Sigma limits: guidance ``cfg`` (``omega = cfg - 1``) on the steps of ``grid`` whose
    starting noise level is in ``[sigma_min_limit, sigma_max_limit]``, 0 on the others."""
    g = sigma_grid(grid)
    omega = _scale("cfg", cfg, 1.0) - 1.0
    lo = check_real("sigma_min_limit", sigma_min_limit, lo=0.0)
    hi = check_real("sigma_max_limit", sigma_max_limit, lo=lo)
    return per_step_schedule(g, [omega if lo <= s <= hi else 0.0 for s in g.sigmas[:-1].tolist()])
