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
