"""Symbolic theory of classifier-free guidance (sympy only; never numba).

* :mod:`cfgmft.theory.symbols` -- the shared symbols and ``Delta``, ``Gamma``, ``G``;
* :mod:`cfgmft.theory.derivation` -- :class:`Derivation`, a derivation as an ordered list of
  named symbolic steps (text, LaTeX and JSON export);
* :mod:`cfgmft.theory.infinite_class` -- exact CFG in the infinite-class limit:
  :class:`InfiniteClassGaussian` (exact at any ``d``) and :class:`InfiniteClassSphere`
  (``d -> infinity`` mean-field);
* :mod:`cfgmft.theory.bridge` -- sympy -> numpy/scipy source of
  ``cfgmft.solvers._generated.infinite_class`` (imported on demand).

Derivations are formed when constructed (a few seconds of sympy); importing this package
only imports sympy.
"""

from . import symbols
from .derivation import Derivation, Step
from .infinite_class import InfiniteClassGaussian, InfiniteClassSphere

__all__ = ["symbols", "Derivation", "Step", "InfiniteClassGaussian", "InfiniteClassSphere"]
