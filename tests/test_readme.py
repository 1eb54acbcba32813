"""The README: it opens with the two commands, and its Python quickstart runs."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang=None):
    text = README.read_text()
    return [m.group(2) for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S) if lang is None or m.group(1) == lang]


def test_opens_with_exactly_two_commands():
    text = README.read_text()
    first = _blocks()[0]
    lines = [ln for ln in first.splitlines() if ln.strip()]
    assert len(lines) == 2
    assert "cfgmft reproduce --quick" in lines[0] and "pip install" in lines[0]
    assert "pytest" in lines[1] and '".[test]"' in lines[1]
    assert text.index("```") < text.index("\n## ")  # before any section


def test_python_quickstart_runs():
    code = [b for b in _blocks("python") if "predict" in b][0]
    exec(compile(code, "README quickstart", "exec"), {})


def test_the_c6_counts_in_the_claims_table_are_the_committed_cells():
    """The README's C6 row quotes the large-d cells' verdicts: they must be the committed files'."""
    import glob
    import json

    root = README.parent
    cells = [json.load(open(f)) for f in glob.glob(str(root / "results" / "c6_large_d" / "*.json"))]
    row = next(ln for ln in README.read_text().splitlines() if ln.startswith("| C6"))
    m = re.search(r"(\d+) of (\d+) cells", row)
    assert m, row
    assert (int(m.group(1)), int(m.group(2))) == (sum(bool(c["confirmed"]) for c in cells), len(cells))


def test_the_quick_run_time_is_the_committed_runs():
    """The README's CPU time of ``cfgmft reproduce --quick`` is the committed run's
    (results/reproduce_quick/time.txt, the ``/usr/bin/time -v`` record), in whole minutes."""
    t = (README.parent / "results" / "reproduce_quick" / "time.txt").read_text()
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", t).group(1)) for k in ("User", "System"))
    m = re.search(r"about (\d+) minutes of CPU time", README.read_text())
    assert m, "the README states no quick-run time"
    assert int(m.group(1)) == round(cpu / 60), (m.group(0), cpu)
