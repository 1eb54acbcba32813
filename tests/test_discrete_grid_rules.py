"""The discrete-grid theory of a guidance rule (``predict_discrete(..., rule=)``): the rule's
``d -> infinity`` guided score at each model evaluation, in the grid's exact moment maps. Checks:
the general path gives cfg's closed-form coefficients where the rule is cfg, and the grid
prediction converges to the rule's continuous-time theory at first order (Euler)."""

from __future__ import annotations

import pytest

from cfgmft.grids import sigma_grid
from cfgmft.guidance import APG
from cfgmft.solvers.discrete_grid import _Model, predict_discrete, step_maps
from cfgmft.solvers.rules import predict_rule
from cfgmft.updates import step_omegas

SCHEDULE = "negwin:3:-0.6:0.2:0.8"


@pytest.mark.parametrize("regime,prior,alpha", [("infinite", "gaussian", None), ("infinite", "sphere", None),
                                                ("exponential", "sphere", 0.3)])
@pytest.mark.parametrize("update", ["euler", "heun", "ancestral"])
def test_the_rule_path_at_cfg_parameters_is_cfg(regime, prior, alpha, update):
    g = sigma_grid("karras:30:0.002:80:7")
    om = step_omegas(g, SCHEDULE)
    m0, lv0, _ = step_maps(_Model(regime, prior, 1.0, alpha), update, g.sigmas, om)
    m1, lv1, _ = step_maps(_Model(regime, prior, 1.0, alpha, rule=APG(eta=1.0, r=0.0)), update, g.sigmas, om)
    assert abs(m0 - m1) < 1e-12 and abs(lv0 - lv1) < 1e-12


@pytest.mark.parametrize("rule", ["zerostar", "apg:eta=0,r=0.05", "rescale:phi=0.7", "powerlaw:beta=0.5"])
def test_the_grid_prediction_of_a_rule_converges_to_its_continuous_theory(rule):
    t0 = sigma_grid("karras:10:0.002:80:7").t[0]
    q = predict_rule("gaussian", 1.0, "constant:2", "ode", rule, T=t0)
    err = []
    for n in (400, 800, 1600):
        p = predict_discrete("gaussian", 1.0, "constant:2", "euler", f"karras:{n}:0.002:80:7", rule=rule, start="unit")
        err.append((p["var_ratio"] - q["var_ratio"], p["m_final"] - q["m_final"]))
        assert p["convention"]
    for k in (0, 1):
        assert abs(err[2][k]) < 0.01
        if abs(err[1][k]) > 1e-5:
            assert 1.6 < err[1][k] / err[2][k] < 2.4, (rule, k, err)  # first order
    # the exponential regime (commitment on the grid): close at 1600 steps
    q = predict_rule("sphere", 1.0, SCHEDULE, "ode", rule, alpha=0.3, T=t0)
    p = predict_discrete("sphere", 1.0, SCHEDULE, "euler", "karras:1600:0.002:80:7", rule=rule, alpha=0.3, start="unit")
    assert abs(p["var_ratio"] - q["var_ratio"]) < 0.01 and abs(p["m_final"] - q["m_final"]) < 0.01
