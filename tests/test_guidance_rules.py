"""Guidance rules (cfgmft.guidance): text/dict forms, exact reductions to cfg, hand-computed
cases, the d -> infinity theory of every rule (solvers.rules) against the generated cfg solvers,
the Monte Carlo of every rule against that theory, the general step's order, numpy against
torch, and the command line."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from cfgmft.errors import ParameterError
from cfgmft.guidance import (APG, CFG, RULES, PowerLaw, Rescale, ROW_OPS, ZeroStar, as_rule, guided_target,
                             parse_rule, rule_from_dict, space_coefficients)
from cfgmft.params import Guidance, Mixture, Problem, Sampler

RULE_TEXTS = ["cfg", "powerlaw:beta=0.5", "apg:eta=0,r=0.05", "apg:eta=0,r=0", "zerostar", "rescale:phi=0.7"]


@pytest.mark.parametrize("text", RULE_TEXTS + ["apg", "powerlaw:beta=-0.5", "rescale:phi=1",
                                  "apg:eta=0,r=0.05,momentum=-0.5", "zerostar:zero_init=2"])
def test_text_and_dict_forms_round_trip(text):
    rule = parse_rule(text)
    assert parse_rule(rule.spec) == rule
    assert rule_from_dict(rule.to_dict()) == rule
    assert rule_from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    assert as_rule(rule.spec) == as_rule(rule.to_dict()) == rule
    g = Guidance(omega=2.0, rule=text)
    p = Problem(Mixture(sigma2=1.0), g, Sampler("sde"))
    assert Problem.from_dict(p.to_dict()).guidance.rule == rule


def test_defaults_and_kinds():
    assert as_rule(None) == CFG()
    assert Guidance(omega=1.0).rule == CFG()
    assert set(RULES) == {"cfg", "powerlaw", "apg", "zerostar", "rescale"}
    assert parse_rule("APG").to_dict() == {"kind": "apg", "space": "denoiser", "eta": 0.0, "r": 0.0}


@pytest.mark.parametrize("bad", ["foo", "apg:eta", "apg:x=1", "powerlaw:beta=9", "rescale:phi=nan", "rescale:phi=1.5",
                                 "zerostar:a=1", "apg:eta=1,eta=2", "apg:r=-1", "", 3, "apg:momentum=1.5",
                                 "apg:momentum=nan", "zerostar:zero_init=-1", "zerostar:zero_init=1.5",
                                 "rescale:phi=0.5,zero_init=1", "cfg:momentum=0.5"])
def test_bad_rules_name_the_argument(bad):
    with pytest.raises(ParameterError) as e:
        as_rule(bad)
    assert str(e.value).startswith("guidance:")
    assert "\n" not in str(e.value)


def _pair(seed=0, n=7, d=11):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((n, d))


@pytest.mark.parametrize("rule", [PowerLaw(beta=0.0), APG(eta=1.0, r=0.0), Rescale(phi=0.0)])
def test_reductions_to_cfg_are_exact(rule):
    c, u = _pair()
    for omega in (-0.7, 0.5, 3.0):
        want = c + omega * (c - u)
        got = c + rule._increment(c, u, c - u, omega, ROW_OPS)  # the rule's own arithmetic, not a shortcut
        assert np.allclose(got, want, rtol=1e-14, atol=1e-14)
    assert rule.reduces_to_cfg and rule.linear_in_x and rule.time_only


@pytest.mark.parametrize("text", RULE_TEXTS)
def test_omega_zero_and_equal_predictions_give_the_conditional(text):
    rule = parse_rule(text)
    c, u = _pair(1)
    assert np.array_equal(rule.combine(c, u, 0.0), c)
    assert np.allclose(rule.combine(c, c.copy(), 2.5), c, rtol=1e-14, atol=1e-14)


def test_hand_computed_cases():
    c = np.array([[1.0, 2.0, 0.0, -1.0]])
    u = np.array([[0.5, 1.0, 1.0, 0.0]])
    d = 4
    # zerostar: s* = <c,u>/|u|^2 = 2.5/2.25
    st = 2.5 / 2.25
    want = st * u + 3.0 * (c - st * u)
    assert np.allclose(ZeroStar().combine(c, u, 2.0), want, rtol=1e-15)
    # powerlaw: |Delta|/sqrt(d) = sqrt((0.25 + 1 + 1 + 1)/4)
    delta = c - u
    n = math.sqrt(3.25 / d)
    assert np.allclose(PowerLaw(beta=2.0).combine(c, u, 1.5), c + 1.5 * n**2 * delta, rtol=1e-15)
    # apg: eta = 0 removes the part of Delta along c; r clips the RMS norm of Delta
    g = APG(eta=0.0, r=0.0).combine(c, u, 1.0)
    assert abs(float(((g - c) @ c.T).item())) < 1e-14
    g = APG(eta=1.0, r=0.1).combine(c, u, 1.0)
    assert math.isclose(float(np.sqrt(np.mean((g - c) ** 2))), 0.1, rel_tol=1e-14)
    # rescale with phi = 1: the guided prediction has the conditional's std over coordinates
    g = Rescale(phi=1.0).combine(c, u, 2.0)
    assert math.isclose(float(g.std()), float(c.std()), rel_tol=1e-14)


def test_guided_target_maps_back_through_every_space():
    """M_g of cfg is (1 + omega) mu_c - omega E whatever space it is computed in; and a rule's
    target reproduces its guided prediction in its own space."""
    rng = np.random.default_rng(3)
    x, E = rng.standard_normal((5, 9)), rng.standard_normal((5, 9))
    mu = rng.standard_normal(9)
    t, s2, om = 0.7, 0.3, 1.7
    want = (1.0 + om) * mu - om * E
    for space in ("score", "eps", "denoiser"):
        a, b = space_coefficients(space, t, s2)
        c, u = a * mu + b * x, a * E + b * x
        assert np.allclose((CFG().combine(c, u, om) - b * x) / a, want, rtol=1e-12, atol=1e-12)
    for text in RULE_TEXTS[1:]:
        rule = parse_rule(text)
        a, b = space_coefficients(rule.space, t, s2)
        c, u = a * mu + b * x, a * E + b * x
        Mg = guided_target(rule, x, t, s2, mu, E, om)
        assert np.allclose(a * Mg + b * x, rule.combine(c, u, om), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- theory

@pytest.mark.parametrize("prior", ["gaussian", "sphere"])
@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_rule_theory_of_cfg_equals_the_generated_solvers(prior, sampler):
    from cfgmft.solvers.exponential import predict_exponential
    from cfgmft.solvers.rules import predict_rule

    for alpha in (math.inf, 0.3):
        for rule in ("cfg", "apg:eta=1,r=0", "powerlaw:beta=0", "rescale:phi=0"):
            a = predict_rule(prior, 1.0, 2.0, sampler, rule, alpha=alpha)
            b = predict_exponential(prior, 1.0, 2.0, sampler, alpha=alpha)
            assert math.isclose(a.m_final, b.m_final, rel_tol=1e-8)
            assert math.isclose(a.var_ratio, b.var_ratio, rel_tol=1e-8)
            if alpha < math.inf:
                assert math.isclose(a.t_commit, b.t_commit, rel_tol=1e-7)


@pytest.mark.parametrize("prior", ["gaussian", "sphere"])
def test_generated_kernel_against_the_scipy_reference(prior):
    """The numba kernel with the sympy-generated (A, B) of each rule against scipy's solve_ivp on
    the rule's own numpy code (two independent paths), both regimes, both samplers, a schedule."""
    from cfgmft.solvers.rules import predict_rule

    for sampler in ("sde", "ode"):
        for alpha in (math.inf, 0.3):
            for text in RULE_TEXTS[1:]:
                omega = "negwin:3:-0.5:0.5:1.2" if text == "zerostar" else 2.0
                a = predict_rule(prior, 0.5, omega, sampler, text, alpha=alpha)
                b = predict_rule(prior, 0.5, omega, sampler, text, alpha=alpha, method="reference")
                assert math.isclose(a.m_final, b.m_final, rel_tol=1e-7), (text, a.m_final, b.m_final)
                assert math.isclose(a.log_var_ratio, b.log_var_ratio, rel_tol=1e-7, abs_tol=1e-8), text
                assert (a.t_commit is None) == (b.t_commit is None)
                if a.t_commit is not None:
                    assert math.isclose(a.t_commit, b.t_commit, rel_tol=1e-7)


def test_generated_rules_module_is_fresh_and_matches_the_numpy_rules():
    from cfgmft.solvers._generated import rules as gr
    from cfgmft.solvers.rules import _guided_AB
    from cfgmft.theory import bridge

    assert bridge.rules_generated_path().read_text(encoding="utf-8") == bridge.render_rules()
    rnd = np.random.default_rng(5)
    for text, kind, params in (("powerlaw:beta=0.5", "powerlaw", (0.5,)), ("apg:eta=0.3,r=0.05", "apg", (0.3, 0.05)),
                               ("zerostar", "zerostar", ()), ("rescale:phi=0.7", "rescale", (0.7,))):
        rule = parse_rule(text)
        for _ in range(50):
            t, M, S, w, rho, s2 = (rnd.uniform(0.01, 4), rnd.uniform(-1, 3), rnd.uniform(0.01, 3), rnd.uniform(-1, 8),
                                   rnd.uniform(0.01, 1), rnd.uniform(0.05, 3))
            A, s1 = _guided_AB(rule, t, M, S, w, rho, s2)  # s = A x + B mu_c, s_1 = A M + B
            Ag, Bg = getattr(gr, f"rule_{kind}_AB")(t, M, S, w, s2, rho, *params)  # s = -A x + B mu_c
            assert math.isclose(-A, Ag, rel_tol=1e-10, abs_tol=1e-12)
            assert math.isclose(s1 - A * M, Bg, rel_tol=1e-10, abs_tol=1e-12)


def test_alpha_c_of_a_rule():
    from cfgmft.solvers.phase import alpha_c

    base = alpha_c([1.0, 2.0], xtol=1e-7)
    same = alpha_c([1.0, 2.0], xtol=1e-7, rule="apg:eta=1,r=0")
    assert np.array_equal(base, same)
    apg = alpha_c([1.0, 2.0], xtol=1e-7, rule="apg:eta=0,r=0.05")
    assert np.all(apg < base)  # measured: projecting out the parallel part commits earlier in alpha
    from cfgmft.solvers.rules import predict_rule

    for w, a in zip((1.0, 2.0), apg):  # commitment just below the line, none just above
        assert predict_rule("sphere", 1.0, w, "sde", "apg:eta=0,r=0.05", alpha=a * 0.999).t_commit is not None
        assert predict_rule("sphere", 1.0, w, "sde", "apg:eta=0,r=0.05", alpha=a * 1.001).t_commit is None


def test_rule_theory_infinite_class_matches_the_closed_forms():
    from cfgmft.solvers.infinite_class import predict_infinite_class
    from cfgmft.solvers.rules import predict_rule

    for sampler in ("ode", "sde"):
        for omega in (0.5, 2.0):
            p = predict_rule("gaussian", 0.4, omega, sampler, "cfg")
            q = predict_infinite_class("gaussian", 0.4, omega, sampler)  # closed forms
            # solve_ivp at rtol 1e-10 (solvers.rules.RTOL): a global error of ~1e-9
            assert math.isclose(p.m_final, q.m_final, rel_tol=1e-8)
            assert math.isclose(p.var_ratio, q.var_ratio, rel_tol=1e-8)
            if sampler == "ode":
                assert math.isclose(p.var_ratio, (0.4 / 1.4) ** omega, rel_tol=1e-8)


def test_every_rule_is_inert_after_commitment_and_exact_at_alpha_zero():
    from cfgmft.solvers.rules import predict_rule

    for text in RULE_TEXTS:
        p = predict_rule("sphere", 0.5, 3.0, "sde", text, alpha=0.0)
        assert p.m_final == 1.0 and p.var_ratio == 1.0 and p.guidance == parse_rule(text).spec


# ----------------------------------------------------------------------------- Monte Carlo

#: The finite-d correction allowed on top of 3 standard errors: C/d with C = 1.5 (measured at
#: d = 200 and 800 on the gaussian continuum, omega = 2, sigma2 = 1: the largest deviation of E[m]
#: is 0.86/d for zerostar and 0.83/d for rescale:phi=0.7 on the ODE; the SDE's are within noise).
FINITE_D_C = 1.5


@pytest.mark.parametrize("sampler", ["ode", "sde"])
def test_monte_carlo_of_every_rule_against_the_theory(sampler):
    from cfgmft.solvers.rules import predict_rule
    from cfgmft.validation.montecarlo import run_monte_carlo
    from cfgmft.validation.scores import ContinuumGaussian

    d, n, steps = 400, 500, 400  # clipped APG needs the steps: at 200 its step error of v is ~0.02
    mu = np.random.default_rng(1).standard_normal(d)
    mu *= math.sqrt(d) / np.linalg.norm(mu)
    den = ContinuumGaussian(1.0, d)
    for text in RULE_TEXTS[1:]:
        th = predict_rule("gaussian", 1.0, 2.0, sampler, text)
        res = run_monte_carlo(den, mu, 1.0, 2.0, sampler, n=n, steps=steps, rng=7, rule=text)
        assert res.parameters["guidance"] == parse_rule(text).spec and res.parameters["scheme"] == "frozen"
        e = res.estimates
        for est, want in ((e.m, th.m_final), (e.var_ratio, th.var_ratio)):
            assert abs(est.value - want) <= 3.0 * est.stderr + FINITE_D_C / d, (text, est, want)


def test_general_step_order_ode():
    """The general step on the ODE (deterministic given x_T) is second order: the error against
    a fine reference falls by more than 3 per halving of the step."""
    from cfgmft.validation.samplers import sample
    from cfgmft.validation.scores import ContinuumGaussian

    d = 16
    mu = np.ones(d)
    den = ContinuumGaussian(0.5, d)
    x_T = np.random.default_rng(0).standard_normal((64, d))
    rule = parse_rule("zerostar")
    xs = {N: sample(den, mu, 0.5, 2.0, "ode", steps=N, x_T=x_T, rule=rule).x for N in (25, 50, 100, 1600)}
    e1 = np.abs(xs[25] - xs[1600]).max()
    e2 = np.abs(xs[50] - xs[1600]).max()
    e3 = np.abs(xs[100] - xs[1600]).max()
    assert e1 / e2 > 3.0 and e2 / e3 > 3.0, (e1, e2, e3)


def test_general_step_batch_invariance_and_cfg_unchanged():
    from cfgmft.validation.mixture import draw_means
    from cfgmft.validation.samplers import sample
    from cfgmft.validation.scores import FiniteMixture

    means = draw_means(12, 8, "gaussian", rng=0)
    mix = FiniteMixture(means, 0.5)
    a = sample(mix, means[0], 0.5, 2.0, "sde", steps=40, n=50, rng=3, rule="apg:eta=0,r=0.1", batch_size=50)
    b = sample(mix, means[0], 0.5, 2.0, "sde", steps=40, n=50, rng=3, rule="apg:eta=0,r=0.1", batch_size=7)
    assert np.allclose(a.x, b.x, rtol=0, atol=1e-12)
    c0 = sample(mix, means[0], 0.5, 2.0, "sde", steps=40, n=50, rng=3)
    c1 = sample(mix, means[0], 0.5, 2.0, "sde", steps=40, n=50, rng=3, rule="apg:eta=1,r=0")
    assert np.array_equal(c0.x, c1.x) and c1.scheme == "local_gaussian"


def test_rule_on_torch_equals_numpy():
    torch = pytest.importorskip("torch")  # noqa: F841
    from cfgmft.validation.backends import to_backend
    from cfgmft.validation.mixture import draw_means
    from cfgmft.validation.samplers import sample
    from cfgmft.validation.scores import FiniteMixture

    means = draw_means(64, 10, "sphere", rng=2)
    mix = FiniteMixture(means, 0.3)
    tmix = to_backend(mix, "torch", "cpu")
    for text in ("zerostar", "rescale:phi=0.7"):
        a = sample(mix, means[0], 0.3, 2.0, "sde", steps=30, n=40, rng=5, rule=text, stages=2)
        b = sample(tmix, means[0], 0.3, 2.0, "sde", steps=30, n=40, rng=5, rule=text, stages=2)
        assert np.allclose(a.x, b.x, rtol=0, atol=1e-10)


# ----------------------------------------------------------------------------- command line

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "cfgmft", *args], capture_output=True, text=True, timeout=300)


def test_cli_theory_and_simulate_with_a_rule():
    r = _cli("theory", "--omega", "2", "--guidance", "apg:eta=0,r=0.05", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["guidance"] == "apg:eta=0,r=0.05" and out["convention"].startswith("apg:eta=0,r=0.05")
    r = _cli("simulate", "--classes", "inf", "--d", "8", "--omega", "2", "--guidance", "zerostar", "--samples", "64",
             "--steps", "40", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["guidance"] == "zerostar"


@pytest.mark.parametrize("args", [
    ("theory", "--omega", "2", "--guidance", "bogus"),
    ("theory", "--omega", "2", "--guidance", "powerlaw:beta=99"),
    ("simulate", "--classes", "inf", "--d", "8", "--omega", "2", "--guidance", "zerostar:zero_init=1", "--samples",
     "64"),  # a grid-only option in continuous time
    ("theory", "--omega", "2", "--alpha", "0.3", "--d", "10", "--guidance", "zerostar:zero_init=1", "--finite-d"),
])
def test_cli_refuses_bad_rules_with_one_line(args):
    r = _cli(*args)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "guidance" in lines[0] and "Traceback" not in r.stderr


def test_design_for_a_rule_meets_its_band_in_the_rules_theory():
    from cfgmft.solvers.design import design_schedule
    from cfgmft.solvers.rules import predict_rule

    des = design_schedule("sphere", 1.0, 3.0, "sde", alpha=0.3, n_global=16, maxiter=20, rule="apg:eta=0,r=0.05")
    assert des.model["guidance"] == "apg:eta=0,r=0.05"
    check = predict_rule("sphere", 1.0, des.schedule, "sde", "apg:eta=0,r=0.05", alpha=0.3)
    assert 0.98 <= check.var_ratio <= 1.02 and math.isclose(check.var_ratio, des.design["var_ratio"], rel_tol=1e-12)


def test_nogo_and_frontier_take_a_rule():
    from cfgmft.solvers.frontier import frontier
    from cfgmft.solvers.nogo import nogo_search
    from cfgmft.solvers.rules import predict_rule

    row = nogo_search("sphere", 1.0, "sde", 0.3, "constant", n_global=8, n_starts=0, maxiter=5, rule="zerostar")
    check = predict_rule("sphere", 1.0, row.best_schedule, "sde", "zerostar", alpha=0.3)
    assert math.isclose(row.best_var_ratio, check.var_ratio, rel_tol=1e-12) and row.best_var_ratio < 1.0
    fr = frontier("sphere", 1.0, "sde", 0.3, 3.0, families=("constant",), floors=[0.95, 0.97], n_global=8, n_starts=0,
                  maxiter=5, rule="apg:eta=0,r=0.05")
    assert "apg:eta=0,r=0.05" in fr.model["theory"]


def test_theory_of_a_rule_on_a_grid_and_its_alpha_c():
    """cfgmft theory --grid takes a rule (the discrete-grid theory with the rule's guided score);
    on a fine grid it approaches the rule's continuous-time theory; alpha_c is the rule's."""
    from cfgmft.api import predict
    from cfgmft.solvers.phase import alpha_c

    prob = Problem(Mixture(sigma2=1.0, prior="gaussian"), Guidance(omega=2.0, rule="zerostar"), Sampler("ode"))
    fine = predict(prob, grid="karras:400:0.002:500", update="heun")
    cont = predict(prob)
    assert fine["guidance"] == "zerostar" and abs(fine["var_ratio"] - cont["var_ratio"]) < 0.01
    exp = Problem(Mixture(sigma2=1.0, prior="sphere", alpha=0.3), Guidance(omega=2.0, rule="apg:eta=0,r=0.05"),
                  Sampler("sde"))
    p = predict(exp)
    assert math.isclose(p["alpha_c"], alpha_c(2.0, rule="apg:eta=0,r=0.05"), rel_tol=1e-6)
    assert p["alpha_c_side"] == "below" and p["t_commit"] is not None
