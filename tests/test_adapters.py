"""cfgmft.adapters.guidance (numpy only): tables read back, w_for_sigmas on grids that do and do
not coincide with the table's rows, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cfgmft.adapters import GuidanceTable, w_for_sigmas
from cfgmft.commands.schedule import export, export_csv
from cfgmft.errors import ParameterError
from cfgmft.grids import sigma_grid
from cfgmft.schedules import omega_function, t_of_sigma

SPEC = "negwin:3:-1:0.3:1.0"
GRID = "karras:24:0.002:80:7"


@pytest.mark.parametrize("scale", [1.0, 2.5])
def test_table_forms_agree_and_match_the_rows(scale, tmp_path):
    e = export(SPEC, GRID, data_scale=scale)
    rows_w = tuple(r["w"] for r in e["rows"])
    p = tmp_path / "table.csv"
    p.write_text(export_csv(e))
    forms = [e, json.dumps(e), export_csv(e), p, str(p)]
    tables = [GuidanceTable.from_export(f) for f in forms]
    assert all(t == tables[0] for t in tables)
    t = tables[0]
    assert t.data_scale == scale and t.steps == 24 and t.w == rows_w
    # the grid in the data's units: exact at S = 1, to the rounding of (sigma / S) * S otherwise
    np.testing.assert_allclose(t.sigmas, sigma_grid(GRID).sigmas, rtol=0 if scale == 1.0 else 4e-16, atol=0)
    # on its own grid the per-step scales are the rows, exactly
    assert np.array_equal(t.w_for_sigmas(t.sigmas), np.array(rows_w))
    assert np.array_equal(w_for_sigmas(e, t.sigmas), np.array(rows_w))
    # at the step starts, w_at_sigma reads the rows too
    assert np.array_equal(t.w_at_sigma(np.array(t.sigmas[:-1])), np.array(rows_w))


def test_w_for_sigmas_on_another_grid_reads_the_row_holding_each_midpoint():
    t = GuidanceTable.from_schedule(SPEC, GRID)
    other = sigma_grid("karras:37:0.01:60:5").sigmas
    w = t.w_for_sigmas(other)
    tt = np.asarray(t_of_sigma(other), dtype=np.float64)
    mid = 0.5 * (tt[:-1] + tt[1:])
    # the row whose interval (t_{i+1}, t_i] of the table's grid holds each midpoint
    tab_t = np.asarray(t_of_sigma(np.array(t.sigmas)), dtype=np.float64)
    rows = np.array(t.w)
    expect = []
    for m in mid:
        i = np.flatnonzero(tab_t[:-1] >= m)
        expect.append(rows[i[-1]] if i.size else rows[0])
    assert np.array_equal(w, np.array(expect))
    # and the schedule the table stands for differs from the original schedule only by the
    # per-step reading: a fine grid recovers the original schedule away from its breakpoints
    fine = GuidanceTable.from_schedule(SPEC, "karras:2000:0.002:80:7")
    w_fine = fine.w_for_sigmas(other)
    w_direct = 1.0 + omega_function(SPEC)(mid)
    away = (np.abs(mid - 0.3) > 0.01) & (np.abs(mid - 1.0) > 0.01)
    assert np.array_equal(w_fine[away], w_direct[away])


def test_w_for_sigmas_with_a_schedule_is_the_export_on_that_grid():
    g = sigma_grid(GRID)
    assert np.array_equal(w_for_sigmas(SPEC, g.sigmas), np.array([r["w"] for r in export(SPEC, GRID)["rows"]]))


@pytest.mark.parametrize("bad,match", [([1.0], "sigmas"), ([1.0, 2.0, 0.0], "sigmas"), ([3.0, np.nan, 0.0], "sigmas"),
                                       ([[1.0, 0.0]], "sigmas"), ("x", "sigmas")])
def test_bad_sigmas(bad, match):
    t = GuidanceTable.from_schedule(SPEC, GRID)
    with pytest.raises(ParameterError, match=match):
        t.w_for_sigmas(bad)


def test_bad_table():
    with pytest.raises(ParameterError, match="table"):
        GuidanceTable.from_export({"rows": []})
    with pytest.raises(ParameterError, match="sigma"):
        GuidanceTable.from_schedule(SPEC, GRID).w_at_sigma(-1.0)
