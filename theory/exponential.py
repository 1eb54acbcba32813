"""Guided diffusion with exponentially many classes, ``K - 1 = exp(alpha d)``, as ``d -> infinity``
(docs/explanation/model.md sections 5.1-5.5 and 5.7).

Conventions
-----------
Forward OU process, ``Gamma_t = sigma2 exp(-2t) + 1 - exp(-2t)``, ``G_t = 1 + sigma2 exp(-2t)``,
``a_t = exp(-t)/Gamma_t``, ``b_t = exp(-2t)/(2 Gamma_t)``; guided score
``s = (1 + omega) s_c - omega s_u`` (guidance scale ``w = 1 + omega``); sampling in backward
time ``tau = T - t`` with the reverse SDE ``dx = [x + 2 s] dtau + sqrt(2) dW`` or the
probability-flow ODE ``dx/dtau = x + s``. Order parameters ``q = x.mu_c/d``, ``r = |x|^2/d``;
along a trajectory ``x = M mu_c + sqrt(S) xi`` gives ``q -> M``, ``r -> M^2 + S``
(``n_c = |mu_c|^2/d -> 1``).

Results (derived and checked by :class:`ExponentialClassMeanField`)
--------------------------------------------------------------------
* ``(1/d) log P_t(x|c) = -r/(2 Gamma) - log(2 pi Gamma)/2 + e_c``, target energy
  ``e_c = a q - b``; ``(1/d) log P_t(x) = -r/(2 Gamma) - log(2 pi Gamma)/2 - alpha
  + max(e_c, phi(t, r))`` with ``phi`` the competitors' free energy (:mod:`.rem`).
* The target's posterior weight ``w_c -> 1`` if ``e_c > phi``, else ``0``: **commitment** is
  the first crossing ``e_c = phi`` along the guided trajectory.
* Effective potential ``V_omega = -(1/d)[(1+omega) log P_t(x|c) - omega log P_t(x)]``:
  committed ``V = r/(2 Gamma) + log(2 pi Gamma)/2 - e_c - omega alpha`` (guidance inert);
  uncommitted ``V = r/(2 Gamma) + log(2 pi Gamma)/2 - (1+omega) e_c + omega (phi - alpha)``,
  with ``phi = phi_ann`` (uncondensed) or ``E(lambda_alpha)`` (condensed). ``V`` is continuous
  at the switch, ``dV/dq`` jumps by ``omega a``.
* ``s = -d grad_x V = -(dV/dq) mu_c - 2 (dV/dr) x``: ``s = -A x + B mu_c`` with
  committed ``A = 1/Gamma``, ``B = a``; uncommitted ``A = 1/Gamma + 2 omega phi'(r) =
  (1+omega)/Gamma - omega A_u``, ``A_u = (1 - exp(-t) rho)/Gamma``, ``B = (1+omega) a``
  (``rho = 2 phi'(r)/a``: the competitors' posterior mean is ``rho x``).
* Mean-field equations (any schedule ``omega(t)``), backward time:
  SDE ``dM/dtau = (1 - 2A) M + 2B``, ``dS/dtau = 2(1 - 2A) S + 2``;
  ODE ``dM/dtau = (1 - A) M + B``, ``dS/dtau = 2(1 - A) S``; ``r = M^2 + S``.
  Gaussian prior, uncondensed: ``A = (1+omega)/Gamma - omega/G`` (the infinite-class
  value). **Condensed before commitment** (approximation): the competitors' mean is replaced
  by its self-averaging part ``sqrt(d) y(lambda_alpha) xhat``; the random orthogonal part
  carried by the few dominant classes (squared norm per coordinate ``n_perp (1 - 1/lambda)``
  on average) is dropped. This is exactly the drift ``-d grad V`` of the quenched potential.
* Exact sampling (``omega = 0``) has ``M = exp(-t)``, ``S = Gamma_t``, ``r = G_t``, ``e_c = b``.
  At ``r = G_t`` the annealed saddle of the competitors has energy ``b`` and rate
  ``log(G/Gamma)/2`` (a Nishimori identity, both priors): the collapse of the unconditional
  posterior (Biroli et al. 2024), the commitment at ``omega = 0`` and the condensation at
  ``r = G`` all happen at ``G_t/Gamma_t = exp(2 alpha)``:
  ``t_C = log(1 + 1/(exp(2 alpha) - 1) - sigma2)/2`` (if ``sigma2 (exp(2 alpha) - 1) < 1``,
  else never), which for ``sigma2 -> 0`` is Biroli et al.'s ``log(1 + 1/(exp(2 alpha) - 1))/2``.
* ``alpha -> 0``: ``phi -> -b`` (``phi + b ~ sqrt(2 alpha (a^2 r + 2 b^2))`` gaussian,
  ``a sqrt(2 alpha r)`` sphere): any positive overlap commits, commitment at the start,
  exact conditional dynamics. ``alpha -> infinity``: never condensed, never committed; the
  drift is the infinite-class one.

The results are attributes of :class:`ExponentialClassMeanField` (sympy expressions);
numerical code is generated from them by :mod:`cfgmft.theory.bridge` and integrated by
:mod:`cfgmft.solvers.exponential`.
"""

from __future__ import annotations

import functools

import sympy as sp

from cfgmft.conventions import SAMPLERS

from .checks import check_prior, require, require_zero
from .derivation import Derivation
from .functions import to_elementary
from .observables import log_variance_equations
from .rem import RandomEnergyModel, a_expr, a_t, alpha, b_t, explicit_ab, lam, phi_s, q, rem_derivation, u_lam
from .symbols import (G, G_t, Gamma, Gamma_t, M, M_f, S, S_f, explicit, log_S, moment_equations, mu, omega, omega_f, r,
                      sigma2, t, tau, x)

__all__ = [
    "SAMPLERS", "BRANCHES", "e_c", "n_c", "rho_s", "phi_f",
    "ExponentialClassMeanField", "exponential_derivation",
]

#: branch codes returned by :func:`branch`
BRANCHES = ("committed", "uncondensed", "condensed")

#: target energy symbol and the target's squared norm per dimension
e_c = sp.Symbol("e_c", real=True)
n_c = sp.Symbol("n_c", positive=True)
#: competitors' mean coefficient, ``E[mu | x, not c] = rho x``
rho_s = sp.Symbol("rho", positive=True)
#: the competitors' free energy as an unknown function of ``(t, r)``
phi_f = sp.Function("phi", real=True)
_A_u = sp.Symbol("A_u", real=True)
_V = sp.Symbol("V", real=True)
_w_c = sp.Symbol("w_c", nonnegative=True)
_u = sp.Symbol("u", positive=True)  # exp(-2t)




class ExponentialClassMeanField(Derivation):
    """``d -> infinity`` theory of CFG with ``K - 1 = exp(alpha d)`` classes, for one prior.

    Steps: densities per dimension and the target's weight; the effective potential, its two
    branches (three with the competitors' phases) and the switching condition; the guided score
    from the potential and directly from the posterior means (they agree on every branch);
    Ito moment equations of both samplers for a schedule ``omega(t)``, per branch; exact
    sampling at ``omega = 0``; the collapse time and its ``sigma2 -> 0`` (Biroli) form; the
    limits ``alpha -> 0`` and ``alpha -> infinity``.

    Attributes set by :meth:`form` (explicit in ``t``, ``sigma2`` unless stated):

    ``log_class_density``, ``log_uncond_density`` (with ``phi`` as the symbol ``phi_s``),
    ``target_energy`` (``q``), ``V`` (general, ``phi_s``), ``V_branch[name]``
    (``'committed'``, ``'uncommitted'`` with ``phi_s``, ``'uncondensed'``, ``'condensed'``
    with ``lam``), ``switching`` (``e_c - phi_s``), ``AB_branch[name]`` (``(A, B)`` of
    ``BRANCHES``, in ``r``, ``omega``, ``lam``; ``AB_display`` the same in ``Gamma_t``, ``a_t``,
    ``b_t``), ``AB_direct`` (``'committed'``, ``'uncommitted'`` with ``rho_s``),
    ``moment_rhs[sampler]`` (in ``M``, ``S``, symbols ``A``, ``B``),
    ``mean_field_rhs[(branch, sampler)]`` (in ``t``, ``M``, ``S``, ``omega``, ``sigma2``,
    ``alpha``, ``lam``; ``omega`` is the schedule's value ``omega(t)``),
    ``mean_field_rhs_rho[sampler]`` (uncommitted, in ``rho_s``), ``mean_field_rhs_log`` and
    ``mean_field_rhs_rho_log`` (the same as ``(dM/dtau, d log_S/dtau)`` in ``log_S`` instead of
    ``S``: what the solver integrates), ``t_collapse_expr``
    (``alpha``, ``sigma2``), ``t_collapse_biroli`` (``alpha``).
    """

    def __init__(self, prior: str = "gaussian", *, rem_model: RandomEnergyModel | None = None,
                 form: bool = True):
        self.prior = check_prior(prior)
        self.rem = rem_model if rem_model is not None else rem_derivation(prior)
        self.title = f"Exponentially many classes (K - 1 = exp(alpha d)), {prior} prior, d -> infinity"
        super().__init__(form=form)

    def _form(self) -> None:
        self._form_densities()
        self._form_potential()
        self._form_scores()
        self._form_mean_field()
        self._form_exact_sampling()
        self._form_collapse()
        self._form_limits()

    # ------------------------------------------------------------------------------------------
    def _form_densities(self) -> None:
        # (1/d) log N(x; exp(-t) mu_c, Gamma I) with |x|^2 = d r, x.mu_c = d q, |mu_c|^2 = d n_c
        quad = (r - 2 * sp.exp(-t) * q + sp.exp(-2 * t) * n_c) / (2 * Gamma_t)
        lc_raw = -quad - sp.log(2 * sp.pi * Gamma_t) / 2
        ec_general = a_t * q - b_t * n_c
        lc = -r / (2 * Gamma_t) - sp.log(2 * sp.pi * Gamma_t) / 2 + ec_general
        require_zero(explicit(lc_raw) - explicit_ab(lc), "log class density")
        self.add_step("log_class_density",
                      "(1/d) log N(x; exp(-t) mu_c, Gamma_t I), |x|^2 = d r, x.mu_c = d q, |mu_c|^2 = d n_c",
                      sp.Eq(sp.Symbol("l_c"), lc))
        self.add_step("target_energy",
                      "target energy, n_c -> 1 (gaussian prior: up to d^(-1/2) fluctuations; sphere: exactly)",
                      sp.Eq(e_c, ec_general.subs(n_c, 1)))
        ec = ec_general.subs(n_c, 1)
        self.target_energy = explicit_ab(ec)
        lc1 = lc.subs(n_c, 1)
        self._lc = lc1
        lu = -r / (2 * Gamma_t) - sp.log(2 * sp.pi * Gamma_t) / 2 - alpha + sp.Max(ec, phi_s)
        self._lu = lu
        self.log_class_density = explicit_ab(lc1)
        self.log_uncond_density = explicit_ab(lu)
        self.add_step("log_uncond_density",
                      "P_t = (1/K) sum_k N(x; exp(-t) mu_k, Gamma I), log K = alpha d: Laplace principle on "
                      "exp(d e_c) + Z, (1/d) log Z -> phi(t, r)",
                      sp.Eq(sp.Symbol("l_u"), lu))
        self.add_step("target_weight",
                      "posterior weight of the target: w_c = exp(d e_c)/(exp(d e_c) + Z) -> Heaviside(e_c - phi)",
                      sp.Eq(_w_c, sp.Heaviside(e_c - phi_s)))

    # ------------------------------------------------------------------------------------------
    def _form_potential(self) -> None:
        ec = a_t * q - b_t
        lc, lu = self._lc, self._lu
        V = -(1 + omega) * lc + omega * lu
        self.V = explicit_ab(V)
        self.add_step("V_omega", "effective potential V = -(1/d)[(1+omega) log P_t(x|c) - omega log P_t(x)]",
                      sp.Eq(_V, V))
        base = r / (2 * Gamma_t) + sp.log(2 * sp.pi * Gamma_t) / 2
        V_com = base - ec - omega * alpha
        V_unc = base - (1 + omega) * ec + omega * (phi_s - alpha)
        require_zero(V.subs(sp.Max(ec, phi_s), ec) - V_com, "committed branch")
        require_zero(V.subs(sp.Max(ec, phi_s), phi_s) - V_unc, "uncommitted branch")
        self.add_step("V_committed",
                      "committed (e_c > phi): V = -(1/d) log P_t(x|c) - omega alpha, guidance inert",
                      sp.Eq(_V, V_com))
        self.add_step("V_uncommitted", "uncommitted (e_c < phi)", sp.Eq(_V, V_unc))
        self.add_step("switching_condition", "the branches meet where the target energy equals phi",
                      sp.Eq(ec, phi_s))
        require_zero((V_unc - V_com).subs(phi_s, ec), "V continuous at the switch")
        jump = sp.diff(V_com, q) - sp.diff(V_unc, q)
        self.add_step("V_gradient_jump",
                      "V is continuous at the switch; dV/dq jumps (committed minus uncommitted side)",
                      sp.Eq(sp.Symbol("jump_dV_dq"), sp.factor(jump)))
        V_uncond = V_unc.subs(phi_s, self.rem.phi_annealed)
        V_cond = V_unc.subs(phi_s, self.rem.energy_family)
        self.add_step("V_uncommitted_uncondensed", "uncommitted, competitors uncondensed: phi = phi_ann",
                      sp.Eq(_V, V_uncond))
        self.add_step("V_uncommitted_condensed",
                      "uncommitted, competitors condensed: phi = E(lambda) with I(lambda) = alpha",
                      (sp.Eq(_V, V_cond), sp.Eq(self.rem.rate_family, alpha)))
        self.V_branch = {"committed": explicit_ab(V_com), "uncommitted": explicit_ab(V_unc),
                         "uncondensed": explicit_ab(V_uncond), "condensed": explicit_ab(V_cond)}
        self.switching = explicit_ab(ec - phi_s)
        self._V_disp = {"committed": V_com, "uncommitted": V_unc}

    # ------------------------------------------------------------------------------------------
    def _form_scores(self) -> None:
        dphi = sp.Symbol("phi_r", real=True)  # phi'(r)
        AB_pot = {}
        for name, Vb in self._V_disp.items():
            Vr = Vb.subs(phi_s, phi_f(t, r))
            A_ = sp.simplify((2 * sp.diff(Vr, r)).subs(sp.Derivative(phi_f(t, r), r), dphi))
            B_ = sp.simplify(-sp.diff(Vr, q))
            AB_pot[name] = (A_, B_)
        self.add_step("score_from_potential",
                      "s = -d grad_x V, grad_x q = mu_c/d, grad_x r = 2x/d: s = -A x + B mu_c, "
                      "A = 2 dV/dr, B = -dV/dq",
                      tuple(sp.Eq(sp.Symbol(f"{v}_{nm}"), e) for nm, ab in AB_pot.items() for v, e in zip("AB", ab)))
        # direct: s_u = -(x - exp(-t) [w_c mu_c + (1 - w_c) rho x])/Gamma
        xs, ms = sp.symbols("x_vec mu_c")
        s_c = -(xs - sp.exp(-t) * ms) / Gamma_t
        AB_dir = {}
        for name, wc in (("committed", 1), ("uncommitted", 0)):
            s_u = -(xs - sp.exp(-t) * (wc * ms + (1 - wc) * rho_s * xs)) / Gamma_t
            s_g = sp.expand((1 + omega) * s_c - omega * s_u)
            AB_dir[name] = (sp.simplify(-sp.diff(s_g, xs)), sp.simplify(sp.diff(s_g, ms)))
        self.add_step("score_direct",
                      "s = (1+omega) s_c - omega s_u, s_u = -(x - exp(-t)[w_c mu_c + (1-w_c) rho x])/Gamma",
                      tuple(sp.Eq(sp.Symbol(f"{v}_{nm}"), e) for nm, ab in AB_dir.items() for v, e in zip("AB", ab)))
        A_u_disp = (1 - sp.exp(-t) * rho_s) / Gamma_t
        require_zero(AB_dir["uncommitted"][0] - ((1 + omega) / Gamma_t - omega * A_u_disp),
                     "A = (1+w)/Gamma - w A_u")
        self.add_step("A_uncommitted", "uncommitted: A = (1+omega)/Gamma - omega A_u, A_u = (1 - exp(-t) rho)/Gamma",
                      (sp.Eq(sp.Symbol("A"), (1 + omega) / Gamma_t - omega * _A_u), sp.Eq(_A_u, A_u_disp)))
        # agreement on every branch, rho = 2 phi'/a (rem envelope identity)
        for name in ("committed", "uncommitted"):
            for k_ in range(2):
                diff = explicit_ab(AB_pot[name][k_]) - explicit_ab(AB_dir[name][k_]).subs(rho_s, 2 * dphi / a_expr)
                require_zero(diff, f"potential vs direct score ({name}, {'AB'[k_]})")
        require(sp.simplify(AB_pot["committed"][0] - 1 / Gamma_t) == 0
                and sp.simplify(explicit_ab(AB_pot["committed"][1]) - explicit(sp.exp(-t) / Gamma_t)) == 0,
                "committed: A = 1/Gamma, B = exp(-t)/Gamma")
        self.add_step("potential_equals_direct",
                      "the two agree on both branches with rho = 2 phi'(r)/a_t "
                      "(competitors' mean = gradient of phi); "
                      "committed: omega drops out",
                      (sp.Eq(rho_s, 2 * dphi / a_t), sp.Eq(sp.Symbol("A_committed"), 1 / Gamma_t),
                       sp.Eq(sp.Symbol("B_committed"), sp.exp(-t) / Gamma_t)))
        # per-branch coefficients (rho from the rem family), displayed with A_u
        rho_l = self.rem.rho_family
        A_unc_disp = (1 + omega) / Gamma_t - omega * A_u_disp
        B_unc_disp = (1 + omega) * a_t
        require_zero(explicit_ab(A_unc_disp - AB_dir["uncommitted"][0]), "A display")
        require_zero(explicit_ab(B_unc_disp - AB_dir["uncommitted"][1]), "B display")
        AB = {"committed": (1 / Gamma_t, a_t)}
        for name, lam_val in (("uncondensed", 1), ("condensed", lam)):
            AB[name] = (A_unc_disp.subs(rho_s, rho_l.subs(lam, lam_val)), B_unc_disp)
        self.AB_display = AB
        self.AB_branch = {k_: tuple(explicit_ab(e) for e in v_) for k_, v_ in AB.items()}
        self.AB_direct = {k_: tuple(explicit_ab(e) for e in v_) for k_, v_ in AB_dir.items()}
        self.add_step("branch_coefficients",
                      "s = -A x + B mu_c per branch: committed; uncommitted with rho(lambda = 1) (uncondensed) "
                      "or rho(lambda_alpha) (condensed)",
                      (sp.Eq(sp.Symbol("A_committed"), AB["committed"][0]), sp.Eq(sp.Symbol("B_committed"), a_t),
                       sp.Eq(sp.Symbol("A_uncommitted"), A_unc_disp), sp.Eq(sp.Symbol("B_uncommitted"), B_unc_disp),
                       sp.Eq(sp.Symbol("rho_uncondensed"), rho_l.subs(lam, 1)),
                       sp.Eq(sp.Symbol("rho_condensed"), rho_l), sp.Eq(self.rem.rate_family, alpha)))
        if self.prior == "gaussian":
            A_inf = (1 + omega) / Gamma_t - omega / G_t
            require_zero(self.AB_branch["uncondensed"][0] - explicit(A_inf),
                         "gaussian uncondensed A = infinite-class A")
            self.add_step("A_uncondensed_gaussian",
                          "gaussian prior, uncondensed: rho = exp(-t)/G, the infinite-class drift "
                          "(CFG between two Gaussians)",
                          sp.Eq(sp.Symbol("A"), A_inf))
            self._A_infinite = A_inf
        else:
            kap = sp.exp(-t) * sp.sqrt(r) / Gamma_t
            A_u_inf = (1 - sp.exp(-t) * 2 * kap / (sp.sqrt(r) * (1 + sp.sqrt(1 + 4 * kap ** 2)))) / Gamma_t
            require_zero(self.AB_branch["uncondensed"][0] - explicit((1 + omega) / Gamma_t - omega * A_u_inf),
                         "sphere uncondensed A = infinite-class mean-field A", symbolic=False)
            self.add_step("A_uncondensed_sphere",
                          "sphere prior, uncondensed: rho = Debye asymptote of the von Mises-Fisher mean, the "
                          "infinite-class mean-field drift",
                          (sp.Eq(sp.Symbol("A"), (1 + omega) / Gamma_t - omega * _A_u), sp.Eq(_A_u, A_u_inf)))
            self._A_infinite = (1 + omega) / Gamma_t - omega * A_u_inf
        self.add_step("condensed_approximation",
                      "condensed before commitment: E[mu|x,not c] replaced by its self-averaging part "
                      "sqrt(d) y(lambda) xhat, "
                      "the drift -d grad V; the dropped random orthogonal part has squared norm per coordinate",
                      sp.Eq(sp.Symbol("v_perp_neglected"), self.rem.perp_variance))

    # ------------------------------------------------------------------------------------------
    def _form_mean_field(self) -> None:
        Asym, Bsym = sp.symbols("A B", real=True)
        score = -Asym * x + Bsym * mu
        drift = {"sde": x + 2 * score, "ode": x + score}
        noise2 = {"sde": sp.Integer(2), "ode": sp.Integer(0)}
        self.moment_rhs = {}
        for smp in SAMPLERS:
            dM, dS = moment_equations(drift[smp], noise2[smp])
            self.moment_rhs[smp] = (dM, dS)
            self.add_step(f"moment_eqs_{smp}",
                          f"{smp.upper()}: x = M mu_c + sqrt(S) xi, drift {'x + 2s' if smp == 'sde' else 'x + s'}, "
                          "Ito moments in backward time for s = -A x + B mu_c",
                          (sp.Eq(sp.Derivative(M_f(tau), tau), dM), sp.Eq(sp.Derivative(S_f(tau), tau), dS)))
        traj = {q: M, r: M ** 2 + S}
        self.add_step("trajectory_order_parameters", "along the trajectory: q -> M, r -> M^2 + S (n_c = 1)",
                      (sp.Eq(q, M), sp.Eq(r, M ** 2 + S)))
        self.mean_field_rhs = {}
        self.mean_field_rhs_rho = {}
        self.mean_field_rhs_log = {}
        self.mean_field_rhs_rho_log = {}
        sched = {omega: omega_f(t)}
        to_log = {S: sp.exp(log_S)}
        for smp in SAMPLERS:
            dM, dS = self.moment_rhs[smp]
            dM_l, dlogS = log_variance_equations((dM, dS))
            require(sp.expand(dM_l - dM.subs(to_log)) == 0 and sp.expand(dlogS * sp.exp(log_S) - dS.subs(to_log)) == 0,
                    f"log-variance equations ({smp})")
            A_r, B_r = self.AB_direct["uncommitted"]
            self.mean_field_rhs_rho[smp] = tuple(e.subs({Asym: A_r, Bsym: B_r}) for e in (dM, dS))
            self.mean_field_rhs_rho_log[smp] = tuple(e.subs({Asym: A_r, Bsym: B_r}) for e in (dM_l, dlogS))
            for name in BRANCHES:
                A_b, B_b = (e.subs(traj) for e in self.AB_branch[name])
                self.mean_field_rhs[(name, smp)] = tuple(e.subs({Asym: A_b, Bsym: B_b}) for e in (dM, dS))
                self.mean_field_rhs_log[(name, smp)] = tuple(e.subs({Asym: A_b, Bsym: B_b}).subs(to_log)
                                                             for e in (dM_l, dlogS))
            self.add_step(f"moment_eqs_log_{smp}",
                          f"{smp.upper()}: the same in log S (d log S/dtau = (dS/dtau)/S), what the solver integrates",
                          sp.Eq(sp.Derivative(sp.log(S_f(tau)), tau), dlogS.subs(sp.exp(-log_S), 1 / S)))
        self.add_step("mean_field_branches",
                      "mean-field equations: the moment equations with A, B of the current branch, "
                      "omega -> omega(t), "
                      "q -> M, r -> M^2 + S (committed: omega drops out)",
                      tuple(sp.Eq(sp.Symbol(f"A_{nm}"), self.AB_display[nm][0].subs(sched).subs(traj))
                            for nm in BRANCHES))
        ec_traj = (a_t * q - b_t).subs(traj)
        self.add_step("commitment_event",
                      "commitment: first crossing of a_t M - b_t = phi(t, M^2 + S) (from below, backward in time)",
                      sp.Eq(ec_traj, phi_f(t, M ** 2 + S)))
        self.add_step("condensation_event", "competitors condensed along the trajectory iff M^2 + S > r_c(t)",
                      sp.StrictGreaterThan(M ** 2 + S, sp.Symbol("r_c")))

    # ------------------------------------------------------------------------------------------
    def _form_exact_sampling(self) -> None:
        M_ex, S_ex = sp.exp(-t), Gamma()
        for smp in SAMPLERS:
            for name in BRANCHES:
                dM, dS = self.mean_field_rhs[(name, smp)]
                sub = {omega: 0, M: M_ex, S: S_ex}
                # forward time: dM/dt = -dM/dtau
                for lhs, rhs_ in ((sp.diff(M_ex, t), -dM.subs(sub)), (sp.diff(S_ex, t), -dS.subs(sub))):
                    require_zero(lhs - rhs_, f"omega = 0 exactness ({name}, {smp})", symbolic=False,
                                 constraints={lam: lambda vals, rnd: 1 + sp.Rational(rnd.randint(0, 300), 100)})
        self.add_step("omega0_exact",
                      "omega = 0: M = exp(-t), S = Gamma_t solve every branch (A = 1/Gamma, B = a); "
                      "r = G_t, q = exp(-t)",
                      (sp.Eq(M_f(t), sp.exp(-t)), sp.Eq(S_f(t), Gamma_t), sp.Eq(r, G_t)))
        own = explicit_ab(a_t * sp.exp(-t) - b_t)
        require_zero(own - explicit_ab(b_t), "own energy = b")
        self.add_step("own_energy",
                      "exact sampling: e_c = a exp(-t) - b = b = exp(-2t)/(2 Gamma) "
                      "(also the energy of the own class "
                      "of a typical sample of P_t)", sp.Eq(e_c, b_t))

    # ------------------------------------------------------------------------------------------
    def _nishimori(self):
        """Rate and energy of the annealed saddle at ``r = G_t`` (explicit, ``u = exp(-2t)``)."""
        rem = self.rem
        sub_u = {t: -sp.log(_u) / 2}
        I1 = explicit_ab(rem.rate_saddle).subs(r, G()).subs(sub_u)
        E1 = explicit_ab(rem.energy_family.subs(lam, 1)).subs(r, G()).subs(sub_u)
        require(t not in (I1 + E1).free_symbols, "time written in u = exp(-2t)")
        return I1, E1, sub_u

    def _form_collapse(self) -> None:
        I1, E1, sub_u = self._nishimori()
        G_over_Gamma = (G() / Gamma()).subs(sub_u)
        in_01 = {_u: lambda vals, rnd: sp.Rational(rnd.randint(1, 99), 100)}  # u = exp(-2t) in (0, 1)
        require_zero(I1 - sp.log(G_over_Gamma) / 2, "Nishimori: saddle rate at r = G is log(G/Gamma)/2",
                     symbolic=False, constraints=in_01)
        require_zero(E1 - explicit_ab(b_t).subs(sub_u), "Nishimori: saddle energy at r = G is b", symbolic=False,
                     constraints=in_01)
        self.add_step("nishimori_identity",
                      "at r = G_t the competitors' annealed saddle has energy b (= the own energy) "
                      "and rate log(G/Gamma)/2",
                      (sp.Eq(sp.Symbol("E_saddle(r=G)"), b_t),
                       sp.Eq(sp.Symbol("I_saddle(r=G)"), sp.log(G_t / Gamma_t) / 2)))
        self.add_step("collapse_condition",
                      "own energy b > phi(t, G) <=> log(G/Gamma)/2 > alpha <=> competitors condensed at r = G "
                      "(phi_cond <= phi_ann, so the condensed phase cannot move the crossing)",
                      sp.StrictGreaterThan(G_t / Gamma_t, sp.exp(2 * alpha)))
        # solve G/Gamma = exp(2 alpha) for u = exp(-2t)
        sol = sp.solve(sp.Eq((1 + sigma2 * _u), sp.exp(2 * alpha) * (sigma2 * _u + 1 - _u)), _u)
        require(len(sol) == 1, "one collapse root")
        t_C = -sp.log(sol[0]) / 2
        t_C_disp = sp.log(1 + 1 / (sp.exp(2 * alpha) - 1) - sigma2) / 2
        require_zero(sp.exp(-2 * t_C) - sp.exp(-2 * t_C_disp), "collapse time closed form", symbolic=False,
                     constraints={sigma2: lambda vals, rnd: sp.Rational(rnd.randint(1, 90), 100)
                                  / (sp.exp(2 * vals[alpha]) - 1).evalf(40)})
        self.t_collapse_expr = t_C_disp
        self.add_step("collapse_time",
                      "t_C: G_t/Gamma_t = exp(2 alpha); exists iff sigma2 (exp(2 alpha) - 1) < 1 (both priors)",
                      sp.Eq(sp.Symbol("t_C"), t_C_disp))
        biroli = sp.log(1 + 1 / (sp.exp(2 * alpha) - 1)) / 2
        require(sp.simplify(t_C_disp.subs(sigma2, 0) - biroli) == 0, "Biroli limit")
        self.t_collapse_biroli = biroli
        self.add_step("collapse_time_biroli", "sigma2 -> 0: Biroli, Bonnaire, de Bortoli, Mezard (2024)",
                      sp.Eq(sp.Limit(sp.Symbol("t_C"), sigma2, 0), biroli))
        # with sigma2 -> 0: own > phi_ann <=> Delta_t < exp(-2 alpha)
        self.add_step("collapse_biroli_delta",
                      "sigma2 -> 0: G = 1, Gamma = Delta_t: collapse iff Delta_t < exp(-2 alpha)",
                      sp.StrictLessThan(sp.Symbol("Delta_t"), sp.exp(-2 * alpha)))
        self.add_step("commitment_exact_sampling",
                      "omega = 0: e_c = b and r = G along the trajectory: the commitment time is t_C",
                      sp.Eq(sp.Symbol("t_commit(omega=0)"), sp.Symbol("t_C")))

    # ------------------------------------------------------------------------------------------
    def _form_limits(self) -> None:
        rem = self.rem
        if self.prior == "gaussian":
            I_u = rem.rate_family_u
            E_u = sp.cancel(rem.energy_family.subs(lam, 1 / u_lam))
            ser_I = sp.series(to_elementary(I_u), u_lam, 0, 3).removeO()
            ser_E = sp.series(E_u, u_lam, 0, 2).removeO()
            cI = sp.simplify(ser_I.coeff(u_lam, 2))
            require(sp.simplify(ser_I.coeff(u_lam, 0)) == 0 and sp.simplify(ser_I.coeff(u_lam, 1)) == 0,
                    "I = O(u^2)")
            u0 = sp.sqrt(alpha / cI)
            phi_small = sp.simplify(ser_E.subs(u_lam, u0))
            target = -b_t + sp.sqrt(2 * alpha * (a_t ** 2 * r + 2 * b_t ** 2))
            require_zero(phi_small - target, "alpha -> 0 expansion", symbolic=False)
            self.add_step("alpha_to_zero",
                          "alpha -> 0: lambda ~ sqrt((a^2 r/2 + b^2)/alpha) -> oo (condensed everywhere), "
                          "phi = -b + sqrt(2 alpha (a^2 r + 2 b^2)) + O(alpha)",
                          (sp.Eq(sp.Symbol("I(u=1/lambda)"), cI * u_lam ** 2 + sp.O(u_lam ** 3)),
                           sp.Eq(phi_s, target + sp.O(alpha))))
        else:
            phi_c = rem["phi_condensed_closed"].expr[0].rhs
            require(sp.limit(phi_c, alpha, 0) == -b_t, "phi -> -b")
            ser = sp.series(phi_c, alpha, 0, 2)
            self.add_step("alpha_to_zero",
                          "alpha -> 0: r_c -> 0 (condensed everywhere), phi = a sqrt(r (1 - exp(-2 alpha))) - b",
                          sp.Eq(phi_s, ser))
        self.add_step("alpha_to_zero_commitment",
                      "alpha -> 0: phi -> -b, the switch a q - b > phi becomes q > 0: commitment at the start "
                      "(t* -> T), then exact conditional dynamics (no distortion); t_C -> oo",
                      (sp.Eq(sp.Limit(phi_s, alpha, 0), -b_t),
                       sp.Eq(sp.Limit(self.t_collapse_expr, alpha, 0), sp.oo)))
        require(sp.limit(self.t_collapse_expr.subs(sigma2, sp.Rational(1, 2)), alpha, 0) == sp.oo, "t_C -> oo")
        # alpha -> oo: uncondensed everywhere, phi - e_c -> oo
        r_c = explicit_ab(rem.condensation_radius)
        require(sp.limit(r_c.subs({t: 1, sigma2: sp.Rational(1, 2)}), alpha, sp.oo) == sp.oo, "r_c -> oo")
        self.add_step("alpha_to_infinity",
                      "alpha -> oo: r_c -> oo (never condensed), phi - e_c -> oo (never committed): the uncommitted, "
                      "uncondensed drift at all times, i.e. the infinite-class limit; no collapse",
                      (sp.Eq(sp.Limit(sp.Symbol("r_c"), alpha, sp.oo), sp.oo),
                       sp.Eq(sp.Symbol("A"), self._A_infinite)))


@functools.lru_cache(maxsize=None)
def exponential_derivation(prior: str = "gaussian") -> ExponentialClassMeanField:
    """The (cached) formed :class:`ExponentialClassMeanField` of ``prior``."""
    return ExponentialClassMeanField(check_prior(prior))
