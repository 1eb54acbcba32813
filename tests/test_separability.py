"""The separability of the infinite-class limit: the implicit classifier's log-odds per dimension
``(log P_0(x|c) - log P_0(x))/d`` (docs/explanation/model.md section 4), in the theory (sympy, the generated
code, the solvers) and in the Monte Carlo estimators, theory against Monte Carlo."""

import math

import numpy as np
import pytest
import sympy as sp

from cfgmft.schedules import as_schedule
from cfgmft.special import log_vmf_partition
from cfgmft.solvers._generated import infinite_class as gen
from cfgmft.solvers.infinite_class import predict_infinite_class
from cfgmft.theory import symbols as sy
from cfgmft.theory.observables import (LOG_ODDS_GAUSSIAN, LOG_ODDS_SPHERE, VMF_LOG_PARTITION_PER_DIM,
                                       log_odds_gaussian_from_expectation)
from cfgmft.validation.estimators import estimate_observables
from cfgmft.validation.montecarlo import run_monte_carlo
from cfgmft.validation.scores import ContinuumGaussian, FiniteMixture


def test_gaussian_log_odds_is_the_expectation_of_the_two_log_densities():
    diff = sp.expand_log(log_odds_gaussian_from_expectation() - LOG_ODDS_GAUSSIAN, force=True)
    assert sp.simplify(diff) == 0
    exact = LOG_ODDS_GAUSSIAN.subs({sy.m_final: 1, sy.var_ratio: 1, sy.n_c: 1})
    assert sp.simplify(exact - sp.log(1 + 1 / sy.sigma2) / 2) == 0  # the mutual information per dimension


@pytest.mark.parametrize("point", [(1.3, 0.7, 0.5, 1.2), (0.9, 1.4, 3.0, 0.8), (2.0, 0.25, 1.0, 1.0)])
def test_generated_log_odds_equal_the_sympy_expressions(point):
    m, v, s2, n = point
    subs = {sy.m_final: m, sy.var_ratio: v, sy.sigma2: s2, sy.n_c: n}
    assert float(gen.log_odds_gaussian(m, v, s2, n)) == pytest.approx(float(LOG_ODDS_GAUSSIAN.subs(subs).evalf(30)),
                                                                       rel=1e-13)
    assert float(gen.log_odds_sphere(m, v, s2)) == pytest.approx(float(LOG_ODDS_SPHERE.subs(subs).evalf(30)),
                                                                 rel=1e-13)


def test_vmf_log_partition_per_dimension_tends_to_its_uniform_asymptote():
    """The sphere's log-odds uses lim (1/d) log_vmf_partition(d, d y); the exact partition
    function approaches it with an error that falls with d like log(d)/d."""
    F = sp.lambdify(sy.y, VMF_LOG_PARTITION_PER_DIM)
    for y in (0.3, 1.0, 2.5):
        errs = [abs(float(log_vmf_partition(d, np.array([d * y]))[0]) / d - F(y)) for d in (100, 1000, 10000)]
        assert errs[0] > errs[1] > errs[2]
        assert errs[2] < 10 * math.log(10000) / 10000


@pytest.mark.parametrize("prior", ["gaussian", "sphere"])
def test_theory_log_odds_at_exact_sampling(prior):
    s2 = 0.5
    p = predict_infinite_class(prior, s2, 0.0, "sde")
    if prior == "gaussian":
        assert p.log_odds == pytest.approx(0.5 * math.log(1 + 1 / s2), rel=1e-12)
    else:
        y = math.sqrt(1 + s2) / s2
        F = (math.sqrt(1 + 4 * y * y) - 1 - math.log((1 + math.sqrt(1 + 4 * y * y)) / 2)) / 2
        assert p.log_odds == pytest.approx(1 / s2 - F, rel=1e-12)


def test_guidance_raises_the_log_odds():
    """CFG at omega > 0 pushes the samples towards c and away from the unconditional law."""
    for prior in ("gaussian", "sphere"):
        base = predict_infinite_class(prior, 1.0, 0.0, "sde").log_odds
        assert predict_infinite_class(prior, 1.0, 2.0, "sde").log_odds > base


@pytest.mark.parametrize("sampler", ["sde", "ode"])
@pytest.mark.parametrize("omega", [0.0, 2.0, "negwin:2:-0.5:0:0.4"])
def test_monte_carlo_log_odds_matches_the_gaussian_theory(sampler, omega):
    """Gaussian continuum: the generated law is N(M mu_c, S I) at every d, so the theory's
    log-odds with the drawn target's n_c = |mu_c|^2/d is exact; the Monte Carlo must agree
    within 4 standard errors (the project's criterion)."""
    d = 8
    mu = np.random.default_rng(11).standard_normal(d)
    om = as_schedule(omega) if isinstance(omega, str) else omega
    res = run_monte_carlo(ContinuumGaussian(1.0), mu, 1.0, om, sampler, n=4000, steps=200, rng=5)
    p = predict_infinite_class("gaussian", 1.0, om, sampler)
    theory = float(gen.log_odds_gaussian(p.m_final, p.var_ratio, 1.0, float(mu @ mu) / d))
    est = res.estimates.log_odds
    assert abs(est.value - theory) <= 4 * est.stderr


def test_log_odds_estimator_of_a_finite_mixture():
    """For K classes the estimator is (log N(x; mu_c) - log[(1/K) sum_k N(x; mu_k)])/d, at most log(K)/d."""
    rng = np.random.default_rng(2)
    K, d, s2 = 5, 6, 0.7
    means = rng.standard_normal((K, d))
    x = means[0] + math.sqrt(s2) * rng.standard_normal((300, d))
    est = estimate_observables(x, means[0], s2, mixture=FiniteMixture(means, s2), c=0)
    logn = lambda mu: -((x - mu) ** 2).sum(1) / (2 * s2) - 0.5 * d * math.log(2 * math.pi * s2)  # noqa: E731
    L = np.stack([logn(m) for m in means])
    ell = (L[0] - (np.logaddexp.reduce(L, axis=0) - math.log(K))) / d
    assert est.log_odds.value == pytest.approx(ell.mean(), rel=1e-12)
    assert np.all(ell <= math.log(K) / d + 1e-12)
