# ruff: noqa: E501
"""Numerical kernels of the infinite-class CFG theory.

GENERATED FILE - do not edit by hand. Produced by ``cfgmft.theory.bridge.render()`` from
the sympy derivations ``cfgmft.theory.infinite_class.InfiniteClassGaussian`` and
``InfiniteClassSphere``; regenerate with ``python -m cfgmft.theory.bridge``.

Conventions: forward OU process dx = -x dt + sqrt(2) dB, Gamma_t = sigma2 exp(-2t) + 1 -
exp(-2t), guided score s = (1+omega) s_c - omega s_u (guidance scale w = 1 + omega),
backward time tau = T - t. Every function takes float64-convertible scalars or arrays,
broadcasts them, and returns float64 (a scalar for scalar input).
"""

import numpy
import scipy.special

__all__ = ["Delta", "Gamma", "G", "A_coef", "B_coef", "A_u_sphere", "A_coef_sphere",
    "bessel_ratio_asymptote", "moment_rhs_sde", "moment_rhs_ode",
    "mean_field_rhs_sphere_sde", "mean_field_rhs_sphere_ode",
    "mean_field_rhs_sphere_log_sde", "mean_field_rhs_sphere_log_ode",
    "quadrature_rhs_sde", "quadrature_rhs_ode", "quadrature_result_ode",
    "quadrature_result_sde", "quadrature_log_result_sde", "quadrature_log_result_ode",
    "m_final_ode_const", "var_ratio_ode_const", "m_final_sde_const",
    "var_ratio_sde_const", "log_var_ratio_sde_const", "log_var_ratio_ode_const",
    "kl_per_dim", "kl_per_dim_log", "log_odds_gaussian", "log_odds_sphere"]


def _f64(*args):
    return tuple(numpy.asarray(a, dtype=numpy.float64) for a in args)


def _out(value, *args):
    shape = numpy.broadcast_shapes(*(numpy.shape(a) for a in args))
    value = numpy.asarray(value, dtype=numpy.float64)
    if value.shape != shape:
        value = numpy.broadcast_to(value, shape).copy()
    return value[()] if value.ndim == 0 else value


def Delta(t):
    """Variance of the forward-process noise, Delta_t = 1 - exp(-2t).

    Formula: 1 - exp(-2*t)

    Source: Gaussian.Delta.
    """
    t, = _f64(t)
    _r = 1 - numpy.exp(-2*t)
    return _out(_r, t)


def Gamma(t, sigma2):
    """Variance of a noised class, Gamma_t = sigma2 exp(-2t) + Delta_t.

    Formula: sigma2*exp(-2*t) + 1 - exp(-2*t)

    Source: Gaussian.Gamma.
    """
    t, sigma2 = _f64(t, sigma2)
    _x0 = numpy.exp(-2*t)
    _r = _x0*sigma2 - _x0 + 1
    return _out(_r, t, sigma2)


def G(t, sigma2):
    """Variance of the noised continuum (gaussian prior), G_t = 1 + sigma2 exp(-2t).

    Formula: sigma2*exp(-2*t) + 1

    Source: Gaussian.G.
    """
    t, sigma2 = _f64(t, sigma2)
    _r = sigma2*numpy.exp(-2*t) + 1
    return _out(_r, t, sigma2)


def A_coef(t, omega, sigma2):
    """Guided-score coefficient A of s = -A x + B mu_c (gaussian prior); omega may be an
    array of schedule values omega(t).

    Formula: -omega/(sigma2*exp(-2*t) + 1) + (omega + 1)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))

    Source: Gaussian.A_coef.
    """
    t, omega, sigma2 = _f64(t, omega, sigma2)
    _x0 = numpy.exp(-2*t)
    _x1 = _x0*sigma2 + 1
    _r = (omega + 1)/(-_x0 + _x1) - omega/_x1
    return _out(_r, t, omega, sigma2)


def B_coef(t, omega, sigma2):
    """Guided-score coefficient B of s = -A x + B mu_c (both priors).

    Formula: (omega + 1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: Gaussian.B_coef.
    """
    t, omega, sigma2 = _f64(t, omega, sigma2)
    _x0 = numpy.exp(-2*t)
    _r = (omega + 1)*numpy.exp(-t)/(_x0*sigma2 - _x0 + 1)
    return _out(_r, t, omega, sigma2)


def A_u_sphere(t, r, sigma2):
    """Sphere prior, d -> infinity: unconditional score s_u = -A_u(t, r) x, r = |x|^2/d.

    Formula: (1 - 2*exp(-2*t)/((sqrt(4*r*exp(-2*t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))**2
    + 1) + 1)*(sigma2*exp(-2*t) + 1 - exp(-2*t))))/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))

    Source: Sphere.score_uncond_mean_field.
    """
    t, r, sigma2 = _f64(t, r, sigma2)
    _x0 = numpy.exp(-2*t)
    _x1 = _x0*sigma2 - _x0 + 1
    _x2 = _x1**(-1.0)
    _r = _x2*(-2*_x0*_x2/(numpy.sqrt(4*_x0*r/_x1**2 + 1) + 1) + 1)
    return _out(_r, t, r, sigma2)


def A_coef_sphere(t, r, omega, sigma2):
    """Sphere prior, d -> infinity: guided coefficient (1+omega)/Gamma - omega A_u(t, r).

    Formula: -omega*(1 - 2*exp(-2*t)/((sqrt(4*r*exp(-2*t)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))**2 + 1) + 1)*(sigma2*exp(-2*t) + 1 - exp(-2*t))))/(sigma2*exp(-2*t) +
    1 - exp(-2*t)) + (omega + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: Sphere.A_coef_sphere.
    """
    t, r, omega, sigma2 = _f64(t, r, omega, sigma2)
    _x0 = numpy.exp(-2*t)
    _x1 = _x0*sigma2 - _x0 + 1
    _x2 = _x1**(-1.0)
    _r = -_x2*omega*(-2*_x0*_x2/(numpy.sqrt(4*_x0*r/_x1**2 + 1) + 1) + 1) + _x2*(omega + 1)
    return _out(_r, t, r, omega, sigma2)


def bessel_ratio_asymptote(y):
    """Uniform (Debye) asymptote of I_{d/2}(kappa)/I_{d/2-1}(kappa) as d -> infinity at
    fixed y = kappa/d.

    Formula: 2*y/(sqrt(4*y**2 + 1) + 1)

    Source: Sphere.debye_in_d.
    """
    y, = _f64(y)
    _r = 2*y/(numpy.sqrt(4*y**2 + 1) + 1)
    return _out(_r, y)


def moment_rhs_sde(M, S, A, B):
    """SDE moment equations in backward time: returns (dM/dtau, dS/dtau) for the linear
    score s = -A x + B mu_c.

    Formula: 2*B + M*(1 - 2*A); S*(2 - 4*A) + 2

    Source: Gaussian.moment_eqs_sde.
    """
    M, S, A, B = _f64(M, S, A, B)
    _r0 = 2*B + M*(1 - 2*A)
    _r1 = S*(2 - 4*A) + 2
    return (_out(_r0, M, S, A, B), _out(_r1, M, S, A, B))


def moment_rhs_ode(M, S, A, B):
    """ODE moment equations in backward time: returns (dM/dtau, dS/dtau) for the linear
    score s = -A x + B mu_c.

    Formula: B + M*(1 - A); S*(2 - 2*A)

    Source: Gaussian.moment_eqs_ode.
    """
    M, S, A, B = _f64(M, S, A, B)
    _r0 = B + M*(1 - A)
    _r1 = S*(2 - 2*A)
    return (_out(_r0, M, S, A, B), _out(_r1, M, S, A, B))


def mean_field_rhs_sphere_sde(t, M, S, omega, sigma2):
    """Sphere prior, d -> infinity, SDE: returns (dM/dtau, dS/dtau) at forward time t, with
    r = M^2 + S.

    Formula: M*(2*omega*(1 - 2*exp(-2*t)/((sqrt(4*(M**2 + S)*exp(-2*t)/(sigma2*exp(-2*t)
    + 1 - exp(-2*t))**2 + 1) + 1)*(sigma2*exp(-2*t) + 1 -
    exp(-2*t))))/(sigma2*exp(-2*t) + 1 - exp(-2*t)) - 2*(omega +
    1)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 1) + 2*(omega +
    1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)); S*(4*omega*(1 -
    2*exp(-2*t)/((sqrt(4*(M**2 + S)*exp(-2*t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))**2
    + 1) + 1)*(sigma2*exp(-2*t) + 1 - exp(-2*t))))/(sigma2*exp(-2*t) + 1 -
    exp(-2*t)) - 4*(omega + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 2) + 2

    Source: Sphere.mean_field_eqs_sde.
    """
    t, M, S, omega, sigma2 = _f64(t, M, S, omega, sigma2)
    _x0 = numpy.exp(-2*t)
    _x1 = _x0*sigma2 - _x0 + 1
    _x2 = _x1**(-1.0)
    _x3 = _x2*(omega + 1)
    _x4 = 2*_x3
    _x5 = 2*_x2
    _x6 = omega*(-_x0*_x5/(numpy.sqrt(4*_x0*(M**2 + S)/_x1**2 + 1) + 1) + 1)
    _r0 = M*(-_x4 + _x5*_x6 + 1) + _x4*numpy.exp(-t)
    _r1 = S*(4*_x2*_x6 - 4*_x3 + 2) + 2
    return (_out(_r0, t, M, S, omega, sigma2), _out(_r1, t, M, S, omega, sigma2))


def mean_field_rhs_sphere_ode(t, M, S, omega, sigma2):
    """Sphere prior, d -> infinity, ODE: returns (dM/dtau, dS/dtau) at forward time t, with
    r = M^2 + S.

    Formula: M*(omega*(1 - 2*exp(-2*t)/((sqrt(4*(M**2 + S)*exp(-2*t)/(sigma2*exp(-2*t) +
    1 - exp(-2*t))**2 + 1) + 1)*(sigma2*exp(-2*t) + 1 -
    exp(-2*t))))/(sigma2*exp(-2*t) + 1 - exp(-2*t)) - (omega + 1)/(sigma2*exp(-2*t)
    + 1 - exp(-2*t)) + 1) + (omega + 1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t));
    S*(2*omega*(1 - 2*exp(-2*t)/((sqrt(4*(M**2 + S)*exp(-2*t)/(sigma2*exp(-2*t) + 1
    - exp(-2*t))**2 + 1) + 1)*(sigma2*exp(-2*t) + 1 - exp(-2*t))))/(sigma2*exp(-2*t)
    + 1 - exp(-2*t)) - 2*(omega + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 2)

    Source: Sphere.mean_field_eqs_ode.
    """
    t, M, S, omega, sigma2 = _f64(t, M, S, omega, sigma2)
    _x0 = numpy.exp(-2*t)
    _x1 = _x0*sigma2 - _x0 + 1
    _x2 = _x1**(-1.0)
    _x3 = _x2*(omega + 1)
    _x4 = _x2*omega*(-2*_x0*_x2/(numpy.sqrt(4*_x0*(M**2 + S)/_x1**2 + 1) + 1) + 1)
    _r0 = M*(-_x3 + _x4 + 1) + _x3*numpy.exp(-t)
    _r1 = S*(-2*_x3 + 2*_x4 + 2)
    return (_out(_r0, t, M, S, omega, sigma2), _out(_r1, t, M, S, omega, sigma2))


def mean_field_rhs_sphere_log_sde(t, M, log_S, omega, sigma2):
    """Sphere prior, d -> infinity, SDE, in log S: returns (dM/dtau, d log_S/dtau) at
    forward time t, with r = M^2 + exp(log_S).

    Formula: M*(2*omega*(1 - 2*exp(-2*t)/((sqrt(4*(M**2 +
    exp(log_S))*exp(-2*t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))**2 + 1) +
    1)*(sigma2*exp(-2*t) + 1 - exp(-2*t))))/(sigma2*exp(-2*t) + 1 - exp(-2*t)) -
    2*(omega + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 1) + 2*(omega +
    1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)); 4*omega*(1 -
    2*exp(-2*t)/((sqrt(4*(M**2 + exp(log_S))*exp(-2*t)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))**2 + 1) + 1)*(sigma2*exp(-2*t) + 1 - exp(-2*t))))/(sigma2*exp(-2*t) +
    1 - exp(-2*t)) - 4*(omega + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 2 +
    2*exp(-log_S)

    Source: Sphere.mean_field_eqs_log_sde.
    """
    t, M, log_S, omega, sigma2 = _f64(t, M, log_S, omega, sigma2)
    _x0 = numpy.exp(-2*t)
    _x1 = _x0*sigma2 - _x0 + 1
    _x2 = _x1**(-1.0)
    _x3 = _x2*(omega + 1)
    _x4 = 2*_x3
    _x5 = 2*_x2
    _x6 = omega*(-_x0*_x5/(numpy.sqrt(4*_x0*(M**2 + numpy.exp(log_S))/_x1**2 + 1) + 1) + 1)
    _r0 = M*(-_x4 + _x5*_x6 + 1) + _x4*numpy.exp(-t)
    _r1 = 4*_x2*_x6 - 4*_x3 + 2 + 2*numpy.exp(-log_S)
    return (_out(_r0, t, M, log_S, omega, sigma2), _out(_r1, t, M, log_S, omega, sigma2))


def mean_field_rhs_sphere_log_ode(t, M, log_S, omega, sigma2):
    """Sphere prior, d -> infinity, ODE, in log S: returns (dM/dtau, d log_S/dtau) at
    forward time t, with r = M^2 + exp(log_S).

    Formula: M*(omega*(1 - 2*exp(-2*t)/((sqrt(4*(M**2 +
    exp(log_S))*exp(-2*t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))**2 + 1) +
    1)*(sigma2*exp(-2*t) + 1 - exp(-2*t))))/(sigma2*exp(-2*t) + 1 - exp(-2*t)) -
    (omega + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 1) + (omega +
    1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)); 2*omega*(1 -
    2*exp(-2*t)/((sqrt(4*(M**2 + exp(log_S))*exp(-2*t)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))**2 + 1) + 1)*(sigma2*exp(-2*t) + 1 - exp(-2*t))))/(sigma2*exp(-2*t) +
    1 - exp(-2*t)) - 2*(omega + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 2

    Source: Sphere.mean_field_eqs_log_ode.
    """
    t, M, log_S, omega, sigma2 = _f64(t, M, log_S, omega, sigma2)
    _x0 = numpy.exp(-2*t)
    _x1 = _x0*sigma2 - _x0 + 1
    _x2 = _x1**(-1.0)
    _x3 = _x2*(omega + 1)
    _x4 = _x2*omega*(-2*_x0*_x2/(numpy.sqrt(4*_x0*(M**2 + numpy.exp(log_S))/_x1**2 + 1) + 1) + 1)
    _r0 = M*(-_x3 + _x4 + 1) + _x3*numpy.exp(-t)
    _r1 = -2*_x3 + 2*_x4 + 2
    return (_out(_r0, t, M, log_S, omega, sigma2), _out(_r1, t, M, log_S, omega, sigma2))


def quadrature_rhs_sde(t, L, omega, sigma2):
    """SDE forward integrating-factor system (gaussian prior): returns (dL/dt, dJ_M/dt,
    dJ_S/dt); start from zeros at t = 0.

    Formula: 2*omega/(sigma2*exp(-2*t) + 1) - 2*(omega + 1)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t)) + 1; 2*(omega + 1)*exp(L)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t));
    2*exp(2*L)

    Source: Gaussian.quadrature_system_sde.
    """
    t, L, omega, sigma2 = _f64(t, L, omega, sigma2)
    _x0 = numpy.exp(-2*t)
    _x1 = _x0*sigma2 + 1
    _x2 = 2*(omega + 1)/(-_x0 + _x1)
    _r0 = -_x2 + 1 + 2*omega/_x1
    _r1 = _x2*numpy.exp(L)*numpy.exp(-t)
    _r2 = 2*numpy.exp(2*L)
    return (_out(_r0, t, L, omega, sigma2), _out(_r1, t, L, omega, sigma2), _out(_r2, t, L, omega, sigma2))


def quadrature_rhs_ode(t, L, omega, sigma2):
    """ODE forward integrating-factor system (gaussian prior): returns (dL/dt, dJ_M/dt);
    start from zeros at t = 0.

    Formula: omega/(sigma2*exp(-2*t) + 1) - (omega + 1)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t)) + 1; (omega + 1)*exp(L)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: Gaussian.quadrature_system_ode.
    """
    t, L, omega, sigma2 = _f64(t, L, omega, sigma2)
    _x0 = numpy.exp(-2*t)
    _x1 = _x0*sigma2 + 1
    _x2 = (omega + 1)/(-_x0 + _x1)
    _r0 = -_x2 + 1 + omega/_x1
    _r1 = _x2*numpy.exp(L)*numpy.exp(-t)
    return (_out(_r0, t, L, omega, sigma2), _out(_r1, t, L, omega, sigma2))


def quadrature_result_ode(L, J_M, S_T):
    """ODE: (M(0), S(0)) from the forward system at t = T; S_T = S(T).

    Formula: J_M; S_T*exp(2*L)

    Source: Gaussian.quadrature_result_ode.
    """
    L, J_M, S_T = _f64(L, J_M, S_T)
    _r0 = J_M
    _r1 = S_T*numpy.exp(2*L)
    return (_out(_r0, L, J_M, S_T), _out(_r1, L, J_M, S_T))


def quadrature_result_sde(L, J_M, J_S, S_T):
    """SDE: (M(0), S(0)) from the forward system at t = T; S_T = S(T).

    Formula: J_M; J_S + S_T*exp(2*L)

    Source: Gaussian.quadrature_result_sde.
    """
    L, J_M, J_S, S_T = _f64(L, J_M, J_S, S_T)
    _r0 = J_M
    _r1 = J_S + S_T*numpy.exp(2*L)
    return (_out(_r0, L, J_M, J_S, S_T), _out(_r1, L, J_M, J_S, S_T))


def quadrature_log_result_sde(L, J_M, J_S, S_T):
    """SDE: (M(0), log S(0)) from the forward system at t = T; S_T = S(T).

    Formula: J_M; log(J_S + S_T*exp(2*L))

    Source: Gaussian.quadrature_log_result_sde.
    """
    L, J_M, J_S, S_T = _f64(L, J_M, J_S, S_T)
    _r0 = J_M
    _r1 = numpy.log(J_S + S_T*numpy.exp(2*L))
    return (_out(_r0, L, J_M, J_S, S_T), _out(_r1, L, J_M, J_S, S_T))


def quadrature_log_result_ode(L, J_M, S_T):
    """ODE: (M(0), log S(0)) from the forward system at t = T; S_T = S(T).

    Formula: J_M; 2*L + log(S_T)

    Source: Gaussian.quadrature_log_result_ode.
    """
    L, J_M, S_T = _f64(L, J_M, S_T)
    _r0 = J_M
    _r1 = 2*L + numpy.log(S_T)
    return (_out(_r0, L, J_M, S_T), _out(_r1, L, J_M, S_T))


def m_final_ode_const(omega, sigma2):
    """ODE final mean overlap M(0), gaussian prior, constant omega, T -> infinity. Plain
    form: (omega + 1)*hyper((1, -omega/2), (3/2,), 1/(sigma2 + 1)).

    Formula: (omega + 1)*hyper((1, -omega/2), (3/2,), 1/(sigma2 + 1))

    Source: Gaussian.m_final_ode_const, Gaussian.closed_forms_stable.
    """
    omega, sigma2 = _f64(omega, sigma2)
    _r = (omega + 1)*scipy.special.hyp2f1(1, -1/2*omega, 3/2, (sigma2 + 1)**(-1.0))
    return _out(_r, omega, sigma2)


def var_ratio_ode_const(omega, sigma2):
    """ODE final variance ratio S(0)/sigma2, gaussian prior, constant omega, T -> infinity.
    Plain form: (sigma2/(sigma2 + 1))**omega.

    Formula: exp(-omega*log1p(1/sigma2))

    Source: Gaussian.var_ratio_ode_const, Gaussian.closed_forms_stable.
    """
    omega, sigma2 = _f64(omega, sigma2)
    _r = numpy.exp(-omega*numpy.log1p(sigma2**(-1.0)))
    return _out(_r, omega, sigma2)


def m_final_sde_const(omega, sigma2):
    """SDE final mean overlap M(0), gaussian prior, constant omega, T -> infinity. Plain
    form: -sigma2*(sigma2/(sigma2 + 1))**omega + sigma2 + 1.

    Formula: (-sigma2 - 1)*expm1((-omega - 1)*log1p(1/sigma2))

    Source: Gaussian.m_final_sde_const, Gaussian.closed_forms_stable.
    """
    omega, sigma2 = _f64(omega, sigma2)
    _r = (-sigma2 - 1)*numpy.expm1((-omega - 1)*numpy.log1p(sigma2**(-1.0)))
    return _out(_r, omega, sigma2)


def var_ratio_sde_const(omega, sigma2):
    """SDE final variance ratio S(0)/sigma2 (finite at omega = -1/2), gaussian prior,
    constant omega, T -> infinity. Plain form: (-sigma2*(sigma2/(sigma2 +
    1))**(2*omega) + sigma2 + 1)/(2*omega + 1).

    Formula: (sigma2 + 1)*exprel((-2*omega - 1)*log1p(1/sigma2))*log1p(1/sigma2)

    Source: Gaussian.var_ratio_sde_const, Gaussian.closed_forms_stable.
    """
    omega, sigma2 = _f64(omega, sigma2)
    _x0 = numpy.log1p(sigma2**(-1.0))
    _r = _x0*(sigma2 + 1)*scipy.special.exprel(_x0*(-2*omega - 1))
    return _out(_r, omega, sigma2)


def log_var_ratio_sde_const(omega, sigma2):
    """SDE log of the final variance ratio, gaussian prior, constant omega, T -> infinity
    (finite where var_ratio underflows).

    Formula: log(sigma2 + 1) + log(exprel((-2*omega - 1)*log1p(1/sigma2))) +
    log(log1p(1/sigma2))

    Source: Gaussian.log_var_ratio_const.
    """
    omega, sigma2 = _f64(omega, sigma2)
    _x0 = numpy.log1p(sigma2**(-1.0))
    _r = numpy.log(_x0) + numpy.log(sigma2 + 1) + numpy.log(scipy.special.exprel(_x0*(-2*omega - 1)))
    return _out(_r, omega, sigma2)


def log_var_ratio_ode_const(omega, sigma2):
    """ODE log of the final variance ratio, gaussian prior, constant omega, T -> infinity
    (finite where var_ratio underflows).

    Formula: -omega*log1p(1/sigma2)

    Source: Gaussian.log_var_ratio_const.
    """
    omega, sigma2 = _f64(omega, sigma2)
    _r = -omega*numpy.log1p(sigma2**(-1.0))
    return _out(_r, omega, sigma2)


def kl_per_dim(m_final, var_ratio, sigma2):
    """KL(N(m_final mu_c, var_ratio sigma2 I) || N(mu_c, sigma2 I)) per dimension, |mu_c|^2
    = d.

    Formula: var_ratio/2 - log(var_ratio)/2 - 1/2 + (m_final - 1)**2/(2*sigma2)

    Source: Gaussian.kl_per_dim.
    """
    m_final, var_ratio, sigma2 = _f64(m_final, var_ratio, sigma2)
    _r = (1/2)*var_ratio - 1/2*numpy.log(var_ratio) - 1/2 + (1/2)*(m_final - 1)**2/sigma2
    return _out(_r, m_final, var_ratio, sigma2)


def kl_per_dim_log(m_final, log_var_ratio, sigma2):
    """The same KL per dimension in log_var_ratio = log(var_ratio): exact where var_ratio
    underflows.

    Formula: -log_var_ratio/2 + expm1(log_var_ratio)/2 + (m_final - 1)**2/(2*sigma2)

    Source: Gaussian.kl_per_dim_log.
    """
    m_final, log_var_ratio, sigma2 = _f64(m_final, log_var_ratio, sigma2)
    _r = -1/2*log_var_ratio + (1/2)*numpy.expm1(log_var_ratio) + (1/2)*(m_final - 1)**2/sigma2
    return _out(_r, m_final, log_var_ratio, sigma2)


def log_odds_gaussian(m_final, var_ratio, sigma2, n_c):
    """Separability of the gaussian continuum: E[(1/d)(log P_0(x|c) - log P_0(x))] for x ~
    N(m_final mu_c, var_ratio sigma2 I), |mu_c|^2 = n_c d (exact at every d).

    Formula: log(1 + 1/sigma2)/2 + (m_final**2*n_c + sigma2*var_ratio)/(2*sigma2 + 2) +
    (-n_c*(m_final - 1)**2 - sigma2*var_ratio)/(2*sigma2)

    Source: observables.LOG_ODDS_GAUSSIAN.
    """
    m_final, var_ratio, sigma2, n_c = _f64(m_final, var_ratio, sigma2, n_c)
    _x0 = sigma2**(-1.0)
    _x1 = sigma2*var_ratio
    _r = (1/2)*_x0*(-_x1 - n_c*(m_final - 1)**2) + (_x1 + m_final**2*n_c)/(2*sigma2 + 2) + (1/2)*numpy.log(_x0 + 1)
    return _out(_r, m_final, var_ratio, sigma2, n_c)


def log_odds_sphere(m_final, var_ratio, sigma2):
    """Separability of the sphere continuum as d -> infinity: (1/d)(log P_0(x|c) - log
    P_0(x)) at r = m_final^2 + var_ratio sigma2.

    Formula: m_final/sigma2 - sqrt(1 + 4*(m_final**2 + sigma2*var_ratio)/sigma2**2)/2 +
    log(sqrt(1 + 4*(m_final**2 + sigma2*var_ratio)/sigma2**2)/2 + 1/2)/2 + 1/2

    Source: observables.LOG_ODDS_SPHERE.
    """
    m_final, var_ratio, sigma2 = _f64(m_final, var_ratio, sigma2)
    _x0 = (1/2)*numpy.sqrt(1 + 4*(m_final**2 + sigma2*var_ratio)/sigma2**2)
    _r = -_x0 + m_final/sigma2 + (1/2)*numpy.log(_x0 + 1/2) + 1/2
    return _out(_r, m_final, var_ratio, sigma2)
