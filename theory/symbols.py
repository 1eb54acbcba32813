"""Shared sympy symbols and the noise functions of the model (docs/explanation/model.md sections 1-3).

Conventions
-----------
* Forward Ornstein-Uhlenbeck process ``dx = -x dt + sqrt(2) dB``, time ``t >= 0``.
* ``Delta(t) = 1 - exp(-2t)``: variance of the injected noise.
* ``Gamma(t) = sigma2 exp(-2t) + Delta(t) = 1 + (sigma2 - 1) exp(-2t)``: variance of a
  noised class, ``P_t(x|c) = N(exp(-t) mu_c, Gamma_t I)``.
* ``G(t) = 1 + sigma2 exp(-2t)``: variance of the noised unconditional density of the
  infinite-class (continuum) limit with the ``gaussian`` prior, ``P_t(x) = N(0, G_t I)``.
* Guided score ``s = (1 + omega) s_c - omega s_u`` (guidance scale ``w = 1 + omega`` in the
  diffusers/EDM convention ``s_u + w (s_c - s_u)``).
* Sampling in backward time ``tau = T - t``: reverse SDE ``dx = [x + 2 s] dtau + sqrt(2) dW``,
  probability-flow ODE ``dx/dtau = x + s``.

The functions :func:`Delta`, :func:`Gamma` and :func:`G` return explicit sympy expressions;
``Delta_t``, ``Gamma_t`` and ``G_t`` are plain symbols used to display results compactly,
and :func:`explicit` replaces them by the explicit expressions.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "t", "tau", "T", "s", "p", "sigma2", "omega", "omega_f", "d", "r",
    "x", "mu", "xi", "M", "S", "M_f", "S_f", "A", "B", "L", "J_M", "J_S", "S_T",
    "m_final", "var_ratio", "log_var_ratio", "log_S", "n_c", "log_odds",
    "u", "k", "z", "y", "kappa", "nu", "rho",
    "Delta_t", "Gamma_t", "G_t", "Delta", "Gamma", "G", "explicit",
]

# --- time -------------------------------------------------------------------------------
#: forward (noising) time
t = sp.Symbol("t", positive=True)
#: backward (sampling) time, ``tau = T - t``
tau = sp.Symbol("tau", nonnegative=True)
#: horizon: sampling starts at ``t = T`` from ``N(0, I)``
T = sp.Symbol("T", positive=True)
#: integration dummies for time
s = sp.Symbol("s", positive=True)
p = sp.Symbol("p", positive=True)

# --- model parameters -------------------------------------------------------------------
#: class variance (``P_0(x|k) = N(mu_k, sigma2 I)``)
sigma2 = sp.Symbol("sigma2", positive=True)
#: constant guidance strength (``s = (1+omega) s_c - omega s_u``)
omega = sp.Symbol("omega", real=True)
#: guidance schedule ``omega(t)`` (an undefined function of the forward time)
omega_f = sp.Function("omega", real=True)
#: dimension
d = sp.Symbol("d", positive=True, integer=True)
#: squared norm per dimension of the state, ``r = |x|^2 / d``
r = sp.Symbol("r", positive=True)

# --- state, class mean and the Gaussian moments --------------------------------------------
#: one component of the state and of the target class mean
x = sp.Symbol("x", real=True)
mu = sp.Symbol("mu", real=True)
#: a standard normal variable
xi = sp.Symbol("xi", real=True)
#: the generated law is ``N(M mu_c, S I)``; ``M`` and ``S`` as values ...
M = sp.Symbol("M", real=True)
S = sp.Symbol("S", positive=True)
#: ... and as functions of time
M_f = sp.Function("M", real=True)
S_f = sp.Function("S", positive=True)
#: coefficients of the linear guided score ``s = -A x + B mu``
A = sp.Symbol("A", real=True)
B = sp.Symbol("B", real=True)
#: states of the forward integrating-factor quadrature
L = sp.Symbol("L", real=True)
J_M = sp.Symbol("J_M", real=True)
J_S = sp.Symbol("J_S", real=True)
#: ``S(T)``, the variance per dimension of the initial condition (1 for ``N(0, I)``)
S_T = sp.Symbol("S_T", positive=True)
#: observables: final mean overlap ``M(0)`` and variance ratio ``S(0) / sigma2``
m_final = sp.Symbol("m_final", real=True)
var_ratio = sp.Symbol("var_ratio", positive=True)
#: ``log(var_ratio)``: what the solvers carry, so that a ratio below float64's range keeps its
#: value (and the KL its accuracy)
log_var_ratio = sp.Symbol("log_var_ratio", real=True)
#: ``|mu_c|^2 / d``, the target's squared norm per dimension (1 on the sphere; the theory's
#: default for the gaussian prior, whose ``chi2(d)/d`` fluctuates at finite ``d``)
n_c = sp.Symbol("n_c", positive=True)
#: ``(1/d)[log P_0(x|c) - log P_0(x)]`` averaged over the samples: the separability of the
#: infinite-class limit (docs/explanation/model.md section 4)
log_odds = sp.Symbol("log_odds", real=True)
#: ``log S``, the state the solvers integrate in place of ``S`` (the log-variance equations)
log_S = sp.Symbol("log_S", real=True)

# --- substitution variables -----------------------------------------------------------------
#: ``u = exp(-2t)``
u = sp.Symbol("u", positive=True)
#: ``k = u / Gamma = G/Gamma - 1``, the variable that makes the exponents polynomial
k = sp.Symbol("k", positive=True)
#: argument of hypergeometric functions / Debye variable
z = sp.Symbol("z", positive=True)
#: ``y = kappa / d``
y = sp.Symbol("y", positive=True)
#: von Mises-Fisher concentration and Bessel order
kappa = sp.Symbol("kappa", positive=True)
nu = sp.Symbol("nu", positive=True)
#: ``rho``: the unconditional posterior mean of the sphere prior is ``exp(-t) rho x``
rho = sp.Symbol("rho", positive=True)

# --- noise functions --------------------------------------------------------------------------
Delta_t = sp.Symbol("Delta_t", positive=True)
Gamma_t = sp.Symbol("Gamma_t", positive=True)
G_t = sp.Symbol("G_t", positive=True)


def Delta(t_=t):
    """``Delta_t = 1 - exp(-2t)``: variance of the noise added by the forward process."""
    return 1 - sp.exp(-2 * t_)


def Gamma(t_=t, sigma2_=sigma2):
    """``Gamma_t = sigma2 exp(-2t) + Delta_t``: variance of a noised class."""
    return sigma2_ * sp.exp(-2 * t_) + Delta(t_)


def G(t_=t, sigma2_=sigma2):
    """``G_t = 1 + sigma2 exp(-2t)``: variance of the noised continuum (gaussian prior)."""
    return 1 + sigma2_ * sp.exp(-2 * t_)


def explicit(expr, t_=t, sigma2_=sigma2):
    """Replace the display symbols ``Gamma_t``, ``G_t``, ``Delta_t`` by explicit functions of ``t_``."""
    return sp.sympify(expr).subs(
        {Gamma_t: Gamma(t_, sigma2_), G_t: G(t_, sigma2_), Delta_t: Delta(t_)}
    )


def gauss_expect(expr, var):
    """``E[expr]`` for a polynomial ``expr`` in a standard normal ``var``."""
    poly = sp.Poly(sp.expand(expr), var)
    total = sp.S.Zero
    for (n,), coeff in poly.terms():
        if n % 2 == 0:
            total += coeff * sp.factorial2(n - 1)
    return sp.expand(total)


def moment_equations(drift, noise2):
    """Moment equations of ``dx = drift(x) dtau + sqrt(noise2) dW`` for a drift linear in ``x``.

    With ``x = M mu + sqrt(S) xi`` (``xi`` standard normal, one component), Ito's formula gives
    ``dM/dtau = E[drift]/mu`` and ``dS/dtau = 2 E[(x - E x)(drift - E drift)] + noise2``.
    Shared by the infinite-class and the exponential-class derivations.
    """
    state = M * mu + sp.sqrt(S) * xi
    f = sp.expand(drift.subs(x, state))
    mean_f = gauss_expect(f, xi)
    dM = sp.cancel(mean_f / mu)
    dS = sp.expand(2 * gauss_expect(sp.sqrt(S) * xi * (f - mean_f), xi) + noise2)
    return sp.collect(sp.expand(dM), M), sp.collect(dS, S)
