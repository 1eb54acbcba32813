"""The observables of docs/explanation/model.md section 4 as sympy expressions, defined once.

* :data:`KL_PER_DIM`: ``KL(N(M mu_c, S I) || N(mu_c, sigma2 I))/d`` with ``|mu_c|^2 = d``, in
  ``m_final``, ``var_ratio = S/sigma2`` and ``sigma2``:
  ``(var_ratio - 1 - log var_ratio + (m_final - 1)^2/sigma2)/2``. The infinite-class
  derivation (:class:`cfgmft.theory.infinite_class.InfiniteClassGaussian`) derives it from the
  Gaussian expectation and checks it against this expression.
* :data:`KL_PER_DIM_LOG`: the same expression with ``var_ratio = exp(log_var_ratio)``,
  ``exp(l) - 1`` written ``expm1(l)``: ``(expm1(l) - l + (m_final - 1)^2/sigma2)/2``. It stays
  exact where ``var_ratio`` underflows float64 (``exp(l) -> 0``: the term is negligible, ``-l``
  is kept) and has no cancellation near ``var_ratio = 1``.
* :data:`LOG_ODDS_GAUSSIAN`, :data:`LOG_ODDS_SPHERE`: the separability of the infinite-class
  limit, the per-dimension log-odds of the implicit classifier
  ``(1/d)[log P_0(x|c) - log P_0(x)]`` averaged over the generated law ``x = M mu_c + sqrt(S) xi``
  (``S = var_ratio sigma2``), where ``P_0(x)`` is the continuum unconditional density at
  ``t = 0``. Gaussian prior (``P_0(x) = N(0, (1 + sigma2) I)``), exact at every ``d`` for a
  target of squared norm ``n_c d``:
  ``-((M - 1)^2 n_c + S)/(2 sigma2) + (M^2 n_c + S)/(2 (1 + sigma2)) + log(1 + 1/sigma2)/2``.
  Sphere prior, ``d -> infinity`` (``r = M^2 + S``; the von Mises-Fisher log-partition per
  dimension tends to ``F(y) = (sqrt(1 + 4 y^2) - 1 - log((1 + sqrt(1 + 4 y^2))/2))/2`` at
  ``y = kappa/d = sqrt(r)/sigma2``): ``M/sigma2 - F(sqrt(M^2 + S)/sigma2)``. Exact sampling
  (``M = 1``, ``S = sigma2``) gives the mutual information per dimension between the class and
  the sample, ``log(1 + 1/sigma2)/2`` for the gaussian prior.
* :func:`log_variance_equations`: moment equations ``(dM/dtau, dS/dtau)`` rewritten for the
  state ``(M, log_S)``, ``d log S/dtau = (dS/dtau)/S``, with ``S = exp(log_S)`` elsewhere.
  The ODE's ``dS/dtau = 2(1 - A) S`` becomes ``2(1 - A)``; the SDE's ``2(1 - 2A) S + 2``
  becomes ``2(1 - 2A) + 2 exp(-log_S)``. An absolute error in ``log_S`` is a relative error in
  ``S``, so ``S`` keeps its relative accuracy however small it gets.
"""

from __future__ import annotations

import sympy as sp

from .functions import expm1
from .symbols import S, log_S, log_var_ratio, m_final, n_c, sigma2, var_ratio, y

__all__ = ["KL_PER_DIM", "KL_PER_DIM_LOG", "LOG_ODDS_GAUSSIAN", "LOG_ODDS_SPHERE", "VMF_LOG_PARTITION_PER_DIM",
           "log_odds_gaussian_from_expectation", "log_variance_equations"]

#: KL per dimension of the isotropic Gaussian fit, ``|mu_c|^2 = d`` (docs/explanation/model.md section 4)
KL_PER_DIM = sp.Rational(1, 2) * (var_ratio - 1 - sp.log(var_ratio) + (m_final - 1) ** 2 / sigma2)

#: the same in ``log_var_ratio`` (``log(exp(l)) = l`` for real ``l``; ``exp(l) - 1 = expm1(l)``)
#: (not expanded: ``(m_final - 1)^2`` stays a square, without cancellation near ``m_final = 1``)
KL_PER_DIM_LOG = KL_PER_DIM.subs(var_ratio, sp.exp(log_var_ratio)).subs(sp.exp(log_var_ratio),
                                                                         expm1(log_var_ratio) + 1)


_S_final = var_ratio * sigma2

#: separability, gaussian continuum: E[(1/d)(log N(x; mu_c, sigma2) - log N(x; 0, 1 + sigma2))]
LOG_ODDS_GAUSSIAN = (-((m_final - 1) ** 2 * n_c + _S_final) / (2 * sigma2)
                     + (m_final ** 2 * n_c + _S_final) / (2 * (1 + sigma2))
                     + sp.log(1 + 1 / sigma2) / 2)

#: ``lim (1/d) log E_u exp(kappa u.xhat)`` over ``u`` uniform on the unit sphere, at
#: ``kappa = d y`` (the uniform asymptote of the von Mises-Fisher log-partition)
VMF_LOG_PARTITION_PER_DIM = (sp.sqrt(1 + 4 * y ** 2) - 1 - sp.log((1 + sp.sqrt(1 + 4 * y ** 2)) / 2)) / 2

#: separability, sphere continuum, d -> infinity: ``M/sigma2 - F(sqrt(M^2 + S)/sigma2)``
LOG_ODDS_SPHERE = m_final / sigma2 - VMF_LOG_PARTITION_PER_DIM.subs(y, sp.sqrt(m_final ** 2 + _S_final) / sigma2)


def log_odds_gaussian_from_expectation():
    """:data:`LOG_ODDS_GAUSSIAN` derived afresh: the Gaussian expectation of the two
    log-densities per dimension, with ``E|x - mu_c|^2/d = (M - 1)^2 n_c + S`` and
    ``E|x|^2/d = M^2 n_c + S`` for ``x = M mu_c + sqrt(S) xi``, ``|mu_c|^2 = n_c d``
    (the normalisations ``-(1/2) log(2 pi v)`` kept)."""
    Sf = _S_final
    log_cond = -((m_final - 1) ** 2 * n_c + Sf) / (2 * sigma2) - sp.log(2 * sp.pi * sigma2) / 2
    log_unc = -(m_final ** 2 * n_c + Sf) / (2 * (1 + sigma2)) - sp.log(2 * sp.pi * (1 + sigma2)) / 2
    return log_cond - log_unc


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
