"""cfgmft.theory as a layer: sympy only, below the solvers, no import cycle; its registry of derivations."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import cfgmft.theory
from cfgmft.errors import ParameterError

THEORY_DIR = Path(cfgmft.theory.__file__).resolve().parent
MODULES = sorted(p.stem for p in THEORY_DIR.glob("*.py"))


def _imports(stem):
    """``[(module, names)]`` for every import statement of ``theory/<stem>.py`` (also inside functions);
    relative imports resolved to ``cfgmft.theory.<module>``."""
    tree = ast.parse((THEORY_DIR / f"{stem}.py").read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            if node.level == 0:
                out.append((node.module, names))
            elif node.level == 1 and node.module is None:  # from . import x
                out += [(f"cfgmft.theory.{name}", ()) for name in names]
            elif node.level == 1:
                out.append((f"cfgmft.theory.{node.module}", names))
            else:  # pragma: no cover - theory is one flat package
                raise AssertionError(f"{stem}: import from outside the package by a relative import")
    return out


def _graph():
    graph = {}
    for stem in MODULES:
        graph[stem] = {mod.removeprefix("cfgmft.theory.") for mod, _ in _imports(stem)
                       if mod.startswith("cfgmft.theory.")} - {stem}
    return graph


def test_no_import_cycle_between_theory_modules():
    graph = _graph()
    assert set().union(*graph.values()) <= set(MODULES)
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join(path + [nxt])
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for stem in MODULES:
        if stem not in state:
            visit(stem, [stem])


def test_no_private_names_imported_across_theory_modules():
    for stem in MODULES:
        for mod, names in _imports(stem):
            if mod.startswith("cfgmft.theory."):
                private = [n for n in names if n.startswith("_")]
                assert not private, f"{stem} imports {private} from {mod}"


def test_theory_imports_neither_numba_nor_the_layers_above():
    for stem in MODULES:
        for mod, _ in _imports(stem):
            top = mod.split(".")[0]
            assert top != "numba", f"{stem} imports {mod}"
            assert not mod.startswith(("cfgmft.solvers", "cfgmft.validation", "cfgmft.api", "cfgmft.cli")), \
                f"{stem} imports {mod}"


def test_import_costs():
    # the package itself (what the CLI imports to list the topics) needs no sympy; bridge needs no numba
    code = ("import sys, cfgmft.theory\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sympy', 'numba') or "
            "m.startswith('cfgmft.solvers')))\n"
            "import cfgmft.theory.bridge, cfgmft.theory.exponential\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'numba' or m.startswith('cfgmft.solvers')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["[]", "[]"]


def test_bridge_finds_the_generated_package_without_importing_it():
    from cfgmft.solvers import _generated
    from cfgmft.theory import bridge

    assert bridge.GENERATED_DIR == Path(_generated.__path__[0]).resolve()
    assert bridge.generated_path().is_file() and bridge.exponential_generated_path().is_file()


def test_registry_is_what_the_cli_derives(cli):
    from cfgmft.cli import build_parser
    from cfgmft.theory import DERIVATIONS, derivations
    from cfgmft.theory.rem import rem_derivation

    assert list(DERIVATIONS) == ["infinite-class", "random-energy", "exponential-class", "guidance-rules"]
    parser = build_parser()
    for topic in DERIVATIONS:
        assert parser.parse_args(["derive", "--only", topic]).only == topic
    code, _, err = cli(["derive", "--only", "bogus"])
    assert code == 2 and all(repr(topic) in err for topic in DERIVATIONS)
    with pytest.raises(ParameterError, match="only"):
        derivations("bogus")
    ders = derivations("random-energy")
    assert [type(d).__name__ for d in ders] == ["RandomEnergyGaussian", "RandomEnergySphere"]
    assert ders[0] is rem_derivation("gaussian") and ders[1] is rem_derivation("sphere")
    assert all(d.steps for d in ders)
