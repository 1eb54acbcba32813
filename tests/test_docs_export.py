"""The run numbers of docs/guide/diffusers.md and docs/howto/design-and-export.md come from
committed files of ``scripts/export_doc_checks.py`` (cheap: the generator only, no run, no Sphinx).

* every part of the script has its committed file, with its commit and command;
* ``docs/_scripts/tables_export.py`` reads them and yields its ``ex_`` substitutions and includes;
* the two pages use the generated numbers (no value of a substitution of theirs is typed beside it).
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [DOCS / "guide" / "diffusers.md", DOCS / "howto" / "design-and-export.md"]


def _module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _tables():
    sys.path.insert(0, str(DOCS / "_scripts"))
    try:
        return _module("tables_export", DOCS / "_scripts" / "tables_export.py")
    finally:
        sys.path.remove(str(DOCS / "_scripts"))


def test_every_part_has_a_committed_file():
    script = _module("export_doc_checks_under_test", ROOT / "scripts" / "export_doc_checks.py")
    committed = set(subprocess.run(["git", "ls-files", "--", "results/export_doc_checks"], cwd=ROOT,
                                   capture_output=True, text=True, check=True).stdout.split())
    for name in script.PARTS:
        rel = f"results/export_doc_checks/{name}.json"
        assert rel in committed, f"{rel} is not committed (python scripts/export_doc_checks.py --only {name}; git add -f)"
        rec = json.loads((ROOT / rel).read_text())
        assert rec["command"] == f"python scripts/export_doc_checks.py --only {name}"
        assert rec["commit"] and rec["commit"] != "unknown" and rec["result"]


def test_the_pages_use_the_generated_numbers(tmp_path):
    mod = _tables()
    mod.OUT = tmp_path
    mod.main()
    subs = mod.substitutions()
    assert subs and all(k.startswith("ex_") and isinstance(v, str) and v for k, v in subs.items())
    used = set()
    for page in PAGES:
        text = page.read_text()
        used |= set(re.findall(r"\{\{\s*(ex_\w+)\s*\}\}", text))
        for name in re.findall(r"```\{include\}\s+\S*_generated/(ex_[\w.-]+\.md)", text):
            assert (tmp_path / name).exists(), name
    assert used <= set(subs), sorted(used - set(subs))
    unused = set(subs) - used
    assert not unused, f"substitutions no page uses: {sorted(unused)}"
    # the warning shown is the one the export printed
    warning = json.loads((ROOT / "results/export_doc_checks/design.json").read_text())["result"]["export30"]["stderr"]
    assert warning.strip() in (tmp_path / "ex_export_warning.md").read_text()
