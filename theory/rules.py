"""Guidance rules in the order parameters of the ``d -> infinity`` theory (sympy only).

One :class:`RuleMeanField` per rule of :mod:`cfgmft.guidance` (``cfg``, ``powerlaw``, ``apg``,
``zerostar``, ``rescale``). The derivation, for both regimes (the infinite-class limit and the
exponential regime before commitment; after commitment ``c = u`` and every rule returns the
conditional score):

1. The target is not committed, so the unconditional posterior mean is the competitors',
   ``E = rho x`` with a scalar ``rho(t, r)`` (the random-energy model's, or the continuum's,
   :mod:`cfgmft.theory.exponential`).
2. Vectors of ``span{mu_c, x}`` are written by their coefficients in the basis ``(mu_c, x)``; their
   inner products per dimension are given by the Gram matrix ``[[1, M], [M, r]]`` with
   ``M = x.mu_c/d``, ``r = |x|^2/d = M^2 + S`` and ``|mu_c|^2/d = 1``. These concentrate: for
   deterministic coefficients they are sums of ``d`` terms divided by ``d``, and the order
   parameters' own fluctuations are ``O(d^{-1/2})``. The mean over the coordinates of such a vector
   is ``O(d^{-1/2})`` (the coordinates of ``mu_c`` and of ``x`` have no common offset): ``rescale``'s
   ``std`` over coordinates is the RMS norm.
3. Both predictions of a rule in its space, with the space's affine coefficients ``(a, b)``
   (:func:`cfgmft.guidance.space_coefficients`): ``c = a mu_c + b x``, ``u = a E + b x``, so
   ``Delta = c - u = a (mu_c - E)`` stays in the span, and so does every rule's output (sums of
   the two, projections on ``c``, scalings by norms).
4. The guided target ``M_g = mu_c + (g - c)/a`` and the score
   ``s = (e^{-t} M_g - x)/Gamma_t = -A x + B mu_c``: ``A = (1 - e^{-t} [M_g]_x)/Gamma_t``,
   ``B = e^{-t} [M_g]_mu/Gamma_t``. ``(g - c)/a`` is formed with ``a`` factored out by hand
   (``Delta = a delta``, ``delta = mu_c - E``), so that no ``0/0`` appears where ``a -> 0``.
5. The moment equations of :class:`cfgmft.theory.exponential.ExponentialClassMeanField` in
   ``(A, B)`` close on ``(M, S)``.

``zerostar`` and ``rescale`` are scale invariant, so their eps space is worked in the score space
(``a = e^{-t}/Gamma_t > 0`` at every ``t``); ``powerlaw`` acts in the score space and ``apg`` in the
EDM denoiser space (``a = Delta_t/Gamma_t``), as :mod:`cfgmft.guidance` defines them. Checked
when formed: each rule at its ``cfg`` parameters gives ``cfg``'s ``(A, B)``, and ``cfg``'s
``(A, B)`` equal the exponential derivation's uncommitted ones.
"""

from __future__ import annotations

import sympy as sp

from . import symbols as sy
from .checks import require_zero
from .derivation import Derivation

__all__ = ["RuleMeanField", "RULE_KINDS", "RULE_PARAMS", "rule_derivation", "beta", "eta", "apg_r", "phi", "rho"]

#: the rules, in the order of the solvers' integer codes
RULE_KINDS = ("cfg", "powerlaw", "apg", "zerostar", "rescale")
beta = sp.Symbol("beta", real=True)
eta = sp.Symbol("eta", real=True)
apg_r = sp.Symbol("apg_r", nonnegative=True)
phi = sp.Symbol("phi", nonnegative=True)
#: the competitors' (or the continuum's) posterior mean is ``rho x``
rho = sp.Symbol("rho", positive=True)
#: each rule's parameters, in the order of the solvers' parameter slots ``(p1, p2)``
RULE_PARAMS = {"cfg": (), "powerlaw": (beta,), "apg": (eta, apg_r), "zerostar": (), "rescale": (phi,)}
#: where each rule reduces to cfg
_CFG_POINT = {"cfg": {}, "powerlaw": {beta: 0}, "apg": {eta: 1, apg_r: 0}, "rescale": {phi: 0}}


class RuleMeanField(Derivation):
    """The guided score of one rule in the order parameters (module docstring).

    Attributes set by :meth:`form`: ``A``, ``B`` (of ``s = -A x + B mu_c``, explicit in ``t``,
    ``sigma2``, ``M``, ``S``, ``omega``, ``rho`` and the rule's parameters :data:`RULE_PARAMS`),
    ``M_g`` (the guided target's coefficients on ``(mu_c, x)``), ``params``.
    """

    def __init__(self, kind: str = "cfg", *, form: bool = True):
        if kind not in RULE_KINDS:
            raise ValueError(f"kind must be one of {RULE_KINDS}, got {kind!r}")
        self.kind = kind
        self.params = RULE_PARAMS[kind]
        self.title = f"Guidance rule {kind} in the d -> infinity order parameters"
        super().__init__(form=form)

    def _form(self) -> None:
        t, s2, w, M, S = sy.t, sy.sigma2, sy.omega, sy.M, sy.S
        Gam = sy.Gamma()
        r = M**2 + S
        gram = sp.Matrix([[1, M], [M, r]])

        def dot(a, b):
            return sp.expand((a.T * gram * b)[0, 0])

        mu = sp.Matrix([1, 0])
        x = sp.Matrix([0, 1])
        E = rho * x
        delta = mu - E
        self.add_step("frame", "vectors of span{mu_c, x} by their coefficients on (mu_c, x); inner products per "
                               "dimension by the Gram matrix (|mu_c|^2/d = 1, x.mu_c/d = M, |x|^2/d = M^2 + S)",
                      (sp.Eq(sp.Symbol("mu_c.mu_c/d"), 1), sp.Eq(sp.Symbol("x.mu_c/d"), M),
                       sp.Eq(sp.Symbol("x.x/d"), r)))
        self.add_step("posterior_mean", "uncommitted: E[mu|x,t] = rho x (competitors or continuum); delta = mu_c - E",
                      (sp.Eq(sp.Symbol("E"), rho * sy.x), sp.Eq(sp.Symbol("delta"), sy.mu - rho * sy.x)))
        if self.kind == "apg":
            a, b = sy.Delta() / Gam, s2 * sp.exp(-t) / Gam
            space = "denoiser: D = (sigma2 e^{-t} x + Delta_t M)/Gamma_t"
        else:
            a, b = sp.exp(-t) / Gam, -1 / Gam
            space = "score: s = (e^{-t} M - x)/Gamma_t (eps rules are scale invariant: the same rule)"
        c = a * mu + b * x
        self.add_step("predictions", f"the two predictions in the rule's space, {space}: c = a mu_c + b x, "
                                     "u = a E + b x, c - u = a delta", (sp.Eq(sp.Symbol("a"), a), sp.Eq(sp.Symbol("b"), b)))
        nd = sp.sqrt(dot(delta, delta))  # RMS norm of delta; |Delta| = a nd
        if self.kind == "cfg":
            upd = w * delta
        elif self.kind == "powerlaw":
            upd = w * (a * nd) ** beta * delta
        elif self.kind == "apg":
            # clip: k = min(1, r/|Delta|) = r / max(r, a nd) for r > 0; no clipping for r = 0
            k = sp.Piecewise((1, sp.Le(apg_r, 0)), (apg_r / sp.Max(apg_r, a * nd), True))
            p = dot(delta, c) / dot(c, c)  # Delta_par = a p c
            upd = w * k * (delta - (1 - eta) * p * c)
        elif self.kind == "zerostar":
            u = a * E + b * x
            st = dot(c, u) / dot(u, u)
            upd = w * (c - st * u) / a
        else:  # rescale
            g = c + w * a * delta
            ratio = sp.sqrt(dot(c, c)) / sp.sqrt(dot(g, g))
            upd = ((phi * ratio + 1 - phi) * g - c) / a
        M_g = mu + upd
        self.M_g = M_g
        self.add_step("guided_target", "M_g = mu_c + (g - c)/a, with a factored out of g - c: its coefficients on "
                                       "(mu_c, x)", (sp.Eq(sp.Symbol("M_g_mu"), M_g[0]), sp.Eq(sp.Symbol("M_g_x"), M_g[1])))
        self.A = (1 - sp.exp(-t) * M_g[1]) / Gam
        self.B = sp.exp(-t) * M_g[0] / Gam
        self.add_step("score_coefficients", "s = (e^{-t} M_g - x)/Gamma_t = -A x + B mu_c",
                      (sp.Eq(sy.A, self.A), sp.Eq(sy.B, self.B)))
        self._check()

    def _check(self) -> None:
        t, w, s2 = sy.t, sy.omega, sy.sigma2
        Gam = sy.Gamma()
        A_cfg = (1 + w * rho * sp.exp(-t)) / Gam
        B_cfg = (1 + w) * sp.exp(-t) / Gam
        if self.kind in _CFG_POINT:
            at = _CFG_POINT[self.kind]
            require_zero(self.A.subs(at) - A_cfg, f"{self.kind} at its cfg parameters: A")
            require_zero(self.B.subs(at) - B_cfg, f"{self.kind} at its cfg parameters: B")
        # every rule is exact conditional sampling at omega = 0
        A_c, B_c = 1 / Gam, sp.exp(-t) / Gam
        require_zero(self.A.subs(w, 0) - A_c, f"{self.kind} at omega = 0: A")
        require_zero(self.B.subs(w, 0) - B_c, f"{self.kind} at omega = 0: B")
        if self.kind == "cfg":
            from .exponential import exponential_derivation, rho_s

            A_e, B_e = exponential_derivation("gaussian").AB_direct["uncommitted"]
            require_zero(sy.explicit(A_e).subs(rho_s, rho) - self.A, "cfg A against the exponential derivation")
            require_zero(sy.explicit(B_e).subs(rho_s, rho) - self.B, "cfg B against the exponential derivation")
        _ = s2


_CACHE: dict = {}


def rule_derivation(kind: str) -> RuleMeanField:
    """The formed :class:`RuleMeanField` of ``kind`` (cached)."""
    if kind not in _CACHE:
        _CACHE[kind] = RuleMeanField(kind)
    return _CACHE[kind]
