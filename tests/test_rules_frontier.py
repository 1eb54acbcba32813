"""scripts/rules_frontier.py on a tiny cell: the points at equal separability meet their
separability constraint in the theory, the Monte Carlo rows are paired on common random numbers,
the finite-K margin reference has its limits, and the report is written from the cells."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "scripts" / "rules_frontier.py"


@pytest.fixture(scope="module")
def rf():
    spec = importlib.util.spec_from_file_location("rules_frontier", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def cell(rf):
    # below the critical line, SDE, d = 8 (K = 11): 2 draws x 40 samples, 30 base steps
    return rf.run_cell("below", 8, "sde", samples=40, draws=2, steps=30, with_finite_d=False)


def test_points_meet_the_separability_constraint(rf, cell):
    assert cell["K"] == round(math.exp(0.3 * 8)) == 11
    target = cell["target_margin"]
    reached = [r for r in cell["rows"] if r["omega"] is not None]
    assert {r["entry"] for r in reached} >= {"cfg", "powerlaw:beta=0.5", "zerostar", "rescale:phi=0.7"}
    for r in reached:
        assert abs(r["theory"]["margin"] - target) < 1e-7, r["entry"]
        assert r["on_regime_side"] and r["alpha_c"] > cell["alpha"], r["entry"]  # below the critical line
        # the theory's point recomputed from the stored strength
        assert rf.theory(r["entry"], r["omega"], "sde", cell["alpha"])["margin"] == pytest.approx(target, abs=1e-7)
    # a rule whose margin saturates below cfg's is reported, not simulated
    missing = [r for r in cell["rows"] if r["omega"] is None]
    assert all("mc" not in r and "stays below" in r["note"] for r in missing)


def test_monte_carlo_is_paired_on_common_random_numbers(cell):
    rows = {r["entry"]: r for r in cell["rows"] if r["omega"] is not None}
    # cfg against itself: every paired difference is exactly zero
    assert all(v == [0.0, 0.0] for v in rows["cfg"]["paired_vs_cfg"].values())
    # the same means, x_T and noise: a rule near cfg differs from it by much less than the spread of
    # either level, so the paired error is far below the unpaired one
    r = rows["rescale:phi=0.7"]
    for k in ("m_final", "var_ratio"):
        unpaired = math.hypot(r["mc"][k][1], rows["cfg"]["mc"][k][1])
        assert r["paired_vs_cfg"][k][1] < 0.3 * unpaired, k
        assert r["paired_vs_cfg"][k][0] == pytest.approx(r["mc"][k][0] - rows["cfg"]["mc"][k][0], abs=1e-12)
    assert cell["steps"] >= cell["base_steps"] and all(isinstance(x, bool) for x in r["agrees"].values())


def test_finite_k_margin_reference(rf):
    assert abs(rf.mean_max_cosine(20, 1)) < 1e-6  # one cosine: symmetric about 0
    a = [rf.mean_max_cosine(20, n) for n in (10, 100, 1000)]
    assert a[0] < a[1] < a[2] < 1.0
    # omega = 0 (M = 1, S = sigma2): at d = 20, K = 403 the extreme-value correction alone raises the
    # margin from the d -> infinity 0.050 to 0.134 (the Monte Carlo of C6 measures 0.136)
    assert rf.finite_k_margin(1.0, 1.0, 20, 403) == pytest.approx(0.1337, abs=2e-3)
    lim = 1.0 - math.sqrt(2.0) * math.sqrt(1.0 - math.exp(-0.6))
    assert lim == pytest.approx(0.0501, abs=1e-3)


def test_report_from_cells(rf, cell, tmp_path):
    (tmp_path / f"{cell['cell']}.json").write_text(json.dumps(cell, default=str))
    curves = {"below|sde": {"cfg": rf.frontier_curve("cfg", "sde", 0.3, omegas=(1.0, 2.0))}}
    md = rf.markdown(rf.load_cells(str(tmp_path)))
    assert "| `cfg` | 2.000 |" in md and "d = 8" in md and "stays below" in md
    rf.figure(rf.load_cells(str(tmp_path)), curves, str(tmp_path / "f.png"))
    assert (tmp_path / "f.png").stat().st_size > 1000
