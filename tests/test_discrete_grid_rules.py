"""The discrete-grid theory of a guidance rule (``predict_discrete(..., rule=)``): the rule's
``d -> infinity`` guided score at each model evaluation, in the grid's exact moment maps. Checks:
the general path gives cfg's closed-form coefficients where the rule is cfg, and the grid
prediction converges to the rule's continuous-time theory at first order (Euler)."""

from __future__ import annotations

import pytest

from cfgmft.grids import sigma_grid
from cfgmft.guidance import APG
from cfgmft.solvers.discrete_grid import _Model, predict_discrete, step_maps
from cfgmft.solvers.rules import predict_rule
from cfgmft.updates import step_omegas

SCHEDULE = "negwin:3:-0.6:0.2:0.8"


@pytest.mark.parametrize("regime,prior,alpha", [("infinite", "gaussian", None), ("infinite", "sphere", None),
                                                ("exponential", "sphere", 0.3)])
@pytest.mark.parametrize("update", ["euler", "heun", "ancestral"])
def test_the_rule_path_at_cfg_parameters_is_cfg(regime, prior, alpha, update):
    g = sigma_grid("karras:30:0.002:80:7")
    om = step_omegas(g, SCHEDULE)
    m0, lv0, _ = step_maps(_Model(regime, prior, 1.0, alpha), update, g.sigmas, om)
    m1, lv1, _ = step_maps(_Model(regime, prior, 1.0, alpha, rule=APG(eta=1.0, r=0.0)), update, g.sigmas, om)
    assert abs(m0 - m1) < 1e-12 and abs(lv0 - lv1) < 1e-12


@pytest.mark.parametrize("rule", ["zerostar", "apg:eta=0,r=0.05", "rescale:phi=0.7", "powerlaw:beta=0.5"])
def test_the_grid_prediction_of_a_rule_converges_to_its_continuous_theory(rule):
    t0 = sigma_grid("karras:10:0.002:80:7").t[0]
    q = predict_rule("gaussian", 1.0, "constant:2", "ode", rule, T=t0)
    err = []
    for n in (400, 800, 1600):
        p = predict_discrete("gaussian", 1.0, "constant:2", "euler", f"karras:{n}:0.002:80:7", rule=rule, start="unit")
        err.append((p["var_ratio"] - q["var_ratio"], p["m_final"] - q["m_final"]))
        assert p["convention"]
    for k in (0, 1):
        assert abs(err[2][k]) < 0.01
        if abs(err[1][k]) > 1e-5:
            assert 1.6 < err[1][k] / err[2][k] < 2.4, (rule, k, err)  # first order
    # the exponential regime (commitment on the grid): close at 1600 steps
    q = predict_rule("sphere", 1.0, SCHEDULE, "ode", rule, alpha=0.3, T=t0)
    p = predict_discrete("sphere", 1.0, SCHEDULE, "euler", "karras:1600:0.002:80:7", rule=rule, alpha=0.3, start="unit")
    assert abs(p["var_ratio"] - q["var_ratio"]) < 0.01 and abs(p["m_final"] - q["m_final"]) < 0.01


# ----------------------------------------------------------------------------- Monte Carlo on a grid

import math  # noqa: E402

import numpy as np  # noqa: E402

from cfgmft.guidance import parse_rule  # noqa: E402
from cfgmft.validation.discrete import run_monte_carlo_grid, sample_on_grid  # noqa: E402
from cfgmft.validation.scores import ContinuumGaussian, FiniteMixture  # noqa: E402

MC_GRID = "karras:12:0.002:80:7"
MC_D = 256
MC_N = 1000
#: every rule and the grid-only option that the theory closes on (zero-init)
MC_RULES = ["cfg", "powerlaw:beta=0.5", "apg:eta=0,r=0.05", "zerostar", "zerostar:zero_init=2", "rescale:phi=0.7"]
#: the allowed finite-d deviation C/d of a rule that is not linear CFG from the d -> infinity grid theory (its law is
#: not Gaussian at finite d); measured on this grid and schedule at d = 256: at most 0.0036 (1/d = 0.0039)
FINITE_D_C = 1.5


def _unit_mean(d=MC_D, seed=8):
    mu = np.random.default_rng(seed).standard_normal(d)
    return mu * (math.sqrt(d) / np.linalg.norm(mu))  # |mu_c|^2 = d, as the theory has it (the rules use norms)


@pytest.mark.parametrize("update", ["euler", "heun"])
@pytest.mark.parametrize("rule", MC_RULES)
def test_the_grid_monte_carlo_of_every_rule_matches_its_grid_theory(rule, update):
    """The infinite-class continuum (gaussian) at d = 256: the exact-score Monte Carlo of the rule on
    the grid against predict_discrete(rule=), within 3 standard errors plus FINITE_D_C / d (cfg: the
    theory is exact at any d, 3 standard errors alone)."""
    mu = _unit_mean()
    res = run_monte_carlo_grid(ContinuumGaussian(1.0), mu, 1.0, SCHEDULE, MC_GRID, update, n=MC_N, rng=1, rule=rule)
    pred = predict_discrete("gaussian", 1.0, SCHEDULE, update, MC_GRID, rule=rule)
    assert res.parameters["guidance"] == parse_rule(rule).spec
    est = res.estimates
    slack = 0.0 if rule == "cfg" else FINITE_D_C / MC_D
    assert abs(est.m.value - pred["m_final"]) <= 3 * est.m.stderr + slack, (est.m, pred["m_final"])
    assert abs(est.var_ratio.value - pred["var_ratio"]) <= 3 * est.var_ratio.stderr + slack, \
        (est.var_ratio, pred["var_ratio"])


def test_the_rules_on_a_grid_differ_from_cfg():
    """Not vacuous: on the same grid and noise each rule's result is far from cfg's."""
    mu = _unit_mean()
    base = predict_discrete("gaussian", 1.0, SCHEDULE, "euler", MC_GRID)
    for rule in MC_RULES[1:]:
        p = predict_discrete("gaussian", 1.0, SCHEDULE, "euler", MC_GRID, rule=rule)
        assert abs(p["var_ratio"] - base["var_ratio"]) > 0.03 or abs(p["m_final"] - base["m_final"]) > 0.03, rule
    a, *_ = sample_on_grid(ContinuumGaussian(1.0), mu, 1.0, 2.0, MC_GRID, "euler", n=50, rng=3,
                           rule="apg:eta=0,r=0.05,momentum=-0.5")
    b, *_ = sample_on_grid(ContinuumGaussian(1.0), mu, 1.0, 2.0, MC_GRID, "euler", n=50, rng=3, rule="apg:eta=0,r=0.05")
    assert np.abs(a - b).max() > 1e-2


def test_the_grid_only_options_reduce_to_the_plain_rule_at_zero():
    assert parse_rule("apg:eta=0,r=0.05,momentum=0") == parse_rule("apg:eta=0,r=0.05")
    assert parse_rule("zerostar:zero_init=0") == parse_rule("zerostar")
    assert parse_rule("apg:eta=1,r=0,momentum=0").reduces_to_cfg
    assert not parse_rule("apg:eta=1,r=0,momentum=-0.5").reduces_to_cfg
    mu = _unit_mean(32)
    mix = ContinuumGaussian(1.0)
    for opt, plain in (("apg:eta=0,r=0.05,momentum=0", "apg:eta=0,r=0.05"), ("zerostar:zero_init=0", "zerostar")):
        for update in ("euler", "heun"):
            a, *_ = sample_on_grid(mix, mu, 1.0, SCHEDULE, MC_GRID, update, n=20, rng=4, rule=opt)
            b, *_ = sample_on_grid(mix, mu, 1.0, SCHEDULE, MC_GRID, update, n=20, rng=4, rule=plain)
            assert np.array_equal(a, b)
    # a momentum near 0 is near the plain rule (the buffer is Delta_D plus M times the past)
    a, *_ = sample_on_grid(mix, mu, 1.0, SCHEDULE, MC_GRID, "euler", n=20, rng=4, rule="apg:eta=0,r=0.05,momentum=1e-9")
    b, *_ = sample_on_grid(mix, mu, 1.0, SCHEDULE, MC_GRID, "euler", n=20, rng=4, rule="apg:eta=0,r=0.05")
    assert 0.0 < np.abs(a - b).max() < 1e-6


@pytest.mark.parametrize("update", ["euler", "heun", "ancestral"])
def test_zero_init_evaluations_leave_the_state_in_the_theory_and_the_monte_carlo(update):
    g = sigma_grid(MC_GRID)
    om = step_omegas(g, 2.0)
    _, _, rows = step_maps(_Model("infinite", "gaussian", 1.0, None, rule=parse_rule("zerostar:zero_init=3")), update,
                           g.sigmas, om)
    zeroed = 3 if update != "heun" else 1  # heun: two model evaluations per step (the second step's corrector is not)
    assert all((P, Q) == (1.0, 0.0) for P, Q, _ in rows[:zeroed])
    assert rows[zeroed][:2] != (1.0, 0.0)
    if update == "euler":  # the Monte Carlo: the first three steps do not move the samples
        mu = _unit_mean(16)
        a, *_ = sample_on_grid(ContinuumGaussian(1.0), mu, 1.0, 2.0, "sigmas:80,60,40,20", update, n=8, rng=2,
                               rule="zerostar:zero_init=3")
        b, *_ = sample_on_grid(ContinuumGaussian(1.0), mu, 1.0, 2.0, "sigmas:80,60,40,20", update, n=8, rng=2,
                               rule="zerostar:zero_init=4")
        from cfgmft.validation.discrete import _BlockNoise
        from cfgmft.validation.mixture import as_seed_sequence

        start = 80.0 * _BlockNoise(as_seed_sequence(2), 0, 8, 256, 16).draw()
        assert np.array_equal(b, start)  # every evaluation zeroed: the start, untouched
        assert not np.array_equal(a, start)


def test_momentum_is_refused_by_the_grid_theory_in_one_line():
    from cfgmft.errors import ParameterError

    with pytest.raises(ParameterError, match="^guidance: .*momentum buffer does not close") as e:
        predict_discrete("gaussian", 1.0, 2.0, "euler", MC_GRID, rule="apg:eta=0,r=0.05,momentum=-0.5")
    assert "\n" not in str(e.value)


def test_the_grid_monte_carlo_stays_exact_on_a_first_level_far_above_the_data():
    """sigma_0 = 1e18 then 1: the rule's Delta is formed as alpha (mu_c - E), not as c - u (which is
    rounding times sigma_0 there); the result equals the one on sigma_0 = 1e8, where both are exact."""
    mu = _unit_mean(64)
    for rule in ("powerlaw:beta=0.5", "zerostar", "rescale:phi=0.7", "apg:eta=0,r=0.05"):
        out = []
        for s0 in ("1e8", "1e18"):
            x, *_ = sample_on_grid(ContinuumGaussian(1.0), mu, 1.0, 2.0, f"sigmas:{s0},1,0.3", "euler", n=400, rng=6,
                                   rule=rule)
            out.append(x @ mu / (mu @ mu))
        # the first step lands at sigma = 1 from either start, on the same noise (scaled): the same samples up to
        # the O(1/sigma_0) of the first level (c - u instead gave m = 1.35 for the exact 2.25 with zerostar, rescale)
        assert abs(out[0].mean() - out[1].mean()) < 1e-3, rule


@pytest.mark.parametrize("rule", ["powerlaw:beta=0.5", "apg:eta=0,r=0.05,momentum=-0.5", "zerostar:zero_init=1",
                                  "rescale:phi=0.7"])
def test_the_grid_monte_carlo_of_a_rule_on_torch_equals_numpy(rule):
    pytest.importorskip("torch")
    from cfgmft.validation.backends import to_backend
    from cfgmft.validation.mixture import draw_means

    means = draw_means(48, 24, "gaussian", rng=2)
    mix = FiniteMixture(means, 1.0)
    tmix = to_backend(mix, "torch", "cpu")
    for update in ("euler", "heun"):
        a, *_ = sample_on_grid(mix, means[0], 1.0, SCHEDULE, MC_GRID, update, n=30, rng=5, rule=rule)
        b, *_ = sample_on_grid(tmix, means[0], 1.0, SCHEDULE, MC_GRID, update, n=30, rng=5, rule=rule)
        assert np.allclose(a, b, rtol=0, atol=1e-9), (rule, update, np.abs(a - b).max())


# ----------------------------------------------------------------------------- command line and export

import json  # noqa: E402

from cfgmft.cli import main  # noqa: E402

GRID_ARGS = ["--grid", "karras:8:0.002:80", "--update", "euler"]


@pytest.mark.parametrize("args", [
    ["theory", "--omega", "2", "--guidance", "apg:eta=0,r=0,momentum=2", *GRID_ARGS],
    ["simulate", "--classes", "inf", "--d", "8", "--omega", "2", "--guidance", "zerostar:zero_init=1.5", *GRID_ARGS],
    ["simulate", "--classes", "inf", "--d", "8", "--omega", "2", "--guidance", "zerostar:zero_init=-1", *GRID_ARGS],
    ["simulate", "--classes", "inf", "--d", "8", "--omega", "2", "--guidance", "rescale:phi=0.5,momentum=0.5", *GRID_ARGS],
    # grid-only options in continuous time
    ["theory", "--omega", "2", "--guidance", "zerostar:zero_init=1"],
    ["simulate", "--classes", "inf", "--d", "8", "--omega", "2", "--guidance", "apg:eta=0,r=0.05,momentum=-0.5"],
    ["phase-diagram", "--alpha", "0.1:0.5:3", "--guidance", "zerostar:zero_init=2"],
    ["schedule", "nogo", "--quick", "--guidance", "apg:eta=0,r=0,momentum=-0.5"],
    # more zeroed evaluations than the grid has (8 steps of euler: 8 evaluations)
    ["simulate", "--classes", "inf", "--d", "8", "--omega", "2", "--guidance", "zerostar:zero_init=9", *GRID_ARGS],
    # the grid theory does not close on APG's momentum
    ["theory", "--omega", "2", "--guidance", "apg:eta=0,r=0.05,momentum=-0.5", *GRID_ARGS],
])
def test_bad_or_misplaced_grid_options_give_one_line_and_exit_2(args, capsys):
    try:
        code = main(args)
    except SystemExit as e:  # argparse's own refusal of a bad value (cli._Parser: one line, exit 2)
        code = e.code
    assert code == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--guidance" in lines[0] and "Traceback" not in err, err


def test_cli_simulate_on_a_grid_takes_every_rule_and_its_options(capsys):
    for rule in ("powerlaw:beta=0.5", "apg:eta=0,r=0.05,momentum=-0.5", "zerostar:zero_init=1", "rescale:phi=0.7"):
        assert main(["simulate", "--classes", "inf", "--d", "16", "--omega", "2", "--guidance", rule, "--samples", "64",
                     *GRID_ARGS, "--json", "--quiet"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["guidance"] == rule and out["convention"].startswith(rule) and out["grid"].startswith("karras:8")
    from cfgmft.api import simulate
    from cfgmft.params import Guidance, Mixture, Problem, Sampler

    prob = Problem(Mixture(prior="gaussian", sigma2=1.0, classes=8, d=16), Guidance(omega=2.0, rule="zerostar:zero_init=1"),
                   Sampler("ode"))
    r = simulate(prob, samples=64, grid="karras:8:0.002:80", update="heun")
    assert r["guidance"] == "zerostar:zero_init=1" and r["K"] == 8


def test_schedule_export_carries_the_rule_and_the_table_reads_it_back(tmp_path, capsys):
    from cfgmft.adapters import GuidanceTable
    from cfgmft.guidance import parse_rule

    rule = "apg:eta=0,r=0.05,momentum=-0.5"
    assert main(["schedule", "export", "--schedule", SCHEDULE, "--grid", "karras:10:0.002:80", "--guidance", rule]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["guidance"] == rule and table["guidance_json"] == parse_rule(rule).to_dict()
    path = tmp_path / "table.json"
    path.write_text(json.dumps(table))
    assert GuidanceTable.from_export(path).rule == parse_rule(rule)
    # the CSV form keeps it too; a table without the keys (exported before them) is cfg
    assert main(["schedule", "export", "--schedule", SCHEDULE, "--grid", "karras:10:0.002:80", "--guidance",
                 "zerostar:zero_init=2", "--format", "csv"]) == 0
    assert GuidanceTable.from_export(capsys.readouterr().out).rule == parse_rule("zerostar:zero_init=2")
    old = {k: v for k, v in table.items() if not k.startswith("guidance")}
    assert GuidanceTable.from_export(old).rule == parse_rule("cfg")
    assert GuidanceTable.from_schedule(SCHEDULE, "karras:10:0.002:80", rule="rescale:phi=0.7").rule.spec == "rescale:phi=0.7"
