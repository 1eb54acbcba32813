"""The run-derived numbers of docs/guide/guidance-rules.md come from committed results files
(cheap: no Sphinx build, no run).

* every ``{{ gr_... }}`` the page uses is defined by ``docs/_scripts/tables_rules.py``, and every
  ``_generated`` file it includes is written;
* the files it reads are committed, and ``results/rules_doc_checks/rules_doc_checks.json``
  (``scripts/rules_doc_checks.py``) records for every part its commit, date and seconds;
* the recorded diffusers comparisons are within the bounds that ``tests/test_diffusers_rules.py``
  asserts on the same cases (the script runs that test's own cases);
* the tables the page includes from ``results/grid_rules`` and ``results/finite_d_rules`` are their
  scripts' own, from the committed JSON;
* the values "at cfg's Monte Carlo margin" that the page quotes from ``results/rules_frontier/
  rules_frontier.md`` belong to the committed cells (the generator refuses a stale table);
* every ``gr_...`` substitution the generator defines is used on a page.

(That no substitution sits inside a code span, on any page, is in ``tests/test_docs_generated.py``.)
"""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "guide" / "guidance-rules.md"
CHECKS = "results/rules_doc_checks/rules_doc_checks.json"


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    here = str(ROOT / "docs" / "_scripts")
    sys.path.insert(0, here)
    try:
        spec = importlib.util.spec_from_file_location("tables_rules_under_test", ROOT / "docs" / "_scripts" / "tables_rules.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mod.OUT = tmp_path_factory.mktemp("generated")
        mod.main()
        mod.SUBS = mod.substitutions()
    finally:
        sys.path.remove(here)
    return mod


def test_every_number_the_page_quotes_is_generated(rules):
    used = set(re.findall(r"\{\{\s*(gr_\w+)\s*\}\}", PAGE.read_text()))
    assert used, "the page quotes no generated number"
    assert used <= set(rules.SUBS), sorted(used - set(rules.SUBS))
    assert all(isinstance(v, str) and v and "nan" not in v for v in rules.SUBS.values())
    for name in re.findall(r"```\{include\}\s+\S*_generated/([\w.-]+\.md)", PAGE.read_text()):
        assert (rules.OUT / name).exists(), name


def test_the_files_read_are_committed_and_the_checks_record_their_run():
    import json

    committed = set(subprocess.run(["git", "ls-files", "--", "results"], cwd=ROOT, capture_output=True, text=True,
                                   check=True).stdout.split())
    cells = [f"results/rules_frontier/{c}.json" for c in ("below_a0.3_d20_sde", "above_a0.75_d10_ode")]
    for rel in [CHECKS, "results/rules_frontier/rules_frontier.md", "results/rules/rules_table.json",
                "results/grid_rules/table.json", "results/c6_large_d/sphere_a0.3_d20_ode.json", *cells]:
        assert rel in committed, f"{rel} is read by docs/_scripts/tables_rules.py but not committed (git add -f)"
    data = json.loads((ROOT / CHECKS).read_text())
    spec = importlib.util.spec_from_file_location("rules_doc_checks_under_test", ROOT / "scripts" / "rules_doc_checks.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert set(data["parts"]) == set(script.PARTS)
    for name, part in data["parts"].items():
        assert re.fullmatch(r"[0-9a-f]{7,}", part["commit"]) and part["date"] and part["seconds"] > 0, name
    assert data["libraries"]["diffusers"].startswith("0.42")


def test_the_recorded_diffusers_comparisons_meet_the_tests_bounds():
    import json

    parts = json.loads((ROOT / CHECKS).read_text())["parts"]
    for row in parts["diffusers_loop"]["rows"].values():
        for case, c in row["cases"].items():
            assert c["per_step_rel"] <= c["test_tolerance"], case
            assert c["final_abs_diff"] <= 1e-5 * c["final_scale"], case
    for spec, c in parts["diffusers_grid_options"]["rows"].items():
        assert c["final_abs_diff"] <= 1e-5 * c["final_scale"], spec
    dp = parts["diffusers_prediction"]
    for spec, r in dp["rows"].items():
        slack = dp["test_finite_d_c"][spec] / dp["d"]
        for k in ("m", "var_ratio"):
            assert abs(r[k][0] - r[f"{k}_predicted"]) <= 3 * r[k][1] + slack, (spec, k)


def test_every_generated_number_is_used(rules):
    """No ``gr_...`` substitution is defined that no page uses (a number nobody reads is not checked by
    reading it either: drop it from the generator)."""
    used = set()
    for page in (ROOT / "docs").rglob("*.md"):
        if "_build" not in page.parts and "jupyter_execute" not in page.parts:
            used |= set(re.findall(r"\{\{\s*(gr_\w+)\s*\}\}", page.read_text()))
    assert not set(rules.SUBS) - used, sorted(set(rules.SUBS) - used)


@pytest.mark.parametrize("script,folder", [("grid_rules_table", "grid_rules"), ("finite_d_rules", "finite_d_rules")])
def test_the_included_rule_tables_are_their_scripts_own(script, folder):
    """``results/grid_rules/table.md`` and ``results/finite_d_rules/table.md``, which the page includes,
    are what their scripts' writers make from the committed JSON beside them (not hand-edited, not stale)."""
    import json

    spec = importlib.util.spec_from_file_location(f"{script}_under_test", ROOT / "scripts" / f"{script}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    data = json.loads((ROOT / "results" / folder / "table.json").read_text())
    assert (ROOT / "results" / folder / "table.md").read_text().startswith(mod.table(data["rows"]) + "\n\n")
