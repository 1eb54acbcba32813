"""``cfgmft schedule export --design``: the exported table predicted on its own grid against the
design, a one-line warning (stderr) and a ``grid_check`` JSON field where the hand-over changes
the answer, silence where the grid is fine enough."""

from __future__ import annotations

import json

import pytest

from cfgmft.api import predict
from cfgmft.cli import main
from cfgmft.commands.schedule import export, grid_check
from cfgmft.errors import ParameterError
from cfgmft.params import Problem

#: the negative window ``cfgmft schedule design --prior sphere --alpha 0.3 --peak 3`` returns
SCHEDULE = "negwin:3:-0.4071841392343202:0.6692312635234385:1.0609939046833918:0.9401698911010852"
BAND = [0.98, 1.02]


@pytest.fixture(scope="module")
def design():
    """A design record of the form ``schedule design --json`` writes, with the design's own
    continuous-time numbers computed here."""
    p = predict(Problem.from_dict({"prior": "sphere", "alpha": 0.3, "schedule": SCHEDULE, "sampler": "sde"}))
    return {"schedule": SCHEDULE, "guidance": "cfg", "variance_band": BAND, "peak": 3.0, "family": "negwin",
            "model": {"theory": "exponential regime, d -> infinity mean field (alpha = 0.3)", "prior": "sphere",
                      "sigma2": 1.0, "sampler": "sde", "alpha": 0.3, "T": None, "d": None, "K": None},
            "design": {"var_ratio": p["var_ratio"], "mean_shift": p["mean_shift"]}}


def test_the_check_fires_on_a_coarse_grid(design):
    r = grid_check(design, export(SCHEDULE, "karras:30:0.002:80:7"))
    assert r["ok"] is False and r["update"] == "ancestral"
    # the numbers of the hand-over: 0.98 designed, about 0.648 on 30 Euler-ancestral steps
    assert abs(r["design"]["var_ratio"] - 0.98) < 1e-3
    assert abs(r["on_grid"]["var_ratio"] - 0.6485) < 1e-3
    assert "\n" not in r["warning"] and "does not survive this grid" in r["warning"]
    assert "cfgmft schedule design --prior sphere" in r["warning"]
    assert r["warning"].endswith("--grid karras:30:0.002:80:7 --update ancestral`")
    # the smallest doubled Karras grid that keeps the design passes the check itself
    n = r["suggested_steps"]
    assert n is not None and n > 30
    assert grid_check(design, export(SCHEDULE, f"karras:{n}:0.002:80:7"))["ok"] is True
    assert grid_check(design, export(SCHEDULE, f"karras:{n // 2}:0.002:80:7"))["ok"] is False


def test_the_check_is_silent_on_a_fine_grid(design):
    r = grid_check(design, export(SCHEDULE, "karras:1000:0.002:80:7"))
    assert r["ok"] is True and r["warning"] is None
    assert abs(r["on_grid"]["var_ratio"] - r["design"]["var_ratio"]) <= r["tolerance"]


def test_the_ode_update_and_a_rule_on_the_grid(design):
    ode = {**design, "model": {**design["model"], "sampler": "ode"}}
    assert grid_check(ode, export(SCHEDULE, "karras:30:0.002:80:7"))["update"] == "euler"
    # a design for a rule is checked with the rule's discrete-grid theory
    from cfgmft.solvers.discrete_grid import predict_discrete

    apg = {**design, "guidance": "apg:eta=0,r=0.05"}
    r = grid_check(apg, export(SCHEDULE, "karras:30:0.002:80:7", rule="apg:eta=0,r=0.05"))
    m = design["model"]
    want = predict_discrete(m["prior"], m["sigma2"], SCHEDULE, r["update"], "karras:30:0.002:80:7",
                            alpha=m.get("alpha"), rule="apg:eta=0,r=0.05")
    assert r["ok"] in (True, False) and "note" not in r
    assert abs(r["on_grid"]["var_ratio"] - want.var_ratio) < 1e-6 * max(1.0, want.var_ratio)
    with pytest.raises(ParameterError, match="^schedule: "):
        grid_check(design, export("constant:2", "karras:30:0.002:80:7"))
    with pytest.raises(ParameterError, match="^design: "):
        grid_check({"schedule": SCHEDULE}, export(SCHEDULE, "karras:30:0.002:80:7"))


def test_cli_warns_on_stderr_and_in_the_json(design, tmp_path, capsys):
    f = tmp_path / "design.json"
    f.write_text(json.dumps(design))
    assert main(["schedule", "export", "--design", str(f), "--grid", "karras:30:0.002:80:7"]) == 0
    out, err = capsys.readouterr()
    table = json.loads(out)
    assert table["schedule"] == SCHEDULE and table["grid_check"]["ok"] is False
    assert err.count("\n") == 1 and err.startswith("warning: on karras:30:0.002:80:7 with ancestral")
    assert main(["schedule", "export", "--design", str(f), "--grid", "karras:1000:0.002:80:7"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["grid_check"]["ok"] is True and err == ""


def test_cli_bad_input(design, tmp_path, capsys):
    f = tmp_path / "design.json"
    f.write_text(json.dumps(design))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    for argv, flag in ([["--grid", "karras:30:0.002:80:7"], "--schedule"],
                       [["--design", str(bad), "--grid", "karras:30:0.002:80:7"], "--design"],
                       [["--design", str(tmp_path / "none.json"), "--grid", "karras:30:0.002:80:7"], "--design"],
                       [["--schedule", "constant:2", "--grid", "karras:30:0.002:80:7", "--update", "euler"], "--update"],
                       [["--design", str(f), "--schedule", "constant:2", "--grid", "karras:30:0.002:80:7"], "--design"]):
        assert main(["schedule", "export", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"error: {flag}" in err, (argv, err)


def test_the_named_command_designs_a_schedule_that_survives_the_grid(design, tmp_path, capsys):
    """The warning's ``schedule design ... --grid --update`` command, run as it stands, gives a
    design whose export on that grid passes the check (and meets the band there)."""
    import shlex

    grid = "karras:30:0.002:80:7"
    r = grid_check(design, export(SCHEDULE, grid))
    argv = shlex.split(r["design_on_grid"])[1:]
    assert argv[:2] == ["schedule", "design"]
    assert main(argv + ["--json"]) == 0
    new = json.loads(capsys.readouterr().out)
    assert new["model"]["grid"] == grid and new["model"]["update"] == "ancestral"
    assert BAND[0] - 1e-6 <= new["design"]["var_ratio"] <= BAND[1] + 1e-6
    f = tmp_path / "design.json"
    f.write_text(json.dumps(new))
    assert main(["schedule", "export", "--design", str(f), "--grid", grid]) == 0
    out, err = capsys.readouterr()
    check = json.loads(out)["grid_check"]
    assert check["ok"] is True and err == ""
    assert abs(check["on_grid"]["var_ratio"] - new["design"]["var_ratio"]) < 1e-9
