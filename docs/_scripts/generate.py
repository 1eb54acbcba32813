"""Write the generated pages of the docs before Sphinx reads them (run by ``docs/conf.py``).

* ``docs/tutorials/<name>.py``: copies of the jupytext notebooks of ``notebooks/`` (the one
  source), which myst-nb executes in quick mode;
* ``docs/reference/api.rst``: the autosummary of every public module of cfgmft;
* ``docs/results/_generated/*.md``: the claims and benchmark tables, from the committed results
  files (``docs/full_run/``, ``results/``) with the commit and date each came from
  (:mod:`results_tables`).

Nothing written here is committed (``.gitignore``); every build writes it afresh.
"""

from __future__ import annotations

import pkgutil
import shutil
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent

#: the packages whose modules the API reference lists, in the order of the layers (top first)
PACKAGES = ["cfgmft", "cfgmft.commands", "cfgmft.adapters", "cfgmft.reproduce", "cfgmft.theory",
            "cfgmft.solvers", "cfgmft.validation"]
#: modules left out of the API reference: generated code and compiled kernels
SKIP = {"cfgmft.__main__", "cfgmft.solvers._generated", "cfgmft.validation._fastexp_jit"}


def copy_notebooks() -> list[str]:
    out = DOCS / "tutorials"
    names = []
    for src in sorted((ROOT / "notebooks").glob("*.py")):
        dst = out / src.name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
        names.append(src.stem)
    for stale in out.glob("*.py"):  # a notebook removed from notebooks/
        if stale.stem not in names:
            stale.unlink()
    return names


#: modules that need torch or diffusers (the ``diffusers`` extra); Sphinx mocks those libraries
#: where they are missing, and imports these last so that the mocks touch nothing else
NEEDS_TORCH = ("cfgmft.adapters", "cfgmft.validation.torch_backend")


def api_modules() -> list[str]:
    import importlib

    mods = []
    for pkg in PACKAGES:
        mods.append(pkg)
        p = importlib.import_module(pkg)
        for info in pkgutil.iter_modules(p.__path__):
            name = f"{pkg}.{info.name}"
            if info.ispkg or name in SKIP or name in PACKAGES:
                continue
            mods.append(name)
    mods = [m for m in mods if m not in SKIP]
    return [m for m in mods if not m.startswith(NEEDS_TORCH)] + [m for m in mods if m.startswith(NEEDS_TORCH)]


def write_api() -> None:
    mods = api_modules()
    lines = [
        ".. This file is written by docs/_scripts/generate.py at every build; do not edit.",
        "",
        "Python API",
        "==========",
        "",
        "Every public module of cfgmft, from its docstrings (the layers top to bottom:",
        ":doc:`../explanation/architecture`). Start with :mod:`cfgmft.api` (``predict``,",
        "``simulate``, ``design_schedule``, ...), :mod:`cfgmft.params` (the problem objects) and",
        ":mod:`cfgmft.schedules` (the schedule grammar).",
        "",
    ]
    groups = {}
    for m in mods:
        top = m if m in PACKAGES else m.rsplit(".", 1)[0]
        groups.setdefault(top, []).append(m)
    sections = [(p, [m for m in groups.get(p, []) if not m.startswith(NEEDS_TORCH)])
                for p in PACKAGES if p != "cfgmft.adapters"]
    sections.append(("cfgmft.adapters", groups.get("cfgmft.adapters", [])))
    sections.append(("cfgmft.validation.torch_backend", ["cfgmft.validation.torch_backend"]))
    for title, members in sections:
        title = f"``{title}``"
        lines += [title, "-" * len(title), "", ".. autosummary::", "   :toctree: generated", ""]
        lines += [f"   {m}" for m in members]
        lines.append("")
    text = "\n".join(lines)
    path = DOCS / "reference" / "api.rst"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def main() -> None:
    copy_notebooks()
    write_api()
    import results_tables

    results_tables.main()


if __name__ == "__main__":
    main()
