"""Mean-field dynamics of CFG with ``K - 1 = exp(alpha d)`` classes, ``d -> infinity`` (numba).

Theory: :mod:`cfgmft.theory.exponential` (docs/explanation/model.md section 5). Along the guided trajectory
``x = M mu_c + sqrt(S) xi`` (``q = M``, ``r = M^2 + S``) the order parameters obey, in
backward time ``tau = T - t``, SDE ``dM/dtau = (1 - 2A) M + 2B``, ``dS/dtau = 2(1 - 2A) S + 2``;
ODE ``dM/dtau = (1 - A) M + B``, ``dS/dtau = 2(1 - A) S``, with the coefficients ``A``, ``B``
of the guided score ``s = -A x + B mu_c`` on the current branch:

* uncommitted (``e_c = a_t M - b_t < phi(t, r)``): ``A = (1+omega)/Gamma - omega (1 -
  exp(-t) rho)/Gamma``, ``B = (1+omega) a_t``, with the competitors' mean ``rho x`` of the
  random energy model, **uncondensed** (``lambda = 1``) or **condensed** (``lambda =
  lambda_alpha``, the root of ``I(lambda) = alpha``; for the gaussian prior an implicit
  equation solved by a safeguarded Newton/bisection on the generated residual ``I(u) - alpha``,
  ``u = 1/lambda``, and its generated derivative). The condensed branch is the approximation
  of :mod:`cfgmft.theory.exponential`: the random orthogonal part of the few dominant
  competitors' mean is dropped; results that used it are flagged (``condensed_before_commit``).
* committed (after the first crossing ``e_c = phi``): ``A = 1/Gamma``, ``B = a_t``; guidance is
  inert, ``omega`` drops out; the branch is kept to ``t = 0``.

Integration: the state is ``(M, L = log S)``, with the generated log-variance equations
``dL/dtau = 2(1 - A)`` (ODE, exact in logs) and ``2(1 - 2A) + 2 e^{-L}`` (SDE), and
``r = M^2 + e^L``: ``S`` then keeps its relative accuracy however small it gets (integrated
itself under an absolute tolerance, ``S`` below that tolerance has no relative accuracy and
can turn negative, as it does for the ODE at ``sigma2 = 1e-4``, ``omega >= 30``). Forward time
``t`` from ``T`` down to ``0`` with the Dormand-Prince 5(4) pair (FSAL, the error of ``M``
scaled by ``atol + rtol max(|M_n|, |M_n+1|)``, that of ``L`` by ``rtol (1 + max(|L_n|,
|L_n+1|))``, i.e. an absolute tolerance ``rtol`` on ``log S`` = a relative one on ``S``; RMS
norm, step factor ``0.9 err^(-1/5)`` clipped to ``[0.2, 5]``), piecewise between the schedule's breakpoints (the
schedule is evaluated strictly inside the current piece, so jumps never fall inside a step).
On each accepted step the event functions are checked: the switching function
``e_c - phi(t, r)`` (commitment when it becomes positive) and the condensation residual
``I(lambda=1; t, r) - alpha`` (the competitors condense when it becomes positive, and
uncondense when it becomes negative). A sign change is refined by the Illinois method on the
step size (each trial is a fresh Dormand-Prince step from the start of the step), to
``|ds| <= 1e-14 (1 + t)``; the branch changes there and the integration restarts. Within a
branch every right-hand side is smooth (the condensed and uncondensed expressions are
continued analytically across the condensation line), so the error control stays valid.

Start: ``T -> infinity`` is replaced by ``T = 40`` (:data:`T_DEFAULT`) with ``M = 0``,
``S = 1``. As ``t -> infinity``, ``A = 1 + O(e^{-2t})`` and ``B = (1 + omega) e^{-t} + O(e^{-3t})``
on the uncommitted branch, so the ``T = infinity`` trajectory has ``M(40) = O((1 + |omega|)
e^{-40}) ~ 1e-17 (1 + |omega|)`` and ``S(40) = 1 + O(e^{-80})``; the linearised dynamics carry
this difference to ``t = 0`` multiplied by at most ``exp(int_0^40 |1 - 2A| dt) = O(e^{few})``,
far below the 1e-8 target (a test compares ``T = 40`` with ``T = 60``). The switching
function at ``t = 40`` is ``-alpha + O(e^{-40})``: uncommitted and uncondensed, as for
``T -> infinity`` (``alpha > 0``).

Outputs (a :class:`cfgmft.results.Prediction`, keys :data:`PREDICTION_KEYS`): ``m_final = M(0)``, ``mean_shift = M(0) - 1``,
``log_var_ratio = log S(0) - log sigma2``, ``var_ratio = exp(log_var_ratio)`` (``0.0`` where it
underflows float64, with a note in the message), ``kl_per_dim = (rho - 1 - log rho + (M -
1)^2/sigma2)/2`` with ``rho = var_ratio`` and ``log rho = log_var_ratio`` (the generated
``kl_per_dim_log``), the event times and the **margin**, derived as follows. At ``t = 0``,
``(1/d) log P_0(x|k) = -r/(2 sigma2) - log(2 pi sigma2)/2 + E_k`` with ``E_k = a_0 q_k - b_0
n_k``, ``a_0 = 1/sigma2``, ``b_0 = 1/(2 sigma2)``. The target has ``E_c = (M - 1/2)/sigma2``.
Among ``exp(alpha d)`` competitors the largest energy is, by the REM extreme-value principle,
``E_best = max {E : I <= alpha} = E(lambda_alpha)`` with ``I(lambda_alpha) = alpha`` (any
``lambda_alpha > 0``: the maximiser sits on the boundary ``I = alpha``), evaluated at
``t = 0`` and the final ``r = M^2 + S``. The common terms cancel:
``margin = E_c - E_best`` per dimension; ``margin > 0`` means the Bayes classifier of the
mixture assigns the samples to ``c`` (as ``d -> infinity``).

All formulas come from the generated module :mod:`cfgmft.solvers._generated.exponential`
(plain ``math`` code, compiled here with ``numba.njit(cache=True)``); nothing imports sympy.
Call :func:`prepare` to compile (or load from the cache) before timing. numba's cache does not
track dependencies across files: after regenerating the generated module, delete the
``*.nbi``/``*.nbc`` files under ``solvers/__pycache__`` (or set a fresh ``NUMBA_CACHE_DIR``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from cfgmft.conventions import CONVENTION_LONG, SAMPLERS
from cfgmft.conventions import IID_PRIORS as PRIORS
from cfgmft.errors import NumericalError, check_choice, check_real
from cfgmft.results import Prediction
from cfgmft import schedules
from cfgmft.schedules import Constant, Schedule, as_schedule

from ._generated import exponential as gen
from ._generated import rules as gen_rules

__all__ = [
    "PREDICTION_KEYS", "predict_exponential", "prepare", "schedule_arrays", "piece_value", "piece_index",
    "integrate", "integrate_log", "observables", "observables_log", "status_code", "start_time", "PRIORS",
    "SAMPLERS", "STATUSES", "T_DEFAULT", "RTOL", "ATOL",
]

#: status codes (index) and strings
STATUSES = ("committed", "never committed", "condensed before commitment", "alpha = 0", "alpha = inf")
ST_COMMITTED, ST_NEVER, ST_CONDENSED, ST_ALPHA0, ST_ALPHAINF = range(5)
#: start of the integration for T -> infinity (see the module docstring)
T_DEFAULT = 40.0
#: tolerances of the Dormand-Prince pair (final moments reach ~1e-9 relative, see the tests)
RTOL = 1e-11
ATOL = 1e-13
#: condensation that precedes commitment by less than this is counted as simultaneous
#: (at omega = 0 both happen exactly at the collapse time t_C: a Nishimori identity)
SIMULTANEOUS = 1e-9
_MAX_STEPS = 200_000

#: leaf kernels: cached; numpy error model (x/0 gives inf/nan, checked at the public boundary)
_jit = numba.njit(cache=True, error_model="numpy")

# --- generated scalar kernels, compiled ----------------------------------------------------------
_jit_formula = _jit
g_target_energy = _jit_formula(gen.target_energy)
g_switching = _jit_formula(gen.switching)
g_rhs_committed_sde = _jit_formula(gen.rhs_committed_sde)
g_rhs_committed_ode = _jit_formula(gen.rhs_committed_ode)
g_rhs_uncommitted_sde = _jit_formula(gen.rhs_uncommitted_sde)
g_rhs_uncommitted_ode = _jit_formula(gen.rhs_uncommitted_ode)
g_rhs_committed_log_sde = _jit_formula(gen.rhs_committed_log_sde)
g_rhs_committed_log_ode = _jit_formula(gen.rhs_committed_log_ode)
g_rhs_uncommitted_log_sde = _jit_formula(gen.rhs_uncommitted_log_sde)
g_rhs_uncommitted_log_ode = _jit_formula(gen.rhs_uncommitted_log_ode)
g_t_collapse = _jit_formula(gen.t_collapse)
g_kl_per_dim_log = _jit_formula(gen.kl_per_dim_log)
g_margin = _jit_formula(gen.margin)
g_ga_phi_ann = _jit_formula(gen.rem_gaussian_phi_annealed)
g_ga_cond_res = _jit_formula(gen.rem_gaussian_condensation_residual)
g_ga_energy = _jit_formula(gen.rem_gaussian_energy_family)
g_ga_rho = _jit_formula(gen.rem_gaussian_rho_family)
g_ga_rate_u = _jit_formula(gen.rem_gaussian_rate_u)
g_ga_rate_u_du = _jit_formula(gen.rem_gaussian_rate_u_du)
g_sp_phi_ann = _jit_formula(gen.rem_sphere_phi_annealed)
g_sp_cond_res = _jit_formula(gen.rem_sphere_condensation_residual)
g_sp_energy = _jit_formula(gen.rem_sphere_energy_family)
g_sp_rho = _jit_formula(gen.rem_sphere_rho_family)
g_sp_lambda_alpha = _jit_formula(gen.rem_sphere_lambda_alpha)
# the guidance rules' (A, B) (cfgmft.theory.rules), codes RULE_CODES
g_rule_powerlaw = _jit_formula(gen_rules.rule_powerlaw_AB)
g_rule_apg = _jit_formula(gen_rules.rule_apg_AB)
g_rule_zerostar = _jit_formula(gen_rules.rule_zerostar_AB)
g_rule_rescale = _jit_formula(gen_rules.rule_rescale_AB)

#: integer codes of the guidance rules in the kernels (``cfgmft.theory.rules.RULE_KINDS``); each
#: takes at most two parameters ``(p1, p2)``: powerlaw ``(beta, -)``, apg ``(eta, r)``, rescale ``(phi, -)``
RULE_CODES = ("cfg", "powerlaw", "apg", "zerostar", "rescale")


def rule_arrays(rule) -> tuple[int, float, float]:
    """``(code, p1, p2)`` of a :class:`cfgmft.guidance.Rule` for the kernels (``cfg`` where its
    parameters reduce it to linear CFG, so that the generated CFG equations run)."""
    if rule is None or rule.reduces_to_cfg:
        return 0, 0.0, 0.0
    from cfgmft.guidance import check_continuous

    check_continuous(rule)
    vals = list(rule.params.values()) + [0.0, 0.0]
    return RULE_CODES.index(rule.kind), float(vals[0]), float(vals[1])


@_jit
def _rule_AB(rule, t, M, S, w, sigma2, rho, p1, p2):
    """``(A, B)`` of the uncommitted guided score ``s = -A x + B mu_c`` of rule ``rule`` (code >= 1)."""
    if rule == 1:
        return g_rule_powerlaw(t, M, S, w, sigma2, rho, p1)
    if rule == 2:
        return g_rule_apg(t, M, S, w, sigma2, rho, p1, p2)
    if rule == 3:
        return g_rule_zerostar(t, M, S, w, sigma2, rho)
    return g_rule_rescale(t, M, S, w, sigma2, rho, p1)


# --- schedules ----------------------------------------------------------------------------------------
piece_value = _jit(schedules.piece_value)
piece_index = _jit(schedules.piece_index)


def schedule_arrays(schedule) -> tuple[np.ndarray, np.ndarray]:
    """``(breaks, coef)`` of the :class:`cfgmft.schedules.Pieces` table of a schedule (or a
    number): what the kernels read (``coef`` ``(n + 1, 5)``, rows ``(c0, c1, c2, c3, c4)``)."""
    pieces = as_schedule(schedule).pieces
    return pieces.breaks, pieces.coef


# --- random energy model of the competitors -------------------------------------------------------------
@_jit
def lambda_alpha_gaussian(t, r, alpha, sigma2):
    """Root ``lambda`` of ``I(lambda) = alpha`` (gaussian prior), any ``lambda > 0``.

    Works in ``u = 1/lambda``: ``I(u)`` increases from 0 at ``u = 0``; bracket ``[0, hi]``
    (doubling ``hi``), then Newton steps on the generated residual ``I(u) - alpha`` with the
    generated slope, falling back to bisection whenever Newton leaves the bracket.
    """
    lo = 0.0
    hi = 1.0
    while g_ga_rate_u(t, r, sigma2, hi) < alpha and hi < 1e300:
        lo = hi
        hi *= 2.0
    x = 0.5 * (lo + hi)
    for _ in range(200):
        f = g_ga_rate_u(t, r, sigma2, x) - alpha
        if f > 0.0:
            hi = x
        else:
            lo = x
        df = g_ga_rate_u_du(t, r, sigma2, x)
        xn = x - f / df if df > 0.0 else 0.5 * (lo + hi)
        if not (xn > lo and xn < hi):
            xn = 0.5 * (lo + hi)
        if abs(xn - x) <= 4e-16 * x or hi - lo <= 4e-16 * hi:
            x = xn
            break
        x = xn
    return 1.0 / x


@_jit
def lambda_alpha(prior, t, r, alpha, sigma2):
    """``lambda_alpha`` of ``prior`` (0 gaussian, 1 sphere)."""
    if prior == 0:
        return lambda_alpha_gaussian(t, r, alpha, sigma2)
    return g_sp_lambda_alpha(t, r, alpha, sigma2)


@_jit
def rem_phi_rho(prior, condensed, t, r, alpha, sigma2):
    """``(phi, rho)`` on the given phase branch (analytically continued across the line)."""
    if condensed:
        lam = lambda_alpha(prior, t, r, alpha, sigma2)
        if prior == 0:
            return g_ga_energy(t, r, sigma2, lam), g_ga_rho(t, r, sigma2, lam)
        return g_sp_energy(t, r, sigma2, lam), g_sp_rho(t, r, sigma2, lam)
    if prior == 0:
        return g_ga_phi_ann(t, r, alpha, sigma2), g_ga_rho(t, r, sigma2, 1.0)
    return g_sp_phi_ann(t, r, alpha, sigma2), g_sp_rho(t, r, sigma2, 1.0)


@_jit
def condensation_residual(prior, t, r, alpha, sigma2):
    if prior == 0:
        return g_ga_cond_res(t, r, alpha, sigma2)
    return g_sp_cond_res(t, r, alpha, sigma2)


@_jit
def best_competitor_energy(prior, r, alpha, sigma2):
    """``E_best = E(lambda_alpha)`` at ``t = 0``: the REM's largest competitor energy."""
    lam = lambda_alpha(prior, 0.0, r, alpha, sigma2)
    if prior == 0:
        return g_ga_energy(0.0, r, sigma2, lam)
    return g_sp_energy(0.0, r, sigma2, lam)


# --- right-hand side in forward time ---------------------------------------------------------------------
@_jit
def _rhs(mode, prior, sampler, alpha, sigma2, cp, t, M, L, rule, p1, p2):
    """``(dM/dt, dL/dt)`` (forward time, ``= -d/dtau``) on branch ``mode``, ``L = log S``.

    ``mode`` 0 committed, 1 uncommitted uncondensed, 2 uncommitted condensed. ``cp`` is the
    schedule's row ``(c0, c1, c2, c3, c4)`` of the piece being integrated: its formula is read
    even at the piece's ends (the one-sided limit), so a jump never enters a step. ``rule``,
    ``p1``, ``p2``: the guidance rule (:func:`rule_arrays`; 0 is cfg, the generated CFG equations);
    another rule's uncommitted ``(A, B)`` enter the moment equations
    ``dM/dtau = (1 - A) M + B``, ``d log S/dtau = 2 (1 - A)`` (ODE) and
    ``dM/dtau = (1 - 2A) M + 2B``, ``d log S/dtau = 2 (1 - 2A) + 2/S`` (SDE).
    """
    if mode == 0:
        if sampler == 0:
            dM, dL = g_rhs_committed_log_sde(t, M, L, sigma2)
        else:
            dM, dL = g_rhs_committed_log_ode(t, M, L, sigma2)
        return -dM, -dL
    w = piece_value(cp[0], cp[1], cp[2], cp[3], cp[4], t)
    r = M * M + math.exp(L)
    _, rho = rem_phi_rho(prior, mode == 2, t, r, alpha, sigma2)
    if rule != 0:
        A, B = _rule_AB(rule, t, M, math.exp(L), w, sigma2, rho, p1, p2)
        if sampler == 0:
            return -((1.0 - 2.0 * A) * M + 2.0 * B), -(2.0 * (1.0 - 2.0 * A) + 2.0 * math.exp(-L))
        return -((1.0 - A) * M + B), -(2.0 * (1.0 - A))
    if sampler == 0:
        dM, dL = g_rhs_uncommitted_log_sde(t, M, L, w, sigma2, rho)
    else:
        dM, dL = g_rhs_uncommitted_log_ode(t, M, L, w, sigma2, rho)
    return -dM, -dL


@_jit
def _events(mode, prior, alpha, sigma2, t, M, L):
    """``(switching function, condensation residual)`` on branch ``mode`` (1 or 2), ``L = log S``."""
    r = M * M + math.exp(L)
    phi, _ = rem_phi_rho(prior, mode == 2, t, r, alpha, sigma2)
    return g_switching(t, M, phi, sigma2), condensation_residual(prior, t, r, alpha, sigma2)


# Dormand-Prince 5(4) tableau (stage 7 = FSAL evaluation at the 5th-order solution)
_DP_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
_DP_A = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [1 / 5, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3 / 40, 9 / 40, 0.0, 0.0, 0.0, 0.0],
    [44 / 45, -56 / 15, 32 / 9, 0.0, 0.0, 0.0],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0.0, 0.0],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656, 0.0],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
])
#: error weights b - b_hat
_DP_E = np.array([71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40])


@_jit
def _dp_step(mode, prior, sampler, alpha, sigma2, cp, t, M, L, k, h, rtol, atol, rule, p1, p2):
    """One Dormand-Prince 5(4) step of size ``h`` from ``(t, M, L)``, ``L = log S``.

    ``k`` is a ``(2, 7)`` work array whose column 0 holds the slope at ``(t, M, L)`` (FSAL);
    on return column 6 holds the slope at the new point. Returns ``(M1, L1, err)`` with
    ``err`` the RMS of the error estimates scaled by ``atol + rtol max(|M_n|, |M_n+1|)`` for
    ``M`` and by ``rtol (1 + max(|L_n|, |L_n+1|))`` for ``L``: an absolute tolerance ``rtol``
    on ``log S`` is a relative tolerance ``rtol`` on ``S`` at every magnitude (the relative
    accuracy the old control on ``S`` had at ``S ~ 1``, kept down to the smallest ``S``), and
    the relative term ``rtol |log S|`` keeps a huge ``|log S|`` from being over-resolved.
    """
    M1 = M
    L1 = L
    for i in range(1, 7):
        yM = M
        yL = L
        for j in range(i):
            yM += h * _DP_A[i, j] * k[0, j]
            yL += h * _DP_A[i, j] * k[1, j]
        dM, dL = _rhs(mode, prior, sampler, alpha, sigma2, cp, t + _DP_C[i] * h, yM, yL, rule, p1, p2)
        k[0, i] = dM
        k[1, i] = dL
        if i == 6:  # stage 7 is evaluated at the 5th-order solution
            M1 = yM
            L1 = yL
    eM = 0.0
    eL = 0.0
    for i in range(7):
        eM += _DP_E[i] * k[0, i]
        eL += _DP_E[i] * k[1, i]
    scM = atol + rtol * max(abs(M), abs(M1))
    scL = rtol * (1.0 + max(abs(L), abs(L1)))
    err = math.sqrt(0.5 * ((h * eM / scM) ** 2 + (h * eL / scL) ** 2))
    return M1, L1, err


@_jit
def _locate(which, mode, prior, sampler, alpha, sigma2, cp, t, M, L, k, h, g0, g1, Mh, Lh,
            rtol, atol, rule, p1, p2):
    """Illinois root of event ``which`` (0 switching, 1 condensation) on the step ``[t, t + h]``.

    Every trial ``s`` is a fresh Dormand-Prince step of size ``s`` from ``(t, M, L)``
    (``k[:, 0]`` is the slope there and is kept). Returns ``(s, M(t+s), L(t+s))`` on the far
    side of the root (the event has happened at ``t + s``), ``|s - s_root| <= 1e-14 (1 + |t|)``.
    """
    sa, fa = 0.0, g0
    sb, fb = h, g1
    Mb, Lb = Mh, Lh
    side = 0
    tol = 1e-14 * (1.0 + abs(t))
    for _ in range(200):
        if abs(sb - sa) <= tol:
            break
        s = (sa * fb - sb * fa) / (fb - fa)
        if not (min(sa, sb) < s < max(sa, sb)):
            s = 0.5 * (sa + sb)
        M1, L1, _ = _dp_step(mode, prior, sampler, alpha, sigma2, cp, t, M, L, k, s, rtol, atol, rule, p1, p2)
        gs, gk = _events(mode, prior, alpha, sigma2, t + s, M1, L1)
        f = gs if which == 0 else gk
        if (f > 0) == (fb > 0):
            sb, fb = s, f
            Mb, Lb = M1, L1
            if side == 1:
                fa *= 0.5
            side = 1
        else:
            sa, fa = s, f
            if side == -1:
                fb *= 0.5
            side = -1
    return sb, Mb, Lb


@_jit
def integrate_log(prior, sampler, alpha, sigma2, bps, coef, T, rtol, atol, rule=0, p1=0.0, p2=0.0):
    """Integrate the mean-field equations in ``(M, L = log S)`` from ``t = T`` (``M = 0``,
    ``S = 1``) to ``t = 0`` under the schedule ``(bps, coef)`` (:func:`schedule_arrays`), piece
    by piece, for the guidance rule ``(rule, p1, p2)`` (:func:`rule_arrays`; default cfg).
    ``alpha = inf`` is the infinite-class limit (never committed, never condensed).

    Returns ``(M0, log S0, t_commit, t_condense, n_steps, ok)``; event times are NaN if absent,
    ``t_condense`` is the first entry into the condensed phase before commitment.
    """
    M = 0.0
    L = 0.0  # log S, S = 1
    t = T
    t_commit = math.nan
    t_condense = math.nan
    k = np.empty((2, 7))
    mode = 1
    for _ in range(2):  # phase at the start, then commitment on that branch
        gs0, gk0 = _events(mode, prior, alpha, sigma2, t, M, L)
        if mode == 1 and gk0 > 0:
            mode = 2
            t_condense = T
    if gs0 > 0:
        mode = 0
        t_commit = T
    # pieces between breakpoints, from T down to 0
    n_b = 0
    for b in bps:
        if 0.0 < b < T:
            n_b += 1
    edges = np.empty(n_b + 2)
    edges[0] = T
    j = 1
    for i in range(bps.shape[0] - 1, -1, -1):
        if 0.0 < bps[i] < T:
            edges[j] = bps[i]
            j += 1
    edges[n_b + 1] = 0.0
    h = -1e-2
    n_steps = 0
    ok = True
    for piece in range(n_b + 1):
        hi = edges[piece]
        lo = edges[piece + 1]
        cp = coef[piece_index(bps, 0.5 * (lo + hi))]
        fresh = True  # slope at (t, M, L) must be (re)computed: new piece or new branch
        while t > lo:
            if n_steps > _MAX_STEPS:
                ok = False
                break
            if fresh:
                dM, dL = _rhs(mode, prior, sampler, alpha, sigma2, cp, t, M, L, rule, p1, p2)
                k[0, 0] = dM
                k[1, 0] = dL
                fresh = False
            last = False
            if t + h <= lo + 1e-14 * (1.0 + lo):
                h = lo - t
                last = True
            M1, L1, err = _dp_step(mode, prior, sampler, alpha, sigma2, cp, t, M, L, k, h, rtol, atol, rule, p1, p2)
            n_steps += 1
            if not (err == err):  # NaN: shrink hard
                h *= 0.1
                continue
            fac = 5.0 if err == 0.0 else min(5.0, max(0.2, 0.9 * err ** -0.2))
            if err > 1.0:
                h *= fac
                continue
            if mode != 0:
                gs1, gk1 = _events(mode, prior, alpha, sigma2, t + h, M1, L1)
                hit_s = gs1 > 0.0
                hit_k = (gk1 > 0.0) if mode == 1 else (gk1 < 0.0)
                if hit_s or hit_k:
                    gs0, gk0 = _events(mode, prior, alpha, sigma2, t, M, L)
                    # earliest event in sampling order = smallest |s|; switching first on ties
                    s_best = 2.0 * h
                    which_best = -1
                    M_best = M1
                    L_best = L1
                    for which in range(2):
                        if (hit_s if which == 0 else hit_k):
                            s_, M_, L_ = _locate(which, mode, prior, sampler, alpha, sigma2, cp, t, M,
                                                 L, k, h, gs0 if which == 0 else gk0, gs1 if which == 0 else gk1,
                                                 M1, L1, rtol, atol, rule, p1, p2)
                            if abs(s_) < abs(s_best):
                                s_best, which_best, M_best, L_best = s_, which, M_, L_
                    t = t + s_best
                    M, L = M_best, L_best
                    if which_best == 0:
                        mode = 0
                        t_commit = t
                    elif mode == 1:
                        mode = 2
                        if t_condense != t_condense:
                            t_condense = t
                    else:
                        mode = 1
                    if abs(t - lo) <= 1e-14 * (1.0 + lo):
                        t = lo
                    fresh = True
                    continue
            t = lo if last else t + h
            M, L = M1, L1
            k[0, 0] = k[0, 6]
            k[1, 0] = k[1, 6]
            h *= fac
        if not ok:
            break
    return M, L, t_commit, t_condense, n_steps, ok


@_jit
def integrate(prior, sampler, alpha, sigma2, bps, coef, T, rtol, atol, rule=0, p1=0.0, p2=0.0):
    """:func:`integrate_log` with ``S0 = exp(log S0)`` in place of ``log S0``:
    ``(M0, S0, t_commit, t_condense, n_steps, ok)`` (``S0`` is 0 where it underflows)."""
    M, L, t_commit, t_condense, n_steps, ok = integrate_log(prior, sampler, alpha, sigma2, bps, coef, T, rtol, atol,
                                                            rule, p1, p2)
    return M, math.exp(L), t_commit, t_condense, n_steps, ok


@_jit
def observables_log(prior, alpha, sigma2, M, L):
    """``(log_var_ratio, var_ratio, kl_per_dim, margin)`` at ``t = 0`` from ``M`` and
    ``L = log S``; the KL from the log (exact where ``var_ratio`` underflows to 0)."""
    lvr = L - math.log(sigma2)
    kl = g_kl_per_dim_log(M, lvr, sigma2)
    e_best = best_competitor_energy(prior, M * M + math.exp(L), alpha, sigma2)
    return lvr, math.exp(lvr), kl, g_margin(M, e_best, sigma2)


@_jit
def observables(prior, alpha, sigma2, M, S):
    """``(var_ratio, kl_per_dim, margin)`` at ``t = 0`` from ``M`` and ``S`` (:func:`observables_log`
    at ``log S``)."""
    _, vr, kl, mg = observables_log(prior, alpha, sigma2, M, math.log(S))
    return vr, kl, mg


@_jit
def status_code(t_commit, t_condense):
    """The status of a run from its event times (NaN: absent): condensed before commitment
    (by more than :data:`SIMULTANEOUS`), else committed, else never committed."""
    if t_condense == t_condense and (t_commit != t_commit or t_condense > t_commit + SIMULTANEOUS):
        return ST_CONDENSED
    if t_commit == t_commit:
        return ST_COMMITTED
    return ST_NEVER


@_jit
def t_collapse_kernel(alpha, sigma2):
    """Closed-form collapse time (generated); NaN where ``sigma2 (exp(2 alpha) - 1) >= 1``."""
    if sigma2 * math.expm1(2.0 * alpha) >= 1.0:
        return math.nan
    return g_t_collapse(alpha, sigma2)


# --- public API ---------------------------------------------------------------------------------
#: The keys of every prediction of :func:`predict_exponential` (a :class:`cfgmft.results.Prediction`):
#: ``m_final = M(0)``; ``mean_shift = m_final - 1``; ``log_var_ratio = log(S(0)/sigma2)`` (natural
#: log, from the integrated ``log S``); ``var_ratio = exp(log_var_ratio)`` (``0.0`` where it
#: underflows float64, which the message then says);
#: ``kl_per_dim = (var_ratio - 1 - log var_ratio + mean_shift^2/sigma2)/2`` evaluated from
#: ``log_var_ratio`` (exact where ``var_ratio`` underflows); ``margin`` the
#: per-dimension log-likelihood margin of the target over the best competitor at ``t = 0``
#: (module docstring); ``t_commit`` (None: never committed; ``T`` for ``alpha = 0``: at the
#: start), ``t_condense`` (first condensation before commitment, None if none),
#: ``t_collapse`` (closed form; None: no collapse); ``status`` one of :data:`STATUSES`,
#: ``status_code`` its index, ``condensed_before_commit`` flags use of the condensed-branch
#: approximation; ``message`` says what happened in words; ``n_steps``, ``convention`` and the
#: inputs ``prior``, ``sampler``, ``alpha``, ``sigma2``, ``omega``, ``T``.
PREDICTION_KEYS = ("prior", "sampler", "alpha", "sigma2", "omega", "T", "m_final", "mean_shift", "var_ratio",
                   "log_var_ratio", "kl_per_dim", "margin", "t_commit", "t_condense", "t_collapse", "status", "message",
                   "status_code", "condensed_before_commit", "n_steps", "convention")


def _prediction(**fields) -> Prediction:
    fields = {"status_code": 0, "condensed_before_commit": False, "n_steps": 0, "convention": CONVENTION_LONG,
              **fields}
    return Prediction(**{k: fields[k] for k in PREDICTION_KEYS})


def _check_alpha(alpha) -> float:
    if isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and alpha == math.inf:
        return math.inf
    return check_real("alpha", alpha, lo=0.0)


def _opt(v):
    return None if v != v else float(v)


def _underflow(var_ratio: float, log_var_ratio: float) -> str:
    """``'; <note>'`` if ``var_ratio`` underflowed to 0 (its log finite), else ``''``."""
    from .infinite_class import underflow_note

    return "; " + underflow_note(log_var_ratio) if var_ratio == 0.0 else ""


def start_time(T) -> float | None:
    """The start of a prediction for a sampler started at ``T`` (``None``: ``T -> infinity``):
    ``T`` itself below :data:`T_DEFAULT`, else ``None``, the ``T -> infinity`` limit, which a
    start at ``T >= T_DEFAULT`` equals to float64 (the neglected terms are ``O(sigma2 e^{-2T})``,
    below 1e-26 within the allowed ``sigma2``; module docstring)."""
    return None if T is None or T >= T_DEFAULT else T


def prepare() -> None:
    """Compile (or load from numba's cache) every kernel, for both priors and samplers."""
    for prior in (0, 1):
        for smp in (0, 1):
            integrate(prior, smp, 0.3, 1.0, *schedule_arrays(1.0), 5.0, RTOL, ATOL)
            integrate_log(prior, smp, 0.3, 1.0, *schedule_arrays(1.0), 5.0, RTOL, ATOL)
            integrate_log(prior, smp, 0.3, 1.0, *schedule_arrays(1.0), 5.0, RTOL, ATOL, 3, 0.0, 0.0)
        observables(prior, 0.3, 1.0, 1.0, 1.0)
        observables_log(prior, 0.3, 1.0, 1.0, 0.0)
    g_kl_per_dim_log(1.0, 0.0, 1.0)
    t_collapse_kernel(0.3, 1.0)


def predict_exponential(prior: str, sigma2: float, omega, sampler: str, *, alpha: float,
                        T: float | None = None) -> Prediction:
    """Final moments, events and distortion of CFG with ``K - 1 = exp(alpha d)`` classes.

    Parameters
    ----------
    prior: ``'gaussian'`` or ``'sphere'``.
    sigma2: class variance, finite ``> 0``.
    alpha: ``log(K - 1)/d``, ``>= 0``; ``0`` is the sub-exponential limit (commitment at the
        start, exact conditional sampling), ``math.inf`` the infinite-class limit (delegated to
        :func:`cfgmft.solvers.infinite_class.predict_infinite_class`).
    omega: constant ``omega >= -1`` or a :class:`cfgmft.schedules.Schedule` (text
        or JSON forms accepted).
    sampler: ``'sde'`` or ``'ode'``.
    T: start time, ``> 0``; ``None`` for ``T -> infinity`` (:data:`T_DEFAULT`).

    Raises ``ParameterError`` naming the argument; ``NumericalError`` on a non-finite result
    (``m_final``, ``log_var_ratio``, ``kl_per_dim``, ``margin``, or a ``var_ratio`` that
    overflows) or if the step limit is hit. A ``var_ratio`` that underflows to ``0.0`` under a
    finite ``log_var_ratio`` is a result, and its message says so.
    """
    prior = check_choice("prior", prior, PRIORS, fold_case=True)
    sampler = check_choice("sampler", sampler, SAMPLERS, fold_case=True)
    sigma2 = check_real("sigma2", sigma2, lo=0.0, lo_open=True)
    alpha = _check_alpha(alpha)
    if isinstance(omega, Schedule) or isinstance(omega, (str, dict)):
        sch = as_schedule(omega)
    else:
        sch = Constant(check_real("omega", omega, lo=-1.0))
    T_val = T_DEFAULT if T is None else check_real("T", T, lo=0.0, lo_open=True)
    if T is not None and math.isinf(T_val):  # pragma: no cover - check_real rejects inf
        T_val = T_DEFAULT
    omega_label = sch.omega if isinstance(sch, Constant) else f"schedule: {sch.spec}"
    common = dict(prior=prior, sampler=sampler, alpha=alpha, sigma2=sigma2, omega=omega_label,
                  T=math.inf if T is None else T_val)
    t_col = _opt(t_collapse_kernel(alpha, sigma2)) if 0 < alpha < math.inf else None
    if alpha == math.inf:
        from .infinite_class import predict_infinite_class

        ic = predict_infinite_class(prior, sigma2, sch.omega if isinstance(sch, Constant) else sch, sampler, T)
        return _prediction(
            **common, m_final=ic.m_final, mean_shift=ic.mean_shift, var_ratio=ic.var_ratio,
            log_var_ratio=ic.log_var_ratio, kl_per_dim=ic.kl_per_dim, margin=math.inf, t_commit=None,
            t_condense=None, t_collapse=None, status=STATUSES[ST_ALPHAINF], status_code=ST_ALPHAINF,
            message=f"alpha = inf: infinite-class limit, never committed ({ic.method}); margin = +inf "
                    "(no competitor at finite distance)" + _underflow(ic.var_ratio, ic.log_var_ratio))
    bps, coef = schedule_arrays(sch)
    if alpha == 0.0:
        # phi -> -b: any positive overlap commits; exact conditional dynamics from the start
        M, lvr = 1.0, 0.0
        if T is not None:
            # finite T: the exact conditional dynamics from (0, 1) at t = T; at omega = 0 every
            # branch has A = 1/Gamma, B = a_t, so the branch bookkeeping of the kernel is irrelevant
            M, L, _, _, _, _ = integrate_log(PRIORS.index(prior), SAMPLERS.index(sampler), 1.0, sigma2,
                                             *schedule_arrays(0.0), T_val, RTOL, ATOL)
            lvr = L - math.log(sigma2)
        vr = math.exp(lvr)
        kl = g_kl_per_dim_log(M, lvr, sigma2)
        # alpha -> 0: lambda_alpha -> inf, the best competitor is a typical one, E_best = -b_0
        mg = g_margin(M, -0.5 / sigma2, sigma2)
        return _prediction(
            **common, m_final=M, mean_shift=M - 1.0, var_ratio=vr, log_var_ratio=lvr, kl_per_dim=kl, margin=mg,
            t_commit=T_val, t_condense=None, t_collapse=None, status=STATUSES[ST_ALPHA0], status_code=ST_ALPHA0,
            message="alpha = 0: sub-exponential limit, commitment at the start (t_commit = T), exact "
                    "conditional sampling (no distortion); margin against a typical competitor, E_best = -1/(2 sigma2)")
    M, L, t_c, t_k, n_steps, ok = integrate_log(PRIORS.index(prior), SAMPLERS.index(sampler), alpha, sigma2, bps,
                                                coef, T_val, RTOL, ATOL)
    if not ok:
        raise NumericalError(f"step limit reached (prior={prior}, sampler={sampler}, alpha={alpha}, "
                             f"sigma2={sigma2}, omega={omega_label})")
    lvr, vr, kl, mg = observables_log(PRIORS.index(prior), alpha, sigma2, M, L)
    vals = {"m_final": M, "log_var_ratio": lvr, "var_ratio": vr, "kl_per_dim": kl, "margin": mg}
    bad = {k: v for k, v in vals.items() if not math.isfinite(v)}
    if bad:
        raise NumericalError(f"non-finite result {bad} (prior={prior}, sampler={sampler}, alpha={alpha}, "
                             f"sigma2={sigma2}, omega={omega_label})")
    status = status_code(t_c, t_k)
    cond = status == ST_CONDENSED
    if cond:
        msg = (f"competitors condensed at t = {t_k:.10g} before commitment; the condensed branch drops the "
               "random orthogonal part of the dominant competitors' mean (approximation)")
        if t_c == t_c:
            msg += f"; committed at t = {t_c:.10g}"
        else:
            msg += "; never committed"
    elif status == ST_COMMITTED:
        msg = f"committed at t = {t_c:.10g}; guidance inert afterwards"
    else:
        msg = "never committed before t = 0: guidance acts on the whole trajectory"
    msg += _underflow(vr, lvr)
    return _prediction(
        **common, m_final=M, mean_shift=M - 1.0, var_ratio=vr, log_var_ratio=lvr, kl_per_dim=kl, margin=mg,
        t_commit=_opt(t_c), t_condense=_opt(t_k) if cond else None, t_collapse=t_col,
        status=STATUSES[status], message=msg, status_code=status, condensed_before_commit=bool(cond),
        n_steps=int(n_steps))
