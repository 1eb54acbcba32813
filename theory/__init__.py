"""Symbolic theory of classifier-free guidance (sympy only; never numba).

* :mod:`cfgmft.theory.symbols` -- the shared symbols and ``Delta``, ``Gamma``, ``G``;
* :mod:`cfgmft.theory.derivation` -- :class:`Derivation`, a derivation as an ordered list of
  named symbolic steps (text, LaTeX and JSON export);
* :mod:`cfgmft.theory.checks` -- the identity checks the derivations run when formed;
* :mod:`cfgmft.theory.observables` -- the KL per dimension (in ``var_ratio`` and in
  ``log_var_ratio``), defined once, and the moment equations rewritten in ``log S``;
* :mod:`cfgmft.theory.infinite_class` -- exact CFG in the infinite-class limit:
  :class:`InfiniteClassGaussian` (exact at any ``d``) and :class:`InfiniteClassSphere`
  (``d -> infinity`` mean-field);
* :mod:`cfgmft.theory.rem` -- the competitors as a random energy model;
* :mod:`cfgmft.theory.exponential` -- ``K - 1 = exp(alpha d)`` classes as ``d -> infinity``;
* :mod:`cfgmft.theory.registry` -- :data:`DERIVATIONS` (topic -> factory) and
  :func:`derivations`, what ``cfgmft derive`` prints;
* :mod:`cfgmft.theory.bridge` -- sympy -> Python source of the modules in
  ``solvers/_generated`` (``python -m cfgmft.theory.bridge [--check]``).

Derivations are formed when constructed (a few seconds of sympy); results are attributes of
the derivation objects, numerics are left to the caller. Importing this package imports
only the registry: the names below are loaded from their modules (and sympy with them) on
first access, so listing the topics costs nothing.
"""

from __future__ import annotations

import importlib

from .registry import DERIVATIONS, derivations

__all__ = ["symbols", "Derivation", "Step", "InfiniteClassGaussian", "InfiniteClassSphere",
           "DERIVATIONS", "derivations"]

#: public name -> submodule defining it
_LAZY = {
    "Derivation": "derivation",
    "Step": "derivation",
    "InfiniteClassGaussian": "infinite_class",
    "InfiniteClassSphere": "infinite_class",
}
_SUBMODULES = ("bridge", "checks", "derivation", "exponential", "functions", "infinite_class", "observables",
               "nogo", "registry", "rem", "symbols")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
