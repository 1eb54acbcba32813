"""The finite-d reduced model run by the sampler's update rule on its grid
(:func:`cfgmft.solvers.finite_d.predict_finite_d_grid`): exact at ``omega = 0`` (the conditional
denoiser: the grid theory's numbers), and against exact-score Monte Carlo on the same grid at a small
d, where the d -> infinity grid theory is off by many error bars."""

from __future__ import annotations

import json
import math

from cfgmft.api import predict
from cfgmft.cli import main
from cfgmft.params import Problem
from cfgmft.solvers.finite_d import predict_finite_d_grid

GRID = "karras:12:0.002:80:7"
Z = 3.0


def test_the_grid_finite_d_model_is_exact_without_guidance():
    for update in ("heun", "ancestral"):
        r = predict_finite_d_grid("sphere", 1.0, 0.0, update, GRID, K=400, d=32, samples=2000, seed=1)
        th = predict(Problem.from_dict({"prior": "sphere", "alpha": 0.2, "omega": 0.0}), grid=GRID, update=update)
        assert r["grid"] == GRID and r["update"] == update and r["steps"] == 12
        for key in ("var_ratio", "m_final"):
            assert abs(r[key]["mean"] - th[key]) <= Z * r[key]["stderr"], (update, key, r[key], th[key])


def test_the_grid_finite_d_model_against_monte_carlo_on_the_grid(capsys):
    """``schedule evaluate --grid --update --d --finite-d --simulate``: the three side by side on one
    grid (sphere prior, d = 32, K = 400, omega = 2, 12 Euler steps)."""
    assert main(["schedule", "evaluate", "--prior", "sphere", "--classes", "400", "--d", "32", "--omega", "2",
                 "--grid", GRID, "--update", "euler", "--finite-d", "--finite-d-samples", "4000", "--simulate",
                 "--samples", "500", "--disorder", "8", "--json", "--quiet"]) == 0
    r = json.loads(capsys.readouterr().out)
    fd, mc, th = r["finite_d"], r["monte_carlo"], r["theory"]
    assert fd["grid"] == GRID and fd["update"] == "euler" and mc["steps"] == 12
    for key in ("var_ratio", "m_final"):
        se = math.hypot(fd[key]["stderr"], mc[key]["stderr"])
        assert abs(fd[key]["mean"] - mc[key]["mean"]) <= Z * se, (key, fd[key], mc[key])
        # the d -> infinity grid theory is many error bars away at this d: the model carries the correction
        assert abs(th[key] - mc[key]["mean"]) > 5 * se, (key, th[key], mc[key])
