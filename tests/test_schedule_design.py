"""cfgmft schedule design: the constrained optimiser meets its band in the model it was designed on
(mean field, infinite-class limit, finite-d model) and in Monte Carlo at a small d; bad input and
infeasible designs on the command line."""

import json
import math

import pytest

from cfgmft.api import design_schedule, simulate
from cfgmft.errors import InfeasibleError, ParameterError
from cfgmft.params import Guidance, Mixture, Problem, Sampler
from cfgmft.schedules import parse_schedule
from cfgmft.solvers.exponential import predict_exponential
from cfgmft.solvers.finite_d import predict_finite_d
from cfgmft.solvers.infinite_class import predict_infinite_class

BAND = (0.98, 1.02)


def test_mean_field_design_meets_the_band_and_beats_unguided_separability():
    r = design_schedule(Mixture(prior="sphere", alpha=0.3), 3.0, "sde", n_global=32)
    sch = parse_schedule(r.schedule.spec)  # the text form round-trips
    p = predict_exponential("sphere", 1.0, sch, "sde", alpha=0.3)
    assert BAND[0] <= p.var_ratio <= BAND[1]
    assert p.margin == pytest.approx(r.design["margin"], rel=1e-9)
    assert p.margin > r.unguided["margin"]
    assert r.constant["var_ratio"] < BAND[0]  # constant CFG at the peak is outside: the design has work to do
    assert sch.min_value() < 0


def test_infinite_class_design_meets_the_band_in_theory_and_in_monte_carlo():
    """Gaussian continuum: the theory is exact at every d, so the design must also hold in
    Monte Carlo at d = 8 (within 4 standard errors of the band, the project's criterion)."""
    r = design_schedule(Mixture(prior="gaussian"), 2.0, "sde", n_global=16, n_starts=1, maxiter=15)
    p = predict_infinite_class("gaussian", 1.0, r.schedule, "sde")
    assert BAND[0] <= p.var_ratio <= BAND[1]
    assert r.design["log_odds"] > r.unguided["log_odds"]
    mc = simulate(Problem(Mixture(prior="gaussian", d=8), Guidance(schedule=r.schedule), Sampler("sde", steps=200)),
                  samples=4000, seed=1)
    v, se = mc["var_ratio"]["mean"], mc["var_ratio"]["stderr"]
    assert BAND[0] - 4 * se <= v <= BAND[1] + 4 * se
    assert abs(v - p.var_ratio) <= 4 * se


def test_finite_d_design_meets_the_band_on_the_finite_d_model():
    kw = dict(finite_d_samples=400, finite_d_steps=80, finite_d_global=16, finite_d_maxiter=15, n_global=32)
    r = design_schedule(Mixture(prior="sphere", alpha=0.3, d=8), 3.0, "sde", **kw)
    K = round(math.exp(0.3 * 8))
    again = predict_finite_d("sphere", 1.0, r.schedule, "sde", K=K, d=8, T=12.0, steps=80, samples=400, seed=0)
    assert BAND[0] <= again["var_ratio"]["mean"] <= BAND[1]
    assert again["var_ratio"] == r.finite_d["design"]["var_ratio"]


def test_bad_input_and_infeasible_in_python():
    mix = Mixture(prior="sphere", alpha=0.3)
    with pytest.raises(ParameterError, match="^variance_band"):
        design_schedule(mix, 3.0, band=(1.1, 1.0))
    with pytest.raises(ParameterError, match="^peak"):
        design_schedule(mix, 0.0)
    with pytest.raises(ParameterError, match="^family"):
        design_schedule(mix, 3.0, family="nope")
    with pytest.raises(ParameterError, match="^family"):
        design_schedule(mix, 3.0, family="lhl", band=(1.05, 1.2))
    with pytest.raises(ParameterError, match="^d"):
        design_schedule(Mixture(prior="sphere", d=10), 3.0)
    with pytest.raises(InfeasibleError):
        design_schedule(mix, 3.0, family="interval", band=(0.5, 0.6), n_global=16)


PROBLEM = ["schedule", "design", "--prior", "sphere", "--alpha", "0.3"]


@pytest.mark.parametrize("extra, flag", [
    (["--peak", "3", "--variance-band", "1.1:1.0"], "--variance-band"),
    (["--peak", "3", "--variance-band", "0:1"], "--variance-band"),
    (["--peak", "3", "--variance-band", "abc"], "--variance-band"),
    (["--peak", "500"], "--peak"),
    (["--peak", "-1"], "--peak"),
    (["--peak", "3", "--family", "wiggle"], "--family"),
    (["--peak", "3", "--family", "interval", "--variance-band", "1.05:1.2"], "--family"),
])
def test_cli_bad_input_is_one_line_exit_2(cli, extra, flag):
    code, out, err = cli(PROBLEM + extra)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in err


def test_cli_infeasible_is_one_line_exit_1(cli):
    args = PROBLEM + ["--peak", "3", "--family", "interval", "--variance-band", "0.5:0.6", "--global", "16"]
    code, out, err = cli(args + ["--quiet"])
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "no feasible schedule" in lines[0] and "Traceback" not in err
    # with progress, the search's progress lines come first and the error is the one last line
    code, out, err = cli(args)
    lines = err.strip().splitlines()
    assert code == 1 and out == "" and "no feasible schedule" in lines[-1] and "Traceback" not in err
    assert all(ln.startswith("cfgmft schedule design [") for ln in lines[:-1])


def test_cli_json_schedule_is_accepted_by_evaluate(cli):
    code, out, err = cli(PROBLEM + ["--peak", "3", "--global", "32", "--json"])
    assert code == 0, err
    r = json.loads(out)
    for key in ("schedule", "design", "constant", "unguided", "variance_band", "convention", "version"):
        assert key in r
    assert r["constant"]["var_ratio"] < 0.98 <= r["design"]["var_ratio"] <= 1.02
    assert r["unguided"]["var_ratio"] == pytest.approx(1.0, abs=1e-9)
    code, out, err = cli(["schedule", "evaluate", "--prior", "sphere", "--alpha", "0.3", "--schedule", r["schedule"],
                          "--json"])
    assert code == 0, err
    assert json.loads(out)["theory"]["var_ratio"] == pytest.approx(r["design"]["var_ratio"], rel=1e-9)
