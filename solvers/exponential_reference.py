"""Reference integration of the exponential-class mean-field equations with scipy.

Independent of the numba kernels of :mod:`cfgmft.solvers.exponential` except for the
formulas (the plain-Python generated module :mod:`cfgmft.solvers._generated.exponential`):
``scipy.integrate.solve_ivp`` (DOP853) with terminal events (commitment, condensation,
uncondensation) refined by solve_ivp's own root finder, ``lambda_alpha`` of the gaussian
prior by ``scipy.optimize.brentq``, piecewise between schedule breakpoints. The state is
``(M, log S)`` (the generated log-variance equations, ``r = M^2 + exp(log S)``), so a tiny ``S``
keeps its relative accuracy; ``atol`` applies to both components (to ``log S`` it is a
relative tolerance on ``S``). Used by the tests and the benchmark; slow (pure Python
right-hand sides).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from cfgmft.errors import NumericalError
from cfgmft.schedules import as_schedule

from ._generated import exponential as gen

__all__ = ["integrate_reference"]


def _lambda_alpha(prior, t, r, alpha, sigma2):
    if prior == "sphere":
        return gen.rem_sphere_lambda_alpha(t, r, alpha, sigma2)
    hi = 1.0
    while gen.rem_gaussian_rate_u(t, r, sigma2, hi) < alpha:
        hi *= 2.0
    u = brentq(lambda uu: gen.rem_gaussian_rate_u(t, r, sigma2, uu) - alpha, 0.0, hi, xtol=1e-300, rtol=1e-15,
               maxiter=500)
    return 1.0 / u


def _phi_rho(prior, condensed, t, r, alpha, sigma2):
    pre = "rem_gaussian_" if prior == "gaussian" else "rem_sphere_"
    if condensed:
        lam = _lambda_alpha(prior, t, r, alpha, sigma2)
        return getattr(gen, pre + "energy_family")(t, r, sigma2, lam), getattr(gen, pre + "rho_family")(t, r, sigma2, lam)
    phi = getattr(gen, pre + "phi_annealed")(t, r, alpha, sigma2) if math.isfinite(alpha) else math.inf
    return phi, getattr(gen, pre + "rho_family")(t, r, sigma2, 1.0)


def integrate_reference(prior, sampler, alpha, sigma2, omega, T=40.0, *, rtol=1e-12, atol=1e-14, log=False,
                        rhs_uncommitted=None):
    """``(M0, S0, t_commit, t_condense, nfev)`` by solve_ivp (DOP853); NaN for absent events.
    With ``log=True`` the second entry is ``log S0`` (finite where ``S0`` underflows).
    ``alpha = inf``: the infinite-class limit (never committed, never condensed).
    ``rhs_uncommitted(t, M, log_S, omega, rho) -> (dM/dtau, d log_S/dtau)`` replaces the generated
    CFG equations of the uncommitted branches (another guidance rule, :mod:`cfgmft.solvers.rules`)."""
    sch = as_schedule(omega)
    pre = "rem_gaussian_" if prior == "gaussian" else "rem_sphere_"
    finite = math.isfinite(alpha)
    cond_res = getattr(gen, pre + "condensation_residual")
    bps = sorted((b for b in sch.breakpoints if 0 < b < T), reverse=True)
    edges = [T, *bps, 0.0]
    y = np.array([0.0, 0.0])  # (M, log S) at t = T: M = 0, S = 1
    t = T
    mode = 2 if finite and cond_res(T, 1.0, alpha, sigma2) > 0 else 1
    t_condense = T if mode == 2 else math.nan
    t_commit = math.nan
    nfev = 0
    for hi, lo in zip(edges[:-1], edges[1:]):
        eps = 1e-12 * (hi - lo)

        def rhs(tt, yy):
            M, log_S = yy
            if mode == 0:
                f = gen.rhs_committed_log_sde if sampler == "sde" else gen.rhs_committed_log_ode
                dM, dlog = f(tt, M, log_S, sigma2)
            else:
                w = float(sch(min(max(tt, lo + eps), hi - eps)))
                _, rho = _phi_rho(prior, mode == 2, tt, M * M + math.exp(log_S), alpha, sigma2)
                if rhs_uncommitted is not None:
                    dM, dlog = rhs_uncommitted(tt, M, log_S, w, rho)
                else:
                    f = gen.rhs_uncommitted_log_sde if sampler == "sde" else gen.rhs_uncommitted_log_ode
                    dM, dlog = f(tt, M, log_S, w, sigma2, rho)
            return [-dM, -dlog]

        def ev_commit(tt, yy):
            if mode == 0 or not finite:
                return -1.0
            phi, _ = _phi_rho(prior, mode == 2, tt, yy[0] ** 2 + math.exp(yy[1]), alpha, sigma2)
            return gen.switching(tt, yy[0], phi, sigma2)
        ev_commit.terminal = True
        ev_commit.direction = 1.0

        def ev_cond(tt, yy):
            if mode == 0 or not finite:
                return -1.0
            val = cond_res(tt, yy[0] ** 2 + math.exp(yy[1]), alpha, sigma2)
            return val if mode == 1 else -val
        ev_cond.terminal = True
        ev_cond.direction = 1.0

        while t > lo:
            sol = solve_ivp(rhs, (t, lo), y, method="DOP853", rtol=rtol, atol=atol, events=[ev_commit, ev_cond])
            nfev += sol.nfev
            if sol.status < 0:
                raise NumericalError(f"solve_ivp failed: {sol.message}")
            hit = [(float(te[0]), k) for k, te in enumerate(sol.t_events) if len(te) and te[0] < t]
            if not hit:
                t, y = lo, sol.y[:, -1]
                break
            te, k = max(hit)
            y = sol.y_events[k][0]
            t = te
            if k == 0:
                mode = 0
                t_commit = te
            elif mode == 1:
                mode = 2
                if t_condense != t_condense:
                    t_condense = te
            else:
                mode = 1
    second = float(y[1]) if log else math.exp(float(y[1]))
    return float(y[0]), second, t_commit, t_condense, nfev
