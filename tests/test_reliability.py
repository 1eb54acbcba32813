"""The reliability holes of docs/guide/reliability.md, each as it was found: a silent wrong Monte
Carlo on grids with huge first noise levels, tracebacks, infinite noise levels, refusals after the
work, the wrong argument named, and the smaller items. Each is the exact reproduction (small sizes)."""

import json
import math
import time

import numpy as np
import pytest

from cfgmft import api
from cfgmft.errors import ParameterError
from cfgmft.params import Guidance, Mixture, Problem, Sampler


def _json(code, out, err):
    assert code == 0, err
    return json.loads(out)


def _refused(code, err, flag):
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and flag in lines[0] and "Traceback" not in err, (code, err)


SIM = ["simulate", "--classes", "inf", "--d", "8", "--omega", "2", "--samples", "256", "--json"]


@pytest.mark.parametrize("grid,key,exact", [("sigmas:1e18,1", "m_final", 2.0), ("sigmas:1e16,1", "var_ratio", 1 / 36),
                                            ("karras:10:0.002:1e30", "m_final", 3.0)])
def test_huge_first_level_agrees_with_the_exact_continuum(cli, grid, key, exact):
    # were m 1.528, var_ratio 0.0084, m 343879 (the literal Euler step cancelled)
    r = _json(*cli(SIM + ["--grid", grid, "--update", "euler"]))
    assert abs(r[key]["mean"] - exact) < 5 * r[key]["stderr"] + 1e-3 * exact, r[key]


@pytest.mark.parametrize("grid", ["sigmas:1e20,1", "sigmas:1e50,1", "sigmas:1e100,1"])
def test_finite_classes_on_huge_first_levels_no_traceback(cli, grid):
    # was ValueError: math domain error in the estimators
    code, out, err = cli(["simulate", "--classes", "4", "--d", "8", "--omega", "2", "--samples", "64", "--grid", grid,
                          "--update", "euler", "--json"])
    r = _json(code, out, err)
    assert math.isfinite(r["m_final"]["mean"]) and r["var_ratio"]["mean"] > 0


@pytest.mark.parametrize("command", [["theory", "--omega", "2", "--update", "ddim"],
                                     ["schedule", "export", "--schedule", "constant:2"]])
@pytest.mark.parametrize("grid", ["ddim:10:100000", "ddim:10:1000:linear:0.9:0.99"])
def test_ddim_grid_with_infinite_levels_is_refused_naming_grid(cli, command, grid, recwarn):
    code, out, err = cli(command + ["--grid", grid])
    _refused(code, err, "--grid")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_karras_with_both_ends_extreme_is_accepted(cli):
    r = _json(*cli(["theory", "--omega", "2", "--grid", "karras:10:1e-100:1e100", "--update", "euler", "--json"]))
    assert r["steps"] == 10 and math.isfinite(r["m_final"])


@pytest.mark.parametrize("extra,flag", [(["--simulate", "--samples", "1000000000000"], "--samples"),
                                        (["--simulate", "--disorder", "0"], "--disorder"),
                                        (["--finite-d", "--finite-d-samples", "1000000001"], "--finite-d-samples")])
def test_schedule_evaluate_refuses_before_the_theory_runs(cli, extra, flag):
    t0 = time.perf_counter()
    code, out, err = cli(["schedule", "evaluate", "--classes", "8", "--d", "8", "--schedule", "constant:2", *extra])
    _refused(code, err, flag)
    assert time.perf_counter() - t0 < 3.0


def test_schedule_export_names_data_scale(cli):
    code, out, err = cli(["schedule", "export", "--schedule", "constant:2", "--grid", "sigmas:1e100,1",
                          "--data-scale", "1e-6"])
    _refused(code, err, "--data-scale")
    assert "1e+106" not in err


def test_frontier_bad_floors_exit_2_before_creating_out(cli, tmp_path):
    out = tmp_path / "fr"
    code, _, err = cli(["schedule", "frontier", "--peak", "3", "--floors", "0.5:inf:3", "--out", str(out)])
    _refused(code, err, "--floors")
    assert not out.exists()


@pytest.mark.parametrize("command,extra,flag", [("simulate", ["--steps", "50"], "--steps"),
                                                ("simulate", ["--sampler", "ode"], "--sampler"),
                                                ("theory", ["--sampler", "sde"], "--sampler")])
def test_grid_refuses_what_it_replaces(cli, command, extra, flag):
    args = [command, "--omega", "2", "--grid", "karras:5:0.1:80", "--update", "euler", *extra]
    if command == "simulate":
        args += ["--d", "4", "--samples", "16"]
    code, out, err = cli(args)
    _refused(code, err, flag)


def test_maxiter_below_cobyla_minimum_warns_nothing(cli, tmp_path, recwarn):
    code, out, err = cli(["schedule", "frontier", "--peak", "3", "--floors", "0.5:0.9:2", "--maxiter", "1",
                          "--global", "4", "--families", "negwin", "--out", str(tmp_path / "fr")])
    assert code == 0 and "MAXFUN" not in err and "Warning" not in err, err
    assert not [w for w in recwarn if "MAXFUN" in str(w.message)]


def test_table_schedule_breakpoints_are_counted_in_the_steps():
    nodes = np.linspace(5.0, 0.01, 500).tolist()
    sch = "table:t:const:" + ",".join(map(repr, nodes)) + ":" + ",".join(["2", "1"] * 250)
    p = Problem(Mixture(classes=math.inf, d=4), Guidance(schedule=sch), Sampler(kind="ode", steps=20))
    r = api.simulate(p, samples=16)
    assert r["steps_requested"] == 20 and r["steps"] == r["steps_integrated"] > 500


def test_seed_none_records_the_seed_drawn():
    p = Problem(Mixture(classes=math.inf, d=4), Guidance(omega=1.0), Sampler(kind="ode", steps=4))
    a = api.simulate(p, samples=16, seed=None)
    b = api.simulate(p, samples=16, seed=a["seed"])
    assert isinstance(a["seed"], int) and a["m_final"] == b["m_final"]


@pytest.mark.parametrize("seed", [-1, 1.5, "x", True, 2**128])
def test_bad_seed_is_a_parameter_error_before_the_work(seed):
    p = Problem(Mixture(classes=6, d=8), Guidance(omega=1.0), Sampler(steps=4))
    for fn in (lambda: api.simulate(p, samples=16, seed=seed), lambda: api.predict_finite_d(p, seed=seed)):
        t0 = time.perf_counter()
        with pytest.raises(ParameterError, match="^seed: "):
            fn()
        assert time.perf_counter() - t0 < 2.0


def test_guidance_table_at_huge_sigma_is_finite():
    from cfgmft.adapters.guidance import GuidanceTable

    t = GuidanceTable.from_schedule("constant:2", "karras:5:0.1:80")
    assert t.w_for_sigmas([1.4e154, 1, 0]).tolist() == [3.0, 3.0] and float(t.w_at_sigma(1e300)) == 3.0
    with pytest.raises(ParameterError, match="^sigma: "):
        t.w_at_sigma("x")
