"""The observables of docs/model.md section 4 as sympy expressions, defined once.

* :data:`KL_PER_DIM`: ``KL(N(M mu_c, S I) || N(mu_c, sigma2 I))/d`` with ``|mu_c|^2 = d``, in
  ``m_final``, ``var_ratio = S/sigma2`` and ``sigma2``:
  ``(var_ratio - 1 - log var_ratio + (m_final - 1)^2/sigma2)/2``. The infinite-class
  derivation (:class:`cfgmft.theory.infinite_class.InfiniteClassGaussian`) derives it from the
  Gaussian expectation and checks it against this expression.
* :data:`KL_PER_DIM_LOG`: the same expression with ``var_ratio = exp(log_var_ratio)``,
  ``exp(l) - 1`` written ``expm1(l)``: ``(expm1(l) - l + (m_final - 1)^2/sigma2)/2``. It stays
  exact where ``var_ratio`` underflows float64 (``exp(l) -> 0``: the term is negligible, ``-l``
  is kept) and has no cancellation near ``var_ratio = 1``.
* :func:`log_variance_equations`: moment equations ``(dM/dtau, dS/dtau)`` rewritten for the
  state ``(M, log_S)``, ``d log S/dtau = (dS/dtau)/S``, with ``S = exp(log_S)`` elsewhere.
  The ODE's ``dS/dtau = 2(1 - A) S`` becomes ``2(1 - A)``; the SDE's ``2(1 - 2A) S + 2``
  becomes ``2(1 - 2A) + 2 exp(-log_S)``. An absolute error in ``log_S`` is a relative error in
  ``S``, so ``S`` keeps its relative accuracy however small it gets.
"""

from __future__ import annotations

import sympy as sp

from .functions import expm1
from .symbols import S, log_S, log_var_ratio, m_final, sigma2, var_ratio

__all__ = ["KL_PER_DIM", "KL_PER_DIM_LOG", "log_variance_equations"]

#: KL per dimension of the isotropic Gaussian fit, ``|mu_c|^2 = d`` (docs/model.md section 4)
KL_PER_DIM = sp.Rational(1, 2) * (var_ratio - 1 - sp.log(var_ratio) + (m_final - 1) ** 2 / sigma2)

#: the same in ``log_var_ratio`` (``log(exp(l)) = l`` for real ``l``; ``exp(l) - 1 = expm1(l)``)
#: (not expanded: ``(m_final - 1)^2`` stays a square, without cancellation near ``m_final = 1``)
KL_PER_DIM_LOG = KL_PER_DIM.subs(var_ratio, sp.exp(log_var_ratio)).subs(sp.exp(log_var_ratio),
                                                                         expm1(log_var_ratio) + 1)


def log_variance_equations(rhs):
    """``(dM/dtau, d log_S/dtau)`` from ``(dM/dtau, dS/dtau)``, ``S -> exp(log_S)`` throughout.

    Pass the moment equations in the coefficient symbols (``A``, ``B``) and substitute explicit
    coefficients afterwards: the division by ``S`` then cancels termwise before anything
    explicit enters.
    """
    dM, dS = rhs
    dlog = sp.expand(dS / S)
    to_log = {S: sp.exp(log_S)}
    return sp.sympify(dM).subs(to_log), dlog.subs(to_log)
