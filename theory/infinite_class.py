"""Exact theory of classifier-free guidance in the infinite-class limit (docs/explanation/model.md section 5.6).

Setting
-------
Forward OU process ``dx = -x dt + sqrt(2) dB``; a class ``c`` noised is
``N(exp(-t) mu_c, Gamma_t I)`` with ``Gamma_t = 1 + (sigma2 - 1) exp(-2t)``; guidance
``s = (1 + omega) s_c - omega s_u``; sampling backward in ``tau = T - t`` from
``x_T ~ N(0, I)`` with the reverse SDE ``dx = [x + 2 s] dtau + sqrt(2) dW`` or the
probability-flow ODE ``dx/dtau = x + s``. As ``K -> infinity`` there is no competitor
structure left: the unconditional density is the prior smeared by the class noise.

``gaussian`` prior (:class:`InfiniteClassGaussian`) -- exact at every finite ``d``
    ``P_t(x) = N(0, G_t I)``, ``G_t = 1 + sigma2 exp(-2t)``, so the guided score is linear,
    ``s = -A x + B mu_c`` with ``A = (1+omega)/Gamma_t - omega/G_t`` and
    ``B = (1+omega) exp(-t)/Gamma_t``. Samples stay exactly Gaussian, ``N(M mu_c, S I)``,
    with ``M``, ``S`` solving closed linear ODEs. Their solutions are quadratures for any
    schedule ``omega(t)`` and any horizon ``T``, and closed forms for constant ``omega`` and
    ``T -> infinity``:

    * ODE: ``var_ratio = (sigma2/(1+sigma2))^omega``,
      ``m_final = (1+omega) 2F1(-omega/2, 1; 3/2; 1/(1+sigma2))``;
    * SDE: ``m_final = 1 + sigma2 - sigma2 (sigma2/(1+sigma2))^omega``,
      ``var_ratio = [1 + sigma2 - sigma2 (sigma2/(1+sigma2))^(2 omega)] / (2 omega + 1)``
      (removable singularity at ``omega = -1/2``, value ``(1+sigma2) log(1 + 1/sigma2)``).

    ``omega = 0`` is exact sampling (``M = exp(-t)``, ``S = Gamma_t`` solve the equations);
    ``A - 1/Gamma_t = omega exp(-2t)/(Gamma_t G_t)``, so ``omega(t) >= 0`` can only shrink
    the variance (claim C5). All of this holds at any ``d``; only the per-dimension KL uses
    ``|mu_c|^2 = d``.

``sphere`` prior (:class:`InfiniteClassSphere`) -- exact only as ``d -> infinity``
    ``mu`` uniform on the sphere of radius ``sqrt(d)``. At finite ``d`` the unconditional
    posterior of ``mu`` is von Mises-Fisher and ``s_u = -(x - exp(-t) sqrt(d) A_{d/2}(kappa)
    xhat)/Gamma_t`` with ``A_nu = I_nu/I_{nu-1}``, ``kappa = exp(-t) sqrt(d)|x|/Gamma_t``:
    exact, but nonlinear in ``|x|``, so the moments do not close and the samples are not
    Gaussian. As ``d -> infinity`` with ``r = |x|^2/d`` fixed, the Bessel ratio tends to its
    uniform (Debye) asymptote ``2y/(1 + sqrt(1 + 4 y^2))``, ``y = kappa/d``, and ``r``
    concentrates on ``M^2 + S``. Then ``s_u = -A_u(t, r) x`` and the moment equations hold
    with ``A = (1+omega)/Gamma_t - omega A_u(t, M^2 + S)``: a closed, nonlinear mean-field
    system, exact in the limit ``d -> infinity`` only, with no closed form for
    ``omega != 0`` (at ``omega = 0`` it coincides with the gaussian-prior result).

Every derivation object checks its own identities when it is formed and raises
``RuntimeError`` if one fails; the expressions it exposes are turned into numerical code by
:mod:`cfgmft.theory.bridge`.
"""

from __future__ import annotations

import sympy as sp

from cfgmft.conventions import SAMPLERS

from .checks import require
from .derivation import Derivation
from .functions import expm1, exprel, log1p, to_elementary
from .observables import KL_PER_DIM, KL_PER_DIM_LOG, log_variance_equations
from .symbols import (
    gauss_expect, moment_equations,
    A, B, G, G_t, Gamma, Gamma_t, J_M, J_S, L, M, M_f, S, S_T, S_f, T, d, explicit, k,
    kappa, log_S, log_var_ratio, m_final, mu, nu, omega, omega_f, p, r, rho, s, sigma2, t, tau, u,
    var_ratio, x, xi, y, z,
)
from .symbols import Delta as Delta_fn
from .symbols import Delta_t

__all__ = ["InfiniteClassGaussian", "InfiniteClassSphere", "SAMPLERS"]


#: ``c = sigma2/(1 + sigma2)``: the ratio that every closed form is a power of
_c = sigma2 / (1 + sigma2)
#: ``exp(-2t)`` as a positive symbol (for the sphere checks)
_e2 = sp.Symbol("e2", positive=True)


def _is_zero(expr) -> bool:
    return sp.simplify(expr) == 0




def _exp_of_logs(expr):
    """``exp(sum_i c_i log b_i) -> prod_i b_i**c_i`` (keeps powers of named bases)."""
    expr = sp.expand(expr)
    out = sp.S.One
    for term in sp.Add.make_args(expr):
        logs = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.log)]
        if len(logs) == 1:
            coeff = sp.Mul(*[f for f in sp.Mul.make_args(term) if f is not logs[0]])
            out *= logs[0].args[0] ** coeff
        else:
            out *= sp.exp(term)
    return out


def _clean_powers(expr):
    """Split powers of products into products of powers (all bases here are positive)."""
    expr = sp.expand_power_base(sp.powdenest(sp.expand_power_base(expr, force=True), force=True), force=True)
    return sp.powsimp(expr, combine="exp", force=True)


def _same(expr1, expr2) -> bool:
    """Equality of expressions built from powers of positive quantities."""
    diff = sp.expand(_clean_powers(sp.powsimp(expr1, force=True))) - sp.expand(_clean_powers(expr2))
    return sp.expand(diff) == 0 or _is_zero(diff)


def _empty_integrals_to_zero(expr):
    """Set integrals over an empty interval (equal limits) to zero, without evaluating others."""
    return expr.replace(
        lambda e: isinstance(e, sp.Integral) and all(len(lim) == 3 and lim[1] == lim[2] for lim in e.limits),
        lambda e: sp.S.Zero,
    )


_Gamma_f, _G_f = sp.Function("Gamma"), sp.Function("G")


def _at(expr, at, schedule=False):
    """Display form at time ``at``: ``Gamma_t -> Gamma(at)``, ``G_t -> G(at)``, ``t -> at``."""
    out = sp.sympify(expr)
    if schedule:
        out = out.subs(omega, omega_f(at))
    return out.subs({Gamma_t: _Gamma_f(at), G_t: _G_f(at)}).subs(t, at)


def _to_time_u(expr):
    """Write an expression of ``t`` (through ``exp(-t)``, ``exp(-2t)``) in ``u = exp(-2t)``."""
    return sp.sympify(expr).subs({sp.exp(-2 * t): u, sp.exp(-t): sp.sqrt(u), t: -sp.log(u) / 2})


class InfiniteClassGaussian(Derivation):
    """CFG between the class Gaussian and the continuum ``N(0, G_t I)`` (gaussian prior).

    Steps (in order): noise functions, scores, guided-score coefficients ``A``, ``B``, the
    excess ``A - 1/Gamma_t`` (sign of C5), drifts, moment equations of both samplers in
    backward and forward time, initial condition, ``omega = 0`` exactness, quadratures for a
    schedule ``omega(t)``, the forward integrating-factor systems that evaluate them, the
    closed forms for constant ``omega`` and ``T -> infinity`` (via ``u = exp(-2t)``,
    ``k = u/Gamma``) in a plain and a numerically stable form, and the KL per dimension.

    Attributes set by :meth:`form` (used by the code bridge):

    ``A_expr``, ``B_expr``
        explicit in ``t``, ``omega``, ``sigma2``.
    ``moment_rhs[sampler]``
        ``(dM/dtau, dS/dtau)`` in ``M``, ``S``, ``A``, ``B``.
    ``quadrature_rhs[sampler]``
        forward-time integrands in ``L``, ``A``, ``B``: ODE ``(dL/dt, dJ_M/dt)``, SDE
        ``(dL/dt, dJ_M/dt, dJ_S/dt)``; ``quadrature_final[sampler]`` gives ``(M(0), S(0))``
        from ``L(T)``, ``J_M(T)``, ``J_S(T)``, ``S_T``; ``quadrature_final_log[sampler]`` gives
        ``(M(0), log S(0))``.
    ``closed_forms``
        dict ``{'m_final_ode', 'var_ratio_ode', 'm_final_sde', 'var_ratio_sde'}`` of the
        numerically stable forms (``expm1``, ``log1p``, ``exprel``, ``hyper``) in ``omega``,
        ``sigma2``; ``closed_forms_plain`` the same in powers; ``log_var_ratio_closed_forms``
        ``{'ode', 'sde'}`` the logs of the stable variance ratios (ODE: ``-omega log1p(1/sigma2)``,
        finite where ``var_ratio`` underflows).
    ``kl_expr``, ``kl_log_expr``
        KL per dimension in ``m_final``, ``var_ratio``, ``sigma2`` (and in ``log_var_ratio``
        instead of ``var_ratio``): :data:`cfgmft.theory.observables.KL_PER_DIM`, checked here.
    """

    title = "CFG in the infinite-class limit, gaussian prior"

    def _form(self) -> None:
        self._form_model()
        self._form_moments()
        self._form_omega0()
        self._form_quadrature()
        self._form_closed_forms()
        self._form_kl()

    # ----------------------------------------------------------------------------------------------
    def _form_model(self) -> None:
        self.add_step("Delta", "variance of the noise injected by the forward OU process",
                      sp.Eq(Delta_t, Delta_fn()))
        self.add_step("Gamma", "noised class c: N(exp(-t) mu_c, Gamma_t I)",
                      sp.Eq(Gamma_t, sp.collect(sp.expand(Gamma()), sp.exp(-2 * t))))
        g_from_prior = sp.expand(sp.exp(-2 * t) * (1 + sigma2) + Delta_fn())
        require(sp.expand(g_from_prior - G()) == 0, "G_t = exp(-2t)(1+sigma2) + Delta_t")
        self.add_step("G", "continuum N(0,(1+sigma2) I) of the gaussian prior, noised: N(0, G_t I)",
                      sp.Eq(G_t, g_from_prior))
        require(sp.expand(G() - Gamma() - sp.exp(-2 * t)) == 0, "G - Gamma = exp(-2t)")

        s_c_sym, s_u_sym, s_sym = sp.symbols("s_c s_u s")
        s_c = -(x - sp.exp(-t) * mu) / Gamma_t
        s_u = -x / G_t
        self.add_step("score_class", "class score, one component", sp.Eq(s_c_sym, s_c))
        self.add_step("score_uncond", "continuum unconditional score", sp.Eq(s_u_sym, s_u))
        guided = sp.expand((1 + omega) * s_c - omega * s_u)
        self.add_step("guided_score", "s = (1+omega) s_c - omega s_u", sp.Eq(s_sym, guided))

        A_disp = (1 + omega) / Gamma_t - omega / G_t
        require(sp.expand(-sp.diff(guided, x) - A_disp) == 0, "A = -ds/dx")
        B_disp = sp.factor(sp.diff(guided, mu))
        require(sp.simplify(B_disp - (1 + omega) * sp.exp(-t) / Gamma_t) == 0, "B = ds/dmu")
        self.add_step("A_coef", "A = -ds/dx", sp.Eq(A, A_disp))
        self.add_step("B_coef", "B = ds/dmu", sp.Eq(B, B_disp))
        require(sp.expand(guided - (-A_disp * x + B_disp * mu)) == 0, "s = -A x + B mu")
        self.add_step("score_is_linear", "the guided score is linear in x: s = -A x + B mu",
                      sp.Eq(s_sym, -A * x + B * mu))
        excess = sp.simplify(explicit(A_disp - 1 / Gamma_t))
        excess_disp = omega * sp.exp(-2 * t) / (Gamma_t * G_t)
        require(_is_zero(excess - explicit(excess_disp)), "A - 1/Gamma = omega e^{-2t}/(Gamma G)")
        self.add_step("guidance_excess",
                      "A exceeds the exact-sampling value 1/Gamma_t iff omega > 0 (since G_t - Gamma_t = exp(-2t))",
                      sp.Eq(A - 1 / Gamma_t, excess_disp))
        self.A_disp, self.B_disp = A_disp, B_disp
        self.A_expr = explicit(A_disp)
        self.B_expr = explicit(B_disp)

    # ----------------------------------------------------------------------------------------------
    def _form_moments(self) -> None:
        score = -A * x + B * mu
        drift = {"sde": x + 2 * score, "ode": x + score}
        noise2 = {"sde": sp.Integer(2), "ode": sp.Integer(0)}
        self.moment_rhs = {}
        self.moment_rhs_forward = {}
        for smp in SAMPLERS:
            self.add_step(f"drift_{smp}",
                          {"sde": "reverse SDE drift x + 2s, noise sqrt(2) dW",
                           "ode": "probability-flow ODE drift x + s"}[smp],
                          sp.Eq(sp.Symbol(f"f_{smp}"), sp.collect(sp.expand(drift[smp]), x)))
            dM, dS = moment_equations(drift[smp], noise2[smp])
            self.moment_rhs[smp] = (dM, dS)
            self.moment_rhs_forward[smp] = (-dM, -dS)
            self.add_step(
                f"moment_eqs_{smp}",
                f"{smp.upper()}: x = M mu_c + sqrt(S) xi stays Gaussian; Ito moments in backward time tau",
                (sp.Eq(sp.Derivative(M_f(tau), tau), dM), sp.Eq(sp.Derivative(S_f(tau), tau), dS)))
        for smp in SAMPLERS:
            dM, dS = self.moment_rhs_forward[smp]
            self.add_step(f"moment_eqs_forward_{smp}", f"{smp.upper()} moment equations in forward time t = T - tau",
                          (sp.Eq(sp.Derivative(M_f(t), t), dM), sp.Eq(sp.Derivative(S_f(t), t), dS)))
        self.add_step("initial_condition", "x_T ~ N(0, I): M = 0 and S = 1 at t = T (tau = 0)",
                      (sp.Eq(M_f(T), 0), sp.Eq(S_f(T), 1)))

    # ----------------------------------------------------------------------------------------------
    def omega0_residuals(self, sampler: str):
        """Residuals of the forward moment equations at ``omega = 0`` for ``M = exp(-t)``, ``S = Gamma_t``.

        Returns the unsimplified pair ``(dM/dt - rhs_M, dS/dt - rhs_S)``; both simplify to 0.
        """
        M_ex, S_ex = sp.exp(-t), Gamma()
        dM, dS = self.moment_rhs_forward[sampler]
        sub = {A: self.A_expr.subs(omega, 0), B: self.B_expr.subs(omega, 0), M: M_ex, S: S_ex}
        return (sp.diff(M_ex, t) - dM.subs(sub), sp.diff(S_ex, t) - dS.subs(sub))

    def _form_omega0(self) -> None:
        for smp in SAMPLERS:
            for res in self.omega0_residuals(smp):
                require(_is_zero(res), f"omega=0 exactness ({smp})")
        self.add_step("omega0_exact",
                      "omega = 0: the exact-sampling moments solve both samplers' equations (residuals simplify to 0)",
                      (sp.Eq(M_f(t), sp.exp(-t)), sp.Eq(S_f(t), Gamma_t)))

    # ----------------------------------------------------------------------------------------------
    def _schedule(self, expr, at):
        return expr.subs(omega, omega_f(t)).subs(t, at)

    def quadrature_solutions(self):
        """Time-dependent solutions ``{sampler: (M(t), S(t))}`` for a schedule ``omega(t)``.

        Forward in ``t`` with integrating factors, ``M(T) = 0`` and ``S(T) = S_T``:

        * ODE: ``M(t) = int_t^T B E1 dp / E1(t)``, ``S(t) = S_T exp(2 int_t^T (1 - A))``,
          ``E1(t) = exp(int_0^t (1 - A))``;
        * SDE: ``M(t) = int_t^T 2 B E2 dp / E2(t)``, ``S(t) = [S_T F(T) + 2 int_t^T F dp] / F(t)``,
          ``E2 = exp(int_0^t (1 - 2A))``, ``F = E2^2``.
        """
        Aw = lambda at: self._schedule(self.A_expr, at)  # noqa: E731
        Bw = lambda at: self._schedule(self.B_expr, at)  # noqa: E731
        E1 = lambda at: sp.exp(sp.Integral(1 - Aw(s), (s, 0, at)))  # noqa: E731
        E2 = lambda at: sp.exp(sp.Integral(1 - 2 * Aw(s), (s, 0, at)))  # noqa: E731
        F = lambda at: E2(at) ** 2  # noqa: E731
        ode = (sp.Integral(Bw(p) * E1(p), (p, t, T)) / E1(t),
               S_T * sp.exp(2 * sp.Integral(1 - Aw(s), (s, t, T))))
        sde = (sp.Integral(2 * Bw(p) * E2(p), (p, t, T)) / E2(t),
               (S_T * F(T) + 2 * sp.Integral(F(p), (p, t, T))) / F(t))
        return {"ode": ode, "sde": sde}

    def quadrature_residuals(self):
        """``{sampler: (res_M, res_S)}``: the quadrature solutions inserted in the forward equations."""
        out = {}
        for smp, (Mt, St) in self.quadrature_solutions().items():
            dM, dS = self.moment_rhs_forward[smp]
            sub = {A: self._schedule(self.A_expr, t), B: self._schedule(self.B_expr, t)}
            out[smp] = (sp.diff(Mt, t) - dM.subs(sub).subs(M, Mt),
                        sp.diff(St, t) - dS.subs(sub).subs({M: Mt, S: St}))
        return out

    def _form_quadrature(self) -> None:
        self.add_step("schedule_coefficients", "a schedule omega(t) enters A and B pointwise",
                      (sp.Eq(A, _at(self.A_disp, t, True)), sp.Eq(B, _at(self.B_disp, t, True))))
        for smp, res in self.quadrature_residuals().items():
            for rr in res:
                require(_is_zero(rr), f"quadrature solves the {smp} moment equations")
        for smp, (Mt, St) in self.quadrature_solutions().items():
            require(sp.simplify(_empty_integrals_to_zero(Mt.subs(t, T))) == 0, f"M(T) = 0 ({smp})")
            require(sp.simplify(_empty_integrals_to_zero(St.subs(t, T)) - S_T) == 0, f"S(T) = S_T ({smp})")

        E1, E2, Fn = sp.Function("E_1"), sp.Function("E_2"), sp.Function("F")
        A_s, B_s = _at(self.A_disp, s, True), _at(self.B_disp, t, True)
        self.add_step("integrating_factor_ode", "ODE integrating factor",
                      sp.Eq(E1(t), sp.exp(sp.Integral(1 - A_s, (s, 0, t)))))
        self.add_step("m_final_ode_quadrature", "ODE final mean, M(T) = 0 (solution verified by differentiation)",
                      sp.Eq(M_f(0), sp.Integral(B_s * E1(t), (t, 0, T))))
        self.add_step("S_final_ode_quadrature", "ODE final variance, S(T) = S_T",
                      sp.Eq(S_f(0), S_T * sp.exp(2 * sp.Integral(1 - _at(self.A_disp, t, True), (t, 0, T)))))
        self.add_step("integrating_factor_sde", "SDE integrating factors",
                      (sp.Eq(E2(t), sp.exp(sp.Integral(1 - 2 * A_s, (s, 0, t)))), sp.Eq(Fn(t), E2(t) ** 2)))
        self.add_step("m_final_sde_quadrature", "SDE final mean, M(T) = 0 (solution verified by differentiation)",
                      sp.Eq(M_f(0), sp.Integral(2 * B_s * E2(t), (t, 0, T))))
        self.add_step("S_final_sde_quadrature", "SDE final variance, S(T) = S_T",
                      sp.Eq(S_f(0), S_T * Fn(T) + 2 * sp.Integral(Fn(t), (t, 0, T))))

        # The quadratures as one forward system: L = log of the integrating factor.
        self.quadrature_rhs = {
            "ode": (1 - A, B * sp.exp(L)),
            "sde": (1 - 2 * A, 2 * B * sp.exp(L), 2 * sp.exp(2 * L)),
        }
        self.quadrature_final = {
            "ode": (J_M, S_T * sp.exp(2 * L)),
            "sde": (J_M, S_T * sp.exp(2 * L) + J_S),
        }
        # log S(0): ODE log S_T + 2 L (finite where S(0) underflows)
        self.quadrature_final_log = {smp: (Mfin, sp.expand_log(sp.log(Sfin), force=True))
                                     for smp, (Mfin, Sfin) in self.quadrature_final.items()}
        # consistency with the Integral forms: d/dT of the T-dependent results are the integrands
        A_of = lambda at: self._schedule(self.A_expr, at)  # noqa: E731
        B_of = lambda at: self._schedule(self.B_expr, at)  # noqa: E731
        L_ode = sp.Integral(1 - A_of(s), (s, 0, T))
        L_sde = sp.Integral(1 - 2 * A_of(s), (s, 0, T))
        M_ode = sp.Integral(B_of(p) * sp.exp(L_ode.subs(T, p)), (p, 0, T))
        M_sde = sp.Integral(2 * B_of(p) * sp.exp(L_sde.subs(T, p)), (p, 0, T))
        Js_sde = 2 * sp.Integral(sp.exp(2 * L_sde.subs(T, p)), (p, 0, T))
        at_T = {A: A_of(T), B: B_of(T)}
        checks = [
            (sp.diff(L_ode, T), self.quadrature_rhs["ode"][0].subs(at_T)),
            (sp.diff(M_ode, T), self.quadrature_rhs["ode"][1].subs(at_T).subs(L, L_ode)),
            (sp.diff(L_sde, T), self.quadrature_rhs["sde"][0].subs(at_T)),
            (sp.diff(M_sde, T), self.quadrature_rhs["sde"][1].subs(at_T).subs(L, L_sde)),
            (sp.diff(Js_sde, T), self.quadrature_rhs["sde"][2].subs(at_T).subs(L, L_sde)),
        ]
        for lhs, rhs in checks:
            require(_is_zero(lhs - rhs), "forward system integrands = d/dT of the quadratures")
        for smp in SAMPLERS:
            names = ("L", "J_M", "J_S")[: len(self.quadrature_rhs[smp])]
            eqs = [sp.Eq(sp.Derivative(sp.Function(n)(t), t), e) for n, e in zip(names, self.quadrature_rhs[smp])]
            self.add_step(f"quadrature_system_{smp}",
                          f"{smp.upper()}: forward system from L = J_M = J_S = 0 at t = 0; integrate to t = T",
                          tuple(eqs))
            Mfin, Sfin = self.quadrature_final[smp]
            self.add_step(f"quadrature_result_{smp}", f"{smp.upper()}: final moments from the forward system at t = T",
                          (sp.Eq(M_f(0), Mfin), sp.Eq(S_f(0), Sfin)))
            self.add_step(f"quadrature_log_result_{smp}", f"{smp.upper()}: log S(0) from the forward system at t = T",
                          sp.Eq(sp.log(S_f(0)), self.quadrature_final_log[smp][1]))

    # ----------------------------------------------------------------------------------------------
    def _form_closed_forms(self) -> None:
        U = sp.Symbol("U", positive=True)
        Gam_u, G_u = _to_time_u(Gamma()), _to_time_u(G())
        require(sp.expand(Gam_u - (1 + (sigma2 - 1) * u)) == 0, "Gamma(u)")
        self.add_step("substitution_u", "constant omega, T -> infinity: substitute u = exp(-2t), dt = -du/(2u)",
                      (sp.Eq(u, sp.exp(-2 * t)), sp.Eq(Gamma_t, Gam_u), sp.Eq(G_t, G_u)))

        # int_0^t (1 - 1/Gamma) ds = int_{U}^{1} (1 - 1/Gamma(u)) du/(2u), U = exp(-2t); by sympy.
        logint = {}
        for name, var, val0, disp in (("Gamma", Gam_u, sigma2, Gamma_t), ("G", G_u, 1 + sigma2, G_t)):
            integrand = sp.cancel((1 - 1 / var) / (2 * u))
            val = sp.integrate(integrand, (u, U, 1))
            val = sp.simplify(sp.logcombine(sp.simplify(val), force=True))
            target = sp.log(val0 / var.subs(u, U)) / 2
            require(_is_zero(sp.expand_log(val - target, force=True)), f"log integral of 1/{name}")
            logint[name] = sp.log(val0 / disp) / 2
            self.add_step(f"log_integral_{name}", f"sympy integrate in u of 1 - 1/{name}_t",
                          sp.Eq(sp.Integral(1 - 1 / explicit(disp, s), (s, 0, t)), logint[name]))

        # exponents: 1 - A = (1+omega)(1 - 1/Gamma) - omega(1 - 1/G)
        require(sp.expand((1 - self.A_disp) - ((1 + omega) * (1 - 1 / Gamma_t) - omega * (1 - 1 / G_t))) == 0,
                "1 - A decomposition")
        L1 = (1 + omega) * logint["Gamma"] - omega * logint["G"]
        L2 = -t + 2 * L1
        require(sp.expand((1 - 2 * self.A_disp) - (-1 + 2 * (1 - self.A_disp))) == 0, "1 - 2A = -1 + 2(1 - A)")
        self.add_step("exponent_ode", "log E_1 for constant omega",
                      sp.Eq(sp.Integral(1 - explicit(self.A_disp, s), (s, 0, t)), L1))
        self.add_step("exponent_sde", "log E_2 for constant omega",
                      sp.Eq(sp.Integral(1 - 2 * explicit(self.A_disp, s), (s, 0, t)), L2))
        E1 = _exp_of_logs(sp.expand_log(L1, force=True))
        E2 = sp.exp(-t) * E1 ** 2

        # ODE variance: S(0) = exp(2 L1(inf)); Gamma, G -> 1
        S0_ode = (E1 ** 2).subs({Gamma_t: 1, G_t: 1})
        vr_ode = sp.powsimp(sp.simplify(S0_ode / sigma2), force=True)
        vr_ode_plain = _c ** omega
        require(_is_zero(sp.expand_power_base(vr_ode - vr_ode_plain, force=True)), "ODE var_ratio")
        self.add_step("var_ratio_ode_const", "ODE: S(0) = exp(2 int_0^oo (1 - A)), divided by sigma2",
                      sp.Eq(var_ratio, vr_ode_plain))

        # k = u/Gamma: dk/du = 1/Gamma^2, G/Gamma = 1 + k; u in [0, 1] -> k in [0, 1/sigma2]
        k_of_u = u / Gam_u
        require(_is_zero(sp.diff(k_of_u, u) - 1 / Gam_u ** 2), "dk/du = 1/Gamma^2")
        require(_is_zero(G_u / Gam_u - 1 - k_of_u), "G/Gamma = 1 + k")
        require(sp.simplify(k_of_u.subs(u, 1) - 1 / sigma2) == 0, "k(u=1) = 1/sigma2")
        self.add_step("substitution_k", "k = u/Gamma makes the exponents powers of 1 + k",
                      (sp.Eq(k, u / Gamma_t), sp.Eq(sp.Derivative(k, u), 1 / Gamma_t ** 2),
                       sp.Eq(G_t / Gamma_t, 1 + k)))

        def to_k(integrand_dt):
            """int_0^oo f dt -> int_0^{1/sigma2} g dk with dt = du/(2u), u = k Gamma, G = (1+k) Gamma."""
            f = _to_time_u(integrand_dt) / (2 * u)
            f = f.subs({G_t: (1 + k) * Gamma_t}).subs(u, k * Gamma_t) * Gamma_t ** 2
            f = _clean_powers(sp.simplify(_clean_powers(f)))
            require(not f.has(Gamma_t), "Gamma cancels after k-substitution")
            return f

        # SDE mean: M(0) = int_0^oo 2 B E2 dt
        g_msde = to_k(2 * self.B_disp * E2)
        self.add_step("m_final_sde_integral", "SDE mean after u = exp(-2t), k = u/Gamma",
                      sp.Eq(m_final, sp.Integral(g_msde, (k, 0, 1 / sigma2))))
        m_sde = sp.integrate(g_msde, (k, 0, 1 / sigma2), conds="none")
        m_sde_plain = 1 + sigma2 - sigma2 * _c ** omega
        require(_same(m_sde, m_sde_plain), "SDE m_final")
        self.add_step("m_final_sde_const", "SDE final mean (sympy integrate)", sp.Eq(m_final, m_sde_plain))

        # SDE variance: S(0) = lim S_T F(T) + 2 int_0^oo F dt, F = E2^2
        F = E2 ** 2
        FT = _to_time_u(F).subs({Gamma_t: Gam_u, G_t: G_u})
        require(sp.limit(FT, u, 0) == 0, "F(T) -> 0 as T -> infinity")
        g_ssde = to_k(2 * F / sigma2)
        self.add_step("var_ratio_sde_integral", "SDE variance ratio: F(T) -> 0, then u = exp(-2t), k = u/Gamma",
                      sp.Eq(var_ratio, sp.Integral(g_ssde, (k, 0, 1 / sigma2))))
        v_sde = sp.integrate(g_ssde, (k, 0, 1 / sigma2), conds="none")
        v_sde_plain = (1 + sigma2 - sigma2 * _c ** (2 * omega)) / (2 * omega + 1)
        require(_same(v_sde, v_sde_plain), "SDE var_ratio")
        self.add_step("var_ratio_sde_const", "SDE final variance ratio (sympy integrate; generic omega)",
                      sp.Eq(var_ratio, v_sde_plain))
        v_lim = sp.limit(v_sde_plain, omega, -sp.Rational(1, 2))
        v_lim_plain = (1 + sigma2) * sp.log(1 + 1 / sigma2)
        require(_is_zero(sp.expand_log(v_lim - v_lim_plain, force=True)), "omega=-1/2 limit")
        self.add_step("var_ratio_sde_const_limit", "removable singularity at omega = -1/2 (sympy limit)",
                      sp.Eq(sp.Limit(var_ratio, omega, -sp.Rational(1, 2), dir="+-"), v_lim_plain))

        # ODE mean: M(0) = int_0^oo B E1 dt
        g_mode = to_k(self.B_disp * E1)
        self.add_step("m_final_ode_integral", "ODE mean after u = exp(-2t), k = u/Gamma",
                      sp.Eq(m_final, sp.Integral(g_mode, (k, 0, 1 / sigma2))))
        # k = (1 - s)/sigma2 gives Euler's integral with z = 1/(1 + sigma2)
        e_int = sp.simplify(sp.powsimp(sp.expand_power_base(
            g_mode.subs(k, (1 - s) / sigma2) / sigma2, force=True), force=True))
        euler_form = (1 + omega) / 2 * (1 - s) ** sp.Rational(-1, 2) * (1 - z * s) ** (omega / 2)
        ratio = sp.simplify(sp.powsimp(sp.expand_power_base(
            e_int / euler_form.subs(z, 1 / (1 + sigma2)), force=True), force=True))
        require(ratio == 1, f"Euler form of the ODE mean integrand (ratio {ratio})")
        self.add_step("m_final_ode_euler", "k = (1 - s)/sigma2, z = 1/(1+sigma2)",
                      sp.Eq(m_final, sp.Integral(euler_form, (s, 0, 1)).subs(z, 1 / (1 + sigma2))))
        a_ = sp.Symbol("a", real=True)
        n_ = sp.Symbol("n", integer=True, nonnegative=True)
        # Euler: int_0^1 (1-s)^{-1/2} (1 - z s)^{-a} ds = sum_n (a)_n z^n/n! B(n+1, 1/2); B(n+1,1/2) = 2 (1)_n/(3/2)_n
        require(sp.simplify(sp.gammasimp(sp.beta(n_ + 1, sp.S.Half).rewrite(sp.gamma)
                                         - 2 * sp.rf(1, n_) / sp.rf(sp.Rational(3, 2), n_)).rewrite(sp.gamma)) == 0,
                "termwise Euler integral")
        self.add_step("euler_integral",
                      "Euler integral (|z| < 1; termwise: int_0^1 s^n (1-s)^(-1/2) ds = B(n+1,1/2) = 2 (1)_n/(3/2)_n)",
                      sp.Eq(sp.Integral((1 - s) ** sp.Rational(-1, 2) * (1 - z * s) ** (-a_), (s, 0, 1)),
                            2 * sp.hyper((a_, 1), (sp.Rational(3, 2),), z)))
        m_ode_plain = (1 + omega) * sp.hyper((-omega / 2, 1), (sp.Rational(3, 2),), 1 / (1 + sigma2))
        self.add_step("m_final_ode_const", "ODE final mean", sp.Eq(m_final, m_ode_plain))
        # cross-check: sympy's own integration in s' = sigma2 k gives the Pfaff-transformed form
        g_alt = sp.simplify(sp.powsimp(sp.expand_power_base(g_mode.subs(k, s / sigma2) / sigma2, force=True),
                                       force=True))
        m_alt = sp.integrate(g_alt, (s, 0, 1), conds="none").replace(sp.exp_polar, sp.exp)
        self._m_ode_alt = m_alt
        self.add_step("m_final_ode_const_alt",
                      "same mean by sympy integrate in s = sigma2 k (Pfaff transform of the form above)",
                      sp.Eq(m_final, m_alt))
        for w_, s2_ in ((2, 1), (sp.Rational(1, 2), sp.Rational(1, 10)), (7, 10), (-sp.Rational(3, 4), 3)):
            vals = [sp.N(e.subs({omega: w_, sigma2: s2_}), 30) for e in (m_ode_plain, m_alt)]
            require(abs(vals[0] - vals[1]) < 1e-25, f"Pfaff cross-check at omega={w_}, sigma2={s2_}")

        # numerically stable forms (no cancellation; exprel removes the 0/0 at omega = -1/2)
        ell = log1p(1 / sigma2)  # = -log(c)
        stable = {
            "m_final_ode": m_ode_plain,
            "var_ratio_ode": sp.exp(-omega * ell),
            "m_final_sde": -(1 + sigma2) * expm1(-(1 + omega) * ell),
            "var_ratio_sde": (1 + sigma2) * ell * exprel(-(2 * omega + 1) * ell),
        }
        plain = {"m_final_ode": m_ode_plain, "var_ratio_ode": vr_ode_plain,
                 "m_final_sde": m_sde_plain, "var_ratio_sde": v_sde_plain}
        for name in stable:
            diff = to_elementary(stable[name]) - plain[name]
            require(_is_zero(sp.expand_power_base(sp.powsimp(sp.expand_log(sp.expand(diff), force=True),
                                                             force=True), force=True))
                    or _is_zero(sp.expand_log(sp.log(to_elementary(stable[name]) / plain[name]), force=True)),
                    f"stable form of {name}")
        require(sp.simplify(to_elementary(stable["var_ratio_sde"].subs(omega, -sp.Rational(1, 2))) - v_lim_plain) == 0,
                "stable SDE var at omega = -1/2")
        self.closed_forms = stable
        self.closed_forms_plain = plain
        self.add_step("closed_forms_stable",
                      "stable forms: log1p(1/sigma2) = -log(sigma2/(1+sigma2)), exprel(x) = (exp(x)-1)/x",
                      tuple(sp.Eq(sp.Symbol(n_), e) for n_, e in stable.items()))
        # logs of the variance ratios: the ODE's is linear in omega and finite where the ratio
        # underflows float64 (sigma2 = 1e-4, omega = 100: var_ratio ~ 1e-400)
        self.log_var_ratio_closed_forms = {smp: sp.expand_log(sp.log(stable[f"var_ratio_{smp}"]), force=True)
                                           for smp in SAMPLERS}
        require(sp.simplify(self.log_var_ratio_closed_forms["ode"] + omega * ell) == 0, "ODE log var_ratio")
        self.add_step("log_var_ratio_const", "log var_ratio of the stable forms (ODE: -omega log1p(1/sigma2))",
                      tuple(sp.Eq(sp.Symbol(f"log_var_ratio_{smp}"), e)
                            for smp, e in self.log_var_ratio_closed_forms.items()))

    # ----------------------------------------------------------------------------------------------
    def _form_kl(self) -> None:
        a1, b1 = sp.symbols("a b", real=True)
        v1, v0 = sp.symbols("v_1 v_0", positive=True)
        xx = a1 + sp.sqrt(v1) * xi
        logp = -sp.log(2 * sp.pi * v1) / 2 - (xx - a1) ** 2 / (2 * v1)
        logq = -sp.log(2 * sp.pi * v0) / 2 - (xx - b1) ** 2 / (2 * v0)
        kl1 = sp.simplify(gauss_expect(sp.expand(logp - logq), xi))
        self.add_step("kl_gaussian_1d", "KL(N(a, v_1) || N(b, v_0)) = E_p[log p - log q]",
                      sp.Eq(sp.Symbol("KL_1"), kl1))
        mu2 = sp.Symbol("mu_i2", positive=True)
        # component i: a = M mu_i, b = mu_i, v_1 = S, v_0 = sigma2; average over i with |mu_c|^2/d = 1
        per_dim = sp.expand(kl1.subs({a1: m_final * mu, b1: mu, v1: var_ratio * sigma2, v0: sigma2}))
        per_dim = sp.expand(per_dim.subs(mu ** 2, mu2)).subs(mu2, 1)
        kl = KL_PER_DIM
        require(_is_zero(sp.expand_log(per_dim - kl, force=True)), "KL per dimension")
        self.kl_expr = kl
        self.add_step("kl_per_dim",
                      "KL(N(M mu_c, S I) || N(mu_c, sigma2 I))/d with |mu_c|^2 = d, var_ratio = S/sigma2",
                      sp.Eq(sp.Symbol("kl_per_dim"), kl))
        kl_log = KL_PER_DIM_LOG
        require(_is_zero(sp.expand_log(to_elementary(kl_log).subs(log_var_ratio, sp.log(var_ratio)) - kl,
                                       force=True)), "KL per dimension in log_var_ratio")
        self.kl_log_expr = kl_log
        self.add_step("kl_per_dim_log",
                      "the same KL in log_var_ratio = log(var_ratio), exp(l) - 1 = expm1(l): "
                      "exact where var_ratio underflows",
                      sp.Eq(sp.Symbol("kl_per_dim"), kl_log))


class InfiniteClassSphere(Derivation):
    """Infinite-class CFG with means uniform on the sphere of radius ``sqrt(d)``.

    Exact at finite ``d``: the von Mises-Fisher posterior of ``mu`` given ``x`` and the
    unconditional score ``s_u = -(x - exp(-t) sqrt(d) A_{d/2}(kappa) xhat)/Gamma_t``,
    ``A_nu = I_nu/I_{nu-1}``, ``kappa = exp(-t) sqrt(d) |x|/Gamma_t`` (nonlinear in ``|x|``:
    the Gaussian moments do not close).

    Exact only as ``d -> infinity`` (mean-field): with ``r = |x|^2/d`` and ``y = kappa/d``,
    ``A_{d/2}(kappa) -> 2y/(1 + sqrt(1 + 4 y^2))`` (leading order of the Riccati equation of
    the Bessel ratio = uniform Debye asymptote), ``s_u = -A_u(t, r) x`` with
    ``A_u = (1 - exp(-t) rho)/Gamma_t``,
    ``rho = 2 exp(-t) / (Gamma_t (1 + sqrt(1 + 4 exp(-2t) r / Gamma_t^2)))``, and
    ``r = M^2 + S`` along the guided trajectory (``|mu_c|^2 = d``). The moment equations of
    :class:`InfiniteClassGaussian` then hold with ``A = (1+omega)/Gamma_t - omega A_u(t, M^2+S)``.

    Attributes: ``A_u_expr`` (explicit in ``t``, ``r``, ``sigma2``), ``A_expr`` (in ``t``, ``r``,
    ``omega``, ``sigma2``), ``B_expr``, ``r_expr`` (``M^2 + S``), ``mean_field_rhs[sampler]``
    (``(dM/dtau, dS/dtau)`` explicit in ``t``, ``M``, ``S``, ``omega``, ``sigma2``),
    ``mean_field_rhs_log[sampler]`` (``(dM/dtau, d log_S/dtau)`` in ``t``, ``M``, ``log_S``,
    ``omega``, ``sigma2``: the state the solver integrates, so that a tiny ``S`` keeps its
    relative accuracy) and ``debye_expr`` (the asymptote in ``y``).
    """

    title = "CFG in the infinite-class limit, sphere prior (d -> infinity mean-field)"

    def __init__(self, *, gaussian: InfiniteClassGaussian | None = None, form: bool = True):
        self._gaussian = gaussian
        super().__init__(form=form)

    def _form(self) -> None:
        gauss = self._gaussian if self._gaussian is not None else InfiniteClassGaussian()
        Rb = sp.besseli(nu, kappa) / sp.besseli(nu - 1, kappa)
        recurrences = {
            sp.besseli(nu + 1, kappa): sp.besseli(nu - 1, kappa) - 2 * nu / kappa * sp.besseli(nu, kappa),
            sp.besseli(nu - 2, kappa): sp.besseli(nu, kappa) + 2 * (nu - 1) / kappa * sp.besseli(nu - 1, kappa),
        }
        self.add_step("prior", "mu uniform on the sphere |mu|^2 = d; the class noise makes the continuum",
                      sp.Eq(sp.Symbol("|mu|^2"), d))
        kappa_expr = sp.exp(-t) * sp.sqrt(d) * sp.Symbol("|x|", positive=True) / Gamma_t
        self.add_step("posterior_vmf",
                      "P_t(mu|x) ~ exp(exp(-t) x.mu/Gamma_t) on the sphere: von Mises-Fisher (exact, any d)",
                      sp.Eq(kappa, kappa_expr))
        # E[cos theta] = d/dkappa log Z, Z ~ kappa^(1-nu) I_{nu-1}(kappa), nu = d/2
        logZ = sp.log(kappa ** (1 - nu) * sp.besseli(nu - 1, kappa))
        require(_is_zero(sp.diff(logZ, kappa).subs(recurrences) - Rb), "vMF mean resultant = I_nu/I_{nu-1}")
        A_nu = sp.Function("A_nu")
        self.add_step("posterior_mean_finite_d",
                      "E[mu|x] = sqrt(d) A_{d/2}(kappa) xhat, A_nu = I_nu/I_{nu-1} = d log(kappa^(1-nu) I_{nu-1})/dkappa",
                      (sp.Eq(A_nu(kappa), Rb), sp.Eq(nu, d / 2)))
        self.add_step("score_uncond_finite_d",
                      "exact unconditional score at finite d: nonlinear in |x|, moments do not close",
                      sp.Eq(sp.Symbol("s_u"), -(sp.Symbol("x_vec") - sp.exp(-t) * sp.sqrt(d)
                                                 * A_nu(kappa) * sp.Symbol("xhat")) / Gamma_t))
        # Riccati equation of the ratio and its leading order as nu -> infinity at kappa = nu zeta
        Rs = sp.Symbol("R")
        ric = 1 - (2 * nu - 1) / kappa * Rs - Rs ** 2
        require(_is_zero(sp.diff(Rb, kappa).subs(recurrences) - ric.subs(Rs, Rb)), "Riccati equation")
        self.add_step("bessel_riccati", "the Bessel ratio R = I_nu/I_{nu-1} obeys (verified with the recurrences)",
                      sp.Eq(sp.Derivative(sp.Function("R")(kappa), kappa), ric))
        zeta = sp.Symbol("zeta", positive=True)
        # kappa = nu zeta: dR/dkappa = (1/nu) dR/dzeta -> 0, (2nu-1)/kappa -> 2/zeta
        lead = sp.limit(ric.subs(kappa, nu * zeta), nu, sp.oo)
        roots = [rt for rt in sp.solve(sp.Eq(lead, 0), Rs) if sp.N(rt.subs(zeta, 1)) > 0]
        require(len(roots) == 1, "one positive root")
        R0 = sp.simplify(roots[0])
        debye = zeta / (1 + sp.sqrt(1 + zeta ** 2))
        require(_is_zero(sp.radsimp(R0 - debye)), "Debye asymptote")
        self.add_step("debye_asymptote",
                      "nu -> inf at kappa = nu zeta: leading order of the Riccati equation (uniform Debye asymptote)",
                      sp.Eq(sp.Limit(sp.Function("R")(nu * zeta), nu, sp.oo), debye))
        debye_y = debye.subs(zeta, 2 * y)
        self.debye_expr = debye_y
        self.add_step("debye_in_d", "nu = d/2, zeta = 2 kappa/d = 2y", sp.Eq(sp.Limit(A_nu(kappa), d, sp.oo), debye_y))

        # mean-field: |x| = sqrt(d r), y = kappa/d = exp(-t) sqrt(r)/Gamma
        y_r = sp.exp(-t) * sp.sqrt(r) / Gamma_t
        require(sp.simplify(kappa_expr.subs(sp.Symbol("|x|", positive=True), sp.sqrt(d * r)) / d - y_r) == 0,
                "y = kappa/d")
        # E[mu|x] = sqrt(d) a xhat = (a/sqrt(r)) x: rho = a/sqrt(r)
        rho_expr = sp.simplify(debye_y.subs(y, y_r) / sp.sqrt(r))
        rho_disp = 2 * sp.exp(-t) / (Gamma_t * (1 + sp.sqrt(1 + 4 * sp.exp(-2 * t) * r / Gamma_t ** 2)))
        require(_is_zero(sp.radsimp(rho_expr - rho_disp)), "rho")
        A_u_disp = (1 - sp.exp(-t) * rho) / Gamma_t
        A_u_f = sp.Function("A_u")
        self.add_step("order_parameter", "r = |x|^2/d concentrates as d -> inf; y = kappa/d", sp.Eq(y, y_r))
        self.add_step("score_uncond_mean_field",
                      "d -> inf: E[mu|x] = rho x, s_u = -A_u(t, r) x",
                      (sp.Eq(sp.Symbol("s_u"), -A_u_f(t, r) * x), sp.Eq(A_u_f(t, r), A_u_disp),
                       sp.Eq(rho, rho_disp)))
        A_u_full = A_u_disp.subs(rho, rho_disp)
        self.A_u_expr = explicit(A_u_full)

        # at the unconditional typical radius r = G_t, A_u = 1/G_t (the gaussian-prior value)
        check = A_u_full.subs({r: G_t}).subs(G_t, Gamma_t + _e2).subs({sp.exp(-2 * t): _e2, sp.exp(-t): sp.sqrt(_e2)})
        check = check.replace(lambda e: isinstance(e, sp.Pow) and e.exp == sp.S.Half,
                              lambda e: sp.sqrt(sp.factor(e.base)))
        require(_is_zero(check - 1 / (Gamma_t + _e2)), "A_u(t, G_t) = 1/G_t")
        self.add_step("typical_radius", "at r = G_t (unconditional typical radius) A_u = 1/G_t, as for the gaussian prior",
                      sp.Eq(A_u_f(t, G_t), 1 / G_t))

        # C5 for the sphere: A_u Gamma = 1 - exp(-t) rho < 1, so A - 1/Gamma = omega (1/Gamma - A_u) >= 0 for omega >= 0
        require(sp.simplify((1 + omega) / Gamma_t - omega * A_u_disp - 1 / Gamma_t
                            - omega * sp.exp(-t) * rho / Gamma_t) == 0, "sphere guidance excess")
        self.add_step("guidance_excess_sphere",
                      "rho > 0 gives A_u < 1/Gamma_t: omega >= 0 again means A >= 1/Gamma_t (variance can only shrink)",
                      sp.Eq(A - 1 / Gamma_t, omega * sp.exp(-t) * rho / Gamma_t))

        self.r_expr = M ** 2 + S
        self.add_step("radius_along_trajectory", "x = M mu_c + sqrt(S) xi with |mu_c|^2 = d: r -> M^2 + S",
                      sp.Eq(r, self.r_expr))
        A_disp = (1 + omega) / Gamma_t - omega * A_u_f(t, self.r_expr)
        self.add_step("A_coef_sphere", "guided linear coefficient with r = M^2 + S; B as for the gaussian prior",
                      (sp.Eq(A, A_disp), sp.Eq(B, gauss.B_disp)))
        self.A_expr = explicit((1 + omega) / Gamma_t) - omega * self.A_u_expr
        self.B_expr = gauss.B_expr
        self.mean_field_rhs = {}
        self.mean_field_rhs_log = {}
        for smp in SAMPLERS:
            dM, dS = gauss.moment_rhs[smp]
            sub = {A: self.A_expr.subs(r, self.r_expr), B: self.B_expr}
            self.mean_field_rhs[smp] = (dM.subs(sub), dS.subs(sub))
            self.add_step(f"mean_field_eqs_{smp}",
                          f"{smp.upper()}: closed nonlinear moment equations (backward time), exact as d -> inf",
                          (sp.Eq(sp.Derivative(M_f(tau), tau), dM), sp.Eq(sp.Derivative(S_f(tau), tau), dS)))
            dM_l, dlogS = log_variance_equations((dM, dS))
            self.mean_field_rhs_log[smp] = tuple(e.subs(sub).subs(S, sp.exp(log_S)) for e in (dM_l, dlogS))
            require(_is_zero(dM_l - dM.subs(S, sp.exp(log_S)))
                    and _is_zero(dlogS * sp.exp(log_S) - dS.subs(S, sp.exp(log_S))), f"log-variance equations ({smp})")
            self.add_step(f"mean_field_eqs_log_{smp}",
                          f"{smp.upper()}: the same in log S (d log S/dtau = (dS/dtau)/S), what the solver integrates",
                          sp.Eq(sp.Derivative(sp.log(S_f(tau)), tau), dlogS))
        require(self.A_expr.subs(omega, 0) == gauss.A_expr.subs(omega, 0), "omega = 0: sphere = gaussian")
        self.add_step("omega0", "omega = 0: A does not involve A_u, the equations and results are the gaussian ones",
                      sp.Eq(A.subs(omega, 0), 1 / Gamma_t))

        # consistency: unconditional sampling (omega = -1) keeps M = 0, S = G_t for both samplers.
        # On that trajectory r = S = G_t, where A_u = 1/G_t (step typical_radius).
        for smp in SAMPLERS:
            dM, dS = gauss.moment_rhs_forward[smp]
            sub = {A: 1 / G(), B: 0, M: 0, S: G()}
            require(_is_zero(dM.subs(sub)), f"omega = -1 keeps M = 0 ({smp})")
            require(_is_zero(sp.diff(G(), t) - dS.subs(sub)), f"omega = -1 keeps S = G_t ({smp})")
        self.add_step("unconditional_consistency",
                      "omega = -1 (unconditional sampling): M = 0, S = G_t solve the mean-field equations (both samplers)",
                      (sp.Eq(M_f(t), 0), sp.Eq(S_f(t), G_t)))
