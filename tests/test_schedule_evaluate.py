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


def test_against_is_paired_on_common_random_numbers(cli):
    # two schedules on the same means and noise: each column is simulate's, and the difference
    # carries the paired standard error, well below the two errors combined
    from cfgmft.api import simulate

    args = ["schedule", "evaluate", "--prior", "sphere", "--alpha", "0.3", "--d", "8", "--simulate", "--samples", "150",
            "--disorder", "2", "--steps", "60", "--seed", "4", "--json"]
    code, out, err = cli([*args, "--schedule", "constant:3", "--against", "constant:2.5"])
    assert code == 0, err
    r = json.loads(out)
    rows = {row["quantity"]: row for row in r["table"]}
    p = Problem(Mixture(prior="sphere", alpha=0.3, d=8), Guidance(schedule="constant:2.5"), Sampler(steps=60))
    s = simulate(p, samples=150, disorder=2, seed=4)
    assert r["against"] == "constant:2.5" and rows["var_ratio"]["against"] == s["var_ratio"]
    for key in ("mean_shift", "var_ratio", "margin"):
        pr, a, b = rows[key]["paired"], rows[key]["monte_carlo"], rows[key]["against"]
        assert pr["mean"] == __import__("pytest").approx(a["mean"] - b["mean"])
        assert pr["stderr"] < 0.5 * (a["stderr"] ** 2 + b["stderr"] ** 2) ** 0.5, key
    code, out, err = cli(["schedule", "evaluate", "--prior", "sphere", "--alpha", "0.3", "--d", "8",
                          "--schedule", "constant:3", "--against", "constant:2"])
    assert code == 2 and "--simulate" in err and len(err.strip().splitlines()) == 1, err


# -- export: per-step guidance tables ---------------------------------------------------------------

def test_export_round_trips_and_keeps_the_predictions(cli):
    from cfgmft.commands.schedule import export, export_csv, read_guidance_table
    from cfgmft.grids import per_step_schedule, sigma_grid
    from cfgmft.schedules import parse_schedule

    grid = "karras:12:0.002:80:7"
    per_step = per_step_schedule(grid, [3, 3, 3, 3, 2, 1, -0.5, -0.5, 0, 0, 0, 0])
    t = export(per_step, grid)  # a schedule constant on the steps is carried over exactly
    assert [r["omega"] for r in t["rows"]] == [3, 3, 3, 3, 2, 1, -0.5, -0.5, 0, 0, 0, 0]
    assert all(r["w"] == 1 + r["omega"] for r in t["rows"])
    assert read_guidance_table(t) == per_step == read_guidance_table(export_csv(t))
    assert read_guidance_table(json.dumps(t)) == per_step
    g = sigma_grid(grid)
    assert [r["sigma"] for r in t["rows"]] == g.sigmas[:-1].tolist()
    for r in t["rows"]:
        assert abs(r["alpha_bar"] - 1 / (1 + r["sigma"] ** 2)) < 1e-15
    # any schedule: the rows are its midpoint values, and the table's predictions are the
    # read-back schedule's
    t = export("negwin:3:-0.5:0.1:0.6", grid)
    back = read_guidance_table(export_csv(t))
    assert back == parse_schedule(t["table_schedule"])
    p = [Problem(Mixture(prior="sphere", alpha=0.3), Guidance(schedule=s), Sampler()) for s in (back, t["table_schedule"])]
    assert predict(p[0])["var_ratio"] == predict(p[1])["var_ratio"]
    code, out, err = cli(["schedule", "export", "--schedule", "negwin:3:-0.5:0.1:0.6", "--grid", grid])
    assert code == 0 and json.loads(out)["table_schedule"] == t["table_schedule"]


def test_export_data_scale_maps_sigma():
    from cfgmft.commands.schedule import export, read_guidance_table

    a = export("interval:2:0.3:1.5", "karras:10:0.002:80:7")
    b = export("interval:2:0.3:1.5", "sigmas:" + ",".join(repr(2.0 * r["sigma"]) for r in a["rows"]) + ",0",
               data_scale=2.0)
    assert [r["omega"] for r in a["rows"]] == [r["omega"] for r in b["rows"]]
    for ra, rb in zip(a["rows"], b["rows"]):
        assert abs(ra["t"] - rb["t"]) < 1e-14 and abs(ra["log_snr"] - rb["log_snr"]) < 1e-12
    assert read_guidance_table(b).to_json()["nodes"] == read_guidance_table(a).to_json()["nodes"]


def test_export_bad_input(cli):
    for args, flag in ((["--grid", "karras:0:0.002:80"], "--grid"), (["--grid", "bogus:1"], "--grid"),
                       (["--grid", "karras:4:0.002:80", "--data-scale", "0"], "--data-scale")):
        code, _, err = cli(["schedule", "export", "--schedule", "constant:2", *args])
        assert code == 2 and flag in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
