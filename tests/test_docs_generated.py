"""The numbers of a run in the docs come from committed results files, and what the pages include
is there and current (cheap: no Sphinx build, the generators only).

* Every ``{include}`` of ``_generated/NAME.md`` in ``docs/`` is written by
  ``docs/_scripts/results_tables.py`` (which the build runs first, so those files cannot be stale);
  every ``{{ name }}`` substitution a page uses is one that module defines, and none sits inside a
  code span (MyST would print its name).
* Every results file the generators read is committed (``git ls-files``): the provenance line of a
  generated table never says "not committed".
* The two Markdown tables that scripts write beside their JSON and that pages include directly
  (``results/rules/rules_table.md``, ``results/grid_design_steps/grid_design_steps.md``) are what
  the scripts' own writers make from the committed JSON now: a JSON rerun without its table, or a
  hand edit of the table, fails here.
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [p for p in DOCS.rglob("*.md") if "_build" not in p.parts and "jupyter_execute" not in p.parts]


def _module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    sys.path.insert(0, str(DOCS / "_scripts"))
    try:
        mod = _module("results_tables_under_test", DOCS / "_scripts" / "results_tables.py")
    finally:
        sys.path.remove(str(DOCS / "_scripts"))
    mod.OUT = tmp_path_factory.mktemp("generated")
    mod.main()
    return mod


def _committed() -> set[str]:
    out = subprocess.run(["git", "ls-files", "--", "results", "docs/full_run"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return set(out.split())


def test_every_generated_include_is_written(tables):
    written = {p.name for p in tables.OUT.glob("*.md")}
    included = set()
    for page in PAGES:
        for name in re.findall(r"```\{include\}\s+\S*_generated/([\w.-]+\.md)", page.read_text()):
            included.add(name)
            assert name in written, f"{page.relative_to(ROOT)} includes _generated/{name}, which no generator writes"
    assert {"c6_large_d.md", "c6_large_d_summary.md", "c6_large_d_trend.md", "claims.md"} <= included


def test_every_substitution_is_defined(tables):
    subs = tables.substitutions()
    used = set()
    for page in PAGES:
        for name in re.findall(r"\{\{\s*(\w+)\s*\}\}", page.read_text()):
            used.add(name)
            assert name in subs, f"{page.relative_to(ROOT)} uses {{{{ {name} }}}}, not defined in results_tables.substitutions"
    assert used, "no page uses a generated number"
    assert all(isinstance(v, str) and v for v in subs.values())


def test_no_substitution_sits_in_a_code_span():
    """MyST leaves ``{{ name }}`` literal inside backticks: a number put there would show its name.
    Every page under ``docs/``; fenced blocks are left out (a code span is inline)."""
    bad = []
    for page in PAGES:
        text = re.sub(r"(```|~~~).*?\1", "", page.read_text(), flags=re.S)
        for para in text.split("\n\n"):
            inside = para.split("`")[1::2]
            bad += [f"{page.relative_to(ROOT)}: `{s}`" for s in inside if "{{" in s]
    assert not bad, "\n".join(bad)


def test_the_generated_tables_come_from_committed_files(tables):
    for path in tables.OUT.glob("*.md"):
        text = path.read_text()
        # provenance() writes "(not committed)", the per-cell lists "**not committed**"
        assert "(not committed)" not in text and "**not committed**" not in text, f"{path.name}: {text[:300]}"
        assert "committed in `" in text, f"{path.name} states no commit"
    committed = _committed()
    read = re.findall(r"`((?:results|docs/full_run)/[\w./-]+\.(?:json|json\.gz|md))`",
                      "\n".join(p.read_text() for p in tables.OUT.glob("*.md")))
    assert "docs/full_run/results.json.gz" in read and "results/c6_d12/confirm_d12.json" in read
    for rel in read:
        assert rel in committed, f"{rel} is read by the docs but not committed (git add -f)"


def test_the_c6_large_d_table_is_the_scripts_own(tables):
    script = _module("c6_large_d_script_under_test", ROOT / "scripts" / "c6_large_d.py")
    table = script.table(str(ROOT / "results" / "c6_large_d"))
    assert table in (tables.OUT / "c6_large_d.md").read_text()
    cells = sorted((ROOT / "results" / "c6_large_d").glob("*.json"))
    assert len(table.splitlines()) == 2 + len(cells)


def test_the_committed_markdown_tables_are_current():
    rules = ROOT / "results" / "rules"
    if (rules / "rules_table.json").exists():
        mod = _module("rules_table_under_test", ROOT / "scripts" / "rules_table.py")
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            mod.write_markdown(json.loads((rules / "rules_table.json").read_text()), str(Path(tmp) / "t.md"))
            assert (Path(tmp) / "t.md").read_text() == (rules / "rules_table.md").read_text(), \
                "results/rules/rules_table.md is stale: python scripts/rules_table.py --markdown-only"
    grid = ROOT / "results" / "grid_design_steps"
    if (grid / "grid_design_steps.json").exists():
        mod = _module("grid_design_steps_under_test", ROOT / "scripts" / "grid_design_steps.py")
        results = json.loads((grid / "grid_design_steps.json").read_text())["cases"]
        assert mod._markdown(results) == (grid / "grid_design_steps.md").read_text(), \
            "results/grid_design_steps/grid_design_steps.md is stale against its JSON"


def test_the_topic_modules_read_committed_files(tables):
    """Every results path named in a topic module (docs/_scripts/tables_*.py) is committed, or is a
    folder holding committed files; each module's numbers are substitutions or included tables."""
    committed = _committed()
    mods = sorted((DOCS / "_scripts").glob("tables_*.py"))
    assert mods, "no topic module"
    for mod in mods:
        for rel in set(re.findall(r"[\"'`]((?:results|docs/full_run)/[\w./-]*\w)", mod.read_text())):
            if re.search(r"\b[A-Z]{3,}\b", rel):  # a placeholder in a docstring (results/x/PART.json)
                continue
            ok = rel in committed or any(c.startswith(rel.rstrip("/") + "/") for c in committed)
            assert ok, f"{mod.name} reads {rel}, which is not committed (git add -f)"


#: how a page used to label a number typed by hand from a run whose output was not committed
HAND_TYPED = re.compile(r"quoted from|quoted, not regenerated|not regenerated|\(quoted\b|, quoted\b|quoted:",
                        re.IGNORECASE)


def test_no_page_quotes_a_run_by_hand():
    """The numbers of a run come from committed results files: no page labels one as quoted."""
    found = []
    for page in PAGES:
        if "_generated" in page.parts:
            continue
        for i, line in enumerate(page.read_text().splitlines(), 1):
            if HAND_TYPED.search(line):
                found.append(f"{page.relative_to(ROOT)}:{i}: {line.strip()[:120]}")
    assert not found, "numbers quoted by hand:\n" + "\n".join(found)
