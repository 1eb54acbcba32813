"""Finite-size scaling: extrapolate Monte Carlo values measured at several ``d`` to
``d -> infinity`` and compare with the theory.

Two forms of the approach are fitted by weighted least squares, with weights ``1/stderr^2``:

* ``y(d) = a + b/d``         (``form='1/d'``)
* ``y(d) = a + b/sqrt(d)``   (``form='1/sqrt(d)'``)

``a`` is the extrapolated value. Its standard error is the least-squares one, multiplied by
``sqrt(chi2/dof)`` when the fit is worse than its error bars (``chi2/dof > 1``: the errors
are then taken as underestimated by that factor, the usual Birge correction). The form
with the smaller ``chi2`` is preferred; both are reported, because with a handful of
dimensions the data often cannot tell them apart, and the choice changes the extrapolation.

For quantities that decay to zero (sub-exponential regime) :func:`power_law` fits
``|y| = C d^{-p}`` on a log-log scale.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

FORMS = {"1/d": lambda d: 1.0 / d, "1/sqrt(d)": lambda d: 1.0 / np.sqrt(d)}


@dataclass(frozen=True)
class Fit:
    """``y = a + b g(d)``; ``a_stderr`` includes the Birge factor when ``chi2/dof > 1``."""

    form: str
    a: float
    a_stderr: float
    b: float
    b_stderr: float
    chi2: float
    dof: int
    p_value: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def _check(d, y, se):
    d = np.asarray(d, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    if not (d.shape == y.shape == se.shape) or d.ndim != 1:
        raise ValueError("d, y and stderr must be 1-d arrays of the same length")
    if d.size < 2:
        raise ValueError("a finite-size fit needs at least 2 dimensions")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(se)) and np.all(se > 0) and np.all(d > 0)):
        raise ValueError("values must be finite, standard errors > 0, dimensions > 0")
    return d, y, se


def fit_form(d, y, stderr, form: str = "1/d") -> Fit:
    """Weighted least-squares fit of ``y = a + b g(d)`` (see the module docstring)."""
    d, y, se = _check(d, y, stderr)
    g = FORMS[form](d)
    X = np.column_stack([np.ones_like(g), g])
    w = 1.0 / se**2
    XtW = X.T * w
    cov = np.linalg.inv(XtW @ X)
    coef = cov @ (XtW @ y)
    resid = y - X @ coef
    chi2 = float(np.sum(w * resid**2))
    dof = d.size - 2
    scale = max(1.0, chi2 / dof) if dof > 0 else 1.0
    p = float(stats.chi2.sf(chi2, dof)) if dof > 0 else None
    return Fit(form, float(coef[0]), float(math.sqrt(cov[0, 0] * scale)), float(coef[1]),
               float(math.sqrt(cov[1, 1] * scale)), chi2, dof, p)


def compare_forms(d, y, stderr) -> dict:
    """Both fits and the preferred one (smaller ``chi2``; with equal dof that is the larger
    likelihood)."""
    fits = {f: fit_form(d, y, stderr, f) for f in FORMS}
    best = min(fits, key=lambda f: fits[f].chi2)
    return {"fits": {f: fit.to_dict() for f, fit in fits.items()}, "preferred": best}


def power_law(d, y, stderr) -> dict:
    """Fit ``|y| = C d^{-p}`` by weighted least squares on ``log|y|`` against ``log d``
    (``stderr(log|y|) = stderr/|y|``); returns ``p`` with its standard error. Points whose
    ``|y|`` is within 2 standard errors of 0 carry no information on the exponent and are
    dropped (reported)."""
    d, y, se = _check(d, y, stderr)
    keep = np.abs(y) > 2 * se
    if keep.sum() < 2:
        return {"p": None, "p_stderr": None, "used": keep.tolist(), "note": "fewer than 2 points distinguishable from 0"}
    ld, ly, lse = np.log(d[keep]), np.log(np.abs(y[keep])), se[keep] / np.abs(y[keep])
    X = np.column_stack([np.ones_like(ld), ld])
    w = 1.0 / lse**2
    cov = np.linalg.inv((X.T * w) @ X)
    coef = cov @ ((X.T * w) @ ly)
    chi2 = float(np.sum(w * (ly - X @ coef) ** 2))
    dof = int(keep.sum()) - 2
    scale = max(1.0, chi2 / dof) if dof > 0 else 1.0
    return {"p": float(-coef[1]), "p_stderr": float(math.sqrt(cov[1, 1] * scale)), "C": float(math.exp(coef[0])),
            "chi2": chi2, "dof": dof, "used": keep.tolist()}
