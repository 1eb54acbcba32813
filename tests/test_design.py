"""cfgmft.solvers.design: the negative-window design on the d -> infinity mean field meets its
selection rule, and the solvers layer stays below validation, the API and the report."""

import subprocess
import sys

import pytest

from cfgmft.errors import ParameterError
from cfgmft.schedules import NegativeWindow
from cfgmft.solvers.design import WINDOW_OMEGAS, WINDOW_T_HI, WINDOW_T_LO, design_negative_window
from cfgmft.solvers.exponential import predict_exponential


@pytest.fixture(scope="module")
def default_design():
    return design_negative_window()


def test_design_meets_its_selection_rule(default_design):
    des = default_design
    base, pred, sc = des.baseline, des.prediction, des.schedule
    assert base == predict_exponential("sphere", 1.0, 2.0, "sde", alpha=0.3)
    assert isinstance(sc, NegativeWindow) and sc.omega_pos == 2.0 and sc.omega_neg < 0
    # commits and keeps at least half the margin of constant guidance
    assert pred.status == "committed" and pred.margin >= 0.5 * base.margin > 0
    assert des.min_margin == 0.5 * base.margin
    # variance ratio closer to 1 than constant CFG's (which shrinks it)
    assert base.var_ratio < 1 and abs(pred.var_ratio - 1) < abs(base.var_ratio - 1)
    assert des.defect_reduction == pytest.approx(abs(base.var_ratio - 1) / abs(pred.var_ratio - 1))
    # the prediction is that of the chosen schedule, which is the best admissible candidate
    assert pred == predict_exponential("sphere", 1.0, sc, "sde", alpha=0.3)
    assert des.admissible and all(abs(pred.var_ratio - 1) <= c.variance_defect for c in des.admissible)
    assert des.admissible[[c.schedule for c in des.admissible].index(sc)].prediction == pred


def test_design_evaluates_the_whole_grid(default_design):
    des = default_design
    pairs = [(lo, hi) for lo in WINDOW_T_LO for hi in WINDOW_T_HI if lo < hi]
    assert len(des.candidates) == len(WINDOW_OMEGAS) * len(pairs) * 2
    first = des.candidates[0].schedule
    assert (first.omega_neg, first.t_lo, first.t_hi, first.omega_late) == (WINDOW_OMEGAS[0], *pairs[0], 0.0)
    for c in des.candidates:
        p = c.prediction
        assert c.admissible == (p.status == "committed" and p.margin >= des.min_margin)
        assert c.schedule.omega_late in (0.0, 2.0) and c.schedule.t_lo < c.schedule.t_hi
    # some candidates are rejected: the rule is not vacuous on this grid
    assert len(des.admissible) < len(des.candidates)


def test_design_on_a_custom_grid():
    des = design_negative_window("gaussian", 1.0, 0.2, 3.0, "ode", window_omegas=(-0.5,), t_lo=(0.3, 0.6),
                                 t_hi=(0.6, 1.2), omega_late=(0.0,), min_margin_fraction=0.25)
    assert len(des.candidates) == 3  # (0.3, 0.6), (0.3, 1.2), (0.6, 1.2)
    assert all(c.schedule.omega_pos == 3.0 and c.schedule.omega_late == 0.0 for c in des.candidates)
    assert des.schedule in [c.schedule for c in des.admissible]
    assert des.prediction.margin >= 0.25 * des.baseline.margin


def test_design_refuses_bad_values_and_empty_results():
    with pytest.raises(ParameterError, match="^window_omegas"):
        design_negative_window(window_omegas=(0.3,))
    with pytest.raises(ParameterError, match="^t_lo"):
        design_negative_window(t_lo=())
    with pytest.raises(ParameterError, match="^alpha"):
        design_negative_window(alpha=0.0)
    with pytest.raises(ParameterError, match="^min_margin_fraction: none of the 114 candidates"):
        design_negative_window(min_margin_fraction=10.0)


def test_design_imports_no_higher_layer(tmp_path):
    code = ("import sys, cfgmft.solvers.design; "
            "bad = [m for m in sys.modules if m.startswith(('cfgmft.validation', 'cfgmft.api', "
            "'cfgmft.reproduce', 'cfgmft.cli', 'cfgmft.simulate', 'cfgmft.validate'))]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
