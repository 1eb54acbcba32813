"""The docs' generated verdicts follow the data: each generator that words a conclusion around a
run's numbers (docs/_scripts/tables_*.py) is fed made-up results on both sides of its condition
here, and either changes its wording or fails (cheap: no Sphinx build, no committed file needed
beyond what the generators read).
"""

import importlib
import math
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "docs" / "_scripts"


@pytest.fixture(scope="module")
def mods():
    sys.path.insert(0, str(SCRIPTS))
    try:
        yield {name: importlib.import_module(name) for name in ("tables_bench", "tables_explain", "tables_export")}
    finally:
        sys.path.remove(str(SCRIPTS))


def _tta(m, v, tol=1e-3):
    obs = {k: {"error": e, "error_se": se} for k, (e, se) in (("m", m), ("var_ratio", v))}
    return {"parameters": {"tol": tol}, "cfgmft_check": {"observables": obs}}


def test_the_tolerance_check_verdict(mods, monkeypatch):
    tb = mods["tables_bench"]
    monkeypatch.setattr(tb, "_load", lambda rel: _tta((1e-4, 3e-4), (2e-4, 1e-4)))
    s = tb._tta_check()
    assert s["tta_check_lead"].startswith("cfgmft meets the tolerance") and "not confirmed" not in s["tta_check_verdict"]
    monkeypatch.setattr(tb, "_load", lambda rel: _tta((1e-4, 3e-4), (7e-4, 4e-4)))
    s = tb._tta_check()
    assert "not by two standard errors" in s["tta_check_lead"] and "`var_ratio`" in s["tta_check_lead"]
    assert "not confirmed at two standard errors" in s["tta_check_verdict"]
    monkeypatch.setattr(tb, "_load", lambda rel: _tta((1.2e-3, 1e-4), (2e-4, 1e-4)))
    s = tb._tta_check()
    assert s["tta_check_lead"].startswith("cfgmft misses the tolerance on `E[m]`")


def _point(sw, zm, zv):
    return {"alpha": 0.3, "d": 30, "grid": "karras:8:0.002:80:7", "update": "euler", "omega": 2.0,
            "mc": {"m": [1.0 + zm * 0.01, 0.01], "var_ratio": [0.5, 0.01]}, "prediction": {"m": 1.0, "var_ratio": 0.5},
            "z": {"m": zm, "var_ratio": zv}, "d_switching_min_abs": sw}


def test_the_random_points_verdict_splits_at_the_criterion(mods, monkeypatch):
    te = mods["tables_explain"]
    rows = [_point(5.5, 1.0, 0.5), _point(4.2, 9.0, 1.0), _point(4.6, 0.3, 0.2)]
    monkeypatch.setattr(te, "_load", lambda rel: {"rows": rows})
    v = te._random_points_subs()["xp_rp_verdict"]
    assert "the 1 point above 5" in v and "1 of them beyond 4 standard errors" in v
    assert "Every failure lies below the threshold" in v and "only weakly" in v and "4.20, below the threshold" in v
    rows[0] = _point(5.5, 6.0, 0.5)
    assert "is not sufficient" in te._random_points_subs()["xp_rp_verdict"]


def test_the_pruning_verdict_fails_without_a_noise_reference(mods, monkeypatch):
    te = mods["tables_explain"]
    row = lambda skipped, ratio: {"evaluations": 10, "skipped": skipped, "full": ratio, "pruned": 1.0, "ratio": ratio}  # noqa: E731
    run = {"chunk": 256, "diff": 0.0, "rows": {"before commitment": row(0.0, 1.02), "after commitment": row(30.0, 1.1),
                                                  "whole run": row(4.0, 1.03)}}
    monkeypatch.setattr(te, "_pruning_runs", lambda: [("a", run)])
    assert "up to 2% between the two runs before commitment" in te._pruning_subs()["xp_prune_verdict"]
    run["rows"]["before commitment"] = row(1.0, 1.02)
    with pytest.raises(ValueError, match="skipped before commitment"):
        te._pruning_subs()


def test_the_quick_run_claim_fails_where_the_model_agrees(mods, monkeypatch):
    te = mods["tables_explain"]
    pt = {"K": 10, "d": 8, "m_final": {"z": -2.0}, "var_ratio": {"z": 1.0}}
    quick = {"C3": {"monte_carlo": {"sphere K = 10": {"finite_d": {"assessed": False, "points": [pt]}}}}}
    monkeypatch.setattr(te, "_load", lambda rel: quick)
    with pytest.raises(ValueError, match="within 3 standard errors"):
        te._quick_run_subs()
    pt["m_final"]["z"] = -8.2
    assert "`|z|` 8.2 in `E[m]`" in te._quick_run_subs()["xp_quick_c3_small_d"]


def test_the_digits_decide_the_tolerance(mods):
    digits = mods["tables_export"]._deciding_digits
    # 0.9598 is outside 0.02 of 0.9800, but at three decimals it prints 0.960 against 0.980: at the edge
    assert digits(0.9800036, [0.2445, 0.9598034, 0.9702236], 0.02) == 4
    assert digits(0.95, [0.5035, 0.9393, 0.9489], 0.05) == 3


def test_the_step_orders_and_what_the_safety_factor_covers(mods):
    rt = importlib.import_module("results_tables")
    s = rt._step_error_orders()
    orders = [float(q) for q in s["st2_orders_v"].split(", ")]
    falls = [float(x.rstrip("x")) for x in s["st2_falls_v"].split(", ")]
    assert [round(2 ** q, 1) for q in orders] == falls
    # the bound factor 4/3 of p = 2 times the safety factor 1.25 is 2^q/(2^q - 1) at q = log2(2.5)
    q_min = math.log2(2.5)
    assert f"`q = {q_min:.2f}`" in s["st2_order_cover"]
    low = [q for q in orders if q < q_min]
    assert ("not the lowest measured" in s["st2_order_cover"]) == bool(low)
    for q in low:
        assert f"{q:.2f}" in s["st2_order_cover"]
