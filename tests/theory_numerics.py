"""Numerical evaluators of the theory's derivations, for the tests.

:mod:`cfgmft.theory` is sympy only: derivation objects whose results are attributes, the
numerics left to the caller. This module is such a caller. It evaluates the expressions of
:func:`cfgmft.theory.rem.rem_derivation` and :func:`cfgmft.theory.exponential.exponential_derivation`
with ``sympy.lambdify`` (vectorised, numpy broadcasting, float64) and integrates the
mean-field equations with scipy (LSODA with the commitment event). The tests use it to check
the derivations numerically and as a code path independent of the generated numba kernels of
:mod:`cfgmft.solvers.exponential`.

Random energy model: :func:`rem_state` (phase and saddle point of the competitors at
``(t, r)``; ``lambda_alpha`` by a vectorised bisection in ``u = 1/lambda``, gaussian prior,
or in closed form, sphere prior), :func:`phi`, :func:`condensed`, :func:`competitor_rho`,
:func:`condensation_radius`, :func:`rem_numerics`. Exponential-class mean field:
:func:`target_energy`, :func:`switching_function`, :func:`branch`, :func:`V_omega`,
:func:`guided_coefficients`, :func:`mean_field_rhs`, :func:`t_collapse_closed`,
:func:`t_collapse` (brentq), :func:`integrate_mean_field` (:class:`MeanFieldResult`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np
import sympy as sp

from cfgmft.errors import ParameterError
from cfgmft.theory.checks import check_prior
from cfgmft.theory.exponential import SAMPLERS, exponential_derivation, rho_s
from cfgmft.theory.rem import alpha, explicit_ab, lam, phi_s, q, rem_derivation, u_lam, y_ov
from cfgmft.theory.symbols import M, S, omega, r, sigma2, t


def _lambdify(args, expr) -> Callable:
    """``sympy.lambdify`` of ``expr`` written explicitly in ``t``, ``sigma2`` (scipy, numpy; cse)."""
    expr = explicit_ab(expr)
    free = expr.free_symbols - set(args)
    if free:
        raise ValueError(f"free symbols {free} are not arguments")
    return sp.lambdify(args, expr, modules=["scipy", "numpy"], cse=True)


# --- random energy model (cfgmft.theory.rem) ----------------------------------------------------
@dataclass(frozen=True)
class REMNumerics:
    """Vectorised evaluators of one prior's derivation (all float64, numpy broadcasting).

    Arguments are ``(t, r, sigma2, lam)``, plus ``alpha`` where it enters.
    """

    prior: str
    y: Callable
    n_perp: Callable
    rate: Callable
    energy: Callable
    rho: Callable
    dphi_dr: Callable
    perp_variance: Callable
    phi_annealed: Callable
    rate_saddle: Callable
    condensation_radius: Callable
    rate_u: Callable | None
    lambda_alpha: Callable | None


@functools.lru_cache(maxsize=None)
def rem_numerics(prior: str = "gaussian") -> REMNumerics:
    """Build (once) the numerical evaluators of ``prior`` from its derivation by ``sympy.lambdify``."""
    der = rem_derivation(prior)
    fam_args = (t, r, sigma2, lam)
    return REMNumerics(
        prior=prior,
        y=_lambdify(fam_args, der.family[y_ov]),
        n_perp=_lambdify(fam_args, der.n_perp_family),
        rate=_lambdify(fam_args, der.rate_family),
        energy=_lambdify(fam_args, der.energy_family),
        rho=_lambdify(fam_args, der.rho_family),
        dphi_dr=_lambdify(fam_args, der.dphi_dr),
        perp_variance=_lambdify(fam_args, der.perp_variance),
        phi_annealed=_lambdify((t, r, alpha, sigma2), der.phi_annealed),
        rate_saddle=_lambdify((t, r, sigma2), der.rate_saddle),
        condensation_radius=_lambdify((t, alpha, sigma2), der.condensation_radius),
        rate_u=(_lambdify((t, r, sigma2, u_lam), der.rate_family_u) if prior == "gaussian" else None),
        lambda_alpha=(_lambdify((t, r, alpha, sigma2), der.lambda_alpha) if der.lambda_alpha is not None else None),
    )


class REMState(NamedTuple):
    """State of the competitors at ``(t, r)``; every field is an array of the broadcast shape.

    ``lam`` Lagrange multiplier (1 uncondensed), ``condensed`` bool, ``y`` overlap of the
    dominant competitors with ``xhat`` (per ``sqrt(d)``), ``n_perp`` their orthogonal squared
    norm per dimension, ``phi`` the free energy per dimension, ``dphi_dr`` its ``r``-derivative,
    ``rho`` the self-averaging competitors' mean ``E[mu|x, not c] = rho x``, ``perp_variance``
    the average squared norm per coordinate of the part of that mean ``rho`` leaves out.
    """

    lam: np.ndarray
    condensed: np.ndarray
    y: np.ndarray
    n_perp: np.ndarray
    phi: np.ndarray
    dphi_dr: np.ndarray
    rho: np.ndarray
    perp_variance: np.ndarray


def _as_arrays(t_, r_, alpha_, sigma2_):
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (t_, r_, alpha_, sigma2_)))
    names = ("t", "r", "alpha", "sigma2")
    for name, arr, lo_open in zip(names, arrs, (False, False, True, True)):
        if not np.all(np.isfinite(arr)):
            raise ParameterError(name, "must be finite")
        if np.any(arr < 0) or (lo_open and np.any(arr == 0)):
            raise ParameterError(name, "must be " + ("> 0" if lo_open else ">= 0"))
    return tuple(np.array(a_, dtype=np.float64) for a_ in arrs)


def _bisect_u(fn, target, n_iter: int = 64):
    """Vectorised bisection of ``fn(u) = target`` on ``u in [0, 1]`` (``fn`` increasing)."""
    lo = np.zeros_like(target)
    hi = np.ones_like(target)
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        above = fn(mid) > target
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return 0.5 * (lo + hi)


def rem_state(t, r, alpha, sigma2, prior: str = "gaussian") -> REMState:
    """Phase and saddle point of the competitors' random energy model at ``(t, r)``.

    ``lambda = max(1, lambda_alpha)`` with ``I(lambda_alpha) = alpha``: for the gaussian prior
    ``lambda_alpha`` is found by a vectorised bisection in ``u = 1/lambda in (0, 1]`` (64
    halvings: ``u`` to machine precision; ``I(u)`` is increasing), for the sphere prior it is
    the closed form ``a sqrt(r) exp(-2 alpha)/sqrt(1 - exp(-2 alpha))``. Uncondensed points
    use the closed form ``phi_ann`` of the derivation.
    """
    prior = check_prior(prior)
    t_, r_, al, s2 = _as_arrays(t, r, alpha, sigma2)
    f = rem_numerics(prior)
    I1 = np.asarray(f.rate_saddle(t_, r_, s2), dtype=np.float64)
    cond = I1 > al
    lam_v = np.ones_like(t_)
    if np.any(cond):
        tc, rc, ac, sc = t_[cond], r_[cond], al[cond], s2[cond]
        if prior == "gaussian":
            u = _bisect_u(lambda uu: f.rate_u(tc, rc, sc, uu), ac)
            lam_v[cond] = 1.0 / u
        else:
            lam_v[cond] = f.lambda_alpha(tc, rc, ac, sc)
    lam_v = np.maximum(lam_v, 1.0)
    phi_v = np.where(cond, f.energy(t_, r_, s2, lam_v), f.phi_annealed(t_, r_, al, s2))
    out = REMState(
        lam=lam_v, condensed=cond,
        y=np.broadcast_to(f.y(t_, r_, s2, lam_v), t_.shape).astype(np.float64),
        n_perp=np.broadcast_to(f.n_perp(t_, r_, s2, lam_v), t_.shape).astype(np.float64),
        phi=np.asarray(phi_v, dtype=np.float64),
        dphi_dr=np.broadcast_to(f.dphi_dr(t_, r_, s2, lam_v), t_.shape).astype(np.float64),
        rho=np.broadcast_to(f.rho(t_, r_, s2, lam_v), t_.shape).astype(np.float64),
        perp_variance=np.broadcast_to(f.perp_variance(t_, r_, s2, lam_v), t_.shape).astype(np.float64),
    )
    if t_.ndim == 0:
        out = REMState(*(v[()] for v in out))
    return out


def phi(t, r, alpha, sigma2, prior: str = "gaussian"):
    """``phi(t, r) = lim (1/d) log sum_{k != c} exp(d [a_t q_k - b_t n_k])``, ``K - 1 = exp(alpha d)``.

    Both phases: ``alpha + a^2 r/(2(1+2b)) - log(1+2b)/2`` (gaussian, uncondensed),
    ``alpha - b + c y* + log(1 - y*^2)/2`` (sphere, uncondensed), ``E(lambda_alpha)``
    (condensed). Vectorised over all arguments.
    """
    return rem_state(t, r, alpha, sigma2, prior).phi


def condensed(t, r, alpha, sigma2, prior: str = "gaussian"):
    """``True`` where the competitors are condensed: the annealed saddle has ``I > alpha``."""
    return rem_state(t, r, alpha, sigma2, prior).condensed


def competitor_rho(t, r, alpha, sigma2, prior: str = "gaussian"):
    """``rho`` with ``E[mu | x, not c] -> rho x`` (self-averaging part; ``rho = 2 phi'(r)/a_t``).

    Uncondensed: ``exp(-t)/G_t`` (gaussian), ``2 a/(1 + sqrt(1 + 4 a^2 r))`` (sphere).
    Condensed: ``y(lambda_alpha)/sqrt(r)``; the random orthogonal part of the few dominant
    classes (see :attr:`REMState.perp_variance`) is not included.
    """
    return rem_state(t, r, alpha, sigma2, prior).rho


def condensation_radius(t, alpha, sigma2, prior: str = "gaussian"):
    """``r_c(t)``: the competitors are condensed iff ``r > r_c`` (``r_c <= 0``: at every ``r``)."""
    prior = check_prior(prior)
    t_, _, al, s2 = _as_arrays(t, 0.0, alpha, sigma2)
    val = np.asarray(rem_numerics(prior).condensation_radius(t_, al, s2), dtype=np.float64)
    return val[()] if val.ndim == 0 else val


# --- exponential-class mean field (cfgmft.theory.exponential) ---------------------------------------
@dataclass(frozen=True)
class _Numerics:
    target_energy: Callable            # (t, q, sigma2)
    V_committed: Callable              # (t, q, r, omega, alpha, sigma2)
    V_uncommitted: Callable            # (t, q, r, omega, alpha, sigma2, phi)
    A_uncommitted: Callable            # (t, omega, sigma2, rho)
    B_uncommitted: Callable            # (t, omega, sigma2)
    A_committed: Callable              # (t, sigma2)
    B_committed: Callable              # (t, sigma2)
    rhs_uncommitted: dict              # sampler -> (t, M, S, omega, sigma2, rho)
    rhs_committed: dict                # sampler -> (t, M, S, sigma2)
    t_collapse: Callable               # (alpha, sigma2)


@functools.lru_cache(maxsize=None)
def _numerics(prior: str) -> _Numerics:
    der = exponential_derivation(prior)
    A_unc, B_unc = der.AB_direct["uncommitted"]
    A_com, B_com = der.AB_direct["committed"]
    return _Numerics(
        target_energy=_lambdify((t, q, sigma2), der.target_energy),
        V_committed=_lambdify((t, q, r, omega, alpha, sigma2), der.V_branch["committed"]),
        V_uncommitted=_lambdify((t, q, r, omega, alpha, sigma2, phi_s), der.V_branch["uncommitted"]),
        A_uncommitted=_lambdify((t, omega, sigma2, rho_s), A_unc),
        B_uncommitted=_lambdify((t, omega, sigma2), B_unc),
        A_committed=_lambdify((t, sigma2), A_com.subs(omega, 0)),
        B_committed=_lambdify((t, sigma2), B_com.subs(omega, 0)),
        rhs_uncommitted={smp: _lambdify((t, M, S, omega, sigma2, rho_s), der.mean_field_rhs_rho[smp])
                         for smp in SAMPLERS},
        rhs_committed={smp: _lambdify((t, M, S, sigma2), der.mean_field_rhs[("committed", smp)])
                       for smp in SAMPLERS},
        t_collapse=_lambdify((alpha, sigma2), der.t_collapse_expr),
    )


def _f64(*vals):
    return np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in vals))


def _scalar(v):
    v = np.asarray(v, dtype=np.float64)
    return v[()] if v.ndim == 0 else v


def _check_sampler(sampler) -> str:
    if sampler not in SAMPLERS:
        raise ParameterError("sampler", f"must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    return sampler


def target_energy(t, q, sigma2):
    """``e_c = a_t q - b_t``: the target class's energy per dimension (``n_c = 1``)."""
    f = _numerics("gaussian")
    return _scalar(f.target_energy(*_f64(t, q, sigma2)))


def switching_function(t, q, r, alpha, sigma2, prior: str = "gaussian"):
    """``e_c - phi(t, r)``: positive where the target dominates (committed branch)."""
    t_, q2, r2, al, s2 = _f64(t, q, r, alpha, sigma2)
    return _scalar(target_energy(t_, q2, s2) - rem_state(t_, r2, al, s2, prior).phi)


def branch(t, q, r, alpha, sigma2, prior: str = "gaussian"):
    """Branch code (index into :data:`BRANCHES`): 0 committed, 1 uncondensed, 2 condensed."""
    t_, q2, r2, al, s2 = _f64(t, q, r, alpha, sigma2)
    st = rem_state(t_, r2, al, s2, prior)
    com = target_energy(t_, q2, s2) > st.phi
    return np.where(com, 0, np.where(st.condensed, 2, 1))


def V_omega(t, q, r, omega, alpha, sigma2, prior: str = "gaussian"):
    """``V_omega(q, r) = r/(2 Gamma) + log(2 pi Gamma)/2 - (1+omega) e_c + omega (max(e_c, phi) - alpha)``."""
    f = _numerics(check_prior(prior))
    t_, q2, r2, w, al, s2 = _f64(t, q, r, omega, alpha, sigma2)
    ph = rem_state(t_, r2, al, s2, prior).phi
    ec = f.target_energy(t_, q2, s2)
    return _scalar(np.where(ec > ph, f.V_committed(t_, q2, r2, w, al, s2),
                            f.V_uncommitted(t_, q2, r2, w, al, s2, ph)))


def guided_coefficients(t, q, r, omega, alpha, sigma2, prior: str = "gaussian"):
    """``(A, B)`` of the guided score ``s = -A x + B mu_c`` on the branch of ``(t, q, r)``.

    Committed: ``A = 1/Gamma``, ``B = exp(-t)/Gamma``. Uncommitted: ``A = (1+omega)/Gamma -
    omega (1 - exp(-t) rho)/Gamma``, ``B = (1+omega) exp(-t)/Gamma`` with ``rho`` from
    :func:`competitor_rho` (self-averaging part when condensed).
    """
    f = _numerics(check_prior(prior))
    t_, q2, r2, w, al, s2 = _f64(t, q, r, omega, alpha, sigma2)
    st = rem_state(t_, r2, al, s2, prior)
    com = f.target_energy(t_, q2, s2) > st.phi
    A_ = np.where(com, f.A_committed(t_, s2), f.A_uncommitted(t_, w, s2, st.rho))
    B_ = np.where(com, f.B_committed(t_, s2), f.B_uncommitted(t_, w, s2))
    return _scalar(A_), _scalar(B_)


def mean_field_rhs(t, M, S, omega, alpha, sigma2, prior: str = "gaussian", sampler: str = "sde",
                   committed=None):
    """``(dM/dtau, dS/dtau)`` at forward time ``t`` (backward time ``tau = T - t``).

    ``omega`` is the schedule's value ``omega(t)``. The branch is read off ``(M, M^2 + S)``
    unless ``committed`` (bool or array) forces it.
    """
    smp = _check_sampler(sampler)
    f = _numerics(check_prior(prior))
    t_, M2, S2, w, al, s2 = _f64(t, M, S, omega, alpha, sigma2)
    st = rem_state(t_, M2 ** 2 + S2, al, s2, prior)
    com = (f.target_energy(t_, M2, s2) > st.phi) if committed is None else np.asarray(committed, dtype=bool)
    unc = f.rhs_uncommitted[smp](t_, M2, S2, w, s2, st.rho)
    cm = f.rhs_committed[smp](t_, M2, S2, s2)
    return tuple(_scalar(np.where(com, c_, u_)) for c_, u_ in zip(cm, unc))


def t_collapse_closed(alpha, sigma2):
    """``t_C = log(1 + 1/(exp(2 alpha) - 1) - sigma2)/2``.

    NaN where ``sigma2 (exp(2 alpha) - 1) >= 1``: no collapse.
    """
    al, s2 = _f64(alpha, sigma2)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = _numerics("gaussian").t_collapse(al, s2)
    val = np.where(s2 * np.expm1(2 * al) < 1, val, np.nan)
    return _scalar(val)


def t_collapse(alpha, sigma2, prior: str = "gaussian", *, t_max: float = 50.0, xtol: float = 1e-15):
    """Collapse time by root finding: own energy ``b_t`` equals ``phi(t, G_t)`` (brentq).

    Uses the full ``phi`` of :func:`rem_state` (both phases) at the typical radius ``r = G_t`` of
    the unconditional process; NaN if the own energy never exceeds ``phi`` on ``(0, t_max]``.
    """
    from scipy.optimize import brentq

    prior = check_prior(prior)
    al = float(alpha)
    s2 = float(sigma2)

    def gap(tt):
        Gt = 1 + s2 * np.exp(-2 * tt)
        return float(target_energy(tt, np.exp(-tt), s2) - rem_state(tt, Gt, al, s2, prior).phi)

    lo = 1e-12
    if gap(lo) <= 0:
        return float("nan")
    return brentq(gap, lo, t_max, xtol=xtol, rtol=4 * np.finfo(float).eps, maxiter=500)


# --- reference integrator ------------------------------------------------------------------------------
@dataclass
class MeanFieldResult:
    """Mean-field trajectory. ``t`` decreasing from ``T`` to ``t_end``; ``M``, ``S`` on it.

    ``t_commit`` the commitment time (NaN if none), ``t_condense`` the first time the
    competitors condense before commitment (NaN if never), ``M0``, ``S0`` the final values,
    ``recrossed`` whether the switching function became negative again after commitment
    (the committed branch is kept, so this flags an inconsistency), ``status``/``message``.
    """

    t: np.ndarray
    M: np.ndarray
    S: np.ndarray
    t_commit: float
    t_condense: float
    M0: float
    S0: float
    recrossed: bool
    status: int
    message: str


def integrate_mean_field(omega, alpha, sigma2, prior: str = "gaussian", sampler: str = "sde", *,
                         T: float = 10.0, t_end: float = 0.0, M_T: float = 0.0, S_T: float = 1.0,
                         rtol: float = 1e-10, atol: float = 1e-12) -> MeanFieldResult:
    """Reference (scipy) integration of the mean-field equations with the commitment event.

    ``omega`` a constant or a callable ``omega(t)``. Integrates forward time ``t`` from ``T``
    down to ``t_end`` (``dM/dt = -dM/dtau``) on the uncommitted branch until the switching
    function ``a M - b - phi(t, M^2 + S)`` crosses zero (event refined by the root finder of
    ``solve_ivp``), then on the committed branch. Default start ``x_T ~ N(0, I)``
    (``M_T = 0``, ``S_T = 1``).
    """
    from scipy.integrate import solve_ivp

    prior = check_prior(prior)
    smp = _check_sampler(sampler)
    al, s2 = float(alpha), float(sigma2)
    wfn = omega if callable(omega) else (lambda tt, _w=float(omega): _w)

    def rhs(tt, y, com):
        dM, dS = mean_field_rhs(tt, y[0], y[1], wfn(tt), al, s2, prior, smp, committed=com)
        return [-float(dM), -float(dS)]

    def ev_commit(tt, y):
        return float(switching_function(tt, y[0], y[0] ** 2 + y[1], al, s2, prior))
    ev_commit.terminal = True
    ev_commit.direction = 1.0  # from uncommitted (< 0) to committed (> 0) as t decreases

    def ev_cond(tt, y):
        return float(y[0] ** 2 + y[1] - condensation_radius(tt, al, s2, prior))
    ev_cond.terminal = False
    ev_cond.direction = 1.0  # entering the condensed phase

    sol1 = solve_ivp(lambda tt, y: rhs(tt, y, False), (T, t_end), [M_T, S_T], method="LSODA", rtol=rtol, atol=atol,
                     events=[ev_commit, ev_cond], dense_output=True)
    ts, Ms, Ss = [sol1.t], [sol1.y[0]], [sol1.y[1]]
    t_commit = float(sol1.t_events[0][0]) if len(sol1.t_events[0]) else float("nan")
    t_condense = float(sol1.t_events[1][0]) if len(sol1.t_events[1]) else float("nan")
    if ev_cond(T, [M_T, S_T]) > 0:
        t_condense = T
    recrossed = False
    status, message = sol1.status, sol1.message
    if np.isfinite(t_commit) and t_commit > t_end:
        y0 = sol1.y_events[0][0]
        sol2 = solve_ivp(lambda tt, y: rhs(tt, y, True), (t_commit, t_end), list(y0), method="LSODA", rtol=rtol,
                         atol=atol, dense_output=True)
        ts.append(sol2.t[1:])
        Ms.append(sol2.y[0][1:])
        Ss.append(sol2.y[1][1:])
        grid = np.linspace(t_commit, t_end, 400)[1:]
        yy = sol2.sol(grid)
        sw = switching_function(grid, yy[0], yy[0] ** 2 + yy[1], al, s2, prior)
        recrossed = bool(np.any(np.asarray(sw) < -1e-9))
        status, message = sol2.status, sol2.message
    tt = np.concatenate(ts)
    MM = np.concatenate(Ms)
    SS = np.concatenate(Ss)
    return MeanFieldResult(t=tt, M=MM, S=SS, t_commit=t_commit, t_condense=t_condense, M0=float(MM[-1]),
                           S0=float(SS[-1]), recrossed=recrossed, status=int(status), message=str(message))
