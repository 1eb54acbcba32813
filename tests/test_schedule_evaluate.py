"""cfgmft schedule evaluate: the theory, the finite-d model and Monte Carlo side by side."""

import json

from cfgmft.api import predict
from cfgmft.commands.schedule import ROWS, evaluate
from cfgmft.params import Guidance, Mixture, Problem, Sampler


def test_theory_column_is_predict():
    p = Problem(Mixture(prior="sphere", alpha=0.3), Guidance(schedule="negwin:3:-0.5:0.1:0.6"), Sampler())
    r = evaluate(p)
    th = predict(p)
    rows = {row["quantity"]: row for row in r["table"]}
    assert [row["quantity"] for row in r["table"]] == [k for k, _ in ROWS]
    for key in ("mean_shift", "var_ratio", "kl_per_dim", "margin", "t_commit"):
        assert rows[key]["theory"] == th[key]
        assert rows[key]["finite_d"] is None and rows[key]["monte_carlo"] is None
    assert r["schedule"] == "negwin:3:-0.5:0.1:0.6:0" and r["nonnegative"] is False


def test_monte_carlo_column_is_simulate_and_agrees_in_the_infinite_class_limit(cli):
    # the gaussian continuum is exact at any d: Monte Carlo within 4 standard errors of the theory
    code, out, err = cli(["schedule", "evaluate", "--schedule", "interval:2:0.3:1.5", "--classes", "inf", "--d", "8",
                          "--sampler", "ode", "--simulate", "--samples", "4000", "--steps", "100", "--json"])
    assert code == 0, err
    r = json.loads(out)
    rows = {row["quantity"]: row for row in r["table"]}
    for key in ("mean_shift", "var_ratio"):
        mc = rows[key]["monte_carlo"]
        assert abs(mc["mean"] - rows[key]["theory"]) <= 4 * mc["stderr"], (key, mc, rows[key]["theory"])
    assert r["monte_carlo"]["samples"] == 4000 and r["schedule_json"]["kind"] == "interval"


def test_bad_input_is_one_line(cli):
    for args, flag in ((["--simulate"], "--d"), (["--d", "8", "--simulate", "--disorder", "0"], "--disorder"),
                       (["--finite-d", "--d", "8"], "--classes")):
        code, out, err = cli(["schedule", "evaluate", "--schedule", "constant:2", *args])
        assert code == 2 and flag in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
