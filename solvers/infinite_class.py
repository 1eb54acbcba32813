"""Predictions of CFG in the infinite-class limit (docs/explanation/model.md section 5.6).

The guided score is ``s = (1+omega) s_c - omega s_u`` (diffusers/EDM guidance scale
``w = 1 + omega``). For the ``gaussian`` prior it is linear, ``s = -A x + B mu_c``, so the
generated law is exactly ``N(M mu_c, S I)`` at every dimension; for the ``sphere`` prior the
same holds only as ``d -> infinity``, with ``A`` depending on ``r = M^2 + S`` (mean-field).
Sampling starts at ``t = T`` from ``N(0, I)`` (``M = 0``, ``S = 1``).

Result: a :class:`cfgmft.results.Prediction` of the generated law ``N(m_final mu_c, var_ratio
sigma2 I)``: ``m_final = M(0)`` (mean overlap ``E[x.mu_c]/|mu_c|^2``; exact sampling: 1),
``mean_shift = m_final - 1``, ``log_var_ratio = log(S(0)/sigma2)`` (natural log; exact: 0),
``var_ratio = exp(log_var_ratio)`` (exact: 1), ``kl_per_dim`` =
``KL(generated || N(mu_c, sigma2 I))/d`` with ``|mu_c|^2 = d``,
``(var_ratio - 1 - log var_ratio + mean_shift^2/sigma2)/2``, evaluated from ``log_var_ratio``
(the generated ``kl_per_dim_log``); ``method``; ``notes`` (what was assumed and how it was
computed); the inputs ``prior``, ``sampler``, ``sigma2``, ``omega`` (the constant or
``'schedule: <spec>'``), ``T`` (``inf`` for the limit); ``convention``;
``status = 'infinite_class'`` and a ``message``.

Every method computes ``log_var_ratio``, not ``var_ratio``: the ODE closed form's
``-omega log1p(1/sigma2)``, the quadrature's ``2 L + log S_T`` (ODE), the sphere mean field's
integrated ``log S``. Where ``var_ratio`` is below float64's range (about ``1e-308``) while its
log is finite, ``var_ratio`` is reported as ``0.0`` with the exact ``log_var_ratio`` and
``kl_per_dim``, and a note says so; a non-finite ``log_var_ratio`` or KL is a
:class:`~cfgmft.errors.NumericalError`.

Methods (``method``):

``closed_form``
    gaussian prior, constant ``omega``, ``T -> infinity``: the closed forms derived in
    :mod:`cfgmft.theory.infinite_class`.
``quadrature``
    gaussian prior otherwise (schedule ``omega(t)`` and/or finite ``T``): the forward
    integrating-factor system ``L' = 1 - A`` (ODE) or ``1 - 2A`` (SDE),
    ``J_M' = B e^L`` (ODE) or ``2 B e^L`` (SDE), ``J_S' = 2 e^{2L}`` (SDE), from zeros at
    ``t = 0`` to ``t = T``; then ``M(0) = J_M``, ``S(0) = e^{2L} (+ J_S)``. For
    ``T -> infinity`` the integration stops at ``t_max`` (default 40), extended until the
    neglected tails are below ``1e-16`` relative: the integrands decay like ``e^{-t}`` (ODE
    mean) or ``e^{-2t}`` (the others), since ``A -> 1`` and ``B ~ (1+omega) e^{-t}``.
``mean_field_ode``
    sphere prior: the nonlinear moment equations in ``(M, log S)`` (``d log S/dtau = 2(1 - A)``
    for the ODE, ``2(1 - 2A) + 2 e^{-log S}`` for the SDE) integrated backward from ``t = T``
    (or ``t_max``) to 0; an absolute tolerance on ``log S`` is a relative one on ``S``, so ``S``
    keeps its relative accuracy however small it gets (``S`` itself, with an absolute
    tolerance, loses it below that tolerance and can even turn negative). Starting at
    ``t_max`` instead of infinity changes the state there by ``O((1+|omega|) e^{-t_max})``
    (``A - 1 = O(e^{-2t})``, ``B = O(e^{-t})``), below ``1e-16`` for the default
    ``t_max = 40``.

Schedules are callables ``omega(t)`` vectorised over float64 arrays; an optional
``breakpoints`` attribute (a sequence of ``t`` where the schedule may jump) makes the
integration piecewise, so discontinuous (interval, window) schedules keep full accuracy.

All formulas come from the generated module :mod:`cfgmft.solvers._generated.infinite_class`;
nothing here imports sympy.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, Sequence, Union

import numpy as np

from cfgmft.conventions import CONVENTION_LONG, SAMPLERS
from cfgmft.conventions import IID_PRIORS as PRIORS
from cfgmft.errors import NumericalError, check_choice, check_real
from cfgmft.results import Prediction
from cfgmft.schedules import omega_function

from ._generated import infinite_class as gen

__all__ = ["predict_infinite_class", "underflow_note", "PRIORS", "SAMPLERS",
           "T_MAX_DEFAULT", "TAIL_RTOL"]

#: where the T -> infinity integrations start (extended if the tails are not negligible)
T_MAX_DEFAULT = 40.0
#: bound on the neglected tail, relative, for T -> infinity
TAIL_RTOL = 1e-16
_T_MAX_LIMIT = 400.0
_RTOL = 1e-12
#: absolute tolerances: tiny for the mean and accumulated integrals (all of one sign and
#: smooth), 1e-14 for the exponents L and log S (an absolute error dL is a relative error 2 dL
#: of S(0), and an error in log S a relative error in S; where they stay at 0, their rate is
#: pure rounding noise that a tinier atol would chase).
_ATOL_SMALL = 1e-30
_ATOL_L = 1e-14
#: absolute tolerance of the mean (J_M, M): its rate carries the rounding of ``1 + omega``
#: (absolute ~1e-16 where omega = -1 + small), which a tinier atol would chase with steps of
#: ~1e-15 near such a point; 1e-18 is far below any overlap worth reporting (m is O(1) or
#: exactly 0 for omega = -1, reported then as |m_final| below ~1e-16)
_ATOL_M = 1e-18

OmegaLike = Union[float, Callable[[np.ndarray], np.ndarray]]


def _exp(x: float) -> float:
    """``exp(x)``, ``inf`` on overflow (refused by the caller), ``0.0`` on underflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def underflow_note(log_var_ratio: float) -> str:
    """The note of a prediction whose ``var_ratio = exp(log_var_ratio)`` underflows float64."""
    return (f"var_ratio = exp(log_var_ratio) = 10^{log_var_ratio / math.log(10):.6g} is below float64's range "
            "and reported as 0.0; log_var_ratio and kl_per_dim are exact")


# --------------------------------------------------------------------------------------------------
# validation (ParameterError is a ValueError whose message starts with the argument's name)
def _check_sigma2(sigma2) -> float:
    return check_real("sigma2", sigma2, lo=0.0, lo_open=True)


def _check_T(T) -> float:
    if T is None or (isinstance(T, numbers.Real) and not isinstance(T, bool) and float(T) == math.inf):
        return math.inf
    return check_real("T", T, lo=0.0, lo_open=True)


def _segments(t0: float, t1: float, breakpoints: Sequence[float]) -> list[tuple[float, float]]:
    """Split ``[t0, t1]`` (either order) at the breakpoints strictly inside it."""
    lo, hi = min(t0, t1), max(t0, t1)
    cuts = [b for b in breakpoints if lo < b < hi]
    pts = [lo, *cuts, hi]
    segs = list(zip(pts[:-1], pts[1:]))
    return segs if t1 >= t0 else [(b, a) for a, b in reversed(segs)]


def _inside(t: float, lo: float, hi: float) -> float:
    """Where to evaluate the schedule at time ``t`` of the segment ``[lo, hi]``.

    The Runge-Kutta stages reach the segment ends, where a jump of ``omega`` belongs to the
    neighbouring segment; the schedule is read slightly inside instead (one-sided limit).
    """
    delta = 1e-12 * max(1.0, abs(t))
    if hi - lo <= 4 * delta:
        return 0.5 * (lo + hi)
    return min(max(t, lo + delta), hi - delta)


def _integrate(rhs, y0, segments, rtol: float, atol):
    """Integrate ``y' = rhs(t, y, lo, hi)`` over consecutive segments ``(a, b)`` (any direction)."""
    from scipy.integrate import solve_ivp

    y = np.asarray(y0, dtype=np.float64)
    for a, b in segments:
        if a == b:
            continue
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=rtol, atol=atol, args=(min(a, b), max(a, b)))
        if sol.status != 0:
            raise NumericalError(f"integration failed on t in [{a}, {b}]: {sol.message}")
        y = sol.y[:, -1]
        if not np.all(np.isfinite(y)):
            raise NumericalError(f"non-finite state {y} after integrating t in [{a}, {b}]")
    return y


# --------------------------------------------------------------------------------------------------
# the three methods
def _closed_form(sampler: str, omega: float, sigma2: float) -> tuple[float, float]:
    """``(m_final, log_var_ratio)``."""
    if sampler == "ode":
        return float(gen.m_final_ode_const(omega, sigma2)), float(gen.log_var_ratio_ode_const(omega, sigma2))
    return float(gen.m_final_sde_const(omega, sigma2)), float(gen.log_var_ratio_sde_const(omega, sigma2))


def _tail_ok(sampler: str, t_end: float, y, omega_at, sigma2: float) -> bool:
    """Are the tails neglected beyond ``t_end`` below ``TAIL_RTOL`` relative (T -> infinity)?

    Beyond ``t_end`` (a few units of t past where A ~ 1): ODE, ``L' = 1 - A`` decays like
    ``e^{-2t}`` (tail ``|L'|/2``, relative effect on ``S(0)`` twice that) and ``J_M'`` like
    ``e^{-t}`` (tail ``|J_M'|``; the ``L`` test allows for the rounding of ``1 - A``); SDE, ``J_M'`` and ``J_S'`` decay like ``e^{-2t}`` (tails half
    the rates) and the initial-condition term ``S_T e^{2L}`` vanishes as ``e^{-2t}``.
    """
    w = omega_at(t_end)
    if sampler == "ode":
        dL, dJM = gen.quadrature_rhs_ode(t_end, y[0], w, sigma2)
        # 1 - A is a difference of terms of size 1 + |omega|: below that rounding level the
        # computed rate is noise, not a tail
        rounding = 4.0 * np.finfo(np.float64).eps * (1.0 + 2.0 * abs(w))
        return bool(abs(dL) <= max(TAIL_RTOL, rounding) and abs(dJM) <= TAIL_RTOL * abs(y[1]))
    dL, dJM, dJS = gen.quadrature_rhs_sde(t_end, y[0], w, sigma2)
    init_term = math.exp(2.0 * y[0])
    return bool(abs(dJM) / 2 <= TAIL_RTOL * abs(y[1])
                and abs(dJS) / 2 + init_term <= TAIL_RTOL * (abs(y[2]) + init_term))


def _gaussian_quadrature(sampler: str, sigma2: float, omega_at, breakpoints, T: float,
                         rtol: float) -> tuple[float, float, float]:
    kernel = gen.quadrature_rhs_ode if sampler == "ode" else gen.quadrature_rhs_sde

    def rhs(t, y, lo, hi):
        return kernel(t, y[0], omega_at(_inside(t, lo, hi)), sigma2)

    n = 2 if sampler == "ode" else 3
    atol = np.array([_ATOL_L, _ATOL_M] + [_ATOL_SMALL] * (n - 2))
    t_end = T if math.isfinite(T) else T_MAX_DEFAULT
    y = _integrate(rhs, np.zeros(n), _segments(0.0, t_end, breakpoints), rtol, atol)
    if math.isinf(T):
        while not _tail_ok(sampler, t_end, y, omega_at, sigma2):
            if t_end >= _T_MAX_LIMIT:
                raise NumericalError(f"the T -> infinity tail does not vanish by t = {t_end}: "
                                     "omega(t) grows too fast")
            y = _integrate(rhs, y, _segments(t_end, t_end + 20.0, breakpoints), rtol, atol)
            t_end += 20.0
    if sampler == "ode":
        M0, log_S0 = gen.quadrature_log_result_ode(y[0], y[1], 1.0)
    else:
        M0, log_S0 = gen.quadrature_log_result_sde(y[0], y[1], y[2], 1.0)
    return float(M0), float(log_S0) - math.log(sigma2), t_end


def _sphere_start(omega_at, T: float) -> float:
    if math.isfinite(T):
        return T
    t_start = T_MAX_DEFAULT
    while (1.0 + abs(omega_at(t_start))) * math.exp(-t_start) > TAIL_RTOL:
        t_start += 20.0
        if t_start > _T_MAX_LIMIT:
            raise NumericalError("the T -> infinity limit is not reached by t = 400: omega(t) grows too fast")
    return t_start


def _sphere_mean_field(sampler: str, sigma2: float, omega_at, breakpoints, T: float,
                       rtol: float) -> tuple[float, float, float]:
    """``(m_final, log_var_ratio, t_start)``: the state is ``(M, log S)``, from ``(0, 0)``."""
    kernel = gen.mean_field_rhs_sphere_log_ode if sampler == "ode" else gen.mean_field_rhs_sphere_log_sde

    def rhs(t, y, lo, hi):
        dM, dlogS = kernel(t, y[0], y[1], omega_at(_inside(t, lo, hi)), sigma2)
        return (-dM, -dlogS)  # d/dt = -d/dtau

    t_start = _sphere_start(omega_at, T)
    y = _integrate(rhs, np.array([0.0, 0.0]), _segments(t_start, 0.0, breakpoints), rtol,
                   np.array([_ATOL_M, _ATOL_L]))
    return float(y[0]), float(y[1]) - math.log(sigma2), t_start


# --------------------------------------------------------------------------------------------------
def predict_infinite_class(prior: str, sigma2: float, omega: OmegaLike, sampler: str,
                           T: float | None = None, *, rtol: float = _RTOL) -> Prediction:
    """Mean overlap, variance ratio and KL of CFG in the infinite-class limit.

    Parameters
    ----------
    prior:
        ``'gaussian'`` (``mu ~ N(0, I)``; exact at any ``d``) or ``'sphere'`` (``|mu|^2 = d``;
        mean-field, exact as ``d -> infinity``).
    sigma2:
        class variance, finite and ``> 0``.
    omega:
        guidance strength in ``s = (1+omega) s_c - omega s_u``: a finite constant ``>= -1``,
        or a schedule ``omega(t)`` (callable, vectorised over float64 arrays of the forward
        time ``t``, values finite and ``>= -1``), optionally with a ``breakpoints`` attribute
        listing the times where it jumps.
    sampler:
        ``'sde'`` (reverse SDE) or ``'ode'`` (probability-flow ODE).
    T:
        horizon, ``> 0``; ``None`` or ``inf`` for ``T -> infinity``. Sampling starts from
        ``N(0, I)`` at ``t = T``.
    rtol:
        relative tolerance of ``scipy.integrate.solve_ivp`` (DOP853) when integration is
        needed (absolute tolerances: 1e-30 on the mean and integrals, 1e-14 on the exponents
        and on ``log S``).

    Raises
    ------
    cfgmft.errors.ParameterError
        (a ``ValueError``) for an argument out of range; the message starts with the
        argument's name and states the allowed range.
    cfgmft.errors.NumericalError
        if a result is NaN or infinite (``log_var_ratio``, ``kl_per_dim``, ``m_final``, or a
        ``var_ratio`` that overflows), or an integration fails. A ``var_ratio`` that
        underflows to ``0.0`` under a finite ``log_var_ratio`` is a result, with a note.
    """
    prior = check_choice("prior", prior, PRIORS, fold_case=True)
    sampler = check_choice("sampler", sampler, SAMPLERS, fold_case=True)
    sigma2 = _check_sigma2(sigma2)
    T = _check_T(T)
    rtol = check_real("rtol", rtol, lo=0.0, hi=1.0, lo_open=True, hi_open=True)

    notes = [f"guidance convention: {CONVENTION_LONG}",
             "initial condition N(0, I) at t = T" + (" (T -> infinity)" if math.isinf(T) else "")]
    omega_fn = omega_function(omega)
    breakpoints = omega_fn.breakpoints
    omega_label: Union[float, str] = omega_fn.label
    # a number takes the closed forms where they exist; a schedule object (even a constant
    # one) is integrated
    constant = omega_fn.constant
    if constant is None:
        omega_fn.check_on(T if math.isfinite(T) else T_MAX_DEFAULT)
        omega_at = omega_fn
    else:
        omega_at = lambda t, _w=constant: _w  # noqa: E731

    if prior == "gaussian":
        notes.append("gaussian prior: the generated law N(M mu_c, S I) is exact at every dimension d")
        if constant is not None and math.isinf(T):
            m_final, log_var_ratio = _closed_form(sampler, constant, sigma2)
            method = "closed_form"
        else:
            m_final, log_var_ratio, t_end = _gaussian_quadrature(sampler, sigma2, omega_at, breakpoints, T, rtol)
            method = "quadrature"
            notes.append(f"forward integrating-factor quadrature to t = {t_end:g} (DOP853, rtol={rtol:g}"
                         + (f"; T -> infinity tail < {TAIL_RTOL:g} relative)" if math.isinf(T) else ")"))
    else:
        m_final, log_var_ratio, t_start = _sphere_mean_field(sampler, sigma2, omega_at, breakpoints, T, rtol)
        method = "mean_field_ode"
        notes.append("sphere prior: d -> infinity mean-field (A depends on r = M^2 + S); exact only as d -> infinity")
        notes.append(f"backward integration of (M, log S) from t = {t_start:g} (DOP853, rtol={rtol:g})")
    if breakpoints:
        notes.append(f"schedule integrated piecewise between breakpoints {list(breakpoints)}")
    notes.append("kl_per_dim and log_odds assume |mu_c|^2 = d")

    m_final += 0.0  # no negative zero (omega = -1 gives M(0) = 0 exactly)
    log_var_ratio += 0.0
    values = {"m_final": m_final, "log_var_ratio": log_var_ratio}
    if math.isfinite(log_var_ratio):
        values["var_ratio"] = var_ratio = _exp(log_var_ratio)
        values["kl_per_dim"] = kl = float(gen.kl_per_dim_log(m_final, log_var_ratio, sigma2))
    if math.isfinite(log_var_ratio):
        # separability (docs/explanation/model.md section 4): the implicit classifier's log-odds per dimension
        values["log_odds"] = float(gen.log_odds_gaussian(m_final, var_ratio, sigma2, 1.0) if prior == "gaussian"
                                   else gen.log_odds_sphere(m_final, var_ratio, sigma2))
    bad = {k: v for k, v in values.items() if not math.isfinite(v)}
    if bad:
        raise NumericalError(f"non-finite result {bad} for prior={prior!r}, sampler={sampler!r}, "
                                 f"sigma2={sigma2!r}, omega={omega_label!r}, T={T!r}")
    message = f"no commitment: CFG against the continuum at all times ({method})"
    if var_ratio == 0.0:
        underflow = underflow_note(log_var_ratio)
        notes.append(underflow)
        message += "; " + underflow
    return Prediction(
        status="infinite_class", message=message,
        prior=prior, sampler=sampler, sigma2=sigma2, omega=omega_label, T=T,
        m_final=m_final, mean_shift=m_final - 1.0, var_ratio=var_ratio, log_var_ratio=log_var_ratio,
        kl_per_dim=kl, log_odds=values["log_odds"], method=method, notes=tuple(notes), convention=CONVENTION_LONG,
    )
