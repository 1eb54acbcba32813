"""Numba mean-field kernels of the exponential-class regime (cfgmft.solvers.exponential, .phase).

Reference: scipy.integrate.solve_ivp (DOP853, rtol 1e-12) with terminal events
(cfgmft.solvers.exponential_reference), the LSODA integrator of the theory's lambdified
expressions (tests/theory_numerics.py), the infinite-class solver, and the exact-sampling
identities at omega = 0.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from cfgmft.errors import ParameterError
from cfgmft.schedules import (
    Constant, CosineRamp, Interval, LinearRamp, LowHighLow, NegativeRamp, NegativeWindow,
)
from cfgmft.solvers import exponential as mf
from cfgmft.solvers import phase
from cfgmft.solvers._generated import exponential as gen
from cfgmft.solvers.infinite_class import predict_infinite_class
from cfgmft.solvers.exponential_reference import integrate_reference


@pytest.fixture(scope="module", autouse=True)
def _compiled():
    mf.prepare()


# --- generated module (its freshness against a sympy render: tests/test_theory_bridge_exponential.py) ---
def test_generated_functions_compile_and_agree_with_python():
    # every generated function: njit(cache=True) result equals the plain Python one
    rng = np.random.default_rng(0)
    for name in gen.__all__:
        fn = getattr(gen, name)
        nargs = fn.__code__.co_argcount
        args = tuple(float(v) for v in rng.uniform(0.2, 1.5, nargs))
        jit = numba.njit(cache=True)(fn)
        np.testing.assert_allclose(jit(*args), fn(*args), rtol=1e-13, err_msg=name)


def test_lambda_root_and_newton_slope():
    rng = np.random.default_rng(1)
    for _ in range(50):
        t, r, al, s2 = rng.uniform(0, 3), rng.uniform(0.1, 5), rng.uniform(0.01, 3), rng.uniform(0.1, 3)
        lam = mf.lambda_alpha_gaussian(t, r, al, s2)
        u = 1 / lam
        assert abs(gen.rem_gaussian_rate_u(t, r, s2, u) - al) <= 1e-13 * (1 + al)
        h = 1e-6 * u
        fd = (gen.rem_gaussian_rate_u(t, r, s2, u + h) - gen.rem_gaussian_rate_u(t, r, s2, u - h)) / (2 * h)
        assert gen.rem_gaussian_rate_u_du(t, r, s2, u) == pytest.approx(fd, rel=1e-6)
    # the vectorised bisection on the theory's lambdified I(u) agrees where condensed (u in (0, 1])
    from theory_numerics import rem_state

    st = rem_state(0.3, 4.0, 0.05, 1.0, "gaussian")
    assert st.condensed
    assert mf.lambda_alpha_gaussian(0.3, 4.0, 0.05, 1.0) == pytest.approx(float(st.lam), rel=1e-12)


SCHEDULES = [
    Constant(1.5), Constant(-0.5), Interval(3.0, 0.2, 1.1), LinearRamp(2.0, 1.5, "up"), LinearRamp(2.0, 1.5, "down"),
    CosineRamp(1.0, 2.0, "up"), CosineRamp(1.0, 2.0, "down"), LowHighLow(0.5, 4.0, 0.3, 0.9),
    NegativeWindow(3.0, -0.5, 0.2, 0.8, 0.25), NegativeRamp(2.0, -0.5, 1.0, 1.2),
]


@pytest.mark.parametrize("sch", SCHEDULES, ids=lambda s: s.spec)
def test_kernel_schedule_equals_schedule(sch):
    # the kernels read the row of the piece they integrate; away from the breakpoints that is
    # the schedule's value, exactly
    bps, coef = mf.schedule_arrays(sch)
    rng = np.random.default_rng(2)
    ts = np.concatenate([rng.uniform(0, 4, 200), [0.0, 1e3]])
    for t in ts[~np.isin(ts, bps)]:
        c = coef[mf.piece_index(bps, float(t))]
        assert mf.piece_value(c[0], c[1], c[2], c[3], c[4], float(t)) == sch(float(t)), (sch.spec, t)


# --- against solve_ivp --------------------------------------------------------------------------------------
POINTS = [  # prior, sampler, alpha, omega, sigma2, expected status
    ("gaussian", "sde", 0.3, 2.0, 1.0, "committed"),
    ("gaussian", "ode", 1.0, 4.0, 1.0, "never committed"),
    ("sphere", "sde", 0.05, 4.0, 1.0, "committed"),
    ("sphere", "ode", 1.0, 4.0, 1.0, "committed"),
    ("sphere", "sde", 2.0, 1.0, 1.0, "never committed"),
    ("gaussian", "sde", 0.1, -0.5, 0.3, "condensed before commitment"),
    ("gaussian", "ode", 0.02, -0.9, 1.0, "condensed before commitment"),
    ("sphere", "sde", 0.1, -0.5, 0.3, "condensed before commitment"),
    ("gaussian", "sde", 0.3, NegativeWindow(3.0, -0.5, 0.2, 0.8), 1.0, "committed"),
    ("sphere", "ode", 0.2, Interval(3.0, 0.5, 1.5), 0.5, "committed"),
    ("gaussian", "ode", 0.2, CosineRamp(2.0, 2.0, "down"), 0.5, "committed"),
]


def _same_time(a, b, tol):
    a = math.nan if a is None else a
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol


@pytest.mark.parametrize("prior,sampler,alpha,omega,sigma2,status", POINTS)
def test_against_solve_ivp(prior, sampler, alpha, omega, sigma2, status):
    p = mf.predict_exponential(prior, sigma2, omega, sampler, alpha=alpha)
    assert p.status == status
    M, S, tc, tk, _ = integrate_reference(prior, sampler, alpha, sigma2, omega, rtol=1e-12, atol=1e-14)
    assert p.m_final == pytest.approx(M, rel=1e-8)
    assert p.var_ratio * sigma2 == pytest.approx(S, rel=1e-8)
    assert _same_time(p.t_commit, tc, 1e-8)
    if status.startswith("condensed"):
        assert p.condensed_before_commit and _same_time(p.t_condense, tk, 1e-8)


def test_against_theory_reference_integrator():
    # independent code path: sympy.lambdify + vectorised REM + LSODA
    from theory_numerics import integrate_mean_field

    res = integrate_mean_field(2.0, 0.3, 1.0, "gaussian", "sde", T=40.0, rtol=1e-11, atol=1e-13)
    p = mf.predict_exponential("gaussian", 1.0, 2.0, "sde", alpha=0.3)
    assert p.m_final == pytest.approx(res.M0, rel=1e-8)
    assert p.var_ratio == pytest.approx(res.S0, rel=1e-8)
    assert p.t_commit == pytest.approx(res.t_commit, abs=1e-8)


def test_generated_branch_coefficients_consistent():
    # per-branch A (generated from AB_branch) = A_uncommitted(rho(lambda)) (generated from AB_direct)
    rng = np.random.default_rng(3)
    for _ in range(20):
        t, r, w, s2, lam = rng.uniform(0.05, 2), rng.uniform(0.2, 4), rng.uniform(-1, 5), rng.uniform(0.2, 2), \
            rng.uniform(1, 4)
        for prior in ("gaussian", "sphere"):
            rho = getattr(gen, f"rem_{prior}_rho_family")
            A_c = getattr(gen, f"A_condensed_{prior}")(t, r, w, s2, lam)
            A_u = getattr(gen, f"A_uncondensed_{prior}")(t, r, w, s2)
            assert A_c == pytest.approx(gen.A_uncommitted(t, w, s2, rho(t, r, s2, lam)), rel=1e-12, abs=1e-12)
            assert A_u == pytest.approx(gen.A_uncommitted(t, w, s2, rho(t, r, s2, 1.0)), rel=1e-12, abs=1e-12)


def test_start_time_T_40_is_T_infinity():
    for prior, w in (("gaussian", 4.0), ("sphere", NegativeWindow(3.0, -0.5, 0.2, 0.8))):
        a = mf.predict_exponential(prior, 1.0, w, "ode", alpha=0.3)
        b = mf.predict_exponential(prior, 1.0, w, "ode", alpha=0.3, T=60.0)
        assert a.m_final == pytest.approx(b.m_final, rel=1e-10) and a.var_ratio == pytest.approx(b.var_ratio, rel=1e-10)
        assert a.t_commit == pytest.approx(b.t_commit, abs=1e-10)
    # finite T against the reference
    p = mf.predict_exponential("sphere", 1.0, 2.0, "sde", alpha=0.3, T=1.5)
    M, S, tc, _, _ = integrate_reference("sphere", "sde", 0.3, 1.0, 2.0, T=1.5)
    assert p.m_final == pytest.approx(M, rel=1e-8) and p.var_ratio == pytest.approx(S, rel=1e-8)
    assert _same_time(p.t_commit, tc, 1e-8)


def test_tolerance_convergence():
    # the kernel at its default tolerance against itself at a 100x tighter one
    bps, coef = mf.schedule_arrays(NegativeWindow(3.0, -0.5, 0.2, 0.8))
    for prior in (0, 1):
        a = mf.integrate(prior, 0, 0.3, 1.0, bps, coef, 40.0, mf.RTOL, mf.ATOL)
        b = mf.integrate(prior, 0, 0.3, 1.0, bps, coef, 40.0, mf.RTOL / 100, mf.ATOL / 100)
        assert a[0] == pytest.approx(b[0], rel=1e-9) and a[1] == pytest.approx(b[1], rel=1e-9)
        assert abs(a[2] - b[2]) < 1e-10


# --- limits ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("prior", ["gaussian", "sphere"])
@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_alpha_infinity_is_infinite_class(prior, sampler):
    ic = predict_infinite_class(prior, 0.7, 2.0, sampler)
    p_inf = mf.predict_exponential(prior, 0.7, 2.0, sampler, alpha=math.inf)
    assert p_inf.status == "alpha = inf" and p_inf.t_commit is None
    assert (p_inf.m_final, p_inf.var_ratio) == (ic.m_final, ic.var_ratio)
    p = mf.predict_exponential(prior, 0.7, 2.0, sampler, alpha=30.0)  # the kernels, alpha large
    assert p.status == "never committed"
    assert p.m_final == pytest.approx(ic.m_final, rel=1e-9)
    assert p.var_ratio == pytest.approx(ic.var_ratio, rel=1e-9)
    assert p.kl_per_dim == pytest.approx(ic.kl_per_dim, rel=1e-7, abs=1e-12)


@pytest.mark.parametrize("prior", ["gaussian", "sphere"])
def test_alpha_zero_no_distortion(prior):
    p = mf.predict_exponential(prior, 0.5, 3.0, "ode", alpha=0.0)
    assert p.status == "alpha = 0"
    assert (p.m_final, p.var_ratio, p.kl_per_dim) == (1.0, 1.0, 0.0)
    # continuity: alpha -> 0 commits ever earlier (t* -> T) and the distortion vanishes
    # (the ODE's mean shift vanishes like sqrt(alpha), the SDE's like alpha)
    for sampler in ("ode", "sde"):
        small = [mf.predict_exponential(prior, 0.5, 3.0, sampler, alpha=a) for a in (1e-4, 1e-6, 1e-10)]
        assert small[0].t_commit < small[1].t_commit < small[2].t_commit
        shifts = [abs(p_.mean_shift) for p_ in small]
        assert shifts[0] > shifts[1] > shifts[2] and shifts[2] < 2e-5
        assert abs(small[2].var_ratio - 1) < 1e-9


@pytest.mark.parametrize("prior", ["gaussian", "sphere"])
@pytest.mark.parametrize("sampler", ["sde", "ode"])
@pytest.mark.parametrize("alpha", [0.05, 0.3, 1.0])
def test_omega_zero_exact_sampling(prior, sampler, alpha):
    p = mf.predict_exponential(prior, 1.0, 0.0, sampler, alpha=alpha)
    assert p.m_final == pytest.approx(1.0, abs=1e-9)
    assert p.var_ratio == pytest.approx(1.0, abs=1e-9)
    assert p.kl_per_dim < 1e-15
    if p.t_collapse is None:  # no collapse: never committed
        assert p.t_commit is None and p.status == "never committed"
    else:
        assert p.status == "committed"
        assert p.t_commit == pytest.approx(p.t_collapse, abs=1e-8)


def test_margin_exact_sampling_gaussian():
    # exact sampling, t = 0: e_c = 1/(2 sigma2); uncondensed-at-collapse REM maximum below it
    p = mf.predict_exponential("gaussian", 1.0, 0.0, "sde", alpha=0.3)
    lam = mf.lambda_alpha_gaussian(0.0, 2.0, 0.3, 1.0)
    e_best = gen.rem_gaussian_energy_family(0.0, 2.0, 1.0, lam)
    assert p.margin == pytest.approx(0.5 - e_best, rel=1e-10)
    assert p.margin > 0


# --- validation ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,arg", [
    (dict(prior="cube"), "prior"), (dict(sampler="euler"), "sampler"), (dict(sigma2=0.0), "sigma2"),
    (dict(alpha=-1.0), "alpha"), (dict(omega=-2.0), "omega"), (dict(T=-1.0), "T"),
])
def test_validation(kwargs, arg):
    base = dict(prior="gaussian", sigma2=1.0, alpha=0.3, omega=1.0, sampler="sde", T=None)
    base.update(kwargs)
    with pytest.raises(ParameterError) as e:
        mf.predict_exponential(**base)
    assert e.value.argument == arg


def test_to_dict_roundtrip():
    p = mf.predict_exponential("sphere", 1.0, 4.0, "sde", alpha=1.0)
    d = p.to_dict()
    assert d["status"] == p.status and d["T"] is None and d["t_commit"] is None
    assert mf.STATUSES[d["status_code"]] == p.status


# --- phase diagram ----------------------------------------------------------------------------------------------
def test_phase_slice_equals_pointwise_and_thread_independent():
    alphas = np.array([0.05, 0.3, 0.8, 1.5])
    omegas = np.array([0.0, 1.0, 4.0])
    calls = []
    pd1 = phase.phase_diagram(alphas, omegas, sigma2=1.0, sampler="sde", prior="sphere",
                              progress=lambda d, n: calls.append((d, n)), threads=2)
    assert calls[-1] == (12, 12)
    for i, a in enumerate(alphas):
        for j, w in enumerate(omegas):
            p = mf.predict_exponential("sphere", 1.0, w, "sde", alpha=a)
            assert pd1.mean_shift[i, j] == p.mean_shift and pd1.var_ratio[i, j] == p.var_ratio
            assert pd1.kl_per_dim[i, j] == p.kl_per_dim and pd1.margin[i, j] == p.margin
            assert mf.STATUSES[pd1.status[i, j]] == p.status
            if p.t_commit is None:
                assert pd1.t_commit.mask[i, j]
            else:
                assert not pd1.t_commit.mask[i, j] and pd1.t_commit[i, j] == p.t_commit
    assert not np.isnan(pd1.t_commit.data).any()
    pd2 = phase.phase_diagram(alphas, omegas, sigma2=1.0, sampler="sde", prior="sphere", threads=1)
    np.testing.assert_array_equal(pd1.var_ratio, pd2.var_ratio)
    np.testing.assert_array_equal(pd1.t_commit.data, pd2.t_commit.data)
    # sigma2 grid at fixed omega
    pd3 = phase.phase_diagram(alphas[:2], sigma2_grid=[0.5, 2.0], omega=2.0, prior="gaussian", sampler="ode")
    p = mf.predict_exponential("gaussian", 2.0, 2.0, "ode", alpha=alphas[1])
    assert pd3.var_ratio[1, 1] == p.var_ratio


def test_alpha_c_reproduces_transition():
    for w in (0.5, 4.0):
        ac = phase.alpha_c(w, sigma2=1.0, sampler="sde", prior="sphere")
        below = mf.predict_exponential("sphere", 1.0, w, "sde", alpha=ac - 2e-8)
        above = mf.predict_exponential("sphere", 1.0, w, "sde", alpha=ac + 2e-8)
        assert below.t_commit is not None and below.t_commit < 1e-4
        assert above.t_commit is None
    arr = phase.alpha_c(np.array([0.5, 4.0]), sigma2=1.0, sampler="sde", prior="sphere")
    assert arr[0] == pytest.approx(phase.alpha_c(0.5), abs=2e-8)


def test_phase_validation():
    with pytest.raises(ParameterError) as e:
        phase.phase_diagram([0.0, 0.3], [1.0])
    assert e.value.argument == "alpha_grid"
    with pytest.raises(ParameterError):
        phase.phase_diagram([0.3], [1.0], sigma2_grid=[1.0])


# --- log S: tiny and underflowing variance ratios ---------------------------------------------------------------
REPORTED_OMEGAS = (30.0, 34.0, 35.0, 36.0, 40.0, 45.0, 50.0)


def test_reported_sphere_ode_cases_alpha_100_equals_infinite_class():
    # sigma2 = 1e-4, ODE, var_ratio 1e-62 .. 1e-92: never committed at alpha = 100, so the
    # kernel must give the infinite-class answer (both integrate log S)
    logs = []
    for w in REPORTED_OMEGAS:
        ic = predict_infinite_class("sphere", 1e-4, w, "ode")
        p = mf.predict_exponential("sphere", 1e-4, w, "ode", alpha=100.0)
        assert p.status == "never committed"
        assert p.log_var_ratio == pytest.approx(ic.log_var_ratio, rel=1e-6)
        assert p.m_final == pytest.approx(ic.m_final, rel=1e-8)
        assert p.var_ratio == math.exp(p.log_var_ratio) and 0 < p.var_ratio < 1e-60
        lv = p.log_var_ratio
        assert p.kl_per_dim == pytest.approx(0.5 * (math.exp(lv) - 1 - lv + (p.m_final - 1) ** 2 / 1e-4), rel=1e-12)
        assert p.kl_per_dim == pytest.approx(ic.kl_per_dim, rel=1e-8)
        logs.append(lv)
    assert all(a > b for a, b in zip(logs, logs[1:]))  # decreasing in omega
    # against the scipy reference, in log S too
    M, log_S, _, _, _ = integrate_reference("sphere", "ode", 100.0, 1e-4, 50.0, rtol=1e-12, atol=1e-14, log=True)
    p = mf.predict_exponential("sphere", 1e-4, 50.0, "ode", alpha=100.0)
    assert p.m_final == pytest.approx(M, rel=1e-8)
    assert p.log_var_ratio == pytest.approx(log_S - math.log(1e-4), rel=1e-9)


def test_underflowing_var_ratio_in_the_kernel_and_the_phase_diagram():
    # sigma2 = 1e-8, omega = 1000, ODE: var_ratio = 10^-4155, far below float64's range
    p = mf.predict_exponential("sphere", 1e-8, 1000.0, "ode", alpha=100.0)
    lv = p.log_var_ratio
    assert p.var_ratio == 0.0 and math.isfinite(lv) and lv < -9000
    assert p.kl_per_dim == pytest.approx(0.5 * (-1 - lv + (p.m_final - 1) ** 2 / 1e-8), rel=1e-13)
    assert "below float64's range" in p.message
    ic = predict_infinite_class("sphere", 1e-8, 1000.0, "ode")
    assert lv == pytest.approx(ic.log_var_ratio, rel=1e-6) and p.m_final == pytest.approx(ic.m_final, rel=1e-8)
    pd = phase.phase_diagram([100.0], [1000.0], sigma2=1e-8, sampler="ode", prior="sphere", threads=1)
    assert pd.var_ratio[0, 0] == 0.0 and pd.kl_per_dim[0, 0] == p.kl_per_dim


def test_log_var_ratio_in_the_normal_range_and_the_limits():
    for prior, smp, a, w, s2, _status in POINTS[:4]:
        p = mf.predict_exponential(prior, s2, w, smp, alpha=a)
        assert p.var_ratio == math.exp(p.log_var_ratio) and "below float64's range" not in p.message
    p0 = mf.predict_exponential("sphere", 0.5, 3.0, "ode", alpha=0.0)
    assert p0.log_var_ratio == 0.0
    pinf = mf.predict_exponential("gaussian", 1e-4, 100.0, "ode", alpha=math.inf)
    assert pinf.var_ratio == 0.0 and pinf.log_var_ratio == pytest.approx(100 * math.log(1e-4 / (1 + 1e-4)), rel=1e-12)
    assert math.isfinite(pinf.kl_per_dim) and "below float64's range" in pinf.message
