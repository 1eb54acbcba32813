"""The notebooks are jupytext py:percent sources; each is converted with jupytext and executed
top to bottom in a real Jupyter kernel (nbclient) in quick mode (CFGMFT_QUICK=1). A cell
error fails the test; so does a notebook without a rendered equation or an inline figure,
and the whole set running past its time budget."""

import os
import time
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))
#: the whole set, in seconds (CI on an idle 2-core machine: about a minute)
TOTAL_BUDGET = 420.0
#: one cell, in seconds
CELL_TIMEOUT = 300
_spent = [0.0]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


def _outputs(nb, key):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if key in o.get("data", {})]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_in_a_kernel(path, tmp_path, monkeypatch):
    assert _spent[0] < TOTAL_BUDGET, f"the notebooks have used {_spent[0]:.0f} s of their {TOTAL_BUDGET:.0f} s"
    text = path.read_text()
    assert "format_name: percent" in text, "not a jupytext py:percent source"
    nb = jupytext.reads(text, fmt="py:percent")
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 3, "a notebook explains what it computes"
    monkeypatch.setenv("CFGMFT_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the notebooks draw inline
    t0 = time.perf_counter()
    try:
        client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                         resources={"metadata": {"path": str(tmp_path)}})
        client.execute()  # raises CellExecutionError on the first cell that fails
    finally:
        _spent[0] += time.perf_counter() - t0
    assert _outputs(nb, "image/png"), "no inline figure"
    assert _outputs(nb, "text/latex"), "no equation rendered from the derivations"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    print(f"{path.name}: {time.perf_counter() - t0:.1f} s")
