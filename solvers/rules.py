"""The ``d -> infinity`` theory of every guidance rule (:mod:`cfgmft.guidance`), in the
infinite-class limit and in the exponential regime, by scipy's ``solve_ivp``.

Closure. Write the state in the orthonormal frame ``e_1 = mu_c/|mu_c|``, ``e_2`` = the direction
of the part of ``x`` orthogonal to ``mu_c``: per dimension, ``x = (M, sqrt S)``, ``mu_c = (1, 0)``
(``|mu_c|^2/d -> 1`` for both priors), with the order parameters ``M = x.mu_c/d`` (the overlap
``m``) and ``S = |x - M mu_c|^2/d`` (the orthogonal variance; ``r = |x|^2/d = M^2 + S``). While
the target is not committed, the unconditional posterior mean is that of the competitors,
``E = rho(t, r) x`` (:mod:`cfgmft.solvers.exponential`: the continuum ``rho`` at ``lambda = 1`` in
the uncondensed phase and in the infinite-class limit, ``rho(lambda_alpha)`` in the condensed
phase). Both predictions of every rule are then in ``span{x, mu_c}``, and every rule reads them
only through inner products per dimension and coordinate means. The inner products of vectors of
that span are the plain dot products of their frame coordinates, which concentrate as
``d -> infinity`` (the frame is deterministic given ``(M, S)``, whose fluctuations are
``O(d^{-1/2})``); the coordinate mean of such a vector is ``O(d^{-1/2})`` and vanishes (``rescale``'s
``std`` is its RMS). So the guided score is ``s = A x + B mu_c`` with ``A, B`` functions of
``(t, M, S)``, obtained by calling the rule itself (:meth:`cfgmft.guidance.Rule.combine`, the same
code the Monte Carlo runs) on the frame coordinates, and the order parameters obey

* ODE ``dx/dtau = x + s``: ``dM/dtau = M + s_1``, ``d log S/dtau = 2 (1 + A)``;
* SDE ``dx = (x + 2 s) dtau + sqrt(2) dW``: ``dM/dtau = M + 2 s_1``,
  ``d log S/dtau = 2 (1 + 2 A) + 2/S`` (Ito: ``+2`` per orthogonal coordinate),

with ``A = s_2/sqrt(S)``, ``s = (e^{-t} M_g - x)/Gamma_t`` and ``M_g`` the rule's guided target
(:func:`cfgmft.guidance.guided_target`). For ``cfg`` these are the generated equations of
:mod:`cfgmft.solvers.exponential` (``A = -(1 + omega rho e^{-t})/Gamma_t``, tested to the solver's
tolerance). Commitment (``e_c = phi``) and condensation do not depend on the rule; after commitment
``c = u`` and every rule returns ``c``: the exact conditional dynamics (the generated committed
equations). At finite ``d`` a rule that is not linear CFG is nonlinear in ``x``: the generated law
is not Gaussian and its moments differ from these by ``O(1/d)`` (measured by the Monte Carlo).

Two integrations: the numba kernel of :mod:`cfgmft.solvers.exponential`, whose uncommitted
``(A, B)`` for a rule are generated from the sympy derivation :mod:`cfgmft.theory.rules`
(``predict_rule(method="kernel")``, the default, as fast as ``cfg``), and a reference in plain
Python (``method="reference"``: scipy's ``solve_ivp`` on the right-hand side above, which calls the
rule's numpy code; 0.1-2 s a prediction), an independent check of the derivation and the kernel.
"""

from __future__ import annotations

import math

import numpy as np

from cfgmft.conventions import CONVENTION_LONG, IID_PRIORS, SAMPLERS
from cfgmft.errors import NumericalError, check_choice, check_real
from cfgmft.guidance import Rule, as_rule, check_continuous, guided_target
from cfgmft.results import Prediction
from cfgmft.schedules import Constant, Schedule, as_schedule

from . import exponential as ex
from ._generated import exponential as gen
from ._generated import infinite_class as gen_ic
from .exponential_reference import integrate_reference

__all__ = ["predict_rule", "rule_rhs", "MeanFieldOps", "RTOL", "ATOL"]

RTOL = 1e-10
ATOL = 1e-12


class MeanFieldOps:
    """Inner products per dimension of frame coordinates (plain dot products) and coordinate
    means (0 as ``d -> infinity``), for :meth:`cfgmft.guidance.Rule.combine`."""

    @staticmethod
    def dot(a, b):
        return np.einsum("nk,nk->n", a, b)

    @staticmethod
    def mean(a):
        return np.zeros(a.shape[0])


MF_OPS = MeanFieldOps()
_MU = np.array([[1.0, 0.0]])


def _guided_AB(rule: Rule, t: float, M: float, S: float, omega: float, rho: float, sigma2: float):
    """``(A, s_1)``: the guided score ``s = A x + B mu_c`` has ``s_1 = A M + B`` along ``mu_c``."""
    sq = math.sqrt(S)
    x = np.array([[M, sq]])
    M_g = guided_target(rule, x, t, sigma2, _MU, rho * x, omega, MF_OPS)[0]
    G = float(gen.Gamma_t(t, sigma2))
    et = math.exp(-t)
    s1 = (et * M_g[0] - M) / G
    A = (et * M_g[1] / sq - 1.0) / G
    return A, s1


def rule_rhs(rule: Rule, sampler: str, t: float, M: float, log_S: float, omega: float, rho: float, sigma2: float):
    """``(dM/dtau, d log S/dtau)`` of the uncommitted dynamics of ``rule`` (module docstring)."""
    S = math.exp(log_S)
    A, s1 = _guided_AB(rule, t, M, S, omega, rho, sigma2)
    if sampler == "ode":
        return M + s1, 2.0 * (1.0 + A)
    return M + 2.0 * s1, 2.0 * (1.0 + 2.0 * A) + 2.0 / S


def predict_rule(prior: str, sigma2: float, omega, sampler: str, rule, *, alpha: float = math.inf,
                 T: float | None = None, method: str = "kernel", rtol: float = RTOL, atol: float = ATOL) -> Prediction:
    """The ``d -> infinity`` prediction of guidance ``rule`` at strength ``omega`` (a constant or a
    schedule), with the keys of :func:`cfgmft.solvers.exponential.predict_exponential` and
    ``guidance`` (the rule's text form), ``log_odds`` (the separability of the infinite-class limit,
    ``None`` otherwise, where the ``margin`` is) and ``method``. ``alpha = inf`` (default): the infinite-class limit;
    ``alpha > 0``: the exponential regime (random-energy competitors, commitment, condensation);
    ``alpha = 0``: the sub-exponential limit, where every rule samples the class exactly (as
    ``cfg``). ``T``: start time (``None``: ``T -> infinity``, started at
    :data:`cfgmft.solvers.exponential.T_DEFAULT`). ``method``: ``"kernel"`` (default), the numba
    kernel of :mod:`cfgmft.solvers.exponential` with the rule's generated ``(A, B)``
    (:mod:`cfgmft.theory.rules`); ``"reference"``, scipy's ``solve_ivp`` on the rule's own numpy
    code (:meth:`cfgmft.guidance.Rule.combine`), at ``rtol``/``atol``: an independent check."""
    method = check_choice("method", method, ("kernel", "reference"))
    prior = check_choice("prior", prior, IID_PRIORS, fold_case=True)
    sampler = check_choice("sampler", sampler, SAMPLERS, fold_case=True)
    sigma2 = check_real("sigma2", sigma2, lo=0.0, lo_open=True)
    rule = as_rule(rule)
    check_continuous(rule)
    alpha = ex._check_alpha(alpha)
    if isinstance(omega, (Schedule, str, dict)):
        sch = as_schedule(omega)
    else:
        sch = Constant(check_real("omega", omega, lo=-1.0))
    if alpha == 0.0:
        pred = ex.predict_exponential(prior, sigma2, sch, sampler, alpha=0.0, T=T)
        return Prediction(**{**pred, "guidance": rule.spec})
    T_val = ex.T_DEFAULT if T is None else check_real("T", T, lo=0.0, lo_open=True)
    omega_label = sch.omega if isinstance(sch, Constant) else f"schedule: {sch.spec}"
    if method == "reference":
        def rhs(t, M, log_S, w, rho):
            return rule_rhs(rule, sampler, t, M, log_S, w, rho, sigma2)

        with np.errstate(over="ignore", under="ignore"):
            M, L, t_c, t_k, nfev = integrate_reference(prior, sampler, alpha, sigma2, sch, T_val, rtol=rtol, atol=atol,
                                                       log=True, rhs_uncommitted=rhs)
    else:
        code, p1, p2 = ex.rule_arrays(rule)
        bps, coef = ex.schedule_arrays(sch)
        M, L, t_c, t_k, nfev, ok = ex.integrate_log(IID_PRIORS.index(prior), SAMPLERS.index(sampler), alpha, sigma2,
                                                    bps, coef, T_val, ex.RTOL, ex.ATOL, code, p1, p2)
        if not ok:
            raise NumericalError(f"step limit reached (guidance {rule.spec}, prior={prior}, sampler={sampler}, "
                                 f"alpha={alpha}, sigma2={sigma2}, omega={omega_label})")
    lvr = L - math.log(sigma2)
    vr = math.exp(lvr)
    kl = float(gen.kl_per_dim_log(M, lvr, sigma2))
    log_odds = None
    if math.isfinite(alpha):
        _, _, _, mg = ex.observables_log(IID_PRIORS.index(prior), alpha, sigma2, M, L)
    else:
        mg = math.inf
        # separability of the infinite-class limit, a function of (m_final, var_ratio) as for cfg
        log_odds = float(gen_ic.log_odds_gaussian(M, vr, sigma2, 1.0) if prior == "gaussian"
                         else gen_ic.log_odds_sphere(M, vr, sigma2))
    vals = {"m_final": M, "log_var_ratio": lvr, "kl_per_dim": kl}
    bad = {k: v for k, v in vals.items() if not math.isfinite(v)}
    if bad:
        raise NumericalError(f"non-finite result {bad} (guidance {rule.spec}, prior={prior}, sampler={sampler}, "
                             f"alpha={alpha}, sigma2={sigma2}, omega={omega_label})")
    if not math.isfinite(alpha):
        status, code = ex.STATUSES[ex.ST_ALPHAINF], ex.ST_ALPHAINF
        msg = (f"alpha = inf: infinite-class limit, never committed; guidance {rule.spec}, d -> infinity mean field "
               "(for a rule that is not linear CFG the finite-d law is not Gaussian: O(1/d) corrections)")
        cond = False
    else:
        code = ex.status_code(t_c, t_k)
        status = ex.STATUSES[code]
        cond = code == ex.ST_CONDENSED
        if cond:
            msg = f"competitors condensed at t = {t_k:.10g} before commitment (condensed-branch approximation)"
            msg += f"; committed at t = {t_c:.10g}" if t_c == t_c else "; never committed"
        elif code == ex.ST_COMMITTED:
            msg = f"committed at t = {t_c:.10g}; guidance inert afterwards (every rule returns the conditional score)"
        else:
            msg = "never committed before t = 0: guidance acts on the whole trajectory"
        msg += f"; guidance {rule.spec}, d -> infinity mean field"
    fields = dict(prior=prior, sampler=sampler, alpha=alpha, sigma2=sigma2, omega=omega_label,
                  T=math.inf if T is None else T_val, m_final=M, mean_shift=M - 1.0, var_ratio=vr, log_var_ratio=lvr,
                  kl_per_dim=kl, margin=mg, t_commit=None if t_c != t_c else float(t_c),
                  t_condense=float(t_k) if cond else None,
                  t_collapse=(ex._opt(ex.t_collapse_kernel(alpha, sigma2)) if math.isfinite(alpha) else None),
                  status=status, message=msg, status_code=int(code), condensed_before_commit=bool(cond),
                  n_steps=int(nfev), convention=CONVENTION_LONG, guidance=rule.spec, log_odds=log_odds,
                  method="mean_field_numba (generated rule coefficients)" if method == "kernel"
                  else "mean_field_scipy (solvers.rules reference)")
    return Prediction(**fields)
