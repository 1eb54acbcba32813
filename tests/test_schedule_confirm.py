"""C6's one criterion (cfgmft.commands.schedule_confirm.criterion): the design's Monte Carlo
variance ratio in the band within 3 standard errors (resolved: that error at most half the
band's width) AND its Bayes accuracy above omega = 0's by more than 3 paired standard errors;
and confirm() on common random numbers, with the design replaced by a stand-in."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cfgmft.commands import schedule_confirm
from cfgmft.commands.schedule_confirm import criterion
from cfgmft.schedules import parse_schedule


def _est(mean, stderr):
    return {"mean": mean, "stderr": stderr}


@pytest.mark.parametrize("v,gain,confirmed,in_band,resolved,kept", [
    (_est(1.00, 0.005), _est(0.12, 0.02), True, True, True, True),
    (_est(1.03, 0.005), _est(0.12, 0.02), True, True, True, True),     # 2 se above the band: within 3
    (_est(1.00, 0.005), _est(0.05, 0.02), False, True, True, False),   # 2.5 paired se: not kept
    (_est(0.90, 0.005), _est(0.12, 0.02), False, False, True, True),   # separable, variance not restored
    (_est(1.00, 0.05), _est(0.12, 0.02), False, True, False, True),    # too few samples to tell
    (_est(1.00, 0.005), None, False, True, True, False),               # no Bayes accuracy
])
def test_criterion(v, gain, confirmed, in_band, resolved, kept):
    r = criterion(v, gain)
    assert (r["confirmed"], r["in_band"], r["resolved"], r["separability_kept"]) == (confirmed, in_band, resolved, kept)
    # the reason states each part's own outcome, never the opposite
    text = r["reason"]
    assert ("separability kept" in text) is kept
    assert ("separability NOT kept" in text) is (gain is not None and not kept)
    assert ("variance in band" in text) is (in_band and resolved)
    assert ("variance NOT in band" in text) is (resolved and not in_band)
    assert ("variance undecided" in text) is (not resolved)


def test_confirm_on_common_random_numbers(monkeypatch):
    sched = parse_schedule("negwin:3:-0.5:0.3:1:0")
    des = SimpleNamespace(schedule=sched, finite_d=None, design={"var_ratio": 0.99, "separability": 0.2},
                          unguided={"separability": 0.05}, separability="margin", to_dict=lambda: {})
    monkeypatch.setattr(schedule_confirm, "design_schedule", lambda *a, **k: des)
    r = schedule_confirm.confirm("sphere", 0.3, 8, samples=100, disorder=2, steps=40, seed=3)
    assert set(r["monte_carlo"]) == {"design", "unguided", "constant"}
    assert r["predicted"]["gain"] == pytest.approx(0.15)
    g = r["paired"]["design - unguided: accuracy"]
    assert r["separability_kept"] is (g["mean"] > 3 * g["stderr"])
    assert r["confirmed"] is (r["in_band"] and r["resolved"] and r["separability_kept"])
    # paired: the error of the difference is not the two accuracies' errors combined
    a, u = r["monte_carlo"]["design"]["accuracy"], r["monte_carlo"]["unguided"]["accuracy"]
    assert g["mean"] == pytest.approx(a["mean"] - u["mean"])
    r2 = schedule_confirm.confirm("sphere", 0.3, 8, samples=100, disorder=2, steps=40, seed=3, with_constant=False)
    assert set(r2["monte_carlo"]) == {"design", "unguided"}
    assert r2["monte_carlo"]["design"] == r["monte_carlo"]["design"]
