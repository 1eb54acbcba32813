"""Special functions of the sphere prior (von Mises-Fisher), shared by the Monte Carlo's
continuum denoiser and the finite-d model: the mean resultant ``A_nu`` and the log-partition
of the vMF law, float64, vectorised, stable where ``scipy.special.ive`` underflows.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["bessel_ratio", "log_vmf_partition"]


def bessel_ratio(nu, kappa):
    """``A_nu(kappa) = I_nu(kappa) / I_{nu-1}(kappa)`` for ``nu >= 1/2``, ``kappa >= 0``, vectorised.

    Uses the exponentially scaled ``scipy.special.ive`` where it is representable, and
    otherwise (small ``kappa`` relative to ``nu``, where ``ive`` underflows) the continued
    fraction ``A_nu = kappa / (2 nu + kappa A_{nu+1})`` evaluated by backward recurrence.
    ``A_nu(0) = 0``; ``A_nu(kappa) -> 1 - (2 nu - 1) / (2 kappa)`` as ``kappa -> inf``.
    """
    nu = float(nu)
    k = np.asarray(kappa, dtype=np.float64)
    out = np.zeros_like(k)
    pos = k > 0
    kp = k[pos]
    with np.errstate(invalid="ignore", divide="ignore", under="ignore"):
        num = special.ive(nu, kp)
        den = special.ive(nu - 1.0, kp)
        r = num / den
    # ive is accurate and far from underflow here; elsewhere fall back on the continued fraction
    good = (den > 1e-250) & (num > 1e-250) & np.isfinite(r)
    if not np.all(good):
        kb = kp[~good]
        n_terms = 60 + int(math.ceil(float(kb.max())))
        R = np.zeros_like(kb)
        for j in range(n_terms, -1, -1):
            R = kb / (2.0 * (nu + j) + kb * R)
        r[~good] = R
    out[pos] = r
    return out


# Gauss-Legendre nodes on [0, 1] for the integral representation of the vMF log-partition
_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)
_GL_X = 0.5 * (_GL_X + 1.0)
_GL_W = 0.5 * _GL_W


def log_vmf_partition(d: int, kappa):
    """``log E_u[exp(kappa u.e)]`` for ``u`` uniform on the unit sphere of ``R^d`` (``d >= 2``).

    Equals ``log[Gamma(d/2) (2/kappa)^{d/2-1} I_{d/2-1}(kappa)]``, evaluated with ``ive`` where
    representable, by its power series for ``kappa^2 <= nu + 1`` (``nu = d/2 - 1``), and where
    ``ive`` underflows (``kappa`` small against ``d`` in large ``d``) by
    ``int_0^kappa A_{d/2}(s) ds`` (the derivative of the log-partition is the vMF mean
    resultant ``A_{d/2}``) by 64-point Gauss-Legendre quadrature. Vanishes at ``kappa = 0``.
    """
    nu = 0.5 * d - 1.0
    k = np.asarray(kappa, dtype=np.float64)
    out = np.zeros_like(k)
    # small kappa: the series log 0F1(; nu+1; kappa^2/4), term ratio <= 1/4, 30 terms
    z = 0.25 * k * k
    small = z <= 0.25 * (nu + 1.0)
    zs = z[small]
    term = np.ones_like(zs)
    acc = np.zeros_like(zs)
    for j in range(30):
        term = term * zs / ((j + 1.0) * (nu + 1.0 + j))
        acc += term
    out[small] = np.log1p(acc)
    rest = ~small
    kr = k[rest]
    with np.errstate(under="ignore", divide="ignore"):
        iv = special.ive(nu, kr)
    res = np.empty_like(kr)
    good = iv > 1e-250
    kg = kr[good]
    res[good] = np.log(iv[good]) + kg + special.gammaln(0.5 * d) + nu * np.log(2.0 / kg)
    if not np.all(good):
        kb = kr[~good]
        s = kb[:, None] * _GL_X[None, :]
        res[~good] = kb * (bessel_ratio(0.5 * d, s.ravel()).reshape(s.shape) @ _GL_W)
    out[rest] = res
    return out
