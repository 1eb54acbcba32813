"""The trade-off frontier (cfgmft schedule frontier): monotone in the variance floor, the negative
window reaching v = 1 above omega = 0's separability, the non-negative families never above
v = 1 (claim C5), every point re-scored independently, and bad input refused with exit 2."""

import json
import math

import pytest

from cfgmft.schedules import parse_schedule
from cfgmft.solvers.frontier import frontier
from cfgmft.solvers.nogo import LOG_VAR_TOL
from cfgmft.solvers.schedule_search import TheoryModel

SMALL = dict(n_global=16, maxiter=15)


@pytest.fixture(scope="module")
def exp06():
    return frontier("sphere", 1.0, "sde", 0.6, 3.0, families=("negwin", "constant", "interval", "lhl"), **SMALL)


def test_the_frontier_is_non_increasing_in_the_floor_and_its_points_meet_their_floor(exp06):
    model = TheoryModel("sphere", 1.0, "sde", 0.6)
    for name, c in exp06.curves.items():
        floors = [p.floor for p in c.points]
        assert floors == sorted(floors)
        seps = [p.separability for p in c.points if p.feasible]
        assert all(a >= b for a, b in zip(seps, seps[1:])), (name, seps)
        # an infeasible floor is never followed by a feasible one
        feas = [p.feasible for p in c.points]
        assert feas == sorted(feas, reverse=True), name
        for p in c.points:
            if p.feasible:  # the schedule re-scored from its text form
                nums = model(parse_schedule(p.schedule))
                assert nums["var_ratio"] >= p.floor
                assert nums["separability"] == p.separability


def test_the_negative_window_reaches_exact_variance_with_more_separability_than_omega_zero(exp06):
    c = exp06.curves["negwin"]
    at1 = [p for p in c.points if p.floor == 1.0]
    assert len(at1) == 1 and at1[0].feasible
    assert at1[0].var_ratio >= 1.0
    assert at1[0].separability > exp06.unguided["separability"]
    assert exp06.unguided["var_ratio"] == pytest.approx(1.0, abs=1e-12)


def test_nonnegative_families_never_exceed_one_and_their_frontier_ends_at_one(exp06):
    for name in ("constant", "interval", "lhl"):
        c = exp06.curves[name]
        assert c.nonnegative
        # the C5 search's threshold: ten times the solvers' integration tolerance, on log(var_ratio)
        assert math.log(c.max_var_ratio) <= LOG_VAR_TOL, name
        assert all(math.log(v) <= LOG_VAR_TOL for v, _, _ in c.pareto), name
        above = [p for p in c.points if p.floor > 1.0]
        assert above and not any(p.feasible for p in above), name


def test_the_lowest_default_floor_is_constant_cfg_and_the_constant_family_finds_it(exp06):
    c = exp06.curves["constant"].points[0]
    assert c.floor == exp06.constant["var_ratio"]
    assert c.separability >= exp06.constant["separability"]


def test_infinite_class_frontier_uses_log_odds_and_stays_monotone():
    f = frontier("gaussian", 1.0, "ode", math.inf, 3.0, families=("negwin", "constant"), n_floors=4, n_global=8,
                 maxiter=8)
    assert f.separability == "log_odds"
    for c in f.curves.values():
        seps = [p.separability for p in c.points if p.feasible]
        assert seps and all(a >= b for a, b in zip(seps, seps[1:]))
    assert math.log(f.curves["constant"].max_var_ratio) <= LOG_VAR_TOL


def test_cli_writes_json_and_png(cli, tmp_path):
    code, out, err = cli(["schedule", "frontier", "--prior", "sphere", "--alpha", "0.3", "--peak", "3",
                          "--families", "negwin,constant", "--global", "8", "--maxiter", "8", "--floors", "0.97:1.01:3",
                          "--out", str(tmp_path), "--json"])
    assert code == 0, err
    r = json.loads(out)
    assert set(r["curves"]) == {"negwin", "constant"} and r["floors"] == [0.97, 0.99, 1.01]
    assert r["model"]["alpha"] == 0.3 and r["separability"] == "margin" and r["peak"] == 3.0
    saved = json.loads((tmp_path / "frontier.json").read_text())
    assert saved["search"]["n_global"] == 8 and saved["curves"]["negwin"]["points"] == r["curves"]["negwin"]["points"]
    assert (tmp_path / "frontier.png").stat().st_size > 1000


@pytest.mark.parametrize("args, flag", [
    (["--peak", "0"], "--peak"),
    (["--peak", "101"], "--peak"),
    (["--peak", "3", "--families", "negwin,nope"], "--families"),
    (["--peak", "3", "--families", "negwin,negwin"], "--families"),
    (["--peak", "3", "--floors", "1:0.9:3"], "--floors"),
    (["--peak", "3", "--floors", "0:1:3"], "--floors"),
    (["--peak", "3", "--floors", "0.9:1:1"], "--floors"),
    (["--peak", "3", "--d", "10"], "--d"),
    (["--peak", "3", "--classes", "10"], "--classes"),
    (["--peak", "3", "--alpha", "0"], "--alpha"),
    (["--peak", "3", "--prior", "antipodal"], "--prior"),
])
def test_bad_input_is_one_line_and_exit_2(cli, tmp_path, args, flag):
    code, out, err = cli(["schedule", "frontier", "--out", str(tmp_path)] + args)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0], err
