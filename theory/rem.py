"""The competitors as a random energy model (docs/explanation/model.md section 5.1).

Setting
-------
Forward OU process, ``Gamma_t = sigma2 exp(-2t) + 1 - exp(-2t)``; write
``a_t = exp(-t)/Gamma_t`` and ``b_t = exp(-2t)/(2 Gamma_t)``. With ``K - 1 = exp(alpha d)``
competitor classes (every class but the target ``c``), the unconditional density sees them
through::

    Z = sum_{k != c} exp(d [a_t q_k - b_t n_k]),   q_k = x.mu_k/d,   n_k = |mu_k|^2/d.

Given ``x`` the energies ``E_k = a_t q_k - b_t n_k`` are i.i.d. (the means are i.i.d.), and by
rotational invariance of the prior their law depends on ``x`` only through ``r = |x|^2/d``.
Write ``mu.xhat = sqrt(d) y`` (so ``q = sqrt(r) y``) and, for the gaussian prior,
``n = y^2 + n_perp`` with ``n_perp = |mu_perp|^2/d``. If ``P(y, n_perp) ~ exp(-d I)``, the
random-energy-model (Derrida 1981) free energy is

    phi(t, r) = lim (1/d) log Z = max_{I(y, n_perp) <= alpha} [alpha - I + E].

* **uncondensed** phase: the unconstrained maximiser (the annealed saddle point, Lagrange
  multiplier ``lambda = 1``) has ``I < alpha``; ``phi = phi_ann = (1/d) log E Z``;
  exponentially many classes contribute and their posterior mean is the deterministic
  ``E[mu | x, not c] = rho x``.
* **condensed** phase: the saddle point has ``I > alpha``; the maximum sits on the boundary
  ``I = alpha``, where ``grad E = lambda grad I`` with ``lambda > 1``; ``phi = E(lambda)``.
  A few classes dominate: their weights follow a Poisson-Dirichlet law of parameter
  ``m = 1/lambda``.

Both phases are described by one family of points ``(y(lambda), n_perp(lambda))``, the
maximisers of ``E - lambda I``, with ``lambda = max(1, lambda_alpha)``, ``I(lambda_alpha) =
alpha``. Along the family ``dI/dlambda < 0`` (unique root). By the envelope theorem
``dphi/dr = a_t y(lambda)/(2 sqrt(r))`` in both phases: ``phi`` and ``dphi/dr`` are continuous
at the condensation line, ``d^2 phi/dr^2`` jumps (a continuous transition, as in Derrida's REM).

The gradient of ``d phi`` in ``x`` is the self-averaging part of ``a_t sum_k w_k mu_k``:
``rho = 2 phi'(r)/a_t = y(lambda)/sqrt(r)``. In the condensed phase the dominant classes
also contribute a random part orthogonal to ``x``, of squared norm per coordinate
``n_perp(lambda) sum_k w_k^2`` (average ``n_perp (1 - 1/lambda)``), which ``rho`` leaves out.

``gaussian`` prior (:class:`RandomEnergyGaussian`), ``mu ~ N(0, I)``
    ``I = y^2/2 + (n_perp - 1 - log n_perp)/2``; ``phi_ann = alpha + a^2 r/(2(1+2b))
    - log(1+2b)/2`` (exact for ``(1/d) log E Z`` at any ``d``; ``1 + 2b = G_t/Gamma_t``);
    ``y(lambda) = a sqrt(r)/(2b + lambda)``, ``n_perp(lambda) = lambda/(lambda + 2b)``;
    ``lambda_alpha`` has no closed form (bisection in ``1/lambda``). Uncondensed:
    ``rho = a/(1 + 2b) = exp(-t)/G_t``, the infinite-class value.
``sphere`` prior (:class:`RandomEnergySphere`), ``|mu|^2 = d``
    ``n = 1``, ``I = -log(1 - y^2)/2``; ``y(lambda) = 2c/(lambda + sqrt(lambda^2 + 4c^2))``,
    ``c = a sqrt(r)``; condensed: ``y = sqrt(1 - exp(-2 alpha))``,
    ``phi = c sqrt(1 - exp(-2 alpha)) - b``. Uncondensed: ``rho`` is the uniform (Debye)
    asymptote of the von Mises-Fisher mean of the infinite-class limit.

Every derivation checks its identities when formed (symbolically, or where simplification
is slow at random points to 25 digits) and raises ``RuntimeError`` if one fails. The
results are attributes of the derivation objects (sympy expressions); numerical code is
generated from them by :mod:`cfgmft.theory.bridge`.
"""

from __future__ import annotations

import functools

import sympy as sp

from .checks import PRIORS, check_prior, require, require_zero
from .derivation import Derivation
from .functions import log1p, to_elementary
from .symbols import G, G_t, Gamma, Gamma_t, d, explicit, r, sigma2, t  # noqa: F401 - sigma2 re-exported

__all__ = [
    "PRIORS", "alpha", "lam", "u_lam", "a_t", "b_t", "y_ov", "n_perp", "q", "n", "phi_s",
    "a_expr", "b_expr", "explicit_ab",
    "RandomEnergyModel", "RandomEnergyGaussian", "RandomEnergySphere", "rem_derivation",
]

# --- symbols of the random energy model ---------------------------------------------------
#: exponential growth rate of the number of classes, ``K - 1 = exp(alpha d)``
alpha = sp.Symbol("alpha", positive=True)
#: Lagrange multiplier of the constraint ``I = alpha`` (``lambda = 1``: uncondensed)
lam = sp.Symbol("lambda", positive=True)
#: ``u_lambda = 1/lambda`` in ``(0, 1]`` (bisection variable; also the Poisson-Dirichlet parameter)
u_lam = sp.Symbol("u_lambda", positive=True)
#: display symbols for ``a_t = exp(-t)/Gamma_t`` and ``b_t = exp(-2t)/(2 Gamma_t)``
a_t = sp.Symbol("a_t", positive=True)
b_t = sp.Symbol("b_t", positive=True)
#: ``y = mu.xhat / sqrt(d)``: overlap of a competitor mean with the direction of ``x``
y_ov = sp.Symbol("y", real=True)
#: ``n_perp = |mu_perp|^2 / d``: squared norm per dimension of the part of ``mu`` orthogonal to ``x``
n_perp = sp.Symbol("n_perp", positive=True)
#: ``q = x.mu/d`` and ``n = |mu|^2/d`` of one class
q = sp.Symbol("q", real=True)
n = sp.Symbol("n", positive=True)
#: the free energy per dimension of the competitors
phi_s = sp.Symbol("phi", real=True)
_E = sp.Symbol("E", real=True)
_I = sp.Symbol("I", nonnegative=True)
_rho = sp.Symbol("rho", positive=True)
_r_c = sp.Symbol("r_c", positive=True)

#: explicit ``a_t``, ``b_t`` as functions of ``t``, ``sigma2``
a_expr = sp.exp(-t) / Gamma()
b_expr = sp.exp(-2 * t) / (2 * Gamma())


def explicit_ab(expr):
    """Replace ``a_t``, ``b_t``, ``Gamma_t``, ``G_t``, ``Delta_t`` by explicit functions of ``t``, ``sigma2``."""
    return explicit(sp.sympify(expr).subs({a_t: a_expr, b_t: b_expr}))


def _neg_log_density_rate(log_density, var):
    """``-(1/d) log p`` as ``d -> infinity``, shifted so that its minimum over ``var`` is 0."""
    rate = sp.limit(-log_density / d, d, sp.oo)
    crit = [c_ for c_ in sp.solve(sp.diff(rate, var), var)]
    require(len(crit) == 1, "rate function has one minimiser")
    return sp.simplify(rate - rate.subs(var, crit[0]))


# --- derivations -------------------------------------------------------------------------------
class RandomEnergyModel(Derivation):
    """Common interface of the random-energy-model derivations of the two priors.

    Attributes set by :meth:`form` (in the display symbols ``a_t``, ``b_t``; use
    :func:`explicit_ab` for explicit functions of ``t``, ``sigma2``):

    ``rate``, ``energy``
        ``I`` and ``E = a q - b n`` in the order parameters (``y_ov``, ``n_perp``).
    ``saddle``
        the annealed saddle point ``{y_ov: ..., n_perp: ...}`` (sphere: ``{y_ov: ...}``).
    ``phi_annealed``
        ``alpha - I + E`` at the saddle point (in ``a_t``, ``b_t``, ``r``, ``alpha``).
    ``family``
        ``{y_ov: y(lambda), n_perp: n_perp(lambda)}``: maximisers of ``E - lambda I``.
    ``n_perp_family``
        ``n_perp(lambda)`` along the family (sphere: ``1 - y(lambda)^2``).
    ``rate_family``, ``energy_family``
        ``I`` and ``E`` along the family (``rate_family`` in a cancellation-free form).
    ``rate_saddle``
        ``I`` at ``lambda = 1`` (the condensation condition is ``rate_saddle > alpha``).
    ``condensation_radius``
        ``r_c(t)``: ``rate_saddle(r_c) = alpha`` (condensed iff ``r > r_c``).
    ``lambda_alpha``
        closed form of the root of ``I(lambda) = alpha`` (sphere), ``None`` (gaussian).
    ``phi_condensed``, ``condensed_constraint``
        ``E(lambda)`` and ``Eq(I(lambda), alpha)``.
    ``dphi_dr``
        ``a y(lambda)/(2 sqrt(r))`` (both phases, envelope theorem).
    ``rho_family``
        ``y(lambda)/sqrt(r) = 2 phi'(r)/a``: competitors' posterior mean is ``rho x``.
    ``perp_variance``
        average squared norm per coordinate of the neglected orthogonal part, ``n_perp (1 - 1/lambda)``.
    ``d2phi_jump``
        ``phi''(r_c+) - phi''(r_c-)`` (nonzero).
    """

    prior: str = ""

    def _common_tail(self, E, I, fam, phi_ann) -> None:
        """Steps shared by both priors, from the family of maximisers onwards."""
        y_l = fam[y_ov]
        # --- I and E along the family; the condensed free energy ---------------------------
        E_fam = E.subs(fam)
        self.energy_family = E_fam
        self.add_step("energy_family", "E along the family of maximisers of E - lambda I",
                      sp.Eq(sp.Function("E")(lam), E_fam))
        I_fam = self.rate_family
        require_zero(I_fam - I.subs(fam), "stable form of I(lambda)", symbolic=False)
        self.add_step("rate_family", "I along the family (log1p form, no cancellation as lambda -> oo)",
                      sp.Eq(sp.Function("I")(lam), I_fam))
        dI = sp.diff(to_elementary(I_fam), lam)
        self.add_step("rate_family_decreasing",
                      "dI/dlambda < 0 for lambda > 0: I(lambda) = alpha has at most one root; I -> 0 as lambda -> oo",
                      sp.Eq(sp.Derivative(sp.Function("I")(lam), lam), self._dI_display))
        require_zero(dI - self._dI_display, "dI/dlambda")
        I1 = self.rate_saddle
        require_zero(I1 - I.subs(self.saddle), "I at the saddle = I(lambda = 1)", symbolic=False)
        self.add_step("condensation_condition",
                      "condensed iff the annealed saddle (lambda = 1) violates I <= alpha",
                      sp.StrictGreaterThan(I1, alpha))
        self.add_step("condensation_radius",
                      "r_c(t): I(lambda=1; r_c) = alpha; the saddle rate grows with r, so condensed iff r > r_c",
                      sp.Eq(_r_c, self.condensation_radius))
        require_zero(I1.subs(r, self.condensation_radius) - alpha, "I(r_c) = alpha", symbolic=False,
                     constraints=self._r_c_constraints)
        self.phi_condensed = E_fam
        self.condensed_constraint = sp.Eq(I_fam, alpha)
        self.add_step("phi_condensed",
                      "condensed: phi = max of E on the boundary I = alpha (lambda = lambda_alpha > 1)",
                      (sp.Eq(phi_s, E_fam), sp.Eq(I_fam, alpha), sp.GreaterThan(lam, 1)))
        if self.lambda_alpha is not None:
            require_zero(to_elementary(I_fam).subs(lam, self.lambda_alpha) - alpha, "I(lambda_alpha) = alpha",
                         symbolic=False, constraints=self._lambda_constraints)
            self.add_step("lambda_alpha", "closed-form root of I(lambda) = alpha",
                          sp.Eq(sp.Symbol("lambda_alpha"), self.lambda_alpha))
        # --- continuity at the transition ----------------------------------------------------
        require_zero(phi_ann - (alpha - I_fam + E_fam).subs(lam, 1), "phi_ann = alpha - I + E at lambda = 1",
                     symbolic=False)
        self.add_step("continuity",
                      "at lambda = 1 the condensed phi E(1) equals phi_ann = alpha - I(1) + E(1) since I(1) = alpha",
                      sp.Eq(phi_ann.subs(alpha, I1), E_fam.subs(lam, 1), evaluate=False))
        require_zero(phi_ann.subs(alpha, I1) - E_fam.subs(lam, 1), "continuity of phi", symbolic=False)
        dphi = a_t * y_l / (2 * sp.sqrt(r))
        self.dphi_dr = dphi
        # uncondensed: direct differentiation
        require_zero(sp.diff(phi_ann, r) - dphi.subs(lam, 1), "dphi_ann/dr = a y*/(2 sqrt r)")
        # condensed: implicit differentiation with lambda(r) from I(lambda, r) = alpha
        Ie = to_elementary(I_fam)
        dlam_dr = -sp.diff(Ie, r) / sp.diff(Ie, lam)
        dphi_cond = sp.diff(E_fam, r) + sp.diff(E_fam, lam) * dlam_dr
        require_zero(dphi_cond - dphi, "dphi_cond/dr = a y(lambda)/(2 sqrt r)", symbolic=False)
        self.add_step("envelope_dphi_dr",
                      "dphi/dr in both phases (envelope theorem; condensed: lambda(r) from I = alpha); "
                      "continuous at lambda = 1",
                      sp.Eq(sp.Derivative(phi_s, r), dphi))
        # second derivative: jump = (a/(2 sqrt r)) dy/dlambda dlambda/dr at lambda = 1
        d2_cond = sp.diff(dphi, r) + sp.diff(dphi, lam) * dlam_dr
        d2_unc = sp.diff(dphi, r)
        jump = sp.simplify((d2_cond - d2_unc).subs(lam, 1))
        self.d2phi_jump = jump
        self.add_step("second_derivative_jump",
                      "d2phi/dr2 (condensed side) - d2phi/dr2 (uncondensed side) at lambda = 1: negative, "
                      "a continuous transition with a jump of the second derivative",
                      sp.Eq(sp.Symbol("jump_d2phi_dr2"), jump))
        require(all(sp.N(jump.subs({a_t: av, b_t: bv, r: rv})) < 0
                    for av, bv, rv in ((0.3, 0.1, 1.0), (2.0, 0.7, 0.3), (1.1, 1.5, 4.0))),
                "second-derivative jump is negative")
        # --- competitors' posterior mean ------------------------------------------------------------
        rho_fam = sp.simplify(2 * dphi / a_t)
        self.rho_family = rho_fam
        self.add_step("competitor_mean",
                      "E[mu | x, not c] -> rho x (self-averaging part): rho = 2 phi'(r)/a = y(lambda)/sqrt(r); "
                      "lambda = 1 uncondensed, lambda_alpha condensed",
                      sp.Eq(_rho, rho_fam))
        m_pd = 1 / lam
        self.perp_variance = self._perp_variance_display
        require_zero(self.n_perp_family * (1 - m_pd) - self.perp_variance, "neglected orthogonal variance",
                     symbolic=False)
        self.add_step("condensed_weights",
                      "condensed: weights of the top classes ~ Poisson-Dirichlet(m = 1/lambda), "
                      "E[sum w_k^2] = 1 - m; "
                      "neglected orthogonal part of E[mu|x,not c]: squared norm per coordinate, on average",
                      (sp.Eq(sp.Symbol("m_PD"), m_pd), sp.Eq(sp.Symbol("v_perp_neglected"), self.perp_variance)))


class RandomEnergyGaussian(RandomEnergyModel):
    """Random energy model of the competitors, ``gaussian`` prior ``mu ~ N(0, I_d)``.

    ``mu.xhat ~ N(0, 1)`` and ``|mu_perp|^2 ~ chi^2_{d-1}`` are independent, so
    ``I(y, n_perp) = y^2/2 + (n_perp - 1 - log n_perp)/2``. Annealed saddle
    ``y* = a sqrt(r)/(1+2b)``, ``n_perp* = 1/(1+2b)``;
    ``phi_ann = alpha + a^2 r/(2(1+2b)) - log(1+2b)/2`` (equal to ``(1/d) log E Z`` at every
    ``d``: a Gaussian integral). Family ``y = a sqrt(r)/(2b+lambda)``,
    ``n_perp = lambda/(lambda+2b)``. Uncondensed competitors' mean ``exp(-t) x/G_t``.
    """

    title = "Random energy model of the competitors, gaussian prior"
    prior = "gaussian"

    def _form(self) -> None:
        self.add_step("order_parameters",
                      "mu.xhat = sqrt(d) y, n_perp = |mu_perp|^2/d: q = sqrt(r) y, n = y^2 + n_perp",
                      (sp.Eq(q, sp.sqrt(r) * y_ov), sp.Eq(n, y_ov ** 2 + n_perp)))
        E = sp.expand((a_t * q - b_t * n).subs({q: sp.sqrt(r) * y_ov, n: y_ov ** 2 + n_perp}))
        self.energy = E
        self.add_step("energy", "energy per dimension of one competitor, E = a_t q - b_t n", sp.Eq(_E, E))
        # rates: y ~ N(0, 1/d); d n_perp ~ chi^2_{d-1}
        I_y = _neg_log_density_rate(-d * y_ov ** 2 / 2, y_ov)
        I_n = _neg_log_density_rate(((d - 1) / 2 - 1) * sp.log(n_perp) - d * n_perp / 2, n_perp)
        I = I_y + I_n
        require_zero(I - (y_ov ** 2 / 2 + (n_perp - 1 - sp.log(n_perp)) / 2), "rate function")
        self.rate = I
        self.add_step("rate_function",
                      "-(1/d) log density, d -> oo: y ~ N(0,1/d), d n_perp ~ chi2_{d-1}, independent",
                      sp.Eq(_I, I))
        self.add_step("rem_free_energy",
                      "K-1 = exp(alpha d) i.i.d. energies: (1/d) log Z -> max over I <= alpha of alpha - I + E",
                      sp.Eq(phi_s, alpha - _I + _E))
        # annealed saddle point
        F = E - I
        sol = sp.solve([sp.diff(F, y_ov), sp.diff(F, n_perp)], [y_ov, n_perp], dict=True)
        require(len(sol) == 1, "one annealed saddle point")
        saddle = {k_: sp.simplify(v_) for k_, v_ in sol[0].items()}
        self.saddle = saddle
        self.add_step("annealed_saddle", "stationary point of E - I (unconstrained maximum, concave)",
                      (sp.Eq(y_ov, saddle[y_ov]), sp.Eq(n_perp, saddle[n_perp])))
        phi_ann = alpha + a_t ** 2 * r / (2 * (1 + 2 * b_t)) - log1p(2 * b_t) / 2
        require_zero(alpha + F.subs(saddle) - phi_ann, "phi_ann at the saddle", symbolic=False)
        self.phi_annealed = phi_ann
        self.add_step("phi_annealed", "uncondensed: phi = alpha - I + E at the saddle point",
                      sp.Eq(phi_s, phi_ann))
        # exactness: E exp(d(a q - b n)) = prod_i E exp(a x_i m - b m^2), m ~ N(0,1)
        m_, x_i = sp.symbols("m x_i", real=True)
        k_ = 1 + 2 * b_t
        square = -k_ / 2 * (m_ - a_t * x_i / k_) ** 2 + a_t ** 2 * x_i ** 2 / (2 * k_)
        require_zero(square - (-m_ ** 2 / 2 + a_t * x_i * m_ - b_t * m_ ** 2), "completing the square")
        norm = sp.integrate(sp.exp(-k_ * m_ ** 2 / 2), (m_, -sp.oo, sp.oo)) / sp.sqrt(2 * sp.pi)
        require(sp.simplify(norm - 1 / sp.sqrt(k_)) == 0, "Gaussian normalisation")
        per_coord = a_t ** 2 * x_i ** 2 / (2 * k_) + sp.log(norm)
        exact = sp.expand_log(per_coord.subs(x_i ** 2, r), force=True)  # sum_i x_i^2 / d = r
        require_zero(exact - (phi_ann - alpha), "annealed = exact (1/d) log E e^{dE}", symbolic=False)
        self.add_step("annealed_is_exact",
                      "per coordinate E exp(a x_i m - b m^2) = exp(a^2 x_i^2/(2(1+2b)))/sqrt(1+2b): "
                      "phi_ann - alpha = (1/d) log E exp(dE) at every d",
                      sp.Eq(sp.Symbol("(1/d) log E exp(dE)"), phi_ann - alpha))
        require_zero(explicit_ab(1 + 2 * b_t) - G() / Gamma(), "1 + 2b = G/Gamma")
        phi_ann_G = alpha + sp.exp(-2 * t) * r / (2 * Gamma_t * G_t) - sp.log(G_t / Gamma_t) / 2
        require_zero(explicit_ab(phi_ann) - explicit(phi_ann_G), "phi_ann in G, Gamma", symbolic=False)
        self.add_step("phi_annealed_G", "with 1 + 2b = G_t/Gamma_t", sp.Eq(phi_s, phi_ann_G))
        # family of maximisers of E - lambda I
        fam_sol = sp.solve([sp.diff(E, y_ov) - lam * sp.diff(I, y_ov), sp.diff(E, n_perp) - lam * sp.diff(I, n_perp)],
                           [y_ov, n_perp], dict=True)
        require(len(fam_sol) == 1, "one Lagrange point")
        fam = {k2: sp.simplify(v2) for k2, v2 in fam_sol[0].items()}
        self.family = fam
        require(all(sp.simplify(fam[k2].subs(lam, 1) - saddle[k2]) == 0 for k2 in fam), "lambda = 1 is the saddle")
        self.add_step("lagrange_family",
                      "grad E = lambda grad I: maximisers of E on the level sets of I (lambda = 1: the saddle)",
                      (sp.Eq(y_ov, fam[y_ov]), sp.Eq(n_perp, fam[n_perp])))
        self.n_perp_family = fam[n_perp]
        v = 2 * b_t / (lam + 2 * b_t)  # = 1 - n_perp(lambda)
        self.rate_family = fam[y_ov] ** 2 / 2 + (-v - log1p(-v)) / 2
        self._perp_variance_display = (lam - 1) / (lam + 2 * b_t)
        self._dI_display = -a_t ** 2 * r / (lam + 2 * b_t) ** 3 - 2 * b_t ** 2 / (lam * (lam + 2 * b_t) ** 2)
        I1 = a_t ** 2 * r / (2 * (1 + 2 * b_t) ** 2) + (log1p(2 * b_t) - 2 * b_t / (1 + 2 * b_t)) / 2
        self.rate_saddle = I1
        J = (log1p(2 * b_t) - 2 * b_t / (1 + 2 * b_t)) / 2
        self.condensation_radius = 2 * (1 + 2 * b_t) ** 2 * (alpha - J) / a_t ** 2
        self._r_c_constraints = {  # alpha > J so that r_c > 0
            alpha: lambda vals, rnd: J.subs(vals).evalf(40) + sp.Rational(rnd.randint(1, 300), 100)}
        self.lambda_alpha = None
        self._lambda_constraints = None
        self._common_tail(E, I, fam, phi_ann)
        self.add_step("condensation_radius_nonpositive",
                      "if alpha <= J(t) = (log(1+2b) - 2b/(1+2b))/2 the competitors are condensed at every r",
                      sp.LessThan(alpha, J))
        # uncondensed posterior mean = continuum
        rho1 = self.rho_family.subs(lam, 1)
        require_zero(explicit_ab(rho1) - sp.exp(-t) / G(), "rho = exp(-t)/G uncondensed")
        self.add_step("competitor_mean_uncondensed",
                      "uncondensed: tilted law N(a x/(1+2b), I/(1+2b)): rho = a/(1+2b) = exp(-t)/G_t "
                      "(continuum value)",
                      sp.Eq(_rho, sp.exp(-t) / G_t))
        # change of variable for the numerical root (u = 1/lambda in (0, 1])
        y_u = sp.cancel(fam[y_ov].subs(lam, 1 / u_lam))
        v_u = sp.cancel(v.subs(lam, 1 / u_lam))
        self.rate_family_u = y_u ** 2 / 2 + (-v_u - log1p(-v_u)) / 2
        require_zero(self.rate_family_u - self.rate_family.subs(lam, 1 / u_lam), "I in u = 1/lambda", symbolic=False)
        self.add_step("rate_family_u", "I in u = 1/lambda: increasing from 0 (u = 0) to the saddle rate (u = 1)",
                      sp.Eq(sp.Function("I")(1 / u_lam), self.rate_family_u))


class RandomEnergySphere(RandomEnergyModel):
    """Random energy model of the competitors, ``sphere`` prior ``|mu|^2 = d``.

    ``n = 1``, ``y = mu.xhat/sqrt(d)`` has density ``~ (1 - y^2)^((d-3)/2)``, rate
    ``I = -log(1 - y^2)/2``. Saddle ``y* = (sqrt(1 + 4c^2) - 1)/(2c)``, ``c = a sqrt(r)``;
    ``phi_ann = alpha - b + c y* + log(1 - y*^2)/2``. Condensed iff
    ``y* > y_alpha = sqrt(1 - exp(-2 alpha))``, i.e. ``r > r_c = (y_alpha exp(2 alpha)/a)^2``;
    then ``phi = c y_alpha - b``, ``lambda_alpha = c exp(-2 alpha)/y_alpha``.
    """

    title = "Random energy model of the competitors, sphere prior"
    prior = "sphere"

    def _form(self) -> None:
        c = a_t * sp.sqrt(r)
        self.add_step("order_parameters", "|mu|^2 = d: n = 1; mu.xhat = sqrt(d) y, q = sqrt(r) y",
                      (sp.Eq(q, sp.sqrt(r) * y_ov), sp.Eq(n, 1)))
        E = (a_t * q - b_t * n).subs({q: sp.sqrt(r) * y_ov, n: 1})
        self.energy = E
        self.add_step("energy", "energy per dimension of one competitor, E = a_t q - b_t", sp.Eq(_E, E))
        I = _neg_log_density_rate((d - 3) / 2 * sp.log(1 - y_ov ** 2), y_ov)
        require_zero(I + sp.log(1 - y_ov ** 2) / 2, "rate function")
        I = -sp.log(1 - y_ov ** 2) / 2
        self.rate = I
        self.add_step("rate_function", "-(1/d) log density of y ~ (1 - y^2)^((d-3)/2), d -> oo", sp.Eq(_I, I))
        self.add_step("rem_free_energy",
                      "K-1 = exp(alpha d) i.i.d. energies: (1/d) log Z -> max over I <= alpha of alpha - I + E",
                      sp.Eq(phi_s, alpha - _I + _E))
        # family: E' = lambda I'  <=>  c (1 - y^2) = lambda y
        roots = sp.solve(sp.Eq(c * (1 - y_ov ** 2), lam * y_ov), y_ov)
        require(all(sp.simplify(sp.diff(E, y_ov) - lam * sp.diff(I, y_ov)).subs(y_ov, rt).equals(0) in (True, None)
                    for rt in roots), "family roots")
        pos = [rt for rt in roots if sp.N(rt.subs({a_t: 1, r: 1, lam: 1})) > 0]
        require(len(pos) == 1, "one root in (0, 1)")
        y_l = 2 * c / (lam + sp.sqrt(lam ** 2 + 4 * c ** 2))
        require_zero(pos[0] - y_l, "rationalised family", symbolic=False)
        fam = {y_ov: y_l}
        self.family = fam
        self.n_perp_family = 1 - y_l ** 2
        require_zero(self.n_perp_family - lam * y_l / c, "1 - y^2 = lambda y/c on the family", symbolic=False)
        saddle = {y_ov: (sp.sqrt(1 + 4 * c ** 2) - 1) / (2 * c)}
        require_zero(saddle[y_ov] - y_l.subs(lam, 1), "saddle = family at lambda = 1", symbolic=False)
        require_zero(sp.diff(E - I, y_ov).subs(saddle), "stationarity of E - I", symbolic=False)
        self.saddle = saddle
        self.add_step("annealed_saddle", "stationary point of E - I: c (1 - y^2) = y, c = a sqrt(r)",
                      sp.Eq(y_ov, saddle[y_ov]))
        phi_ann = alpha - b_t + c * y_l.subs(lam, 1) + sp.log(1 - y_l.subs(lam, 1) ** 2) / 2
        self.phi_annealed = phi_ann
        self.add_step("phi_annealed", "uncondensed: phi = alpha - I + E at the saddle point", sp.Eq(phi_s, phi_ann))
        self.add_step("lagrange_family", "E' = lambda I': c (1 - y^2) = lambda y (lambda = 1: the saddle)",
                      sp.Eq(y_ov, y_l))
        # I(lambda) = -log(1 - y^2)/2 = log1p(...)
        self.rate_family = -log1p(-y_l ** 2) / 2
        self._perp_variance_display = 2 * (lam - 1) / (lam + sp.sqrt(lam ** 2 + 4 * c ** 2))
        # c (1 - y^2) = lambda y  =>  y' = -y/(lambda + 2 c y), dI/dlambda = -c y/(lambda sqrt(lambda^2 + 4 c^2))
        self._dI_display = -c * y_l / (lam * sp.sqrt(lam ** 2 + 4 * c ** 2))
        y_alpha = sp.sqrt(1 - sp.exp(-2 * alpha))
        self.y_alpha = y_alpha
        I1 = -sp.log(1 - y_l.subs(lam, 1) ** 2) / 2
        self.rate_saddle = I1
        self.condensation_radius = (y_alpha * sp.exp(2 * alpha) / a_t) ** 2
        self._r_c_constraints = None
        self.lambda_alpha = c * sp.exp(-2 * alpha) / y_alpha
        self._lambda_constraints = None
        self._common_tail(E, I, fam, phi_ann)
        phi_c = c * y_alpha - b_t
        require_zero(self.energy_family.subs(lam, self.lambda_alpha) - phi_c, "condensed phi closed form",
                     symbolic=False)
        self.add_step("phi_condensed_closed",
                      "condensed: y = y_alpha = sqrt(1 - exp(-2 alpha)) (the boundary I = alpha)",
                      (sp.Eq(phi_s, phi_c), sp.Eq(sp.Symbol("y_alpha"), y_alpha)))
        # uncondensed posterior mean = Debye asymptote of the vMF mean (infinite-class limit)
        kap = sp.exp(-t) * sp.sqrt(r) / Gamma_t  # kappa/d
        debye = 2 * kap / (1 + sp.sqrt(1 + 4 * kap ** 2))
        require_zero(explicit_ab(self.rho_family.subs(lam, 1)) - explicit(debye / sp.sqrt(r)),
                     "rho = Debye asymptote / sqrt(r)", symbolic=False)
        self.add_step("competitor_mean_uncondensed",
                      "uncondensed: rho = y*/sqrt(r), the uniform asymptote 2k/(1+sqrt(1+4k^2)), k = kappa/d, of the "
                      "von Mises-Fisher mean (infinite-class value)",
                      sp.Eq(_rho, debye / sp.sqrt(r)))


@functools.lru_cache(maxsize=None)
def rem_derivation(prior: str = "gaussian") -> RandomEnergyModel:
    """The (cached) formed derivation of ``prior``."""
    prior = check_prior(prior)
    return RandomEnergyGaussian() if prior == "gaussian" else RandomEnergySphere()
