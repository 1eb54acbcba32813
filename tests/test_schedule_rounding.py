"""The printed schedules of ``schedule design|frontier|nogo``: the fewest significant digits that keep
the prediction within SHORT_TOL, in the model (rule, grid) the result was computed in."""

import math

from cfgmft.commands.schedule_design import SHORT_TOL, shortest_schedule, theory_model
from cfgmft.commands.schedule_frontier import _short_schedules, format_frontier
from cfgmft.schedules import parse_schedule
from cfgmft.solvers.design import TheoryModel

FULL = "negwin:3:-0.61234567890123:0.0000000000000000038:1.0987654321098:2.9876543210987"


def test_shortest_schedule_keeps_the_prediction_within_tol_and_writes_leftovers_as_zero():
    model = TheoryModel("sphere", 1.0, "sde", 0.3)
    short = shortest_schedule(FULL, model)
    assert len(short) < len(FULL) and "e-18" not in short and short.split(":")[3] == "0"
    ref, got = model(parse_schedule(FULL)), model(parse_schedule(short))
    for k in ("var_ratio", "separability"):
        assert abs(got[k] - ref[k]) <= SHORT_TOL
    # at tolerance 0 only a form with exactly the same prediction is taken (here: the leftover as 0)
    exact = shortest_schedule(FULL, model, tol=0.0)
    assert all(model(parse_schedule(exact))[k] == ref[k] for k in ("var_ratio", "separability"))
    # a schedule without numbers to round is itself
    assert shortest_schedule("constant:2", model) == "constant:2"


def test_the_model_of_a_record_carries_its_rule():
    rec = {"prior": "sphere", "sigma2": 1.0, "sampler": "sde", "alpha": None, "T": None, "guidance": "apg:eta=0,r=0.05"}
    sch = parse_schedule("constant:2")
    apg, cfg = theory_model(rec)(sch), theory_model({**rec, "guidance": "cfg"})(sch)
    assert not math.isclose(apg["var_ratio"], cfg["var_ratio"], rel_tol=1e-6)
    # a record without a guidance field (a frontier's) takes the result's rule
    rec.pop("guidance")
    assert math.isclose(theory_model(rec, "apg:eta=0,r=0.05")(sch)["var_ratio"], apg["var_ratio"], rel_tol=1e-12)


def test_the_frontier_table_prints_the_rounded_schedule_and_the_record_keeps_the_full_one():
    model = {"theory": "exponential", "prior": "sphere", "sigma2": 1.0, "sampler": "sde", "alpha": 0.3, "T": None}
    nums = TheoryModel("sphere", 1.0, "sde", 0.3)(parse_schedule(FULL))
    point = {"floor": 0.9, "feasible": True, "var_ratio": nums["var_ratio"], "separability": nums["separability"],
             "schedule": FULL}
    r = {"version": "x", "convention": "c", "precision": "float64", "guidance": "cfg", "model": model,
         "separability": "margin", "peak": 3.0, "search": {"n_global": 1, "n_starts": 1, "maxiter": 1, "seed": 0,
                                                           "t_max": 3.0},
         "constant": {"var_ratio": 0.5, "separability": 0.2}, "unguided": {"var_ratio": 1.0, "separability": 0.1},
         "curves": {"negwin": {"points": [point]}}}
    _short_schedules(r)
    assert point["schedule"] == FULL and len(point["schedule_short"]) < len(FULL)
    text = format_frontier(r)
    assert point["schedule_short"] in text and FULL not in text and "rounded" in text
