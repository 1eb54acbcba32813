# ruff: noqa: E501
"""Scalar (numba-compilable) kernels of the exponential-class CFG theory.

GENERATED FILE - do not edit by hand. Produced by ``cfgmft.theory.bridge.render_exponential()`` from
the sympy derivations ``cfgmft.theory.rem.RandomEnergyGaussian``, ``RandomEnergySphere``
and ``cfgmft.theory.exponential.ExponentialClassMeanField``; regenerate with ``python -m cfgmft.theory.bridge``.

Conventions: forward OU process dx = -x dt + sqrt(2) dB, Gamma_t = sigma2 exp(-2t) + 1 -
exp(-2t), a_t = exp(-t)/Gamma_t, b_t = exp(-2t)/(2 Gamma_t), guided score
s = (1+omega) s_c - omega s_u (guidance scale w = 1 + omega), backward time tau = T - t,
K - 1 = exp(alpha d) competitors. Plain scalar Python using only ``math``: every function
takes and returns float scalars, so numba can compile each with ``njit(cache=True)``.
"""

import math

__all__ = ["Gamma_t", "a_t", "b_t", "rem_gaussian_phi_annealed", "rem_gaussian_rate_saddle",
    "rem_gaussian_condensation_residual", "rem_gaussian_condensation_radius",
    "rem_gaussian_energy_family", "rem_gaussian_rho_family", "rem_gaussian_rate_u",
    "rem_gaussian_rate_u_du", "rem_sphere_phi_annealed", "rem_sphere_rate_saddle",
    "rem_sphere_condensation_residual", "rem_sphere_condensation_radius",
    "rem_sphere_energy_family", "rem_sphere_rho_family", "rem_sphere_lambda_alpha",
    "target_energy", "switching", "A_committed", "B_committed", "A_uncommitted",
    "B_uncommitted", "A_uncondensed_gaussian", "A_condensed_gaussian",
    "A_uncondensed_sphere", "A_condensed_sphere", "rhs_committed_sde",
    "rhs_uncommitted_sde", "rhs_committed_ode", "rhs_uncommitted_ode",
    "rhs_committed_log_sde", "rhs_uncommitted_log_sde", "rhs_committed_log_ode",
    "rhs_uncommitted_log_ode", "t_collapse", "kl_per_dim", "kl_per_dim_log", "margin"]


def Gamma_t(t, sigma2):
    """Gamma_t = sigma2 exp(-2t) + 1 - exp(-2t).

    Formula: sigma2*exp(-2*t) + 1 - exp(-2*t)

    Source: symbols.Gamma.
    """
    _x0 = math.exp(-2*t)
    return _x0*sigma2 - _x0 + 1


def a_t(t, sigma2):
    """a_t = exp(-t)/Gamma_t.

    Formula: exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: rem.a_expr.
    """
    _x0 = math.exp(-2*t)
    return math.exp(-t)/(_x0*sigma2 - _x0 + 1)


def b_t(t, sigma2):
    """b_t = exp(-2t)/(2 Gamma_t).

    Formula: exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t))

    Source: rem.b_expr.
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    return _x0/(_x1*sigma2 - _x1 + 2)


def rem_gaussian_phi_annealed(t, r, alpha, sigma2):
    """gaussian prior: uncondensed phi(t, r).

    Formula: alpha + r*exp(-2*t)/((2 + 4*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)))*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2) -
    log1p(2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t)))/2

    Source: RandomEnergyGaussian.phi_annealed.
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    _x2 = 1/(_x1*sigma2 - _x1 + 2)
    return _x0*r/((4*_x0*_x2 + 2)*(_x0*sigma2 - _x0 + 1)**2) + alpha - (1/2)*math.log1p(_x1*_x2)


def rem_gaussian_rate_saddle(t, r, sigma2):
    """gaussian prior: I at the annealed saddle.

    Formula: r*exp(-2*t)/(2*(1 + 2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)))**2*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2) +
    log1p(2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t)))/2 - exp(-2*t)/((1 +
    2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t)))*(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)))

    Source: RandomEnergyGaussian.condensation_condition.
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    _x2 = 1/(_x1*sigma2 - _x1 + 2)
    _x3 = _x1*_x2
    _x4 = _x3 + 1
    return -_x0*_x2/_x4 + ((1/2))*_x0*r/(_x4**2*(_x0*sigma2 - _x0 + 1)**2) + ((1/2))*math.log1p(_x3)


def rem_gaussian_condensation_residual(t, r, alpha, sigma2):
    """gaussian prior: condensation condition, condensed iff I(lambda=1) - alpha > 0.

    Formula: -alpha + r*exp(-2*t)/(2*(1 + 2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)))**2*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2) +
    log1p(2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t)))/2 - exp(-2*t)/((1 +
    2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t)))*(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)))

    Source: RandomEnergyGaussian.condensation_condition.
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    _x2 = 1/(_x1*sigma2 - _x1 + 2)
    _x3 = _x1*_x2
    _x4 = _x3 + 1
    return -_x0*_x2/_x4 + ((1/2))*_x0*r/(_x4**2*(_x0*sigma2 - _x0 + 1)**2) - alpha + ((1/2))*math.log1p(_x3)


def rem_gaussian_condensation_radius(t, alpha, sigma2):
    """gaussian prior: r_c(t), condensed iff r > r_c.

    Formula: 2*(1 + 2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t)))**2*(alpha -
    log1p(2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t)))/2 + exp(-2*t)/((1 +
    2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t)))*(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t))))*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2*exp(2*t)

    Source: RandomEnergyGaussian.condensation_radius.
    """
    _x0 = 2*t
    _x1 = math.exp(-_x0)
    _x2 = 2*_x1
    _x3 = 1/(_x2*sigma2 - _x2 + 2)
    _x4 = _x2*_x3
    _x5 = _x4 + 1
    return 2*_x5**2*(_x1*sigma2 - _x1 + 1)**2*(_x1*_x3/_x5 + alpha - (1/2)*math.log1p(_x4))*math.exp(_x0)


def rem_gaussian_energy_family(t, r, sigma2, lam):
    """gaussian prior: E(lambda) along the maximisers of E - lambda I; condensed phi =
    E(lambda_alpha).

    Formula: -lam*exp(-2*t)/((lam + 2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)))*(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t))) + r*exp(-2*t)/((lam +
    2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t)))*(sigma2*exp(-2*t) + 1 -
    exp(-2*t))**2) - r*exp(-4*t)/((lam + 2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)))**2*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2*(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)))

    Source: RandomEnergyGaussian.energy_family.
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    _x2 = 1/(_x1*sigma2 - _x1 + 2)
    _x3 = _x1*_x2 + lam
    _x4 = 1/_x3
    _x5 = (_x0*sigma2 - _x0 + 1)**(-2)
    return -_x0*_x2*_x4*lam + _x0*_x4*_x5*r - _x2*_x5*r*math.exp(-4*t)/_x3**2


def rem_gaussian_rho_family(t, r, sigma2, lam):
    """gaussian prior: competitors' mean E[mu|x, not c] = rho x, rho = y(lambda)/sqrt(r).

    Formula: exp(-t)/((lam + 2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)))*(sigma2*exp(-2*t) + 1 - exp(-2*t)))

    Source: RandomEnergyGaussian.competitor_mean.
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    return math.exp(-t)/((_x1/(_x1*sigma2 - _x1 + 2) + lam)*(_x0*sigma2 - _x0 + 1))


def rem_gaussian_rate_u(t, r, sigma2, u_lambda):
    """gaussian prior: I(u), u = 1/lambda; increasing in u > 0 (lambda_alpha: I(u) =
    alpha).

    Formula: r*u_lambda**2*exp(-2*t)/(2*(2*u_lambda*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)) + 1)**2*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2) -
    u_lambda*exp(-2*t)/((2*u_lambda*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t))
    + 1)*(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t))) +
    log1p(2*u_lambda*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t)))/2

    Source: RandomEnergyGaussian.rate_family_u.
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    _x2 = u_lambda/(_x1*sigma2 - _x1 + 2)
    _x3 = _x1*_x2
    _x4 = _x3 + 1
    return -_x0*_x2/_x4 + ((1/2))*_x0*r*u_lambda**2/(_x4**2*(_x0*sigma2 - _x0 + 1)**2) + ((1/2))*math.log1p(_x3)


def rem_gaussian_rate_u_du(t, r, sigma2, u_lambda):
    """gaussian prior: dI/du (Newton slope of the residual I(u) - alpha).

    Formula: -2*r*u_lambda**2*exp(-4*t)/((2*u_lambda*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)) + 1)**3*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2*(2*sigma2*exp(-2*t) +
    2 - 2*exp(-2*t))) +
    r*u_lambda*exp(-2*t)/((2*u_lambda*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)) + 1)**2*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2) +
    2*u_lambda*exp(-4*t)/((2*u_lambda*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)) + 1)**2*(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t))**2)

    Source: RandomEnergyGaussian.rate_family_u (derivative).
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    _x2 = _x1*sigma2 - _x1 + 2
    _x3 = 1/_x2
    _x4 = _x1*_x3*u_lambda + 1
    _x5 = u_lambda/_x4**2
    _x6 = r/(_x0*sigma2 - _x0 + 1)**2
    _x7 = 2*math.exp(-4*t)
    return _x0*_x5*_x6 - _x3*_x6*_x7*u_lambda**2/_x4**3 + _x5*_x7/_x2**2


def rem_sphere_phi_annealed(t, r, alpha, sigma2):
    """sphere prior: uncondensed phi(t, r).

    Formula: alpha + 2*r*exp(-2*t)/((sqrt(4*r*exp(-2*t)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))**2 + 1) + 1)*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2) +
    log(-4*r*exp(-2*t)/((sqrt(4*r*exp(-2*t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))**2 +
    1) + 1)**2*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2) + 1)/2 -
    exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t))

    Source: RandomEnergySphere.phi_annealed.
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    _x2 = _x0*sigma2
    _x3 = r/(-_x0 + _x2 + 1)**2
    _x4 = 4*_x0*_x3
    _x5 = math.sqrt(_x4 + 1) + 1
    return -_x0/(-_x1 + 2*_x2 + 2) + _x1*_x3/_x5 + alpha + ((1/2))*math.log(-_x4/_x5**2 + 1)


def rem_sphere_rate_saddle(t, r, sigma2):
    """sphere prior: I at the annealed saddle.

    Formula: -log(-4*r*exp(-2*t)/((sqrt(4*r*exp(-2*t)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))**2 + 1) + 1)**2*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2) + 1)/2

    Source: RandomEnergySphere.condensation_condition.
    """
    _x0 = math.exp(-2*t)
    _x1 = 4*_x0*r/(_x0*sigma2 - _x0 + 1)**2
    return -(1/2)*math.log(-_x1/(math.sqrt(_x1 + 1) + 1)**2 + 1)


def rem_sphere_condensation_residual(t, r, alpha, sigma2):
    """sphere prior: condensation condition, condensed iff I(lambda=1) - alpha > 0.

    Formula: -alpha - log(-4*r*exp(-2*t)/((sqrt(4*r*exp(-2*t)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))**2 + 1) + 1)**2*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2) + 1)/2

    Source: RandomEnergySphere.condensation_condition.
    """
    _x0 = math.exp(-2*t)
    _x1 = 4*_x0*r/(_x0*sigma2 - _x0 + 1)**2
    return -alpha - (1/2)*math.log(-_x1/(math.sqrt(_x1 + 1) + 1)**2 + 1)


def rem_sphere_condensation_radius(t, alpha, sigma2):
    """sphere prior: r_c(t), condensed iff r > r_c.

    Formula: (1 - exp(-2*alpha))*(sigma2*exp(-2*t) + 1 -
    exp(-2*t))**2*exp(4*alpha)*exp(2*t)

    Source: RandomEnergySphere.condensation_radius.
    """
    _x0 = 2*t
    _x1 = math.exp(-_x0)
    return (1 - math.exp(-2*alpha))*(_x1*sigma2 - _x1 + 1)**2*math.exp(_x0)*math.exp(4*alpha)


def rem_sphere_energy_family(t, r, sigma2, lam):
    """sphere prior: E(lambda) along the maximisers of E - lambda I; condensed phi =
    E(lambda_alpha).

    Formula: 2*r*exp(-2*t)/((lam + sqrt(lam**2 + 4*r*exp(-2*t)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))**2))*(sigma2*exp(-2*t) + 1 - exp(-2*t))**2) -
    exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t))

    Source: RandomEnergySphere.energy_family.
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    _x2 = r/(_x0*sigma2 - _x0 + 1)**2
    return -_x0/(_x1*sigma2 - _x1 + 2) + _x1*_x2/(lam + math.sqrt(4*_x0*_x2 + lam**2))


def rem_sphere_rho_family(t, r, sigma2, lam):
    """sphere prior: competitors' mean E[mu|x, not c] = rho x, rho = y(lambda)/sqrt(r).

    Formula: 2*exp(-t)/((lam + sqrt(lam**2 + 4*r*exp(-2*t)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))**2))*(sigma2*exp(-2*t) + 1 - exp(-2*t)))

    Source: RandomEnergySphere.competitor_mean.
    """
    _x0 = math.exp(-2*t)
    _x1 = _x0*sigma2 - _x0 + 1
    return 2*math.exp(-t)/(_x1*(lam + math.sqrt(4*_x0*r/_x1**2 + lam**2)))


def rem_sphere_lambda_alpha(t, r, alpha, sigma2):
    """sphere prior: closed-form root of I(lambda) = alpha.

    Formula: sqrt(r)*exp(-2*alpha)*exp(-t)/(sqrt(1 - exp(-2*alpha))*(sigma2*exp(-2*t) +
    1 - exp(-2*t)))

    Source: RandomEnergySphere.lambda_alpha.
    """
    _x0 = math.exp(-2*alpha)
    _x1 = math.exp(-2*t)
    return _x0*math.sqrt(r)*math.exp(-t)/(math.sqrt(1 - _x0)*(_x1*sigma2 - _x1 + 1))


def target_energy(t, q, sigma2):
    """e_c = a_t q - b_t: the target's energy per dimension (n_c = 1).

    Formula: q*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) -
    exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t))

    Source: ExponentialClassMeanField.target_energy.
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    return -_x0/(_x1*sigma2 - _x1 + 2) + q*math.exp(-t)/(_x0*sigma2 - _x0 + 1)


def switching(t, q, phi, sigma2):
    """switching function e_c - phi: > 0 on the committed branch.

    Formula: -phi + q*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) -
    exp(-2*t)/(2*sigma2*exp(-2*t) + 2 - 2*exp(-2*t))

    Source: ExponentialClassMeanField.switching_condition.
    """
    _x0 = math.exp(-2*t)
    _x1 = 2*_x0
    return -_x0/(_x1*sigma2 - _x1 + 2) - phi + q*math.exp(-t)/(_x0*sigma2 - _x0 + 1)


def A_committed(t, sigma2):
    """committed: A = 1/Gamma_t (omega drops out).

    Formula: 1/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: ExponentialClassMeanField.score_direct.
    """
    _x0 = math.exp(-2*t)
    return 1/(_x0*sigma2 - _x0 + 1)


def B_committed(t, sigma2):
    """committed: B = a_t.

    Formula: exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: ExponentialClassMeanField.score_direct.
    """
    _x0 = math.exp(-2*t)
    return math.exp(-t)/(_x0*sigma2 - _x0 + 1)


def A_uncommitted(t, omega, sigma2, rho):
    """uncommitted: A = (1+omega)/Gamma - omega (1 - exp(-t) rho)/Gamma.

    Formula: (omega*rho + exp(t))*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: ExponentialClassMeanField.A_uncommitted.
    """
    _x0 = math.exp(-2*t)
    return (omega*rho + math.exp(t))*math.exp(-t)/(_x0*sigma2 - _x0 + 1)


def B_uncommitted(t, omega, sigma2):
    """uncommitted: B = (1+omega) a_t.

    Formula: (omega + 1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: ExponentialClassMeanField.branch_coefficients.
    """
    _x0 = math.exp(-2*t)
    return (omega + 1)*math.exp(-t)/(_x0*sigma2 - _x0 + 1)


def A_uncondensed_gaussian(t, r, omega, sigma2):
    """gaussian prior, uncommitted and uncondensed: guided coefficient A.

    Formula: -omega*(1 - exp(-2*t)/((1 + 2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)))*(sigma2*exp(-2*t) + 1 - exp(-2*t))))/(sigma2*exp(-2*t) + 1 -
    exp(-2*t)) + (omega + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: ExponentialClassMeanField.branch_coefficients.
    """
    _x0 = math.exp(-2*t)
    _x1 = _x0*sigma2
    _x2 = 1/(-_x0 + _x1 + 1)
    _x3 = 2*_x0
    return -_x2*omega*(-_x0*_x2/(_x3/(2*_x1 - _x3 + 2) + 1) + 1) + _x2*(omega + 1)


def A_condensed_gaussian(t, r, omega, sigma2, lam):
    """gaussian prior, uncommitted and condensed: guided coefficient A.

    Formula: -omega*(1 - exp(-2*t)/((lam + 2*exp(-2*t)/(2*sigma2*exp(-2*t) + 2 -
    2*exp(-2*t)))*(sigma2*exp(-2*t) + 1 - exp(-2*t))))/(sigma2*exp(-2*t) + 1 -
    exp(-2*t)) + (omega + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: ExponentialClassMeanField.branch_coefficients.
    """
    _x0 = math.exp(-2*t)
    _x1 = _x0*sigma2
    _x2 = 1/(-_x0 + _x1 + 1)
    _x3 = 2*_x0
    return -_x2*omega*(-_x0*_x2/(_x3/(2*_x1 - _x3 + 2) + lam) + 1) + _x2*(omega + 1)


def A_uncondensed_sphere(t, r, omega, sigma2):
    """sphere prior, uncommitted and uncondensed: guided coefficient A.

    Formula: -omega*(1 - 2*exp(-2*t)/((sqrt(4*r*exp(-2*t)/(sigma2*exp(-2*t) + 1 -
    exp(-2*t))**2 + 1) + 1)*(sigma2*exp(-2*t) + 1 - exp(-2*t))))/(sigma2*exp(-2*t) +
    1 - exp(-2*t)) + (omega + 1)/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: ExponentialClassMeanField.branch_coefficients.
    """
    _x0 = math.exp(-2*t)
    _x1 = _x0*sigma2 - _x0 + 1
    _x2 = 1/_x1
    return -_x2*omega*(-2*_x0*_x2/(math.sqrt(4*_x0*r/_x1**2 + 1) + 1) + 1) + _x2*(omega + 1)


def A_condensed_sphere(t, r, omega, sigma2, lam):
    """sphere prior, uncommitted and condensed: guided coefficient A.

    Formula: -omega*(1 - 2*exp(-2*t)/((lam + sqrt(lam**2 +
    4*r*exp(-2*t)/(sigma2*exp(-2*t) + 1 - exp(-2*t))**2))*(sigma2*exp(-2*t) + 1 -
    exp(-2*t))))/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + (omega + 1)/(sigma2*exp(-2*t)
    + 1 - exp(-2*t))

    Source: ExponentialClassMeanField.branch_coefficients.
    """
    _x0 = math.exp(-2*t)
    _x1 = _x0*sigma2 - _x0 + 1
    _x2 = 1/_x1
    return -_x2*omega*(-2*_x0*_x2/(lam + math.sqrt(4*_x0*r/_x1**2 + lam**2)) + 1) + _x2*(omega + 1)


def rhs_committed_sde(t, M, S, sigma2):
    """SDE, committed: (dM/dtau, dS/dtau).

    Formula: M*(1 - 2/(sigma2*exp(-2*t) + 1 - exp(-2*t))) + 2*exp(-t)/(sigma2*exp(-2*t)
    + 1 - exp(-2*t)); S*(2 - 4/(sigma2*exp(-2*t) + 1 - exp(-2*t))) + 2

    Source: ExponentialClassMeanField.mean_field_branches.
    """
    _x0 = math.exp(-2*t)
    _x1 = 1/(_x0*sigma2 - _x0 + 1)
    _x2 = 2*_x1
    return (M*(1 - _x2) + _x2*math.exp(-t), S*(2 - 4*_x1) + 2)


def rhs_uncommitted_sde(t, M, S, omega, sigma2, rho):
    """SDE, uncommitted, competitors' mean rho x: (dM/dtau, dS/dtau).

    Formula: M*(-2*(omega*rho + exp(t))*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 1)
    + 2*(omega + 1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)); S*(-4*(omega*rho +
    exp(t))*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 2) + 2

    Source: ExponentialClassMeanField.mean_field_branches.
    """
    _x0 = math.exp(-2*t)
    _x1 = 1/(_x0*sigma2 - _x0 + 1)
    _x2 = math.exp(-t)
    _x3 = 2*_x1*_x2
    _x4 = omega*rho + math.exp(t)
    return (M*(-_x3*_x4 + 1) + _x3*(omega + 1), S*(-4*_x1*_x2*_x4 + 2) + 2)


def rhs_committed_ode(t, M, S, sigma2):
    """ODE, committed: (dM/dtau, dS/dtau).

    Formula: M*(1 - 1/(sigma2*exp(-2*t) + 1 - exp(-2*t))) + exp(-t)/(sigma2*exp(-2*t) +
    1 - exp(-2*t)); S*(2 - 2/(sigma2*exp(-2*t) + 1 - exp(-2*t)))

    Source: ExponentialClassMeanField.mean_field_branches.
    """
    _x0 = math.exp(-2*t)
    _x1 = 1/(_x0*sigma2 - _x0 + 1)
    return (M*(1 - _x1) + _x1*math.exp(-t), S*(2 - 2*_x1))


def rhs_uncommitted_ode(t, M, S, omega, sigma2, rho):
    """ODE, uncommitted, competitors' mean rho x: (dM/dtau, dS/dtau).

    Formula: M*(-(omega*rho + exp(t))*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 1) +
    (omega + 1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)); S*(-2*(omega*rho +
    exp(t))*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 2)

    Source: ExponentialClassMeanField.mean_field_branches.
    """
    _x0 = math.exp(-2*t)
    _x1 = math.exp(-t)/(_x0*sigma2 - _x0 + 1)
    _x2 = _x1*(omega*rho + math.exp(t))
    return (M*(1 - _x2) + _x1*(omega + 1), S*(2 - 2*_x2))


def rhs_committed_log_sde(t, M, log_S, sigma2):
    """SDE, committed, in log S: (dM/dtau, d log_S/dtau).

    Formula: M*(1 - 2/(sigma2*exp(-2*t) + 1 - exp(-2*t))) + 2*exp(-t)/(sigma2*exp(-2*t)
    + 1 - exp(-2*t)); 2 + 2*exp(-log_S) - 4/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: ExponentialClassMeanField.moment_eqs_log_sde.
    """
    _x0 = math.exp(-2*t)
    _x1 = 1/(_x0*sigma2 - _x0 + 1)
    _x2 = 2*_x1
    return (M*(1 - _x2) + _x2*math.exp(-t), -4*_x1 + 2 + 2*math.exp(-log_S))


def rhs_uncommitted_log_sde(t, M, log_S, omega, sigma2, rho):
    """SDE, uncommitted, competitors' mean rho x, in log S: (dM/dtau, d log_S/dtau).

    Formula: M*(-2*(omega*rho + exp(t))*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 1)
    + 2*(omega + 1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)); -4*(omega*rho +
    exp(t))*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 2 + 2*exp(-log_S)

    Source: ExponentialClassMeanField.moment_eqs_log_sde.
    """
    _x0 = math.exp(-2*t)
    _x1 = 1/(_x0*sigma2 - _x0 + 1)
    _x2 = math.exp(-t)
    _x3 = 2*_x1*_x2
    _x4 = omega*rho + math.exp(t)
    return (M*(-_x3*_x4 + 1) + _x3*(omega + 1), -4*_x1*_x2*_x4 + 2 + 2*math.exp(-log_S))


def rhs_committed_log_ode(t, M, log_S, sigma2):
    """ODE, committed, in log S: (dM/dtau, d log_S/dtau).

    Formula: M*(1 - 1/(sigma2*exp(-2*t) + 1 - exp(-2*t))) + exp(-t)/(sigma2*exp(-2*t) +
    1 - exp(-2*t)); 2 - 2/(sigma2*exp(-2*t) + 1 - exp(-2*t))

    Source: ExponentialClassMeanField.moment_eqs_log_ode.
    """
    _x0 = math.exp(-2*t)
    _x1 = 1/(_x0*sigma2 - _x0 + 1)
    return (M*(1 - _x1) + _x1*math.exp(-t), 2 - 2*_x1)


def rhs_uncommitted_log_ode(t, M, log_S, omega, sigma2, rho):
    """ODE, uncommitted, competitors' mean rho x, in log S: (dM/dtau, d log_S/dtau).

    Formula: M*(-(omega*rho + exp(t))*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 1) +
    (omega + 1)*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)); -2*(omega*rho +
    exp(t))*exp(-t)/(sigma2*exp(-2*t) + 1 - exp(-2*t)) + 2

    Source: ExponentialClassMeanField.moment_eqs_log_ode.
    """
    _x0 = math.exp(-2*t)
    _x1 = math.exp(-t)/(_x0*sigma2 - _x0 + 1)
    _x2 = _x1*(omega*rho + math.exp(t))
    return (M*(1 - _x2) + _x1*(omega + 1), 2 - 2*_x2)


def t_collapse(alpha, sigma2):
    """t_C = log(1 + 1/(exp(2 alpha) - 1) - sigma2)/2 (valid iff sigma2 (exp(2 alpha) - 1)
    < 1).

    Formula: log(-sigma2 + 1 + 1/(exp(2*alpha) - 1))/2

    Source: ExponentialClassMeanField.collapse_time.
    """
    return ((1/2))*math.log(-sigma2 + 1 + 1/(math.exp(2*alpha) - 1))


def kl_per_dim(m_final, var_ratio, sigma2):
    """KL(N(m_final mu_c, var_ratio sigma2 I) || N(mu_c, sigma2 I)) per dimension.

    Formula: var_ratio/2 - log(var_ratio)/2 - 1/2 + (m_final - 1)**2/(2*sigma2)

    Source: observables.KL_PER_DIM (docs/explanation/model.md section 4).
    """
    return ((1/2))*var_ratio - (1/2)*math.log(var_ratio) + (-1/2) + ((1/2))*(m_final - 1)**2/sigma2


def kl_per_dim_log(m_final, log_var_ratio, sigma2):
    """The same KL per dimension in log_var_ratio = log(var_ratio): exact where var_ratio
    underflows.

    Formula: -log_var_ratio/2 + expm1(log_var_ratio)/2 + (m_final - 1)**2/(2*sigma2)

    Source: observables.KL_PER_DIM_LOG (docs/explanation/model.md section 4).
    """
    return -(1/2)*log_var_ratio + ((1/2))*math.expm1(log_var_ratio) + ((1/2))*(m_final - 1)**2/sigma2


def margin(M, e_best, sigma2):
    """per-dimension log-likelihood margin at t = 0 of the target over the best competitor,
    e_c(0, M) - e_best (the common -r/(2 sigma2) - log(2 pi sigma2)/2 cancels).

    Formula: M/sigma2 - e_best - 1/(2*sigma2)

    Source: ExponentialClassMeanField.log_class_density.
    """
    _x0 = 1/sigma2
    return M*_x0 - (1/2)*_x0 - e_best
