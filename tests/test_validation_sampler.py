"""Samplers, estimators and the Monte Carlo driver: exactness, closed forms, convergence,
reproducibility."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.special import hyp2f1

from cfgmft.validation.estimators import estimate_observables, gaussian_kl_per_dim
from cfgmft.validation.mixture import draw_means
from cfgmft.validation.montecarlo import run_monte_carlo
from cfgmft.validation.samplers import DEFAULT_STEPS, GRIDS, sample, step_coefficients, time_grid
from cfgmft.validation.scores import ContinuumGaussian, ContinuumSphere, FiniteMixture, Gamma


def overlap_stats(x, mu, s2):
    est = estimate_observables(x, mu, s2)
    return est


def within(est, target, k=4.0):
    value, stderr = est
    return abs(value - target) <= k * stderr, f"{value} ± {stderr} vs {target}"


# closed forms of CFG with the Gaussian continuum (T -> infinity), constant omega
def gaussian_ode(s2, om):
    return (1 + om) * hyp2f1(-om / 2, 1, 1.5, 1 / (1 + s2)), (s2 / (1 + s2)) ** om


def gaussian_sde(s2, om):
    r = s2 / (1 + s2)
    return 1 + s2 - s2 * r**om, ((1 + s2) - s2 * r ** (2 * om)) / (2 * om + 1)


# ----------------------------------------------------------------------------- grids, propagators


@pytest.mark.parametrize("grid", GRIDS)
@pytest.mark.parametrize("steps", [1, 2, 37, 400])
def test_time_grid(grid, steps):
    t = time_grid(10.0, steps, 1e-3, grid)
    assert t.shape == (steps + 1,)
    assert t[0] == 10.0 and t[-1] == 0.0
    assert np.all(np.diff(t) < 0)


def test_logsnr_grid_is_uniform_in_class_log_snr():
    s2 = 0.01
    t = time_grid(8.0, 50, s2, "logsnr")
    lam = np.log(s2 + np.expm1(2 * t))
    np.testing.assert_allclose(np.diff(lam), np.diff(lam)[0], rtol=1e-9)
    assert lam[-1] == pytest.approx(math.log(s2))


@pytest.mark.parametrize("t1,t0", [(3.0, 1.0), (0.4, 0.39), (1e-3, 0.0), (10.0, 0.0)])
@pytest.mark.parametrize("s2", [0.05, 2.0])
def test_step_coefficients_against_ode_integration(t1, t0, s2):
    """Independent check of the propagators: integrate the mean and variance equations of the
    backward dynamics with a constant D by an adaptive Runge-Kutta solver."""
    D = 1.3
    x1 = -0.7
    G = lambda t: s2 * math.exp(-2 * t) + 1 - math.exp(-2 * t)  # noqa: E731

    def rhs(tau, y, sde):
        t = t1 - tau
        if sde:  # dx = [x + 2 s] dtau + sqrt2 dW, s = -x/G + e^{-t} D / G
            lam = 1 - 2 / G(t)
            return [lam * y[0] + 2 * math.exp(-t) * D / G(t), 2 * lam * y[1] + 2]
        lam = 1 - 1 / G(t)
        return [lam * y[0] + math.exp(-t) * D / G(t), 0.0]

    for sampler in ["ode", "sde"]:
        sol = solve_ivp(rhs, [0, t1 - t0], [x1, 0.0], args=(sampler == "sde",), rtol=1e-12, atol=1e-14, method="DOP853")
        Phi, c, sd = step_coefficients(t1, t0, s2, sampler)
        assert Phi * x1 + c * D == pytest.approx(sol.y[0, -1], rel=1e-9, abs=1e-12)
        assert sd**2 == pytest.approx(sol.y[1, -1], rel=1e-9, abs=1e-14)


# ----------------------------------------------------------------------------- exactness at omega = 0


@pytest.mark.parametrize("sampler", ["ode", "sde"])
@pytest.mark.parametrize("steps", [1, 3, 50])
@pytest.mark.parametrize("scheme", ["local_gaussian", "frozen"])
def test_exact_conditional_sampling_any_steps(sampler, steps, scheme):
    d, s2 = 8, 0.2
    means = draw_means(5, d, "gaussian", 0)
    mix = FiniteMixture(means, s2)
    res = sample(mix, means[1], s2, 0.0, sampler=sampler, T=10.0, steps=steps, n=4000, rng=11, scheme=scheme)
    est = estimate_observables(res.x, means[1], s2)
    ok, msg = within(est.m, 1.0)
    assert ok, msg
    ok, msg = within(est.var_ratio, 1.0)
    assert ok, msg
    ok, msg = within(est.var_ratio_parallel, 1.0)
    assert ok, msg


@pytest.mark.parametrize("steps", [1, 7, 60])
def test_ode_map_is_the_exact_linear_map(steps):
    d, s2, T = 6, 0.1, 10.0
    means = draw_means(3, d, "sphere", 1)
    mix = FiniteMixture(means, s2)
    x_T = np.random.default_rng(2).standard_normal((50, d))
    res = sample(mix, means[0], s2, 0.0, sampler="ode", steps=steps, x_T=x_T, T=T)
    Phi = math.sqrt(s2 / float(Gamma(T, s2)))
    expected = Phi * x_T + (1 - Phi * math.exp(-T)) * means[0]
    np.testing.assert_allclose(res.x, expected, rtol=1e-12, atol=1e-12)
    # a zero schedule is the same thing, bitwise
    res0 = sample(mix, means[0], s2, lambda t: np.zeros_like(t), sampler="ode", steps=steps, x_T=x_T, T=T)
    np.testing.assert_array_equal(res.x, res0.x)


# ----------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("sampler", ["ode", "sde"])
@pytest.mark.parametrize("omega", [2.0, -0.3])
def test_gaussian_continuum_closed_forms(sampler, omega):
    d, s2 = 8, 0.1
    mu = draw_means(1, d, "gaussian", 3)[0]
    den = ContinuumGaussian(s2)
    res = sample(den, mu, s2, omega, sampler=sampler, T=10.0, n=4000, rng=21, steps=40)
    est = estimate_observables(res.x, mu, s2)
    m_ex, vr_ex = (gaussian_ode if sampler == "ode" else gaussian_sde)(s2, omega)
    ok, msg = within(est.m, m_ex)
    assert ok, msg
    ok, msg = within(est.var_ratio, vr_ex)
    assert ok, msg
    # guidance does distort: the exact-sampling values are excluded (omega != 0)
    assert not within(est.var_ratio, 1.0)[0]


def probe_ode(den, mu, s2, omega, steps, scheme, order):
    """Deterministic ODE probes: x_T = 0 gives the mean overlap, x_T = e_perp the linear factor."""
    d = mu.shape[0]
    e_perp = np.zeros(d)
    e_perp[1] = 1.0
    e_perp -= (e_perp @ mu) / (mu @ mu) * mu
    e_perp /= np.linalg.norm(e_perp)
    x_T = np.stack([np.zeros(d), e_perp])
    x = sample(den, mu, s2, omega, sampler="ode", T=10.0, x_T=x_T, steps=steps, scheme=scheme, order=order).x
    b = x[0] @ mu / (mu @ mu)
    A = (x[1] - x[0]) @ e_perp
    return b, A**2 / s2


def test_step_convergence_gaussian_continuum():
    d, s2, omega = 4, 0.1, 2.0
    mu = draw_means(1, d, "sphere", 4)[0]
    den = ContinuumGaussian(s2)
    m_ex, vr_ex = gaussian_ode(s2, omega)
    # the local-Gaussian scheme is exact for the Gaussian continuum at any number of steps
    # (the residual is the O(e^{-T}) start and the quadrature)
    for steps in [3, 20]:
        b, vr = probe_ode(den, mu, s2, omega, steps, "local_gaussian", 2)
        assert abs(b - m_ex) < 1e-4 and abs(vr / vr_ex - 1) < 1e-6
    # the frozen-D scheme converges with order 1, or 2 with the multistep correction
    for order, expected in [(1, 1.0), (2, 2.0)]:
        errs = []
        for steps in [400, 800, 1600]:
            b, vr = probe_ode(den, mu, s2, omega, steps, "frozen", order)
            errs.append(abs(vr / vr_ex - 1))
        rates = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
        assert np.all(rates > expected - 0.25) and np.all(rates < expected + 0.4), (order, errs)


def test_step_convergence_finite_mixture():
    """Exponential-regime mixture: the ODE map with common x_T converges with order 2, and at
    the default number of steps the discretisation error is far below the Monte Carlo error of
    a few thousand samples."""
    d, K, s2, omega = 16, 120, 0.1, 2.0
    means = draw_means(K, d, "gaussian", 0)
    mix = FiniteMixture(means, s2)
    x_T = np.random.default_rng(5).standard_normal((200, d))
    mu = means[0]

    def run(steps):
        x = sample(mix, mu, s2, omega, sampler="ode", T=10.0, x_T=x_T, steps=steps).x
        return x @ mu / (mu @ mu)

    ref = run(3200)
    errs = np.array([abs(run(s) - ref).mean() for s in [100, 200, 400]])
    assert np.all(errs[:-1] / errs[1:] > 3.0), errs  # order 2
    sem = ref.std() / math.sqrt(4000)
    err_default = abs(run(DEFAULT_STEPS) - ref).mean()
    assert err_default < 0.1 * sem, (err_default, sem)


# ----------------------------------------------------------------------------- reproducibility


def test_batch_and_chunk_invariance_and_prefix_property():
    d, s2, omega = 8, 0.05, 3.0
    means = draw_means(60, d, "gaussian", 9)
    kw = dict(sampler="sde", T=10.0, steps=30, n=300, rng=123, block_size=64)
    ref = sample(FiniteMixture(means, s2, chunk_size=60), means[2], s2, omega, batch_size=300, **kw).x
    for batch, chunk in [(1000, 7), (77, 60), (64, 1), (5, 16)]:
        if batch == 5:
            kw2 = dict(kw, n=40)
            got = sample(FiniteMixture(means, s2, chunk_size=chunk), means[2], s2, omega, batch_size=batch, **kw2).x
            np.testing.assert_allclose(got, ref[:40], rtol=1e-12, atol=1e-12)
            continue
        got = sample(FiniteMixture(means, s2, chunk_size=chunk), means[2], s2, omega, batch_size=batch, **kw).x
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
    # same seed, same samples; different seed, different samples; Generator accepted
    again = sample(FiniteMixture(means, s2), means[2], s2, omega, batch_size=300, **kw).x
    np.testing.assert_array_equal(again, ref)
    other = sample(FiniteMixture(means, s2), means[2], s2, omega, **dict(kw, rng=124)).x
    assert np.abs(other - ref).max() > 0.1
    g1 = sample(FiniteMixture(means, s2), means[2], s2, omega, **dict(kw, rng=np.random.default_rng(5))).x
    g2 = sample(FiniteMixture(means, s2), means[2], s2, omega, **dict(kw, rng=np.random.default_rng(5))).x
    np.testing.assert_array_equal(g1, g2)


def test_records_and_schedules():
    d, s2 = 8, 0.1
    means = draw_means(30, d, "gaussian", 2)
    mix = FiniteMixture(means, s2)

    def interval(t):
        return np.where((t > 0.3) & (t < 2.0), 4.0, 0.0)

    res = sample(mix, means[0], s2, interval, sampler="sde", T=10.0, n=64, steps=40, rng=3, record=("w_c", "m", "r"))
    assert res.records["w_c"].shape == (41, 64)
    assert np.all((res.records["w_c"] >= 0) & (res.records["w_c"] <= 1))
    np.testing.assert_allclose(res.records["m"][-1], res.x @ means[0] / (means[0] @ means[0]))
    np.testing.assert_allclose(res.records["r"][-1], (res.x**2).sum(1) / d)
    np.testing.assert_allclose(res.records["w_c"][-1], mix.target_weight(res.x, 0.0, 0))
    np.testing.assert_array_equal(res.omega_grid, interval(0.5 * (res.t_grid[:-1] + res.t_grid[1:])))
    assert res.t_grid[0] == 10.0 and res.t_grid[-1] == 0.0
    with pytest.raises(ValueError, match="w_c"):
        sample(ContinuumGaussian(s2), means[0], s2, 1.0, n=4, steps=3, record="w_c")
    with pytest.raises(ValueError, match="finite"):
        sample(mix, means[0], s2, lambda t: np.full_like(t, np.nan), T=10.0, n=4, steps=3)
    with pytest.raises(ValueError, match="sigma2"):
        sample(mix, means[0], 0.2, 1.0, n=4, steps=3)
    with pytest.raises(ValueError, match="sampler"):
        sample(mix, means[0], s2, 1.0, sampler="euler", n=4, steps=3)


def test_continuum_sphere_sampler_runs_and_distorts():
    d, s2 = 16, 0.1
    mu = draw_means(1, d, "sphere", 5)[0]
    den = ContinuumSphere(d, s2)
    res = sample(den, mu, s2, 2.0, sampler="ode", T=10.0, n=2000, steps=60, rng=8)
    est = estimate_observables(res.x, mu, s2)
    assert est.mean_shift.value > 5 * est.mean_shift.stderr  # C1: outward shift
    assert est.var_ratio.value < 1 - 5 * est.var_ratio.stderr  # C1: shrinkage


# ----------------------------------------------------------------------------- estimators, driver


def test_estimators_on_known_gaussian_and_stderr_calibration():
    rng = np.random.default_rng(0)
    d, s2, M, S, n = 10, 0.3, 1.2, 0.5 * 0.3, 2000
    mu = draw_means(1, d, "gaussian", rng)[0]
    q = mu @ mu / d
    reps = []
    for _ in range(150):
        x = M * mu + math.sqrt(S) * rng.standard_normal((n, d))
        reps.append(estimate_observables(x, mu, s2))
    vals = {k: np.array([getattr(r, k).value for r in reps]) for k in ["m", "var_ratio", "var_m", "kl_per_dim"]}
    errs = {k: np.array([getattr(r, k).stderr for r in reps]) for k in vals}
    truth = {
        "m": M,
        "var_ratio": S / s2,
        "var_m": S / (mu @ mu),
        "kl_per_dim": float(gaussian_kl_per_dim(M, S / s2, s2, q)),
    }
    for k in vals:
        # unbiased within the error of the mean of 150 repetitions (KL: plug-in bias is tiny here)
        assert abs(vals[k].mean() - truth[k]) < 4 * vals[k].std() / math.sqrt(150) + 1e-12, k
        # reported standard errors match the scatter across repetitions (~6% sampling error)
        assert errs[k].mean() == pytest.approx(vals[k].std(ddof=1), rel=0.2), k
    kl = reps[0].kl_per_dim.value
    rho = reps[0].var_ratio.value
    m = reps[0].m.value
    assert kl == pytest.approx(0.5 * (rho - 1 - math.log(rho) + (m - 1) ** 2 * q / s2))
    d_ = reps[0].to_dict()
    assert {"m", "m_stderr", "kl_per_dim", "var_m_stderr", "accuracy"} <= set(d_)


def test_run_monte_carlo_finite_mixture():
    d, s2 = 8, 0.05
    means = draw_means(40, d, "gaussian", 1)
    mix = FiniteMixture(means, s2)
    res = run_monte_carlo(mix, means[3], s2, 1.5, sampler="sde", n=500, steps=50, T=10.0, rng=4, batch_size=200)
    out = res.to_dict()
    assert out["parameters"]["K"] == 40 and out["parameters"]["target_index"] == 3
    assert out["parameters"]["convention"] == "s = (1+omega) s_c - omega s_u"
    assert res.seconds_sampling > 0
    acc = res.estimates.accuracy
    assert acc is not None and 0.9 <= acc.value <= 1.0
    assert res.estimates.margin.value > 0
    assert res.estimates.mean_shift.value > 0  # C1 on a mixture
    # the same run through sample + estimate_observables
    x = sample(mix, means[3], s2, 1.5, sampler="sde", n=500, steps=50, T=10.0, rng=4).x
    est = estimate_observables(x, means[3], s2, mixture=mix)
    assert est.to_dict() == res.estimates.to_dict()


@pytest.mark.parametrize("spec", ["interval:2:0.3:1.5", "linear:2:2:up", "negwin:2:-0.5:0:0.4", "cosine:1.5:2:down"])
def test_ode_sampler_with_schedules_converges_to_the_theory(spec):
    """The continuum ODE map is linear: x_T = 0 lands on M0 mu_c and a unit orthogonal x_T on
    sqrt(S0) times it, so the sampler's deterministic output gives m_final and var_ratio of the
    infinite-class theory, up to O(e^{-T}) and the discretisation error (second order in the
    step: the schedule is evaluated at step midpoints and its jumps are grid points)."""
    from cfgmft.schedules import parse_schedule
    from cfgmft.solvers.infinite_class import predict_infinite_class

    d, s2 = 4, 1.0
    sched = parse_schedule(spec)
    th = predict_infinite_class("gaussian", s2, sched, "ode")
    mu = np.zeros(d)
    mu[0] = 2.0
    x_T = np.zeros((2, d))
    x_T[1, 1] = 1.0
    errs = []
    for steps in (50, 100, 200):
        x = sample(ContinuumGaussian(s2), mu, s2, sched, sampler="ode", T=20.0, steps=steps, x_T=x_T).x
        m = x[0] @ mu / (mu @ mu)
        v = (x[1] - x[0]) @ (x[1] - x[0]) / s2
        errs.append(max(abs(m - th.m_final), abs(v - th.var_ratio)))
    assert errs[-1] < 1e-3, errs
    # second order: halving the step divides the error by ~4 (interval schedules are exact
    # at every step count, their error is O(e^{-T}) and rounding)
    assert errs[-1] < 1e-8 or (errs[0] / errs[1] > 3.0 and errs[1] / errs[2] > 3.0), errs
