"""The comparison argument behind claim C5, and its premises checked symbolically.

Claim C5: no schedule with ``omega(t) >= 0`` prevents variance shrinkage. In every theory of
cfgmft the guided score is ``s = -A x + B mu_c`` and the orthogonal variance obeys, in backward
time ``tau``,

* SDE: ``dS/dtau = 2(1 - 2A) S + 2``;
* ODE: ``dS/dtau = 2(1 - A) S``,

from ``S = 1`` at the start. Exact sampling (``omega = 0``) has ``A_0 = 1/Gamma_t`` on every
branch and ``S = Gamma_t``, which ends at ``sigma2``. Write ``dA = A - A_0`` along the guided
trajectory, and ``u = S - Gamma_t``. Then

* SDE: ``du/dtau = 2(1 - 2A) u - 4 dA Gamma_t``, so ``u(t) = -4 int exp(int 2(1 - 2A)) dA Gamma_t``;
* ODE: ``d(log S - log Gamma_t)/dtau = -2 dA``, so ``log(var_ratio) = -2 int dA dtau``.

Both are linear in ``u`` (or ``log S``) given the realised coefficient ``A(t)``, whatever the
nonlinear dependence of ``A`` on ``r`` and whichever branch the trajectory is on. So **if
``dA >= 0`` at every time, then ``S(t) <= Gamma_t`` at every time and ``var_ratio <= 1``.**

The premise, branch by branch: with the competitors' (or the continuum's) posterior mean
written ``E[mu | x, not c] = rho x``, the unguided coefficient is ``A_u = (1 - e^{-t} rho)/Gamma_t``
and

* **uncommitted** (infinite-class limit at all times; exponential regime before ``t_commit``):
  ``A = (1 + omega)/Gamma_t - omega A_u``, hence ``dA = omega e^{-t} rho/Gamma_t``, which is
  ``>= 0`` when ``omega >= 0`` because ``rho > 0``: the posterior mean of the class means given
  ``x`` points along ``x``. Gaussian continuum ``rho = e^{-t}/G_t`` (``dA = omega e^{-2t}/(Gamma_t
  G_t)``); sphere continuum, ``d -> infinity``, ``rho`` the uniform asymptote of the von
  Mises-Fisher mean; the random energy model, ``rho = y(lambda)/sqrt(r)`` in both phases
  (``lambda = 1`` uncondensed, ``lambda_alpha`` condensed), positive for both priors;
* **committed**: ``A = 1/Gamma_t``, ``dA = 0``: guidance is inert.

The commitment time itself moves with the schedule, but that does not matter: the bound uses
only the sign of ``dA`` at each time on the realised trajectory, and that sign is ``>= 0`` on
every branch. The start ``S(T) = 1`` versus ``Gamma_T = 1 + (sigma2 - 1) e^{-2T}`` contributes
``O(e^{-2T})`` (zero in the ``T -> infinity`` limit the theory takes). A negative window makes
``dA < 0`` where ``omega < 0``, which is how it raises the variance.

What this does not cover: finite ``d`` beyond the gaussian continuum (the moment equations are
then not exact: the Monte Carlo is the judge), the random orthogonal part of the competitors'
mean in the condensed phase (dropped by the theory), and finite ``T`` with ``sigma2 < 1``
(the ``O(e^{-2T})`` start term can be positive).

:func:`premises` forms the checks (sympy, a few seconds); each entry is ``True`` when the
identity or positivity holds symbolically.
"""

from __future__ import annotations

import sympy as sp

from .symbols import G, Gamma, omega, t

__all__ = ["premises", "comparison_identities", "PREMISE_NAMES"]

#: the names of :func:`premises`' entries, in order
PREMISE_NAMES = (
    "exact sampling solves the SDE variance equation (S = Gamma_t, A = 1/Gamma_t)",
    "exact sampling solves the ODE variance equation (S = Gamma_t, A = 1/Gamma_t)",
    "SDE comparison identity: d(S - Gamma)/dtau = 2(1 - 2A)(S - Gamma) - 4 (A - 1/Gamma) Gamma",
    "ODE comparison identity: d(log S - log Gamma)/dtau = -2 (A - 1/Gamma)",
    "gaussian continuum: A - A(omega=0) = omega e^{-2t}/(Gamma_t G_t)",
    "gaussian continuum: e^{-2t}/(Gamma_t G_t) > 0",
    "sphere continuum (d -> infinity): A - A(omega=0) = omega (1/Gamma_t - A_u) with 1/Gamma_t - A_u > 0",
    "exponential regime, gaussian prior: dA = omega e^{-t} rho/Gamma_t on both uncommitted branches, rho > 0",
    "exponential regime, sphere prior: dA = omega e^{-t} rho/Gamma_t on both uncommitted branches, rho > 0",
    "exponential regime, both priors: committed A = 1/Gamma_t, dA = 0",
)


def comparison_identities() -> dict:
    """The four prior-independent identities of the argument (module docstring), as residuals
    that must simplify to 0: exact sampling solves both variance equations, and the comparison
    equations for ``S - Gamma`` (SDE) and ``log S - log Gamma`` (ODE)."""
    Gm = Gamma()
    d_dtau = lambda e: -sp.diff(e, t)  # noqa: E731  (tau = T - t)
    Sf = sp.Function("S")(t)
    Af = sp.Function("A")(t)
    rhs_sde = lambda S_, A_: 2 * (1 - 2 * A_) * S_ + 2  # noqa: E731
    rhs_ode = lambda S_, A_: 2 * (1 - A_) * S_  # noqa: E731
    out = {
        PREMISE_NAMES[0]: d_dtau(Gm) - rhs_sde(Gm, 1 / Gm),
        PREMISE_NAMES[1]: d_dtau(Gm) - rhs_ode(Gm, 1 / Gm),
        # u = S - Gamma with dS/dtau = rhs_sde(S, A) and dGamma/dtau = rhs_sde(Gamma, 1/Gamma)
        PREMISE_NAMES[2]: (rhs_sde(Sf, Af) - rhs_sde(Gm, 1 / Gm))
        - (2 * (1 - 2 * Af) * (Sf - Gm) - 4 * (Af - 1 / Gm) * Gm),
        # d log S/dtau = rhs_ode/S; d log Gamma/dtau = rhs_ode(Gamma, 1/Gamma)/Gamma
        PREMISE_NAMES[3]: (rhs_ode(Sf, Af) / Sf - rhs_ode(Gm, 1 / Gm) / Gm) - (-2 * (Af - 1 / Gm)),
    }
    return out


def _zero(expr) -> bool:
    return sp.simplify(sp.expand(expr)) == 0


_p = sp.Symbol("p", positive=True)


def _positive_in_time(expr) -> bool:
    """``expr > 0`` for every ``t > 0`` and the other symbols positive: ``t = log(1 + p)/2``
    with ``p = e^{2t} - 1 > 0`` makes ``Delta_t = p/(1 + p)`` manifestly positive."""
    e = sp.simplify(expr.subs(t, sp.log(1 + _p) / 2))
    return bool(e.is_positive) or bool(sp.factor(e).is_positive)


def premises(exponential: bool = True, continuum: bool = True, priors=("gaussian", "sphere")) -> dict:
    """Every premise of the argument (:data:`PREMISE_NAMES`) -> ``True``/``False``, checked
    with sympy. ``continuum=False`` skips the identities and the two continua,
    ``exponential=False`` the random-energy branches (slower to form); ``priors`` narrows the
    exponential-regime checks (a premise not checked is absent)."""
    if not continuum:
        return _exponential_premises(priors) if exponential else {}
    from .infinite_class import InfiniteClassGaussian, InfiniteClassSphere

    res = {name: _zero(expr) for name, expr in comparison_identities().items()}
    g = InfiniteClassGaussian()
    dA = g.A_expr - g.A_expr.subs(omega, 0)
    key = sp.exp(-2 * t) / (Gamma() * G())
    res[PREMISE_NAMES[4]] = _zero(dA - omega * key)
    res[PREMISE_NAMES[5]] = _positive_in_time(key)
    sph = InfiniteClassSphere(gaussian=g)
    dA_s = sph.A_expr - sph.A_expr.subs(omega, 0)
    gap = 1 / Gamma() - sph.A_u_expr
    # the gap is e^{-t} rho/Gamma with rho the Debye asymptote of the vMF mean: positive for
    # positive t, r, sigma2 (sympy proves it, or the check fails)
    res[PREMISE_NAMES[6]] = _zero(dA_s - omega * gap) and _positive_in_time(gap * Gamma() * sp.exp(t))
    if exponential:
        res.update(_exponential_premises(priors))
    return res


def _exponential_premises(priors) -> dict:
    from .exponential import exponential_derivation
    from .symbols import Gamma_t

    res = {}
    if True:
        for idx, prior in ((7, "gaussian"), (8, "sphere")):
            if prior not in priors:
                continue
            ex = exponential_derivation(prior)
            rho_l = ex.rem.rho_family
            ok = True
            for branch in ("uncondensed", "condensed"):
                Ab = ex.AB_display[branch][0]
                lam = [s for s in rho_l.free_symbols if s.name in ("lambda", "lam")]
                rho_b = rho_l.subs(lam[0], 1) if (branch == "uncondensed" and lam) else rho_l
                ok &= _zero(Ab - Ab.subs(omega, 0) - omega * sp.exp(-t) * rho_b / Gamma_t)
                ok &= bool(rho_b.is_positive)
            res[PREMISE_NAMES[idx]] = bool(ok)
        ok = True
        for prior in priors:
            Ac = exponential_derivation(prior).AB_display["committed"][0]
            ok &= _zero(Ac - 1 / Gamma_t) and not Ac.has(omega)
        res[PREMISE_NAMES[9]] = bool(ok)
    return res
