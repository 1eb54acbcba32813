"""``schedule design --grid SPEC --update RULE``: a design on the user's sampler grid meets its band
on that grid in the model it was designed on (the discrete-grid theory), and in exact-score Monte
Carlo on that grid within error bars at a small d (the gaussian continuum, where the grid theory is
exact at every d); the continuous-time design handed to the same grid does not."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cfgmft.api import design_schedule, predict
from cfgmft.cli import main
from cfgmft.errors import ParameterError
from cfgmft.params import Mixture, Problem, Sampler
from cfgmft.validation.discrete import run_monte_carlo_grid
from cfgmft.validation.scores import ContinuumGaussian

GRID = "karras:12:0.002:80:7"
BAND = (0.95, 1.05)
D = 16
Z = 3.0


@pytest.fixture(scope="module")
def designs():
    mix = Mixture(prior="gaussian", sigma2=1.0)
    kw = dict(band=BAND, family="negwin", n_global=24, seed=0)
    on_grid = design_schedule(mix, 3.0, "ode", grid=GRID, update="euler", **kw)
    continuous = design_schedule(mix, 3.0, "ode", **kw)
    return on_grid, continuous


def test_a_grid_design_meets_its_band_on_the_grid(designs):
    on_grid, continuous = designs
    assert on_grid.model["grid"] == GRID and on_grid.model["update"] == "euler"
    v = on_grid.design["var_ratio"]
    assert BAND[0] - 1e-9 <= v <= BAND[1] + 1e-9
    # the same number from the public prediction on that grid
    prob = Problem.from_dict({"prior": "gaussian", "classes": "inf", "schedule": on_grid.schedule.spec, "sampler": "ode"})
    p = predict(prob, grid=GRID, update="euler")
    assert math.isclose(p["var_ratio"], v, rel_tol=1e-12)
    # the continuous-time design, handed to the same 12-step grid, leaves the band there
    q = predict(Problem.from_dict({"prior": "gaussian", "classes": "inf", "schedule": continuous.schedule.spec,
                                   "sampler": "ode"}), grid=GRID, update="euler")
    assert not BAND[0] <= q["var_ratio"] <= BAND[1], q["var_ratio"]


def test_a_grid_design_meets_its_band_in_monte_carlo_on_the_grid(designs):
    on_grid, _ = designs
    rng = np.random.default_rng(4)
    mu = rng.standard_normal(D)
    r = run_monte_carlo_grid(ContinuumGaussian(1.0), mu, 1.0, on_grid.schedule, GRID, "euler", n=4000, rng=5)
    est = r.estimates
    assert abs(est.var_ratio.value - on_grid.design["var_ratio"]) <= Z * est.var_ratio.stderr, est.var_ratio
    assert abs(est.m.value - on_grid.design["m_final"]) <= Z * est.m.stderr, est.m
    assert BAND[0] - Z * est.var_ratio.stderr <= est.var_ratio.value <= BAND[1] + Z * est.var_ratio.stderr


def test_design_on_a_grid_bad_input(capsys):
    mix = Mixture(prior="gaussian", sigma2=1.0)
    with pytest.raises(ParameterError, match="^update: "):
        design_schedule(mix, 3.0, grid=GRID)
    with pytest.raises(ParameterError, match="^guidance: "):
        design_schedule(mix, 3.0, grid=GRID, update="euler", rule="apg:eta=0,r=0,momentum=0.5")
    with pytest.raises(ParameterError, match="^grid: "):
        design_schedule(mix, 3.0, grid="karras:0:0.002:80", update="euler")
    with pytest.raises(ParameterError, match="^T: "):
        design_schedule(mix, 3.0, Sampler(kind="sde", T=3.0), grid=GRID, update="euler")
    for extra, flag in ((["--grid", GRID], "--update"), (["--grid", GRID, "--update", "leapfrog"], "--update"),
                        (["--grid", "karras:0:0.002:80", "--update", "euler"], "--grid"),
                        (["--grid", GRID, "--update", "euler", "--T", "3"], "--T"),
                        (["--grid", GRID, "--update", "euler", "--sampler", "ode"], "--sampler")):
        assert _rc(["schedule", "design", "--prior", "gaussian", "--peak", "3", *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and flag in err, err


def _rc(argv):
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


def test_schedule_evaluate_on_the_grid(designs, capsys):
    """``schedule evaluate --grid --update --simulate``: the grid theory and the Monte Carlo on the
    same grid, side by side, for the grid design."""
    on_grid, _ = designs
    base = ["schedule", "evaluate", "--prior", "gaussian", "--schedule", on_grid.schedule.spec,
            "--grid", GRID, "--update", "euler"]  # euler's continuous-time limit is the ODE (--sampler is refused)
    assert main(base + ["--d", str(D), "--simulate", "--samples", "3000", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert math.isclose(r["theory"]["var_ratio"], on_grid.design["var_ratio"], rel_tol=1e-12)
    mc = r["monte_carlo"]["var_ratio"]
    assert r["monte_carlo"]["steps"] == 12
    assert abs(mc["mean"] - on_grid.design["var_ratio"]) <= Z * mc["stderr"], mc
    assert _rc(base + ["--d", str(D), "--finite-d"]) == 2  # the gaussian continuum: no finite K
    assert "finite number of classes" in capsys.readouterr().err
    assert _rc(["schedule", "evaluate", "--prior", "gaussian", "--omega", "2", "--grid", GRID]) == 2
    assert "--update" in capsys.readouterr().err


def test_a_grid_design_at_finite_d():
    """``schedule design --grid --update --d`` with a finite K: the finite-d stage runs the reduced
    model by the update rule on the grid (:func:`cfgmft.solvers.finite_d.predict_finite_d_grid`), and
    its band holds for that model's variance ratio of the design (the same numbers again from the
    function, on the same seed)."""
    from cfgmft.solvers.finite_d import predict_finite_d_grid

    band = (0.6, 0.7)
    r = design_schedule(Mixture(prior="sphere", classes=400, d=32), 2.0, grid=GRID, update="euler", band=band,
                        family="negwin", n_global=8, maxiter=10, n_starts=1, finite_d_samples=1000,
                        finite_d_global=4, finite_d_maxiter=6)
    assert r.model["grid"] == GRID and r.model["d"] == 32 and r.model["K"] == 400
    fd = r.finite_d["design"]["var_ratio"]["mean"]
    assert band[0] <= fd <= band[1]
    again = predict_finite_d_grid("sphere", 1.0, r.schedule, "euler", GRID, K=400, d=32, samples=1000, seed=0)
    assert again["var_ratio"]["mean"] == fd


def test_grid_only_options_are_checked_when_the_model_is_made():
    """zero_init beyond the grid's model evaluations, a grid-only option without a grid, and a
    grid-only option in the finite-d stage: one ParameterError naming guidance, before any search."""
    from cfgmft.solvers.schedule_search import TheoryModel

    with pytest.raises(ParameterError, match="^guidance: .*exceeds"):
        TheoryModel("gaussian", 1.0, "sde", math.inf, rule="zerostar:zero_init=99", grid="karras:4:0.002:80",
                    update="euler")
    with pytest.raises(ParameterError, match="^guidance: "):
        TheoryModel("gaussian", 1.0, "sde", math.inf, rule="zerostar:zero_init=1")
    with pytest.raises(ParameterError, match="^guidance: .*finite-d"):
        design_schedule(Mixture(prior="sphere", sigma2=1.0, alpha=0.3, d=12), 3.0, grid=GRID, update="euler",
                        rule="zerostar:zero_init=1")


def test_export_of_a_design_carries_the_designs_rule(tmp_path, capsys):
    """The exported table carries the design's rule (a check and a guider with the same rule);
    another rule given with --guidance is refused in one line."""
    design = tmp_path / "d.json"
    code = main(["schedule", "design", "--prior", "gaussian", "--peak", "3", "--guidance", "apg:eta=0,r=0.05",
                 "--global", "16", "--json", "--quiet"])
    assert code == 0
    design.write_text(capsys.readouterr().out)
    assert main(["schedule", "export", "--design", str(design), "--grid", "karras:30:0.002:80:7"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["guidance"] == "apg:eta=0,r=0.05" and table["grid_check"]["ok"] in (True, False)
    assert main(["schedule", "export", "--design", str(design), "--grid", "karras:30:0.002:80:7",
                 "--guidance", "zerostar"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--guidance" in err
