"""``schedule frontier|nogo --grid SPEC --update RULE``: the frontier's points meet their floors in the
discrete-grid theory of that grid, and its Monte Carlo points run on the same grid (within error bars
of the grid theory on the gaussian continuum, where that theory is exact at every d); the nogo table
on a grid is the grid theory's; bad grid arguments are one line and exit 2 before any work."""

from __future__ import annotations

import json
import math

import pytest

from cfgmft.api import predict
from cfgmft.cli import main
from cfgmft.commands.schedule_frontier import run_frontier
from cfgmft.errors import ParameterError
from cfgmft.params import Problem
from cfgmft.solvers.frontier import frontier
from cfgmft.solvers.nogo import nogo_table

GRID = "karras:12:0.002:80:7"
D = 16
Z = 3.0


def _grid_numbers(schedule: str, update: str, prior="gaussian", alpha=None):
    mix = {"classes": "inf"} if alpha is None else {"alpha": alpha}
    return predict(Problem.from_dict({"prior": prior, **mix, "schedule": schedule}), grid=GRID, update=update)


@pytest.fixture(scope="module")
def grid_frontier(tmp_path_factory):
    out = tmp_path_factory.mktemp("frontier") / "f"
    return run_frontier(out=out, prior="gaussian", sigma2=1.0, alpha=math.inf, peak=3.0, families=["negwin"],
                        floors=[0.9, 1.0], n_global=16, maxiter=20, seed=0, grid=GRID, update="euler",
                        monte_carlo={"d": D, "samples": 3000, "seed": 1})


def test_a_grid_frontier_meets_its_floors_in_the_grid_theory(grid_frontier):
    r = grid_frontier
    assert r["model"]["grid"] == GRID and r["model"]["update"] == "euler" and r["model"]["sampler"] == "ode"
    pts = r["curves"]["negwin"]["points"]
    assert [p["feasible"] for p in pts] == [True, True]
    for p in pts:
        q = _grid_numbers(p["schedule"], "euler")
        assert math.isclose(q["var_ratio"], p["var_ratio"], rel_tol=1e-12)
        assert p["var_ratio"] >= p["floor"] - 1e-9
    # constant CFG at the peak is the grid theory's too
    assert math.isclose(r["constant"]["var_ratio"], _grid_numbers("constant:3", "euler")["var_ratio"], rel_tol=1e-12)


def test_a_grid_frontier_point_in_monte_carlo_on_the_grid(grid_frontier):
    for p in grid_frontier["curves"]["negwin"]["points"]:
        mc = p["monte_carlo"]
        assert mc["grid"] == GRID and mc["update"] == "euler" and mc["steps"] == 12 and mc["d"] == D
        for key, theory in (("var_ratio", p["var_ratio"]), ("m_final", _grid_numbers(p["schedule"], "euler")["m_final"])):
            assert abs(mc[key]["mean"] - theory) <= Z * mc[key]["stderr"], (key, mc[key], theory)


def test_nogo_on_a_grid_is_the_grid_theory(capsys, monkeypatch):
    reg = ("exponential, sphere, alpha = 0.2", "sphere", 0.2)
    rows = nogo_table(regimes=(reg,), families=("constant", "negwin"), n_global=4, n_starts=1, maxiter=8,
                      grid=GRID, update="ancestral")
    assert [r.sampler for r in rows] == ["sde", "sde"]  # the update's one continuous-time sampler
    for r in rows:
        assert r.grid == GRID and r.update == "ancestral"
        q = _grid_numbers(r.best_schedule, "ancestral", prior="sphere", alpha=0.2)
        assert math.isclose(q["var_ratio"], r.best_var_ratio, rel_tol=1e-12)
        assert math.isclose(q["margin"], r.separability, rel_tol=1e-12)
    # the command (a small search, two regimes): one sampler per regime, and omega = 0 on the grid as the reference
    import cfgmft.commands.schedule_nogo as mod

    monkeypatch.setattr(mod, "FULL", {"n_global": 4, "maxiter": 8, "n_starts": 1})
    monkeypatch.setattr("cfgmft.solvers.nogo.REGIMES", (("infinite-class, gaussian prior", "gaussian", math.inf), reg))
    assert main(["schedule", "nogo", "--quick", "--global", "2", "--grid", GRID, "--update", "euler", "--json",
                 "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["grid"] == GRID and out["update"] == "euler" and {r["sampler"] for r in out["rows"]} == {"ode"}
    g = out["rows"][0]
    assert math.isclose(out["unguided"][g["regime"]], _grid_numbers("constant:0", "euler")["var_ratio"], rel_tol=1e-12)
    assert math.isclose(_grid_numbers(g["best_schedule"], "euler")["var_ratio"], g["best_var_ratio"], rel_tol=1e-12)


def _rc(argv):
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


BAD = ((["--grid", GRID], "--update"), (["--update", "euler"], "--grid"),
       (["--grid", GRID, "--update", "leapfrog"], "--update"),
       (["--grid", "karras:0:0.002:80", "--update", "euler"], "--grid"),
       # APG's momentum has no discrete-grid theory (the Monte Carlo runs it)
       (["--grid", GRID, "--update", "euler", "--guidance", "apg:eta=0,r=0,momentum=0.5"], "--guidance"))


def test_frontier_and_nogo_refuse_bad_grid_arguments(capsys, tmp_path):
    out = tmp_path / "never"
    front = ["schedule", "frontier", "--prior", "gaussian", "--peak", "3", "--out", str(out), "--quiet"]
    for extra, flag in BAD + ((["--grid", GRID, "--update", "euler", "--sampler", "ode"], "--sampler"),
                              (["--grid", GRID, "--update", "euler", "--T", "3"], "--T"),
                              (["--grid", GRID, "--update", "euler", "--simulate"], "--d")):
        assert _rc(front + extra) == 2, extra
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and flag in err, (extra, err)
        assert not out.exists()
    for extra, flag in BAD:
        assert _rc(["schedule", "nogo", "--quick", "--quiet"] + extra) == 2, extra
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and flag in err, (extra, err)
    # the Python functions, before any work
    with pytest.raises(ParameterError, match="^update: "):
        frontier(prior="gaussian", grid=GRID)
    with pytest.raises(ParameterError, match="^T: "):
        frontier(prior="gaussian", grid=GRID, update="euler", T=3.0)
    with pytest.raises(ParameterError, match="^grid: "):
        nogo_table(grid="karras:0:0.002:80", update="euler")
