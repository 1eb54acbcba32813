"""Predictions of CFG on a practitioner's discrete grid of noise levels with a given update rule
(:mod:`cfgmft.updates`: ``euler``, ``heun``, ``ddim``, ``ancestral``).

Why the steps map the moments exactly. On every branch of the theory the guided score is
``s = -A x + B mu_c`` (docs/explanation/model.md sections 5 and 5.6), so in EDM's scale ``xs = e^t x``
(``sigma^2 = e^{2t} - 1``, ``Delta_t = 1 - e^{-2t} = sigma^2/(1 + sigma^2)``) the guided denoiser
``D_w(xs; sigma) = xs + sigma^2 e^{-t} s`` is affine,

    D_w = a xs + b mu_c,   a = 1 - Delta_t A,   b = e^t Delta_t B.

With the coefficients of the uncommitted branch, ``A = 1/Gamma + omega e^{-t} rho/Gamma``,
``B = (1 + omega) e^{-t}/Gamma`` (competitors' or continuum's posterior mean ``rho x``):
``a = (sigma2 - omega sigma^2 e^{-t} rho)/(sigma2 + sigma^2)``, ``b = (1 + omega) sigma^2/(sigma2 +
sigma^2)``; committed (``s = s_c``): ``a = sigma2/(sigma2 + sigma^2)``, ``b = sigma^2/(sigma2 +
sigma^2)``. Every update rule is then ``xs' = P xs + Q mu_c (+ sigma_up z)`` with scalars, and a
state ``xs = m mu_c + sqrt(v) xi`` maps to ``m' = P m + Q``, ``v' = P^2 v (+ sigma_up^2)``
(``xi`` orthogonal to ``mu_c``, per-coordinate variance ``v``). With ``c = s'/s`` (step from
``s`` to ``s'``; ``c = sigma_down/s`` for ``ancestral``) and ``(a_1, b_1)`` at ``(s, m, v)``:

* ``euler``, ``ddim``, ``ancestral``: ``P = c + (1 - c) a_1``, ``Q = (1 - c) b_1``;
* ``heun``: the predictor ``x~ = P_1 xs + Q_1 mu_c`` is the Euler step; ``(a_2, b_2)`` at
  ``(s', P_1 m + Q_1, P_1^2 v)``; ``h = s' - s``,
  ``P = 1 + (h/2) [(1 - a_1)/s + (1 - a_2) P_1/s']``, ``Q = (h/2) [-b_1/s + ((1 - a_2) Q_1 - b_2)/s']``
  (the last step, ``s' = 0``, is Euler).

The state is carried as ``(m, log v)``; ``xs ~ N(0, sigma_0^2 I)`` at the start (``m = 0``,
``v = sigma_0^2``). At ``sigma = 0`` EDM's and the mixture's scales coincide: ``m_final = m``,
``var_ratio = v/sigma2``.

Regimes (``rho`` and the branch, evaluated at each model evaluation from the mixture-scale order
parameters ``M = e^{-t} m``, ``S = e^{-2t} v``, ``r = M^2 + S``):

* infinite-class limit, ``gaussian`` prior: ``rho = e^{-t}/G_t`` (``G_t = 1 + sigma2 e^{-2t}``);
  the guided drift is linear, the law stays exactly ``N(m mu_c, v I)``: the prediction is exact
  at every ``d`` (no ODE is integrated: the steps are the exact maps above);
* infinite-class limit, ``sphere`` prior: ``rho`` the uniform (Debye) asymptote of the von
  Mises-Fisher mean, ``2 e^{-t}/(Gamma (1 + sqrt(1 + 4 r e^{-2t}/Gamma^2)))``, at the current
  ``r``; exact as ``d -> infinity``;
* exponential regime (``alpha > 0``, ``d -> infinity``): at each model evaluation the
  competitors' phase (condensed if ``I(lambda = 1; t, r) > alpha``), ``(phi, rho)`` of the random
  energy model and the switching function ``e_c - phi`` (``e_c = a_t M - b_t``) are evaluated at
  the point of that evaluation ``(t, M, r)``; the target's posterior weight there is 1 if
  ``e_c > phi`` (committed coefficients) and 0 otherwise. This is the ``d -> infinity`` limit of
  the exact denoiser at that point, evaluation by evaluation: a Heun predictor ``x~`` that lands
  on the committed side gives a committed corrector without committing the next step's start.
  ``t_commit`` is the time of the first committed evaluation at a step's start (a grid point): the
  commitment happens between steps. ``recrossings`` counts the evaluations after it that are
  uncommitted again (none in the runs of the tests; the continuous-time solver keeps the
  committed branch once it is reached). The condensed branch is the approximation of the
  continuous-time theory (flagged, as there).

``alpha = 0`` (sub-exponential limit) commits at the first evaluation: the committed maps from
the start (exact conditional denoiser on the grid; its distortion is the discretisation error
alone).

Finite ``d``. The ``d -> infinity`` commitment is a step: the target's posterior weight is 0 or
1 at each evaluation. At finite ``d`` it is about ``1/(1 + exp(-d (e_c - phi)))``, so an
evaluation where ``d |e_c - phi|`` is of order 1 is partly committed, and on a coarse grid that
one evaluation holds for a whole large step. The prediction reports the switching function at
every evaluation (``switching``: pairs ``(t, e_c - phi)``) and its smallest magnitude
``switching_min_abs``: the Monte Carlo at dimension ``d`` can be expected to follow the
prediction only when ``d * switching_min_abs >> 1`` (docs/explanation/discrete-grids.md
gives the measured gaps).
"""

from __future__ import annotations

import math

import numpy as np

from cfgmft.conventions import CONVENTION_LONG, IID_PRIORS
from cfgmft.errors import NumericalError, ParameterError, check_choice, check_real
from cfgmft.grids import sigma_grid
from cfgmft.results import Prediction
from cfgmft.updates import (CONTINUUM_SAMPLER, STARTS, UPDATE_FORMULAS, check_start, check_update, step_contraction,
                            start_log_variance, step_omegas)

from ._generated import infinite_class as gen_ic

__all__ = ["predict_discrete", "step_maps", "STARTS"]


def _rho_gaussian_continuum(t: float, sigma2: float) -> float:
    e = math.exp(-t)
    return e / (1.0 + sigma2 * e * e)


def _rho_sphere_continuum(t: float, r: float, sigma2: float) -> float:
    e2 = math.exp(-2.0 * t)
    gam = 1.0 + (sigma2 - 1.0) * e2
    return 2.0 * math.exp(-t) / (gam * (1.0 + math.sqrt(1.0 + 4.0 * r * e2 / (gam * gam))))


class _Model:
    """The guided denoiser's coefficients ``(a, b)`` of ``D_w = a xs + b mu_c`` at ``(sigma, m,
    v)`` (EDM scale) on the current branch; keeps the commitment state of the exponential regime."""

    def __init__(self, regime: str, prior: str, sigma2: float, alpha: float | None, rule=None):
        self.regime, self.prior, self.sigma2, self.alpha = regime, prior, sigma2, alpha
        #: a guidance rule other than cfg (None: cfg's closed-form coefficients)
        self.rule = rule
        #: CFG-Zero*'s zero-init evaluations (cfgmft.guidance, "Grid-only options") and the count so far
        self.zero_init = int(getattr(rule, "zero_init", 0) or 0)
        self.evals = 0
        self.always = regime == "exponential" and alpha == 0.0
        self.committed = self.always
        self.t_commit = None
        self.t_condense = None
        self.recrossings = 0
        #: (t, e_c - phi, at a step start) at every evaluation of the exponential regime
        self.switching = []
        if regime == "exponential" and alpha > 0.0:
            from . import exponential as ex

            self.ex = ex
            self.code = IID_PRIORS.index(prior)

    #: b / (sigma^2/(sigma2 + sigma^2)) at the last evaluation (1 committed, 1 + omega otherwise; None
    #: before any): two evaluations with the same k have b1 - b2 in closed form
    k = None

    def coefficients(self, sigma: float, m: float, log_v: float, omega: float,
                     step_start: bool = True) -> tuple[float, float, float]:
        """``(a, b, 1 - a)``; ``1 - a`` computed as ``sigma^2 (...)/(sigma2 + sigma^2)``, not as a
        difference (at ``sigma << sqrt(sigma2)`` that difference is rounding, and Heun divides it by
        ``sigma``)."""
        index = self.evals
        self.evals += 1
        if index < self.zero_init:  # a zero-init evaluation: guided eps = 0, D_w = xs
            self.k = None
            return 1.0, 0.0, 0.0
        s2 = self.sigma2
        sig2 = sigma * sigma
        t = 0.5 * math.log1p(sig2)
        den = s2 + sig2
        if not self.always and self.regime == "exponential":
            ex = self.ex
            e = math.exp(-t)
            M = e * m
            r = M * M + math.exp(log_v - 2.0 * t)
            condensed = ex.condensation_residual(self.code, t, r, self.alpha, s2) > 0.0
            phi, rho = ex.rem_phi_rho(self.code, condensed, t, r, self.alpha, s2)
            sw = float(ex.g_switching(t, M, phi, s2))
            self.switching.append((t, sw, step_start))
            was = self.t_commit is not None
            self.committed = sw > 0.0
            if self.committed and not was and step_start:
                self.t_commit = t
            elif not self.committed and was:
                self.recrossings += 1
            if condensed and not self.committed and not was and self.t_condense is None:
                self.t_condense = t
        self.k = 1.0 if self.committed else None  # b = k sigma^2/(sigma2 + sigma^2) on both branches
        if self.committed:
            return s2 / den, sig2 / den, sig2 / den
        if self.regime == "infinite":
            if self.prior == "gaussian":
                rho = _rho_gaussian_continuum(t, s2)
            else:
                r = math.exp(-2.0 * t) * (m * m) + math.exp(log_v - 2.0 * t)
                rho = _rho_sphere_continuum(t, r, s2)
        if self.rule is not None and omega != 0.0:
            # the rule's guided score s = A x + B mu_c at the order parameters of this evaluation
            # (solvers.rules, d -> infinity), in EDM's scale: D_w = (1 + Delta_t A) xs + e^t Delta_t B mu_c;
            # b is not k sigma^2/(sigma2 + sigma^2) with a k shared between evaluations (k = None)
            from .rules import _guided_AB

            e = math.exp(-t)
            M, S = e * m, math.exp(log_v - 2.0 * t)
            A, s1 = _guided_AB(self.rule, t, M, S, omega, rho, s2)
            delta = sig2 / (1.0 + sig2)
            self.k = None
            return 1.0 + delta * A, (s1 - A * M) * delta / e, -delta * A
        g = omega * math.exp(-t) * rho
        self.k = 1.0 + omega
        return (s2 - g * sig2) / den, (1.0 + omega) * sig2 / den, sig2 * (1.0 + g) / den


def step_maps(model: _Model, update: str, sigmas: np.ndarray, omegas: np.ndarray, start: str = "edm"):
    """Run the moment maps over the grid; returns ``(m, log v)`` at ``sigma = 0`` and the
    per-step ``(P, Q, sigma_up)`` (for inspection and tests)."""
    m, log_v = 0.0, start_log_variance(sigmas[0], start)
    rows = []
    for i in range(sigmas.size - 1):
        s, sp, om = float(sigmas[i]), float(sigmas[i + 1]), float(omegas[i])
        a1, b1, oma1 = model.coefficients(s, m, log_v, om)
        c, up = step_contraction(update, s, sp)
        P, Q = c + (1.0 - c) * a1, (1.0 - c) * b1
        if update == "heun" and sp > 0.0:
            P1, Q1 = P, Q
            m1 = P1 * m + Q1
            log_v1 = log_v + 2.0 * math.log(abs(P1)) if P1 != 0.0 else -math.inf
            k1 = model.k
            a2, b2, oma2 = model.coefficients(sp, m1, log_v1, om, step_start=False)
            # Heun as the predictor plus (h/2)(d~ - d): P = P1 - ((1 - c)/(2c)) (a1 - a2 P1) and
            # Q = Q1 - ((1 - c)/(2c)) ((b1 - b2) - a2 (1 - c) b1), with b1 - b2 in closed form on one
            # branch: the literal 1 + (h/2)(...) cancels to rounding once s'/s is small (sigma_0 ~ 1e38
            # then 1e20: P = 1e-16 for the exact 3.6e-18), and b1 - b2 as a difference divided by c
            # loses Q
            v2 = model.sigma2
            db = (k1 * v2 * ((s - sp) / (v2 + s * s)) * ((s + sp) / (v2 + sp * sp))
                  if model.k == k1 and k1 is not None else b1 - b2)
            # ... and the literal form where it rounds less (s' small against sqrt(sigma2): a2 ~ 1 there
            # and the form above cancels): each of P and Q from the form with the smaller largest term
            f = 0.5 * (1.0 - c) / c
            lit_P = (1.0, 0.5 * (1.0 - c) * oma1, f * oma2 * P1)
            alt_P = (P1, f * a1, f * a2 * P1)
            P = (lit_P[0] - lit_P[1] - lit_P[2] if max(map(abs, lit_P)) <= max(map(abs, alt_P))
                 else alt_P[0] - alt_P[1] + alt_P[2])
            lit_Q = (0.5 * (1.0 - c) * b1, f * oma2 * Q1, f * b2)
            alt_Q = (Q1, f * db, f * a2 * (1.0 - c) * b1)
            Q = (lit_Q[0] - lit_Q[1] + lit_Q[2] if max(map(abs, lit_Q)) <= max(map(abs, alt_Q))
                 else alt_Q[0] - alt_Q[1] + alt_Q[2])
        m = P * m + Q
        log_v = log_v + 2.0 * math.log(abs(P)) if P != 0.0 else -math.inf
        if up > 0.0:
            log_v = float(np.logaddexp(log_v, 2.0 * math.log(up)))
        if not (math.isfinite(m) and math.isfinite(log_v)):
            raise NumericalError(f"the step {i} from sigma = {s:g} to {sp:g} gives a non-finite or zero state "
                                 f"(m = {m}, log v = {log_v}; P = {P}, omega = {om})")
        rows.append((P, Q, up))
    return m, log_v, rows


def predict_discrete(prior: str, sigma2: float, omega, update: str, grid, *, alpha: float | None = None,
                     start: str = "edm", rule=None) -> Prediction:
    """The prediction of CFG on the sampler grid ``grid`` (text form or
    :class:`cfgmft.grids.SigmaGrid`) with the update rule ``update``.

    ``alpha=None`` is the infinite-class limit (``gaussian``: exact at every ``d``; ``sphere``:
    ``d -> infinity``); ``alpha >= 0`` the exponential regime's ``d -> infinity`` mean field.
    ``omega``: a constant or a schedule; step ``i`` uses ``omega_i``
    (:func:`cfgmft.updates.step_omegas`). Returns a :class:`Prediction` with ``m_final``,
    ``mean_shift``, ``var_ratio``, ``log_var_ratio``, ``kl_per_dim``, and for the exponential
    regime ``margin``, ``t_commit``, ``t_condense``, ``t_collapse``, ``condensed_before_commit``;
    ``grid`` (canonical text), ``update``, ``update_formula``, ``steps``, ``omega_steps``.
    ``start``: ``'edm'`` (default, ``xs ~ N(0, sigma_0^2 I)`` as samplers do) or ``'unit'``
    (``N(0, (1 + sigma_0^2) I)``, the continuous theory's ``N(0, I)`` at ``T = t_0``; :data:`STARTS`).
    ``rule``: a guidance rule (:mod:`cfgmft.guidance`; ``None``: cfg). A rule other than cfg enters
    each model evaluation through its ``d -> infinity`` guided score ``s = A x + B mu_c`` at that
    evaluation's order parameters (:mod:`cfgmft.solvers.rules`), so the maps stay affine; the
    prediction is then the ``d -> infinity`` limit (a nonlinear rule's law is not Gaussian at
    finite ``d``, even in the gaussian infinite-class limit). Grid-only options
    (:mod:`cfgmft.guidance`): ``zerostar``'s ``zero_init = N`` makes the first ``N`` model
    evaluations ``D_w = xs`` (``a = 1``, ``b = 0``: guided eps zero); ``apg``'s ``momentum`` is
    refused (``ParameterError`` naming ``guidance``): its buffer of ``Delta_D`` from earlier
    evaluations does not lie along the current ``x`` and ``mu_c``, so it does not close on
    ``(m, v)`` (docs/guide/guidance-rules.md; the Monte Carlo runs it).
    """
    start = check_start(start)
    prior = check_choice("prior", prior, IID_PRIORS)
    sigma2 = check_real("sigma2", sigma2, lo=0.0, lo_open=True)
    update = check_update(update)
    try:
        g = sigma_grid(grid)
    except ParameterError as e:
        raise ParameterError("grid", str(e)) from None
    omegas = step_omegas(g, omega)
    if np.any(omegas < -1.0):
        raise ParameterError("omega", "must be >= -1 on every step")
    regime = "infinite" if alpha is None else "exponential"
    if alpha is not None:
        alpha = check_real("alpha", alpha, lo=0.0)
    from cfgmft.guidance import as_rule

    rule = as_rule(rule)
    if getattr(rule, "momentum", 0.0) != 0.0:
        raise ParameterError("guidance", f"{rule.spec}: APG's momentum buffer does not close on the order parameters "
                                         "(m, v) of the discrete-grid theory; the Monte Carlo (simulate --grid) runs it")
    from cfgmft.updates import check_grid_rule

    check_grid_rule(rule, g, update)
    model = _Model(regime, prior, sigma2, alpha, rule=None if rule.reduces_to_cfg else rule)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        m, log_v, _ = step_maps(model, update, g.sigmas, omegas, start)
    lvr = log_v - math.log(sigma2)
    vr = math.exp(lvr) if lvr < 709.0 else math.inf
    kl = float(gen_ic.kl_per_dim_log(m, lvr, sigma2))
    out = dict(prior=prior, sigma2=sigma2, update=update, update_formula=UPDATE_FORMULAS[update], grid=g.spec,
               steps=g.steps, sigma_max=float(g.sigmas[0]), t_start=float(g.t[0]),
               continuum_sampler=CONTINUUM_SAMPLER[update], start=start, omega_steps=[float(w) for w in omegas],
               m_final=m + 0.0, mean_shift=m - 1.0, var_ratio=vr, log_var_ratio=lvr, kl_per_dim=kl,
               method="discrete_grid_moment_maps", convention=CONVENTION_LONG)
    if regime == "infinite":
        out.update(status="infinite_class", margin=None, t_commit=None, t_condense=None, t_collapse=None,
                   message=f"no commitment: CFG against the continuum at every model evaluation; {g.steps} steps of "
                           f"{update} on {g.spec}")
    else:
        from . import exponential as ex

        if alpha == 0.0:
            margin = float(ex.g_margin(m, -0.5 / sigma2, sigma2))
            status, msg = "alpha = 0", "alpha = 0: committed at the first model evaluation (exact conditional denoiser)"
            t_commit, t_col = float(g.t[0]), None
        else:
            margin = float(ex.best_competitor_energy(IID_PRIORS.index(prior), m * m + math.exp(log_v), alpha, sigma2))
            margin = float(ex.g_margin(m, margin, sigma2))
            t_col = ex._opt(ex.t_collapse_kernel(alpha, sigma2))
            t_commit = model.t_commit
            cond = model.t_condense is not None
            if cond:
                status = "condensed before commitment"
                msg = (f"competitors condensed at the evaluation at t = {model.t_condense:.10g} before commitment "
                       "(condensed-branch approximation)")
            elif t_commit is not None:
                status, msg = "committed", f"committed at the model evaluation at t = {t_commit:.10g} (sigma = " \
                                           f"{math.sqrt(math.expm1(2 * t_commit)):.6g}); guidance inert afterwards"
            else:
                status, msg = "never committed", "never committed before t = 0: guidance acts at every evaluation"
        sw_min = min((abs(v) for _, v, _ in model.switching), default=None)
        if sw_min is not None:
            msg += (f"; min |e_c - phi| over the evaluations = {sw_min:.4g}: the d -> infinity "
                    f"commitment is sharp, at finite d it needs d >> 1/{sw_min:.4g}")
        if model.recrossings:
            msg += f"; {model.recrossings} evaluation(s) after the commitment were on the uncommitted side again"
        out.update(switching_min_abs=sw_min, switching=[[t, v] for t, v, _ in model.switching],
                   recrossings=model.recrossings)
        out.update(alpha=alpha, status=status, message=msg, margin=margin, t_commit=t_commit,
                   t_condense=model.t_condense if model.t_condense is not None else None, t_collapse=t_col,
                   condensed_before_commit=model.t_condense is not None)
    for k in ("m_final", "log_var_ratio", "kl_per_dim", "var_ratio"):
        if not math.isfinite(out[k]):
            raise NumericalError(f"{k} is not finite ({out[k]}) on {g.spec} with {update}")
    if out.get("margin") is not None and not math.isfinite(out["margin"]):
        raise NumericalError(f"margin is not finite on {g.spec} with {update}")
    return Prediction(**out)
