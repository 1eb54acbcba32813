"""The paired estimator (cfgmft.validation.estimators.paired_difference) and the paired Monte
Carlo on common random numbers (cfgmft.api.simulate_paired)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cfgmft.api import simulate
from cfgmft.params import Guidance, Mixture, Problem, Sampler
from cfgmft.results import over_draws
from cfgmft.schedules import Constant
from cfgmft.validation.estimators import estimate_observables, paired_difference, per_sample_observables
from cfgmft.api import simulate_paired
from cfgmft.validation.montecarlo import paired
from cfgmft.validation.scores import FiniteMixture


def test_hand_computed_within_draw_floor():
    # D = a - b: draw 1 (1, 0, 0), draw 2 (0, 1, 0): per-draw means 1/3, 1/3 (no spread over
    # draws), s_j^2 = 1/3, s_j^2/n_j = 1/9, so se = sqrt(max(0, 1/9) / 2) = sqrt(1/18)
    a = [np.array([1.0, 0.0, 1.0]), np.array([1.0, 1.0, 0.0])]
    b = [np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])]
    e = paired_difference(a, b)
    assert e.value == pytest.approx(1 / 3, abs=1e-15)
    assert e.stderr == pytest.approx(math.sqrt(1 / 18), abs=1e-15)


def test_hand_computed_spread_over_draws():
    # D: draw 1 (1, 1, 1), draw 2 (0, 0, 0): per-draw means 1 and 0, spread 1/2, no within-draw
    # variance: se = sqrt(0.5 / 2) = 1/2; one draw alone: the within-draw error s_1/sqrt(n_1)
    a = [np.array([2.0, 3.0, 4.0]), np.array([5.0, 6.0, 7.0])]
    b = [np.array([1.0, 2.0, 3.0]), np.array([5.0, 6.0, 7.0])]
    e = paired_difference(a, b)
    assert (e.value, e.stderr) == (0.5, 0.5)
    one = paired_difference([np.array([1.0, 2.0, 4.0])], [np.zeros(3)])
    assert one.value == pytest.approx(7 / 3)
    assert one.stderr == pytest.approx(np.std([1.0, 2.0, 4.0], ddof=1) / math.sqrt(3), abs=1e-15)


def test_shapes_checked():
    with pytest.raises(ValueError, match="same number"):
        paired_difference([np.zeros(3)], [])
    with pytest.raises(ValueError, match="draw 0"):
        paired_difference([np.zeros(3)], [np.zeros(4)])


def _unpaired(a, b):
    """The two levels' own errors over draws, combined as if independent."""
    ea = over_draws([x.mean() for x in a], [x.std(ddof=1) / math.sqrt(x.size) for x in a])
    eb = over_draws([x.mean() for x in b], [x.std(ddof=1) / math.sqrt(x.size) for x in b])
    return math.hypot(ea.stderr, eb.stderr)


def test_equals_unpaired_on_independent_draws():
    # independent draws (a disorder term per draw plus sample noise, drawn apart for a and b):
    # the paired error is the unpaired one. J = 400 draws: the ratio of the two estimates has a
    # relative spread of about 1/sqrt(2 (J - 1)) ~ 3.5%, so 12% is over 3 of its standard deviations
    rng = np.random.default_rng(1)
    J, n = 400, 50
    a = [rng.normal(0.3, 1.0) + rng.normal(0, 2.0, n) for _ in range(J)]
    b = [rng.normal(0.0, 1.0) + rng.normal(0, 2.0, n) for _ in range(J)]
    ratio = paired_difference(a, b).stderr / _unpaired(a, b)
    assert abs(ratio - 1) < 0.12, ratio


def test_much_smaller_on_common_random_numbers():
    # the same disorder and noise in both, a small effect: the paired error is the effect's own
    rng = np.random.default_rng(2)
    J, n = 40, 200
    a, b = [], []
    for _ in range(J):
        common = rng.normal(0.0, 1.0) + rng.normal(0, 2.0, n)
        a.append(common + 0.05 + rng.normal(0, 0.1, n))
        b.append(common)
    e = paired_difference(a, b)
    assert e.stderr < 0.1 * _unpaired(a, b)
    assert abs(e.value - 0.05) < 3 * e.stderr


def _problem(omega, d=8, prior="sphere", alpha=0.3, steps=60):
    return Problem(Mixture(sigma2=1.0, prior=prior, alpha=alpha, d=d), Guidance(schedule=Constant(omega)),
                   Sampler("sde", steps=steps))


def test_per_sample_terms_average_to_the_estimates():
    rng = np.random.default_rng(3)
    mix = FiniteMixture.from_prior(5, 6, "sphere", 1.0, rng=4)
    x = mix.means[2] + rng.normal(size=(300, 6))
    est = estimate_observables(x, mix.means[2], 1.0, mixture=mix, c=2)
    t = per_sample_observables(x, mix.means[2], 1.0, mixture=mix, c=2)
    assert t["m_final"].mean() == pytest.approx(est.m.value, rel=1e-12)
    assert t["var_ratio"].mean() == pytest.approx(est.var_ratio.value, rel=1e-12)
    assert t["accuracy"].mean() == est.accuracy.value
    assert t["margin"].mean() == pytest.approx(est.margin.value, rel=1e-12)


def test_simulate_paired_is_simulate_on_common_random_numbers():
    # every schedule's numbers are those of simulate with the same seed, and the paired error of
    # two nearby schedules is far below the unpaired one; run on independent seeds instead, the
    # pairing gains nothing (the paired error is the unpaired one, within the noise of 4 draws)
    probs = {"a": _problem(3.0), "b": _problem(2.5)}
    r = simulate_paired(probs, samples=200, disorder=4, seed=7)
    for name, p in probs.items():
        s = simulate(p, samples=200, disorder=4, seed=7)
        for k in ("var_ratio", "accuracy", "m_final", "margin"):
            assert r["runs"][name][k] == s[k], (name, k)
    for k in ("var_ratio", "m_final", "margin"):
        e = paired(r, "a", "b", k)
        unp = math.hypot(r["runs"]["a"][k]["stderr"], r["runs"]["b"][k]["stderr"])
        assert e.stderr < 0.3 * unp, (k, e, unp)
    ra = simulate_paired({"a": probs["a"]}, samples=200, disorder=4, seed=7)
    rb = simulate_paired({"b": probs["b"]}, samples=200, disorder=4, seed=8)
    both = {"per_sample": {"a": ra["per_sample"]["a"], "b": rb["per_sample"]["b"]}}
    e = paired(both, "a", "b", "var_ratio")
    unp = math.hypot(ra["runs"]["a"]["var_ratio"]["stderr"], rb["runs"]["b"]["var_ratio"]["stderr"])
    assert 0.5 < e.stderr / unp < 2.0, (e, unp)


def test_simulate_paired_refuses_different_mixtures():
    with pytest.raises(ValueError, match="does not share"):
        simulate_paired({"a": _problem(3.0), "b": _problem(3.0, d=9)}, samples=10, seed=0)
