# ruff: noqa: E501
"""Scalar (numba-compilable) guided-score coefficients of every guidance rule, d -> infinity.

GENERATED FILE - do not edit by hand. Produced by ``cfgmft.theory.bridge.render_rules()`` from
the sympy derivations ``cfgmft.theory.rules.RuleMeanField``; regenerate with ``python -m cfgmft.theory.bridge``.

Conventions: forward OU process dx = -x dt + sqrt(2) dB, Gamma_t = sigma2 exp(-2t) + 1 -
exp(-2t), a_t = exp(-t)/Gamma_t, b_t = exp(-2t)/(2 Gamma_t), guided score
s = (1+omega) s_c - omega s_u (guidance scale w = 1 + omega), backward time tau = T - t,
K - 1 = exp(alpha d) competitors. Plain scalar Python using only ``math``: every function
takes and returns float scalars, so numba can compile each with ``njit(cache=True)``.
"""

import math

__all__ = ["rule_cfg_AB", "rule_powerlaw_AB", "rule_apg_AB", "rule_zerostar_AB", "rule_rescale_AB"]


def rule_cfg_AB(t, M, S, omega, sigma2, rho):
    """cfg: (A, B) of the uncommitted guided score s = -A x + B mu_c, E[mu|x] = rho x, in M
    = x.mu_c/d and S = |x - M mu_c|^2/d.

    Formula: (omega*rho*exp(-t) + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t)); (omega +
    1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: RuleMeanField('cfg').score_coefficients.
    """
    _x0 = math.exp(-t)
    _x1 = math.exp(-2*t)
    _x2 = 1/(_x1*sigma2 - _x1 + 1)
    return (_x2*(_x0*omega*rho + 1), _x0*_x2*(omega + 1))


def rule_powerlaw_AB(t, M, S, omega, sigma2, rho, beta):
    """powerlaw: (A, B) of the uncommitted guided score s = -A x + B mu_c, E[mu|x] = rho x,
    in M = x.mu_c/d and S = |x - M mu_c|^2/d.

    Formula: (omega*rho*(sqrt(M**2*rho**2 - 2*M*rho + S*rho**2 +
    1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)))**beta*exp(-t) +
    1)/(sigma2*exp(-2*t) + 1 - exp(-2*t)); (omega*(sqrt(M**2*rho**2 - 2*M*rho +
    S*rho**2 + 1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)))**beta +
    1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: RuleMeanField('powerlaw').score_coefficients.
    """
    _x0 = math.exp(-2*t)
    _x1 = 1/(_x0*sigma2 - _x0 + 1)
    _x2 = math.exp(-t)
    _x3 = rho**2
    _x4 = _x1*_x2
    _x5 = omega*(_x4*math.sqrt(M**2*_x3 - 2*M*rho + S*_x3 + 1))**beta
    return (_x1*(_x2*_x5*rho + 1), _x4*(_x5 + 1))


def rule_apg_AB(t, M, S, omega, sigma2, rho, eta, apg_r):
    """apg: (A, B) of the uncommitted guided score s = -A x + B mu_c, E[mu|x] = rho x, in M
    = x.mu_c/d and S = |x - M mu_c|^2/d.

    Formula: (-omega*(-rho - sigma2*(1 - eta)*(-M**2*rho*sigma2/(sigma2*exp(-t) + exp(t)
    - exp(-t)) - M*rho/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + M*rho/(sigma2 + exp(2*t)
    - 1) + M*sigma2/(sigma2*exp(-t) + exp(t) - exp(-t)) -
    S*rho*sigma2/(sigma2*exp(-t) + exp(t) - exp(-t)) + 1/(sigma2*exp(-2*t) + 1 -
    exp(-2*t)) - 1/(sigma2 + exp(2*t) - 1))*exp(-t)/((sigma2*exp(-2*t) + 1 -
    exp(-2*t))*(M**2*sigma2**2/(sigma2**2*exp(-2*t) + 2*sigma2 - 2*sigma2*exp(-2*t)
    + exp(2*t) - 2 + exp(-2*t)) - 2*M*sigma2/(sigma2**2*exp(-t) + 2*sigma2*exp(t) -
    2*sigma2*exp(-t) + exp(3*t) - 2*exp(t) + exp(-t)) +
    2*M*sigma2/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) + exp(t)
    - 2*exp(-t) + exp(-3*t)) + S*sigma2**2/(sigma2**2*exp(-2*t) + 2*sigma2 -
    2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t)) - 2/(sigma2**2*exp(-2*t) +
    2*sigma2 - 2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t)) +
    1/(sigma2**2*exp(-4*t) + 2*sigma2*exp(-2*t) - 2*sigma2*exp(-4*t) + 1 -
    2*exp(-2*t) + exp(-4*t)) + 1/(sigma2**2 + 2*sigma2*exp(2*t) - 2*sigma2 +
    exp(4*t) - 2*exp(2*t) + 1))))*Piecewise((1, apg_r <= 0), (apg_r/Max(apg_r, (1 -
    exp(-2*t))*sqrt(M**2*rho**2 - 2*M*rho + S*rho**2 + 1)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))), True))*exp(-t) + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t)); (omega*(-(1
    - eta)*(1 - exp(-2*t))*(-M**2*rho*sigma2/(sigma2*exp(-t) + exp(t) - exp(-t)) -
    M*rho/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + M*rho/(sigma2 + exp(2*t) - 1) +
    M*sigma2/(sigma2*exp(-t) + exp(t) - exp(-t)) - S*rho*sigma2/(sigma2*exp(-t) +
    exp(t) - exp(-t)) + 1/(sigma2*exp(-2*t) + 1 - exp(-2*t)) - 1/(sigma2 + exp(2*t)
    - 1))/((sigma2*exp(-2*t) + 1 - exp(-2*t))*(M**2*sigma2**2/(sigma2**2*exp(-2*t) +
    2*sigma2 - 2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t)) -
    2*M*sigma2/(sigma2**2*exp(-t) + 2*sigma2*exp(t) - 2*sigma2*exp(-t) + exp(3*t) -
    2*exp(t) + exp(-t)) + 2*M*sigma2/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) -
    2*sigma2*exp(-3*t) + exp(t) - 2*exp(-t) + exp(-3*t)) +
    S*sigma2**2/(sigma2**2*exp(-2*t) + 2*sigma2 - 2*sigma2*exp(-2*t) + exp(2*t) - 2
    + exp(-2*t)) - 2/(sigma2**2*exp(-2*t) + 2*sigma2 - 2*sigma2*exp(-2*t) + exp(2*t)
    - 2 + exp(-2*t)) + 1/(sigma2**2*exp(-4*t) + 2*sigma2*exp(-2*t) -
    2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) + exp(-4*t)) + 1/(sigma2**2 +
    2*sigma2*exp(2*t) - 2*sigma2 + exp(4*t) - 2*exp(2*t) + 1))) + 1)*Piecewise((1,
    apg_r <= 0), (apg_r/Max(apg_r, (1 - exp(-2*t))*sqrt(M**2*rho**2 - 2*M*rho +
    S*rho**2 + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t))), True)) +
    1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: RuleMeanField('apg').score_coefficients.
    """
    _x0 = 2*t
    _x1 = math.exp(-_x0)
    _x2 = _x1*sigma2
    _x3 = 1 - _x1
    _x4 = 1/(_x2 + _x3)
    _x5 = math.exp(-t)
    _x6 = _x5*sigma2
    _x7 = 2*sigma2
    _x8 = sigma2**2
    _x9 = 4*t
    _x10 = math.exp(_x0)
    _x11 = 2*_x2
    _x12 = 1/(_x1*_x8 + _x1 + _x10 - _x11 + _x7 - 2)
    _x13 = _x12*_x8
    _x14 = math.exp(-_x9)
    _x15 = M**2
    _x16 = math.exp(t)
    _x17 = 3*t
    _x18 = _x5*_x7
    _x19 = M*_x7
    _x20 = math.exp(-_x17)
    _x21 = 1/(_x10 + sigma2 - 1)
    _x22 = M*rho
    _x23 = 1/(_x16 - _x5 + _x6)
    _x24 = _x23*rho*sigma2
    _x25 = (1 - eta)*(M*_x21*rho + M*_x23*sigma2 - S*_x24 - _x15*_x24 - _x21 - _x22*_x4 + _x4)/(S*_x13 - 2*_x12 + _x13*_x15 - _x19/(_x16*_x7 - 2*_x16 - _x18 + _x5*_x8 + _x5 + math.exp(_x17)) + _x19/(_x16 + _x18 - _x20*_x7 + _x20*_x8 + _x20 - 2*_x5) + 1/(_x10*_x7 - 2*_x10 - _x7 + _x8 + math.exp(_x9) + 1) + 1/(-2*_x1 + _x11 - _x14*_x7 + _x14*_x8 + _x14 + 1))
    _x26 = rho**2
    _x27 = _x3*_x4
    _x28 = omega*((1) if (apg_r <= 0) else (apg_r/max(apg_r, _x27*math.sqrt(S*_x26 + _x15*_x26 - 2*_x22 + 1))))
    return (_x4*(-_x28*_x5*(-_x25*_x4*_x6 - rho) + 1), _x4*_x5*(_x28*(-_x25*_x27 + 1) + 1))


def rule_zerostar_AB(t, M, S, omega, sigma2, rho):
    """zerostar: (A, B) of the uncommitted guided score s = -A x + B mu_c, E[mu|x] = rho x,
    in M = x.mu_c/d and S = |x - M mu_c|^2/d.

    Formula: (-omega*(-(rho*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) -
    1/(sigma2*exp(-2*t) + 1 - exp(-2*t)))*(-M**2*rho/(sigma2**2*exp(-3*t) +
    2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) + exp(t) - 2*exp(-t) + exp(-3*t)) +
    M**2/(sigma2**2*exp(-4*t) + 2*sigma2*exp(-2*t) - 2*sigma2*exp(-4*t) + 1 -
    2*exp(-2*t) + exp(-4*t)) + M*rho/(sigma2**2*exp(-2*t) + 2*sigma2 -
    2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t)) - M/(sigma2**2*exp(-3*t) +
    2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) + exp(t) - 2*exp(-t) + exp(-3*t)) -
    S*rho/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) + exp(t) -
    2*exp(-t) + exp(-3*t)) + S/(sigma2**2*exp(-4*t) + 2*sigma2*exp(-2*t) -
    2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) +
    exp(-4*t)))/(M**2*rho**2/(sigma2**2*exp(-2*t) + 2*sigma2 - 2*sigma2*exp(-2*t) +
    exp(2*t) - 2 + exp(-2*t)) - 2*M**2*rho/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) -
    2*sigma2*exp(-3*t) + exp(t) - 2*exp(-t) + exp(-3*t)) + M**2/(sigma2**2*exp(-4*t)
    + 2*sigma2*exp(-2*t) - 2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) + exp(-4*t)) +
    S*rho**2/(sigma2**2*exp(-2*t) + 2*sigma2 - 2*sigma2*exp(-2*t) + exp(2*t) - 2 +
    exp(-2*t)) - 2*S*rho/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) -
    2*sigma2*exp(-3*t) + exp(t) - 2*exp(-t) + exp(-3*t)) + S/(sigma2**2*exp(-4*t) +
    2*sigma2*exp(-2*t) - 2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) + exp(-4*t))) -
    1/(sigma2*exp(-2*t) + 1 - exp(-2*t)))*(sigma2*exp(-2*t) + 1 - exp(-2*t)) +
    1)/(sigma2*exp(-2*t) + 1 - exp(-2*t)); (omega + 1)*exp(-t)/(sigma2*exp(-2*t) + 1
    - exp(-2*t))

    Source: RuleMeanField('zerostar').score_coefficients.
    """
    _x0 = 2*t
    _x1 = math.exp(-_x0)
    _x2 = _x1*sigma2
    _x3 = -_x1 + _x2 + 1
    _x4 = 1/_x3
    _x5 = math.exp(-t)
    _x6 = _x4*_x5
    _x7 = 2*sigma2
    _x8 = 2*_x2
    _x9 = sigma2**2
    _x10 = 1/(_x1*_x9 + _x1 + _x7 - _x8 + math.exp(_x0) - 2)
    _x11 = math.exp(-3*t)
    _x12 = 1/(-_x11*_x7 + _x11*_x9 + _x11 + _x5*_x7 - 2*_x5 + math.exp(t))
    _x13 = math.exp(-4*t)
    _x14 = 1/(-2*_x1 - _x13*_x7 + _x13*_x9 + _x13 + _x8 + 1)
    _x15 = _x12*rho
    _x16 = S*_x15
    _x17 = M**2
    _x18 = _x15*_x17
    _x19 = _x10*rho**2
    return (_x4*(-_x3*omega*(-_x4 - (-_x4 + _x6*rho)*(M*_x10*rho - M*_x12 + S*_x14 + _x14*_x17 - _x16 - _x18)/(S*_x14 + S*_x19 + _x14*_x17 - 2*_x16 + _x17*_x19 - 2*_x18)) + 1), _x6*(omega + 1))


def rule_rescale_AB(t, M, S, omega, sigma2, rho, phi):
    """rescale: (A, B) of the uncommitted guided score s = -A x + B mu_c, E[mu|x] = rho x,
    in M = x.mu_c/d and S = |x - M mu_c|^2/d.

    Formula: (-((-omega*rho*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) -
    1/(sigma2*exp(-2*t) + 1 - exp(-2*t)))*(phi*sqrt(M**2/(sigma2**2*exp(-4*t) +
    2*sigma2*exp(-2*t) - 2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) + exp(-4*t)) -
    2*M/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) + exp(t) -
    2*exp(-t) + exp(-3*t)) + S/(sigma2**2*exp(-4*t) + 2*sigma2*exp(-2*t) -
    2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) + exp(-4*t)) + 1/(sigma2**2*exp(-2*t) +
    2*sigma2 - 2*sigma2*exp(-2*t) + exp(2*t) - 2 +
    exp(-2*t)))/sqrt(M**2*omega**2*rho**2/(sigma2**2*exp(-2*t) + 2*sigma2 -
    2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t)) +
    2*M**2*omega*rho/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) +
    exp(t) - 2*exp(-t) + exp(-3*t)) + M**2/(sigma2**2*exp(-4*t) + 2*sigma2*exp(-2*t)
    - 2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) + exp(-4*t)) -
    2*M*omega**2*rho/(sigma2**2*exp(-2*t) + 2*sigma2 - 2*sigma2*exp(-2*t) + exp(2*t)
    - 2 + exp(-2*t)) - 2*M*omega*rho/(sigma2**2*exp(-2*t) + 2*sigma2 -
    2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t)) - 2*M*omega/(sigma2**2*exp(-3*t)
    + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) + exp(t) - 2*exp(-t) + exp(-3*t)) -
    2*M/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) + exp(t) -
    2*exp(-t) + exp(-3*t)) + S*omega**2*rho**2/(sigma2**2*exp(-2*t) + 2*sigma2 -
    2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t)) +
    2*S*omega*rho/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) +
    exp(t) - 2*exp(-t) + exp(-3*t)) + S/(sigma2**2*exp(-4*t) + 2*sigma2*exp(-2*t) -
    2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) + exp(-4*t)) +
    omega**2/(sigma2**2*exp(-2*t) + 2*sigma2 - 2*sigma2*exp(-2*t) + exp(2*t) - 2 +
    exp(-2*t)) + 2*omega/(sigma2**2*exp(-2*t) + 2*sigma2 - 2*sigma2*exp(-2*t) +
    exp(2*t) - 2 + exp(-2*t)) + 1/(sigma2**2*exp(-2*t) + 2*sigma2 -
    2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t))) - phi + 1) + 1/(sigma2*exp(-2*t)
    + 1 - exp(-2*t)))*(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 1)/(sigma2*exp(-2*t) + 1
    - exp(-2*t)); (((omega*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) +
    exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)))*(phi*sqrt(M**2/(sigma2**2*exp(-4*t)
    + 2*sigma2*exp(-2*t) - 2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) + exp(-4*t)) -
    2*M/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) + exp(t) -
    2*exp(-t) + exp(-3*t)) + S/(sigma2**2*exp(-4*t) + 2*sigma2*exp(-2*t) -
    2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) + exp(-4*t)) + 1/(sigma2**2*exp(-2*t) +
    2*sigma2 - 2*sigma2*exp(-2*t) + exp(2*t) - 2 +
    exp(-2*t)))/sqrt(M**2*omega**2*rho**2/(sigma2**2*exp(-2*t) + 2*sigma2 -
    2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t)) +
    2*M**2*omega*rho/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) +
    exp(t) - 2*exp(-t) + exp(-3*t)) + M**2/(sigma2**2*exp(-4*t) + 2*sigma2*exp(-2*t)
    - 2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) + exp(-4*t)) -
    2*M*omega**2*rho/(sigma2**2*exp(-2*t) + 2*sigma2 - 2*sigma2*exp(-2*t) + exp(2*t)
    - 2 + exp(-2*t)) - 2*M*omega*rho/(sigma2**2*exp(-2*t) + 2*sigma2 -
    2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t)) - 2*M*omega/(sigma2**2*exp(-3*t)
    + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) + exp(t) - 2*exp(-t) + exp(-3*t)) -
    2*M/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) + exp(t) -
    2*exp(-t) + exp(-3*t)) + S*omega**2*rho**2/(sigma2**2*exp(-2*t) + 2*sigma2 -
    2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t)) +
    2*S*omega*rho/(sigma2**2*exp(-3*t) + 2*sigma2*exp(-t) - 2*sigma2*exp(-3*t) +
    exp(t) - 2*exp(-t) + exp(-3*t)) + S/(sigma2**2*exp(-4*t) + 2*sigma2*exp(-2*t) -
    2*sigma2*exp(-4*t) + 1 - 2*exp(-2*t) + exp(-4*t)) +
    omega**2/(sigma2**2*exp(-2*t) + 2*sigma2 - 2*sigma2*exp(-2*t) + exp(2*t) - 2 +
    exp(-2*t)) + 2*omega/(sigma2**2*exp(-2*t) + 2*sigma2 - 2*sigma2*exp(-2*t) +
    exp(2*t) - 2 + exp(-2*t)) + 1/(sigma2**2*exp(-2*t) + 2*sigma2 -
    2*sigma2*exp(-2*t) + exp(2*t) - 2 + exp(-2*t))) - phi + 1) -
    exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)))*(sigma2*exp(-2*t) + 1 -
    exp(-2*t))*exp(t) + 1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: RuleMeanField('rescale').score_coefficients.
    """
    _x0 = 2*t
    _x1 = math.exp(-_x0)
    _x2 = _x1*sigma2
    _x3 = -_x1 + _x2 + 1
    _x4 = 1/_x3
    _x5 = math.exp(-t)
    _x6 = _x4*_x5
    _x7 = _x6*omega
    _x8 = 2*sigma2
    _x9 = 2*_x2
    _x10 = sigma2**2
    _x11 = 1/(_x1*_x10 + _x1 + _x8 - _x9 + math.exp(_x0) - 2)
    _x12 = math.exp(-4*t)
    _x13 = 1/(-2*_x1 + _x10*_x12 - _x12*_x8 + _x12 + _x9 + 1)
    _x14 = math.exp(t)
    _x15 = math.exp(-3*t)
    _x16 = 1/(_x10*_x15 + _x14 - _x15*_x8 + _x15 + _x5*_x8 - 2*_x5)
    _x17 = 2*M
    _x18 = _x16*_x17
    _x19 = M**2
    _x20 = S*_x13 + _x11 + _x13*_x19 - _x18
    _x21 = _x11*omega**2
    _x22 = _x11*omega
    _x23 = _x21*rho**2
    _x24 = _x17*rho
    _x25 = 2*_x16*omega*rho
    _x26 = math.sqrt(_x20)*phi/math.sqrt(S*_x23 + S*_x25 - _x18*omega + _x19*_x23 + _x19*_x25 + _x20 - _x21*_x24 + _x21 - _x22*_x24 + 2*_x22) - phi + 1
    return (_x4*(-_x3*(_x26*(-_x4 - _x7*rho) + _x4) + 1), _x6*(_x14*_x3*(_x26*(_x6 + _x7) - _x6) + 1))
