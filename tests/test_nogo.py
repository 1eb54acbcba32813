"""Claim C5: the comparison argument's premises (sympy), and the optimiser's best non-negative
schedule never above a variance ratio of 1 where the argument proves it, while the same
optimiser finds a negative window above 1."""

import math

import pytest

from cfgmft.solvers.nogo import LOG_VAR_TOL, NONNEGATIVE_FAMILIES, nogo_search
from cfgmft.theory.nogo import PREMISE_NAMES, premises


def test_the_premises_of_the_comparison_argument_hold_symbolically_in_the_continua():
    res = premises(exponential=False)
    assert tuple(res) == PREMISE_NAMES[:7]
    failed = [name for name, ok in res.items() if not ok]
    assert not failed, failed


@pytest.mark.parametrize("prior", ["gaussian", "sphere"])
def test_the_premises_hold_symbolically_on_every_branch_of_the_exponential_regime(prior):
    res = premises(continuum=False, priors=(prior,))
    assert set(res) == {PREMISE_NAMES[7 if prior == "gaussian" else 8], PREMISE_NAMES[9]}
    failed = [name for name, ok in res.items() if not ok]
    assert not failed, failed


@pytest.mark.parametrize("sampler", ["sde", "ode"])
@pytest.mark.parametrize("alpha", [0.2, 1.2])
def test_nonnegative_families_never_exceed_one_in_the_exponential_regime(sampler, alpha):
    for fam in NONNEGATIVE_FAMILIES:
        row = nogo_search("sphere", 1.0, sampler, alpha, fam, n_global=16, n_starts=1, maxiter=20)
        assert row.best_log_var_ratio <= LOG_VAR_TOL, (fam, row.best_schedule)
        assert not row.exceeds_one
    control = nogo_search("sphere", 1.0, sampler, alpha, "negwin", n_global=16, n_starts=1, maxiter=20)
    assert control.exceeds_one and control.best_var_ratio > 1.1


@pytest.mark.parametrize("fam", ["interval", "table"])
def test_nonnegative_families_never_exceed_one_in_the_gaussian_continuum(fam):
    row = nogo_search("gaussian", 1.0, "sde", math.inf, fam, n_global=8, n_starts=1, maxiter=12)
    assert row.best_log_var_ratio <= LOG_VAR_TOL and not row.exceeds_one
    assert row.separability_key == "log_odds"


def test_negative_window_control_exceeds_one_in_the_gaussian_continuum():
    row = nogo_search("gaussian", 1.0, "ode", math.inf, "negwin", n_global=8, n_starts=1, maxiter=12)
    assert row.exceeds_one


def test_cli_nogo_json(cli, monkeypatch):
    import cfgmft.commands.schedule_nogo as mod

    monkeypatch.setattr(mod, "FULL", {"n_global": 8, "maxiter": 10, "n_starts": 1})
    monkeypatch.setattr("cfgmft.solvers.nogo.REGIMES", (("exponential, sphere, alpha = 0.2", "sphere", 0.2),))
    import json

    code, out, err = cli(["schedule", "nogo", "--quick", "--json"])
    assert code == 0, err
    r = json.loads(out)
    assert r["counterexamples"] == [] and r["max_nonnegative"] <= 1 + 1e-9 and r["control_min"] > 1
    assert {row["sampler"] for row in r["rows"]} == {"sde", "ode"}
