"""Sphinx configuration of the cfgmft documentation.

Build: ``sphinx-build -W -b html docs docs/_build/html`` (after ``pip install -e ".[docs]"``).
Sphinx with pydata-sphinx-theme, napoleon and myst-nb, as numpy, scipy and sympy document: the
module docstrings are already reference text, and myst-nb reads the jupytext notebooks.

Before the build this file runs the generators of ``docs/_scripts/``: the notebooks are copied
into ``docs/tutorials/`` (executed by myst-nb in quick mode, ``CFGMFT_QUICK=1``), and the
results tables are written from the committed results files, and the numbers the prose quotes from
those files are handed to MyST as substitutions (``{{ name }}``). Nothing generated is committed.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_scripts"))

import generate  # noqa: E402  (docs/_scripts/generate.py)
import results_tables  # noqa: E402  (docs/_scripts/results_tables.py)

generate.main()

# the notebooks run in quick mode and draw inline (a kernel inherits this environment)
os.environ["CFGMFT_QUICK"] = "1"
os.environ.pop("MPLBACKEND", None)

project = "cfgmft"
author = "cfgmft contributors"
copyright = "cfgmft contributors, MIT licence"
try:
    from cfgmft import __version__ as release
except Exception:  # pragma: no cover
    release = "0.1.0"
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served from the site itself: equations render offline
    "sphinxarg.ext",
    "myst_nb",
]

# Markdown pages (MyST) and the notebooks, jupytext py:percent sources
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
nb_custom_formats = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
# pages whose name starts with "_" are pieces that other pages include, not pages of their own
exclude_patterns = ["_build", "_scripts", "conf.py", "full_run", "figures", "jupyter_execute", "**/_*.md",
                    "**/_generated", "**/.ipynb_checkpoints"]

myst_enable_extensions = ["dollarmath", "colon_fence", "deflist", "substitution"]
# the numbers of a run that the prose quotes, read from the committed results files at every build
# (a page writes {{ name }}; the names and their files: results_tables.substitutions)
myst_substitutions = results_tables.substitutions()
myst_heading_anchors = 3

# every notebook is executed once per build, in quick mode; a cell error fails the build
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

autosummary_generate = True
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_numpy_docstring = True
napoleon_google_docstring = False


html_theme = "pydata_sphinx_theme"
html_title = f"cfgmft {release}"
html_static_path = []
html_theme_options = {
    "navigation_depth": 3,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_show_sourcelink = False

# the optional extras' libraries are not needed to document the modules that use them; scipy.stats
# is imported first, unmocked, since scipy probes for torch at import and a mocked torch breaks it
import scipy.stats  # noqa: E402,F401

autodoc_mock_imports = ["torch", "diffusers"]
nb_execution_in_temp = True

# linkcheck (docs/check_site.sh) checks the internal links only: no network is assumed
linkcheck_ignore = [r"https?://.*"]
