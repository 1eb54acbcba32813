"""Phase diagrams of CFG with ``K - 1 = exp(alpha d)`` classes (``d -> infinity``).

:func:`phase_diagram` evaluates the mean-field prediction of :mod:`cfgmft.solvers.exponential`
on a grid ``alpha x omega`` (constant guidance, fixed ``sigma2``) or ``alpha x sigma2``
(fixed constant ``omega``). The points are computed by a cached numba kernel that releases
the GIL (``nogil=True``), run on ``threads`` Python threads over interleaved lanes of the
flattened grid. Every point is an independent deterministic integration, so the results do
not depend on the number of threads or on the lane split. (A ``prange`` kernel would be
uncached, as parallel kernels are kept here, and cost ~2 s of compilation in every process; the
threaded cached kernel costs nothing after the first run and scales the same way.)
:func:`alpha_c` finds the critical line beyond which commitment never happens before
``t = 0``, by bisection in ``alpha``.

Arrays are NaN-free: where a value does not apply it is stored as ``0.0`` and masked
(``numpy.ma.MaskedArray``): ``t_commit`` is masked where the trajectory never commits,
``t_condense`` where the competitors do not condense before commitment. ``mean_shift``,
``var_ratio``, ``kl_per_dim`` and ``margin`` apply at every point. ``status`` holds the codes
of :data:`cfgmft.solvers.exponential.STATUSES`.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Optional

import numba
import numpy as np

from cfgmft.errors import NumericalError, ParameterError, check_choice, check_real
from cfgmft.guidance import as_rule

from .exponential import (ATOL, PRIORS, RTOL, SAMPLERS, ST_CONDENSED, T_DEFAULT, integrate, integrate_log,
                          observables_log, rule_arrays, start_time, status_code)

__all__ = ["PhaseDiagram", "phase_diagram", "alpha_c", "alpha_c_schedule", "prepare"]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _grid_points(prior, sampler, alphas, seconds, second_is_omega, fixed, T, rtol, atol, idx, out, status, rule, p1, p2):
    """For each flat index ``k`` in ``idx`` (``i = k // n_second``, ``j = k % n_second``) fill
    ``out[i, j, :] = (t_commit, t_condense, mean_shift, var_ratio, kl, margin, M, log_var_ratio, ok)``
    (the KL from the log: finite where ``var_ratio`` underflows to 0)."""
    n_b = seconds.shape[0]
    no_bps = np.empty(0)
    coef = np.zeros((1, 5))
    for k in idx:
        i = k // n_b
        j = k - i * n_b
        al = alphas[i]
        if second_is_omega:
            w = seconds[j]
            s2 = fixed
        else:
            w = fixed
            s2 = seconds[j]
        coef[0, 0] = w
        M, L, tc, tk, _, ok = integrate_log(prior, sampler, al, s2, no_bps, coef, T, rtol, atol, rule, p1, p2)
        lvr, vr, kl, mg = observables_log(prior, al, s2, M, L)
        out[i, j, 0] = tc
        out[i, j, 1] = tk
        out[i, j, 2] = M - 1.0
        out[i, j, 3] = vr
        out[i, j, 4] = kl
        out[i, j, 5] = mg
        out[i, j, 6] = M
        out[i, j, 7] = lvr
        out[i, j, 8] = 1.0 if ok else 0.0
        status[i, j] = status_code(tc, tk)


def _n_threads(threads) -> int:
    if threads is None:
        return max(1, numba.get_num_threads())
    return int(check_real("threads", threads, lo=1))


def _run_lanes(fn, n_items: int, threads: int, progress=None) -> None:
    """Call ``fn(idx)`` on interleaved lanes ``k::n_lanes`` of ``range(n_items)`` on ``threads``
    threads (the kernels release the GIL); ``progress(done, total)`` after each lane."""
    n_lanes = min(n_items, 4 * threads) if threads > 1 else 1
    lanes = [np.arange(k, n_items, n_lanes, dtype=np.int64) for k in range(n_lanes)]
    done = 0
    if threads == 1:
        for idx in lanes:
            fn(idx)
            done += idx.size
            if progress is not None:
                progress(done, n_items)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(fn, idx) for idx in lanes]
        for fut, idx in zip(futures, lanes):
            fut.result()
            done += idx.size
            if progress is not None:
                progress(done, n_items)


@numba.njit(cache=True, error_model="numpy")
def _committed(prior, sampler, alpha, sigma2, omega, T, rtol, atol, rule, p1, p2):
    coef = np.zeros((1, 5))
    coef[0, 0] = omega
    _, _, tc, _, _, _ = integrate(prior, sampler, alpha, sigma2, np.empty(0), coef, T, rtol, atol, rule, p1, p2)
    return tc == tc


@numba.njit(cache=True, error_model="numpy")
def _alpha_c_kernel(prior, sampler, omega, sigma2, T, xtol, rtol, atol, rule, p1, p2):
    """Bisection for the smallest ``alpha`` with no commitment before ``t = 0``.

    Bracket: ``lo = 1e-6`` must commit (else return 0), ``hi`` doubles from 1 until it does
    not (NaN if ``hi`` exceeds 1e3). Returns the midpoint once ``hi - lo <= xtol``.
    """
    lo = 1e-6
    if not _committed(prior, sampler, lo, sigma2, omega, T, rtol, atol, rule, p1, p2):
        return 0.0
    hi = 1.0
    while _committed(prior, sampler, hi, sigma2, omega, T, rtol, atol, rule, p1, p2):
        lo = hi
        hi *= 2.0
        if hi > 1e3:
            return math.nan
    while hi - lo > xtol:
        mid = 0.5 * (lo + hi)
        if _committed(prior, sampler, mid, sigma2, omega, T, rtol, atol, rule, p1, p2):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _alpha_c_points(prior, sampler, omegas, sigma2, T, xtol, rtol, atol, idx, out, rule, p1, p2):
    for k in idx:
        out[k] = _alpha_c_kernel(prior, sampler, omegas[k], sigma2, T, xtol, rtol, atol, rule, p1, p2)


@dataclass(frozen=True)
class PhaseDiagram:
    """Grid results, arrays of shape ``(len(alpha), len(second))``.

    ``second_name`` is ``'omega'`` or ``'sigma2'``; ``t_commit``/``t_condense`` are masked
    arrays (mask: not applicable, data 0.0); ``committed`` is ``~t_commit.mask``.
    """

    prior: str
    sampler: str
    alpha: np.ndarray
    second_name: str
    second: np.ndarray
    fixed_name: str
    fixed: float
    t_commit: np.ma.MaskedArray
    t_condense: np.ma.MaskedArray
    mean_shift: np.ndarray
    var_ratio: np.ndarray
    kl_per_dim: np.ndarray
    margin: np.ndarray
    m_final: np.ndarray
    status: np.ndarray

    @property
    def committed(self) -> np.ndarray:
        return ~np.ma.getmaskarray(self.t_commit)


def _grid(name, values, lo, lo_open):
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise ParameterError(name, "must be a non-empty 1-d sequence of numbers")
    for v in arr:
        check_real(name, float(v), lo=lo, lo_open=lo_open)
    return np.ascontiguousarray(arr)


def phase_diagram(alpha_grid, omega_grid=None, *, sigma2_grid=None, sigma2: float = 1.0, omega: float | None = None,
                  sampler: str = "sde", prior: str = "sphere", T: float | None = None,
                  progress: Optional[Callable[[int, int], None]] = None, threads: int | None = None,
                  rule=None) -> PhaseDiagram:
    """Mean-field phase diagram over ``alpha_grid x omega_grid`` (fixed ``sigma2``) or
    ``alpha_grid x sigma2_grid`` (fixed constant ``omega``), for the guidance rule ``rule``
    (:mod:`cfgmft.guidance`; ``None``: cfg; the same kernel, with the rule's generated coefficients).

    ``progress(done, total)`` is called as lanes of points complete; ``threads`` defaults to
    ``numba.get_num_threads()``. ``alpha > 0`` finite on the grid.
    """
    pr = PRIORS.index(check_choice("prior", prior, PRIORS, fold_case=True))
    smp = SAMPLERS.index(check_choice("sampler", sampler, SAMPLERS, fold_case=True))
    alphas = _grid("alpha_grid", alpha_grid, 0.0, True)
    if (omega_grid is None) == (sigma2_grid is None):
        raise ParameterError("omega_grid", "give exactly one of omega_grid and sigma2_grid")
    if omega_grid is not None:
        seconds = _grid("omega_grid", omega_grid, -1.0, False)
        fixed = check_real("sigma2", sigma2, lo=0.0, lo_open=True)
        second_name, fixed_name, is_omega = "omega", "sigma2", True
    else:
        seconds = _grid("sigma2_grid", sigma2_grid, 0.0, True)
        if omega is None:
            raise ParameterError("omega", "a constant omega is required with sigma2_grid")
        fixed = check_real("omega", omega, lo=-1.0)
        second_name, fixed_name, is_omega = "sigma2", "omega", False
    T_val = start_time(None if T is None else check_real("T", T, lo=0.0, lo_open=True)) or T_DEFAULT
    n_a, n_b = alphas.size, seconds.size
    out = np.empty((n_a, n_b, 9))
    status = np.empty((n_a, n_b), dtype=np.int64)
    out[..., 8] = 0.0
    code, p1, p2 = rule_arrays(None if rule is None else as_rule(rule))
    _run_lanes(lambda idx: _grid_points(pr, smp, alphas, seconds, is_omega, fixed, T_val, RTOL, ATOL, idx, out,
                                        status, code, p1, p2), n_a * n_b, _n_threads(threads), progress)
    if not np.all(out[..., 8] == 1.0):
        raise NumericalError("step limit reached at some grid points")
    if not np.all(np.isfinite(out[..., 2:8])):
        raise NumericalError("non-finite results on the grid")
    tc, tk = out[..., 0], out[..., 1]
    cond_mask = status != ST_CONDENSED
    return PhaseDiagram(
        prior=PRIORS[pr], sampler=SAMPLERS[smp], alpha=alphas, second_name=second_name, second=seconds,
        fixed_name=fixed_name, fixed=fixed,
        t_commit=np.ma.MaskedArray(np.where(np.isnan(tc), 0.0, tc), mask=np.isnan(tc)),
        t_condense=np.ma.MaskedArray(np.where(cond_mask | np.isnan(tk), 0.0, tk), mask=cond_mask | np.isnan(tk)),
        mean_shift=out[..., 2].copy(), var_ratio=out[..., 3].copy(), kl_per_dim=out[..., 4].copy(),
        margin=out[..., 5].copy(), m_final=out[..., 6].copy(), status=status)


def alpha_c(omega, *, sigma2: float = 1.0, sampler: str = "sde", prior: str = "sphere", T: float | None = None,
            xtol: float = 1e-8, threads: int | None = None, rule=None):
    """Critical ``alpha_c(omega)``: commitment before ``t = 0`` iff ``alpha < alpha_c``, for the
    guidance rule ``rule`` (``None``: cfg).

    Bisection in ``alpha`` to ``xtol`` (default 1e-8). ``omega`` a constant or a 1-d array
    (threaded over its entries); returns a float or an array. ``0`` if even ``alpha = 1e-6``
    never commits, NaN if commitment persists beyond ``alpha = 1e3``.
    """
    pr = PRIORS.index(check_choice("prior", prior, PRIORS, fold_case=True))
    smp = SAMPLERS.index(check_choice("sampler", sampler, SAMPLERS, fold_case=True))
    s2 = check_real("sigma2", sigma2, lo=0.0, lo_open=True)
    xt = check_real("xtol", xtol, lo=0.0, lo_open=True)
    T_val = start_time(None if T is None else check_real("T", T, lo=0.0, lo_open=True)) or T_DEFAULT
    scalar = np.ndim(omega) == 0
    ws = _grid("omega", omega, -1.0, False)
    out = np.empty(ws.size)
    code, p1, p2 = rule_arrays(None if rule is None else as_rule(rule))
    _run_lanes(lambda idx: _alpha_c_points(pr, smp, ws, s2, T_val, xt, RTOL, ATOL, idx, out, code, p1, p2), ws.size,
               _n_threads(threads))
    return float(out[0]) if scalar else out


def alpha_c_schedule(schedule, *, sigma2: float = 1.0, sampler: str = "sde", prior: str = "sphere",
                     T: float | None = None, xtol: float = 1e-8, rule=None) -> float:
    """The critical ``alpha_c`` of :func:`alpha_c` for any guidance schedule (a
    :class:`cfgmft.schedules.Schedule`, its text or JSON form, or a number): commitment before
    ``t = 0`` iff ``alpha < alpha_c``, by the same bisection on the same kernel, over the
    schedule's piecewise table, for the guidance rule ``rule`` (``None``: cfg). A constant schedule
    gives exactly :func:`alpha_c`'s bisection."""
    from .exponential import schedule_arrays

    pr = PRIORS.index(check_choice("prior", prior, PRIORS, fold_case=True))
    smp = SAMPLERS.index(check_choice("sampler", sampler, SAMPLERS, fold_case=True))
    s2 = check_real("sigma2", sigma2, lo=0.0, lo_open=True)
    xt = check_real("xtol", xtol, lo=0.0, lo_open=True)
    T_val = start_time(None if T is None else check_real("T", T, lo=0.0, lo_open=True)) or T_DEFAULT
    bps, coef = schedule_arrays(schedule)
    code, p1, p2 = rule_arrays(None if rule is None else as_rule(rule))

    def committed(alpha):
        tc = integrate(pr, smp, alpha, s2, bps, coef, T_val, RTOL, ATOL, code, p1, p2)[2]
        return tc == tc

    lo = 1e-6
    if not committed(lo):
        return 0.0
    hi = 1.0
    while committed(hi):
        lo, hi = hi, 2.0 * hi
        if hi > 1e3:
            return math.nan
    while hi - lo > xt:
        mid = 0.5 * (lo + hi)
        if committed(mid):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def prepare() -> None:
    """Compile (or load from the cache) the phase-diagram kernels."""
    phase_diagram([0.3], [1.0], sigma2=1.0, sampler="sde", prior="sphere")
    alpha_c(1.0, xtol=1e-2)
