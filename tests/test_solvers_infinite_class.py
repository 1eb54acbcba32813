"""Numerical checks of cfgmft.solvers.infinite_class.

The reference below integrates the *backward* moment equations with hand-typed
coefficients (no generated code), from ``t = T`` with ``M = 0``, ``S = 1``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from cfgmft.errors import NumericalError, ParameterError
from cfgmft.solvers import infinite_class as ic
from cfgmft.results import Prediction
from cfgmft.solvers.infinite_class import predict_infinite_class


# --- independent reference ------------------------------------------------------------------------------
def _coefficients(t, w, s2, prior, M, S):
    e2 = math.exp(-2 * t)
    gam = s2 * e2 + 1 - e2
    if prior == "gaussian":
        a_u = 1 / (1 + s2 * e2)
    else:  # d -> infinity sphere: E[mu|x] = exp(-t)-weighted Debye ratio, r = M^2 + S
        r = M * M + S
        y = math.exp(-t) * math.sqrt(r) / gam
        a_u = (1 - math.exp(-t) * (2 * y / (1 + math.sqrt(1 + 4 * y * y))) / math.sqrt(r)) / gam
    return (1 + w) / gam - w * a_u, (1 + w) * math.exp(-t) / gam


def backward_reference(sampler, s2, omega, T=30.0, prior="gaussian", breakpoints=()):
    """(M(0), S(0)/sigma2) from the backward moment equations, tau = T - t, M(T)=0, S(T)=1."""
    w_of = omega if callable(omega) else (lambda t: omega)
    cuts = sorted(T - b for b in breakpoints if 0 < b < T)
    pts = [0.0, *cuts, T]
    y = np.array([0.0, 1.0])
    for lo, hi in zip(pts[:-1], pts[1:]):
        # read the schedule inside the piece: a jump at a piece end belongs to the neighbour
        def rhs(tau, yy, lo=lo, hi=hi):
            t = T - tau
            t_in = min(max(t, T - hi + 1e-12), T - lo - 1e-12) if breakpoints else t
            a, b = _coefficients(t, float(w_of(np.float64(t_in))), s2, prior, yy[0], yy[1])
            if sampler == "sde":
                return [(1 - 2 * a) * yy[0] + 2 * b, 2 * (1 - 2 * a) * yy[1] + 2]
            return [(1 - a) * yy[0] + b, 2 * (1 - a) * yy[1]]

        sol = solve_ivp(rhs, (lo, hi), y, method="DOP853", rtol=1e-11, atol=[1e-14, 1e-30])
        assert sol.success, sol.message
        y = sol.y[:, -1]
    return y[0], y[1] / s2


def assert_close(pred, ref_M, ref_v, tol):
    """|dM| <= tol max(1, |M|); |d log var_ratio| <= tol max(1, |log var_ratio|).

    The variance ratio is exp(an integral over time); its reference error grows with the
    number of e-folds it spans (var_ratio ~ 1e-14 for sigma2 = 0.01, omega = 7, ODE).
    """
    assert abs(pred.m_final - ref_M) <= tol * max(1.0, abs(ref_M)), (pred.m_final, ref_M)
    lv = math.log(ref_v)
    assert abs(math.log(pred.var_ratio) - lv) <= tol * max(1.0, abs(lv)), (pred.var_ratio, ref_v)


def interval(w, t_lo, t_hi):
    f = lambda t: np.where((t >= t_lo) & (t < t_hi), w, 0.0)  # noqa: E731
    f.breakpoints = (t_lo, t_hi)
    return f


def negative_window(w_early, w_neg, t_lo, t_hi):
    """omega = w_early for t >= t_hi (early, noisy), w_neg on [t_lo, t_hi), 0 below t_lo."""
    f = lambda t: np.where(t >= t_hi, w_early, np.where(t >= t_lo, w_neg, 0.0))  # noqa: E731
    f.breakpoints = (t_lo, t_hi)
    return f


# --- closed forms ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sampler", ["sde", "ode"])
@pytest.mark.parametrize("omega", [0.0, 0.5, 2.0, 7.0])
@pytest.mark.parametrize("sigma2", [1e-2, 1.0, 10.0])
def test_closed_forms_vs_backward_integration(sampler, omega, sigma2):
    pred = predict_infinite_class("gaussian", sigma2, omega, sampler)
    assert pred.method == "closed_form"
    assert_close(pred, *backward_reference(sampler, sigma2, omega, T=30.0), tol=1e-9)


def test_closed_form_values_and_claim_c1():
    ode = predict_infinite_class("gaussian", 1.0, 2.0, "ode")
    sde = predict_infinite_class("gaussian", 1.0, 2.0, "sde")
    assert (ode.m_final, ode.var_ratio) == pytest.approx((2.0, 0.25), rel=1e-14)
    assert (sde.m_final, sde.var_ratio) == pytest.approx((1.75, 0.3875), rel=1e-14)
    assert ode.kl_per_dim == pytest.approx(0.5 * (0.25 - 1 - math.log(0.25) + 1.0), rel=1e-14)
    for s2 in (0.1, 1.0, 5.0):
        for smp in ("sde", "ode"):
            p = predict_infinite_class("gaussian", s2, 1.5, smp)
            assert p.mean_shift > 0 and p.var_ratio < 1  # C1 (and C4: at every d)
            p0 = predict_infinite_class("gaussian", s2, 0.0, smp)
            assert p0.m_final == pytest.approx(1, abs=1e-14) and p0.var_ratio == pytest.approx(1, abs=1e-14)
            assert p0.kl_per_dim == pytest.approx(0, abs=1e-14)


# --- quadrature ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sampler", ["sde", "ode"])
@pytest.mark.parametrize("omega,sigma2", [(0.5, 1e-2), (2.0, 1.0), (7.0, 10.0), (-0.5, 0.3), (-1.0, 2.0)])
def test_quadrature_equals_closed_form(sampler, omega, sigma2):
    closed = predict_infinite_class("gaussian", sigma2, omega, sampler)
    quad = predict_infinite_class("gaussian", sigma2, lambda t: np.full_like(t, omega), sampler)
    assert quad.method == "quadrature"
    assert quad.m_final == pytest.approx(closed.m_final, rel=1e-10, abs=1e-10)
    assert quad.var_ratio == pytest.approx(closed.var_ratio, rel=1e-10)


@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_finite_T_converges_to_the_limit(sampler):
    limit = predict_infinite_class("gaussian", 0.5, 2.0, sampler)
    errs = []
    for T in (1.0, 2.0, 5.0, 10.0, 20.0, 30.0):
        p = predict_infinite_class("gaussian", 0.5, 2.0, sampler, T=T)
        assert p.method == "quadrature"
        errs.append(abs(p.m_final - limit.m_final) + abs(p.var_ratio - limit.var_ratio))
        assert_close(p, *backward_reference(sampler, 0.5, 2.0, T=T), tol=1e-9)
    assert errs[0] > 1e-2  # a short horizon is visibly wrong ...
    assert all(e1 > e2 for e1, e2 in zip(errs[:4], errs[1:5]))  # ... and the error decreases
    assert errs[-1] < 1e-10


@pytest.mark.parametrize("sampler", ["sde", "ode"])
@pytest.mark.parametrize("T", [None, 7.0])
def test_schedule_quadrature_vs_backward_integration(sampler, T):
    sched = negative_window(3.0, -0.6, 0.2, 1.1)
    smooth = lambda t: 1.5 * np.exp(-((t - 1.0) ** 2) / 0.5) + 0.2 * np.sin(3 * t) ** 2  # noqa: E731
    for omega, bps in ((sched, sched.breakpoints), (smooth, ())):
        p = predict_infinite_class("gaussian", 0.4, omega, sampler, T=T)
        ref = backward_reference(sampler, 0.4, omega, T=30.0 if T is None else T, breakpoints=bps)
        assert_close(p, *ref, tol=1e-9)


def test_interval_schedule_ode_variance_closed_form():
    """ODE: log var_ratio = 2 int omega (1/G - 1/Gamma) dt, so an interval gives
    var_ratio = (Gamma_a G_b / (Gamma_b G_a))^omega."""
    s2, w, a, b = 0.5, 2.0, 0.3, 1.2
    gam = lambda t: 1 + (s2 - 1) * math.exp(-2 * t)  # noqa: E731
    g = lambda t: 1 + s2 * math.exp(-2 * t)  # noqa: E731
    exact = (gam(a) * g(b) / (gam(b) * g(a))) ** w
    p = predict_infinite_class("gaussian", s2, interval(w, a, b), "ode")
    assert p.var_ratio == pytest.approx(exact, rel=1e-11)
    assert "breakpoints" in " ".join(p.notes)


# --- C5 and the negative window --------------------------------------------------------------------------------------
class Piecewise:
    """Piecewise-constant schedule: values[i] on [cuts[i-1], cuts[i])."""

    def __init__(self, cuts, values):
        self.breakpoints = tuple(cuts)
        self._edges, self._values = np.asarray(cuts, dtype=float), np.asarray(values, dtype=float)

    def __call__(self, t):
        return self._values[np.searchsorted(self._edges, t, side="right")]

    def __repr__(self):
        return f"Piecewise({list(self.breakpoints)}, {self._values.tolist()})"


class Bumps:
    """Sum of Gaussian bumps a exp(-(t - c)^2 / (2 w^2)) (smooth, no breakpoints)."""

    def __init__(self, amps, centres, widths):
        self.params = list(zip(amps, centres, widths))

    def __call__(self, t):
        t = np.asarray(t, dtype=np.float64)
        return sum((a * np.exp(-0.5 * ((t - c) / w) ** 2) for a, c, w in self.params), np.zeros_like(t))

    def __repr__(self):
        return f"Bumps({self.params})"


@st.composite
def piecewise_schedules(draw):
    n = draw(st.integers(1, 5))
    cuts = sorted(set(draw(st.lists(st.floats(0.01, 6.0), min_size=n - 1, max_size=n - 1))))
    values = draw(st.lists(st.floats(0.0, 10.0), min_size=len(cuts) + 1, max_size=len(cuts) + 1))
    return Piecewise(cuts, values)


@st.composite
def bump_schedules(draw):
    k = draw(st.integers(1, 4))
    amps = draw(st.lists(st.floats(0.0, 8.0), min_size=k, max_size=k))
    centres = draw(st.lists(st.floats(0.0, 5.0), min_size=k, max_size=k))
    widths = draw(st.lists(st.floats(0.05, 2.0), min_size=k, max_size=k))
    return Bumps(amps, centres, widths)


@settings(max_examples=40, deadline=None)
@given(omega=st.one_of(piecewise_schedules(), bump_schedules()), sampler=st.sampled_from(["sde", "ode"]),
       log_sigma2=st.floats(-2.0, 1.0), prior=st.sampled_from(["gaussian", "sphere"]))
def test_c5_nonnegative_schedules_never_widen_the_variance(omega, sampler, log_sigma2, prior):
    """C5: omega(t) >= 0 gives A >= 1/Gamma_t pointwise, so S(0) <= sigma2 (both priors)."""
    p = predict_infinite_class(prior, 10.0 ** log_sigma2, omega, sampler)
    assert p.var_ratio <= 1.0 + 1e-12


@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_negative_window_restores_the_variance(sampler):
    p = predict_infinite_class("gaussian", 1.0, negative_window(2.0, -0.9, 0.1, 1.5), sampler)
    assert p.var_ratio > 1.0 + 0.1
    plain = predict_infinite_class("gaussian", 1.0, interval(2.0, 1.5, np.inf), sampler)
    assert plain.var_ratio < 1.0  # the same schedule without the negative window shrinks


# --- sphere ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sampler", ["sde", "ode"])
@pytest.mark.parametrize("sigma2", [1e-2, 0.7, 10.0])
def test_sphere_equals_gaussian_at_omega0(sampler, sigma2):
    sph = predict_infinite_class("sphere", sigma2, 0.0, sampler)
    gau = predict_infinite_class("gaussian", sigma2, 0.0, sampler)
    assert sph.method == "mean_field_ode"
    assert sph.m_final == pytest.approx(gau.m_final, abs=1e-10)
    assert sph.var_ratio == pytest.approx(gau.var_ratio, rel=1e-10)


@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_sphere_limit_T_independent(sampler):
    ref = predict_infinite_class("sphere", 0.5, 2.0, sampler)
    for T in (40.0, 60.0, 90.0):
        p = predict_infinite_class("sphere", 0.5, 2.0, sampler, T=T)
        assert p.m_final == pytest.approx(ref.m_final, abs=1e-10)
        assert p.var_ratio == pytest.approx(ref.var_ratio, rel=1e-10)
    short = predict_infinite_class("sphere", 0.5, 2.0, sampler, T=3.0)
    assert abs(short.m_final - ref.m_final) > 1e-4


@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_sphere_mean_field_vs_backward_reference_and_gaussian(sampler):
    sph = predict_infinite_class("sphere", 1.0, 2.0, sampler)
    assert_close(sph, *backward_reference(sampler, 1.0, 2.0, T=40.0, prior="sphere"), tol=1e-9)
    gau = predict_infinite_class("gaussian", 1.0, 2.0, sampler)
    # omega = 2, sigma2 = 1: ODE m 2.1637 vs 2.0, var 0.3139 vs 0.25; SDE m 1.9180 vs 1.75, var 0.4493 vs 0.3875
    assert sph.m_final - gau.m_final > 0.1
    assert sph.var_ratio - gau.var_ratio > 0.05
    sched = negative_window(2.0, -0.9, 0.1, 1.5)
    p = predict_infinite_class("sphere", 0.3, sched, sampler)
    assert_close(p, *backward_reference(sampler, 0.3, sched, T=40.0, prior="sphere",
                                        breakpoints=sched.breakpoints), tol=1e-9)


@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_sphere_unconditional_sampling_is_consistent(sampler):
    """omega = -1 samples the continuum: M = 0 and S(0) = G_0 = 1 + sigma2."""
    p = predict_infinite_class("sphere", 0.4, -1.0, sampler)
    assert p.m_final == 0.0
    assert p.var_ratio == pytest.approx(1.4 / 0.4, rel=1e-10)


# --- interface -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,match", [
    ({"prior": "uniform"}, "^prior: must be one of 'gaussian', 'sphere'"),
    ({"sampler": "euler"}, "^sampler: must be one of 'sde', 'ode'"),
    ({"sigma2": 0.0}, "^sigma2: must be a finite number > 0"),
    ({"sigma2": -1.0}, "^sigma2: .*> 0"),
    ({"sigma2": float("nan")}, "^sigma2: .*> 0"),
    ({"sigma2": float("inf")}, "^sigma2: .*> 0"),
    ({"omega": -1.5}, "^omega: must be a finite number >= -1"),
    ({"omega": float("nan")}, "^omega: .*>= -1"),
    ({"omega": float("inf")}, "^omega: .*>= -1"),
    ({"omega": np.array([1.0, 2.0])}, "^omega: must be a finite real number >= -1 or a callable"),
    ({"omega": lambda t: np.where(t > 1, -2.0, 0.0)}, r"^omega: omega\(t\) must be finite and >= -1"),
    ({"omega": lambda t: np.full_like(t, np.nan)}, r"^omega: omega\(t\)"),
    ({"T": 0.0}, "^T: must be a finite number > 0"),
    ({"T": -3.0}, "^T: .*> 0"),
    ({"T": float("nan")}, "^T: .*> 0"),
    ({"rtol": 2.0}, "^rtol: "),
])
def test_argument_validation(kwargs, match):
    args = {"prior": "gaussian", "sigma2": 1.0, "omega": 1.0, "sampler": "ode", **kwargs}
    with pytest.raises(ParameterError, match=match) as info:
        predict_infinite_class(**args)
    assert isinstance(info.value, ValueError)


def test_bad_breakpoints():
    f = interval(1.0, 0.5, 2.0)
    f.breakpoints = (0.5, float("nan"))
    with pytest.raises(ParameterError, match="^omega.breakpoints: "):
        predict_infinite_class("gaussian", 1.0, f, "ode")


def test_non_finite_results_raise(monkeypatch):
    monkeypatch.setattr(ic.gen, "m_final_ode_const", lambda w, s2: np.float64(np.nan))
    with pytest.raises(NumericalError, match="non-finite"):
        predict_infinite_class("gaussian", 1.0, 1.0, "ode")
    with pytest.raises(NumericalError, match="tail does not vanish"):
        predict_infinite_class("gaussian", 1.0, lambda t: np.exp(t), "ode")


def test_prediction_object():
    p = predict_infinite_class("gaussian", 2.0, 1.0, "sde", T=np.inf)
    assert isinstance(p, Prediction) and p.T == math.inf and p.method == "closed_form"
    assert p.mean_shift == p.m_final - 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.m_final = 0.0  # type: ignore[misc]
    d = json.loads(json.dumps(p.to_dict()))
    assert d["T"] is None and d["convention"].startswith("s = (1+omega) s_c - omega s_u")
    q = predict_infinite_class("sphere", 2.0, interval(1.0, 0.5, 2.0), "ode", T=10)
    assert q.omega.startswith("schedule:") and q.T == 10.0 and "d -> infinity" in " ".join(q.notes)


def test_no_sympy_or_numba_on_the_prediction_path():
    """`cfgmft theory` must answer fast: the solver imports neither sympy nor numba (the
    wall time itself is measured by benchmarks/bench_cli_latency.py, not by a test)."""
    code = ("import sys\n"
            "from cfgmft.solvers.infinite_class import predict_infinite_class as P\n"
            "P('gaussian', 1.0, 2.0, 'sde'); P('sphere', 1.0, 2.0, 'ode')\n"
            "print('sympy' in sys.modules, 'numba' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


# --- log_var_ratio: tiny and underflowing variance ratios ------------------------------------------------------------
def backward_reference_log(sampler, s2, omega, T=60.0, prior="sphere"):
    """(M(0), log var_ratio) from the backward moment equations in (M, log S), hand-typed
    coefficients: d log S/dtau = 2(1 - A) (ODE), 2(1 - 2A) + 2/S (SDE)."""
    def rhs(tau, yy):
        t = T - tau
        S = math.exp(yy[1])
        a, b = _coefficients(t, omega, s2, prior, yy[0], S)
        if sampler == "sde":
            return [(1 - 2 * a) * yy[0] + 2 * b, 2 * (1 - 2 * a) + 2 / S]
        return [(1 - a) * yy[0] + b, 2 * (1 - a)]

    sol = solve_ivp(rhs, (0.0, T), [0.0, 0.0], method="DOP853", rtol=1e-12, atol=[1e-30, 1e-13])
    assert sol.success, sol.message
    return sol.y[0, -1], sol.y[1, -1] - math.log(s2)


REPORTED_OMEGAS = (30.0, 34.0, 35.0, 36.0, 40.0, 45.0, 50.0)


def test_sphere_ode_tiny_variance_against_a_log_reference():
    # sigma2 = 1e-4, ODE: var_ratio from 1e-62 (omega = 30) to 1e-92 (omega = 50); integrating S
    # itself under an absolute tolerance failed (S < 0 at omega = 34) or gave 1e-63 at omega = 50
    logs = []
    for w in REPORTED_OMEGAS:
        p = predict_infinite_class("sphere", 1e-4, w, "ode")
        M_ref, lv_ref = backward_reference_log("ode", 1e-4, w)
        assert p.m_final == pytest.approx(M_ref, rel=1e-9)
        assert p.log_var_ratio == pytest.approx(lv_ref, rel=1e-9)
        assert p.var_ratio == math.exp(p.log_var_ratio) and 0 < p.var_ratio < 1e-60
        lv = p.log_var_ratio
        assert p.kl_per_dim == pytest.approx(0.5 * (math.exp(lv) - 1 - lv + (p.m_final - 1) ** 2 / 1e-4), rel=1e-12)
        logs.append(lv)
    assert all(a > b for a, b in zip(logs, logs[1:]))  # decreasing in omega
    assert logs[-1] == pytest.approx(-210.8475665, rel=1e-9)  # omega = 50: var_ratio = 2.69e-92


def test_sphere_sde_log_state_against_the_log_reference():
    for s2, w in ((1e-4, 40.0), (1.0, 2.0)):
        p = predict_infinite_class("sphere", s2, w, "sde")
        M_ref, lv_ref = backward_reference_log("sde", s2, w)
        assert p.m_final == pytest.approx(M_ref, rel=1e-9)
        assert p.log_var_ratio == pytest.approx(lv_ref, rel=1e-9, abs=1e-10)


@pytest.mark.parametrize("prior,omega", [("gaussian", 100.0), ("gaussian", lambda t: np.full_like(t, 100.0)),
                                         ("sphere", 1000.0)])
def test_underflowing_var_ratio_is_zero_with_exact_log_and_kl(prior, omega):
    s2 = 1e-4 if prior == "gaussian" else 1e-8
    p = predict_infinite_class(prior, s2, omega, "ode")
    lv = p.log_var_ratio
    assert p.var_ratio == 0.0 and math.isfinite(lv) and lv < math.log(1e-308)
    if prior == "gaussian":  # ODE closed form: var_ratio = (sigma2/(1+sigma2))^omega = 10^-400
        assert lv == pytest.approx(100 * math.log(s2 / (1 + s2)), rel=1e-10)
    assert p.kl_per_dim == pytest.approx(0.5 * (-1 - lv + (p.m_final - 1) ** 2 / s2), rel=1e-13)
    assert math.isfinite(p.kl_per_dim) and p.kl_per_dim > 400
    assert "below float64's range" in p.message and any("reported as 0.0" in n for n in p.notes)


def test_log_var_ratio_in_the_normal_range():
    for prior, smp, w in (("gaussian", "ode", 2.0), ("gaussian", "sde", 2.0), ("sphere", "sde", 2.0),
                          ("gaussian", "ode", negative_window(2.0, -0.9, 0.1, 1.5))):
        p = predict_infinite_class(prior, 1.0, w, smp)
        assert p.var_ratio == math.exp(p.log_var_ratio)
        assert p.log_var_ratio == pytest.approx(math.log(p.var_ratio), rel=1e-14, abs=1e-15)
        assert "below float64's range" not in p.message
    assert predict_infinite_class("gaussian", 1.0, 0.0, "ode").log_var_ratio == 0.0


def test_non_finite_log_var_ratio_raises(monkeypatch):
    monkeypatch.setattr(ic.gen, "log_var_ratio_ode_const", lambda w, s2: np.float64(-np.inf))
    with pytest.raises(NumericalError, match="non-finite") as info:
        predict_infinite_class("gaussian", 1.0, 1.0, "ode")
    assert "\n" not in str(info.value) and "log_var_ratio" in str(info.value)


@pytest.mark.parametrize("prior", ["gaussian", "sphere"])
@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_guidance_through_omega_minus_one_near_t0(prior, sampler):
    """``negramp:1000:-1:1:1`` passes through omega = -1 at t = 0, where the mean's rate carries
    the rounding of ``1 + omega``: the quadrature must not chase it (it once took minutes), and
    its answer equals the never-committed mean field (alpha = 100, another solver)."""
    from cfgmft.schedules import parse_schedule
    from cfgmft.solvers.exponential import predict_exponential

    sc = parse_schedule("negramp:1000:-1:1:1")
    ic_pred = predict_infinite_class(prior, 1.0, sc, sampler)
    mf = predict_exponential(prior, 1.0, sc, sampler, alpha=100.0)
    assert ic_pred["m_final"] == pytest.approx(mf["m_final"], rel=1e-8)
    assert ic_pred["log_var_ratio"] == pytest.approx(mf["log_var_ratio"], rel=1e-8, abs=1e-8)
