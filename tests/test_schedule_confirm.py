"""The C6 confirmation's criterion (cfgmft.commands.schedule_confirm.confirm): the variance ratio
in the band within 3 standard errors AND separability kept (Bayes accuracy above omega = 0's by
more than 3 combined standard errors). The design and the Monte Carlo are replaced by stand-ins
returning given numbers, so that each branch of the criterion is exercised."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cfgmft.commands import schedule_confirm
from cfgmft.schedules import parse_schedule


def _est(mean, stderr):
    return {"mean": mean, "stderr": stderr}


@pytest.mark.parametrize("design_v,design_acc,confirmed,words", [
    (1.00, 0.90, True, "inside"),                 # in band, accuracy 0.90 vs 0.77: kept
    (1.00, 0.78, False, "separability not kept"),  # in band by switching guidance off
    (0.90, 0.90, False, "outside"),                # separable, variance not restored
])
def test_criterion(monkeypatch, design_v, design_acc, confirmed, words):
    sched = parse_schedule("negwin:3:-0.5:0.3:1:0")
    des = SimpleNamespace(schedule=sched, finite_d=None, design={"var_ratio": 0.99}, to_dict=lambda: {})
    monkeypatch.setattr(schedule_confirm, "design_schedule", lambda *a, **k: des)
    numbers = {"negwin": (design_v, design_acc), "constant": (0.80, 1.0), "constant:0": (1.0, 0.77)}

    def fake_simulate(problem, **kw):
        spec = problem.guidance.schedule.spec
        key = "negwin" if spec.startswith("negwin") else ("constant:0" if spec == "constant:0" else "constant")
        v, acc = numbers[key]
        return {"var_ratio": _est(v, 0.01), "accuracy": _est(acc, 0.01), "m_final": _est(1.2, 0.01)}

    monkeypatch.setattr(schedule_confirm, "simulate", fake_simulate)
    r = schedule_confirm.confirm("sphere", 0.3, 8)
    assert r["confirmed"] is confirmed, r["reason"]
    assert words in r["reason"]
    assert r["separability_kept"] is (design_acc > 0.77 + 3 * 2 ** 0.5 * 0.01)
