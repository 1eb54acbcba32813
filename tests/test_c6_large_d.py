"""C6's large-d cells in the report: read from the committed results of scripts/c6_large_d.py,
one verdict per cell from the one criterion, a table line per cell."""

from __future__ import annotations

import json

from cfgmft.commands.schedule_confirm import criterion
from cfgmft.reproduce import c6


def _cell(d, v, gain):
    est = lambda m, s: {"mean": m, "stderr": s}  # noqa: E731
    crit = criterion(est(v, 0.005), est(gain, 0.02))
    mc = {"design": {"var_ratio": est(v, 0.005), "accuracy": est(0.9, 0.01)},
          "unguided": {"var_ratio": est(1.0, 0.005), "accuracy": est(0.9 - gain, 0.01)}}
    return dict(cell=f"sphere_a0.3_d{d}_sde", prior="sphere", alpha=0.3, d=d, K=round(2.718281828 ** (0.3 * d)),
                sampler="sde", samples=500, disorder=4, steps=400, seed=1, precision="float64",
                schedule="negwin:3:-0.5:0.3:1:0", monte_carlo=mc,
                paired={"design - unguided: accuracy": est(gain, 0.02), "design - unguided: margin": est(0.1, 0.01)},
                predicted={"gain": 0.15}, seconds=12.0, seconds_design=3.0, seconds_monte_carlo=9.0,
                criterion="...", **crit)


def test_cells_read_judged_and_tabled(tmp_path):
    (tmp_path / "b.json").write_text(json.dumps(_cell(20, 1.0, 0.02)))
    (tmp_path / "a.json").write_text(json.dumps(_cell(12, 1.0, 0.12)))
    (tmp_path / "log.txt").write_text("not a cell")
    cells = c6.large_d_cells(tmp_path)
    assert [r["d"] for r in cells] == [12, 20]
    assert [r["confirmed"] for r in cells] == [True, False]
    lines = "\n".join(c6._large_d_lines(cells))
    assert "| sphere | 0.3 | SDE | 12 | 37 | 4 x 500 |" in lines
    assert "not confirmed: variance in band" in lines and "separability NOT kept" in lines
    checks = {k: v for k, v in
              {"large d: " + c6._cell_check(r): r["confirmed"] for r in cells}.items()}
    failed = [k for k, v in checks.items() if not v]
    assert len(failed) == 1 and "d = 20" in failed[0] and "separability kept" not in failed[0]
    assert c6.large_d_cells(tmp_path / "absent") == []
