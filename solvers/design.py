"""Schedule design on the ``d -> infinity`` mean-field theory of the exponential regime.

:func:`design_negative_window` searches a grid of negative-window schedules
(:class:`cfgmft.schedules.NegativeWindow`: ``omega`` early, a window ``omega_neg < 0`` on
``[t_lo, t_hi]``, then ``omega_late``) for the one that best restores the variance while
keeping class separability, every candidate evaluated by
:func:`cfgmft.solvers.exponential.predict_exponential`. The selection rule:

* a candidate is *admissible* when its trajectory commits (status ``'committed'``) and its
  log-likelihood margin at ``t = 0`` is at least ``min_margin_fraction`` times the margin of
  constant guidance ``omega``;
* the design is the admissible candidate whose ``v_perp/sigma2`` is closest to 1 (the first
  in grid order on a tie).

The window must act before commitment: after ``t_commit`` guidance is inert in this regime, so
windows near ``t = 0`` change nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

from cfgmft.errors import ParameterError, check_real
from cfgmft.schedules import NegativeWindow

from cfgmft.results import Prediction

from .exponential import predict_exponential

__all__ = ["WindowCandidate", "WindowDesign", "design_negative_window",
           "WINDOW_OMEGAS", "WINDOW_T_LO", "WINDOW_T_HI"]

#: default depths of the window
WINDOW_OMEGAS = (-0.3, -0.6, -0.9)
#: default start and end times of the window (pairs with ``t_lo >= t_hi`` are skipped)
WINDOW_T_LO = (0.2, 0.4, 0.6, 0.8, 1.0)
WINDOW_T_HI = (0.6, 0.8, 1.0, 1.5, 2.0)


@dataclass(frozen=True)
class WindowCandidate:
    """One schedule of the grid, its prediction, and whether it is admissible (commits and
    keeps the margin)."""

    schedule: NegativeWindow
    prediction: Prediction
    admissible: bool

    @property
    def variance_defect(self) -> float:
        """``|v_perp/sigma2 - 1|``, the quantity the design minimises."""
        return abs(self.prediction.var_ratio - 1)


@dataclass(frozen=True)
class WindowDesign:
    """The result of :func:`design_negative_window`.

    ``schedule`` and ``prediction``: the chosen schedule and its mean-field prediction;
    ``baseline``: the prediction of constant guidance ``omega``; ``candidates``: every schedule
    evaluated, in grid order; ``min_margin``: the margin an admissible candidate needs.
    """

    schedule: NegativeWindow
    prediction: Prediction
    baseline: Prediction
    candidates: tuple
    min_margin: float

    @property
    def admissible(self) -> tuple:
        """The candidates that commit and keep the margin, in grid order."""
        return tuple(c for c in self.candidates if c.admissible)

    @property
    def defect_reduction(self) -> float:
        """How many times smaller the variance defect ``|v_perp/sigma2 - 1|`` is than under
        constant guidance (``inf`` when the design restores the variance exactly)."""
        got = abs(self.prediction.var_ratio - 1)
        return abs(self.baseline.var_ratio - 1) / got if got > 0 else math.inf


def _grid(name: str, values, **bounds) -> tuple:
    """A non-empty tuple of floats within ``bounds`` (as for :func:`cfgmft.errors.check_real`)."""
    vals = tuple(values)
    if not vals:
        raise ParameterError(name, "needs at least one value")
    return tuple(check_real(name, v, **bounds) for v in vals)


def design_negative_window(prior: str = "sphere", sigma2: float = 1.0, alpha: float = 0.3, omega: float = 2.0,
                           sampler: str = "sde", *, window_omegas: Sequence[float] = WINDOW_OMEGAS,
                           t_lo: Sequence[float] = WINDOW_T_LO, t_hi: Sequence[float] = WINDOW_T_HI,
                           omega_late: Optional[Sequence[float]] = None, min_margin_fraction: float = 0.5,
                           T: Optional[float] = None) -> WindowDesign:
    """The negative-window schedule closest to exact variance that keeps class separability.

    Parameters
    ----------
    prior, sigma2, alpha, sampler, T: the problem, as for
        :func:`cfgmft.solvers.exponential.predict_exponential`; ``alpha`` finite ``> 0`` (at
        ``alpha = 0`` guidance is inert and there is nothing to design).
    omega: the guidance before the window, also the constant guidance the design is
        compared with (``>= 0``).
    window_omegas: depths ``omega_neg < 0`` of the window.
    t_lo, t_hi: start and end times of the window (``>= 0``); every pair with ``t_lo < t_hi``
        is a candidate.
    omega_late: guidance after the window (towards ``t = 0``, each ``>= -1``); ``None`` for
        ``(0, omega)``.
    min_margin_fraction: an admissible candidate keeps at least this fraction (``>= 0``) of
        the margin of constant guidance ``omega``.

    The grid is ``window_omegas x t_lo x t_hi x omega_late`` in that nesting order; the
    selection rule is in the module docstring. Returns a :class:`WindowDesign`. Raises
    ``ParameterError`` naming the argument for a bad value, and naming ``min_margin_fraction``
    when no candidate of the grid is admissible.
    """
    alpha = check_real("alpha", alpha, lo=0.0, lo_open=True)
    omega = check_real("omega", omega, lo=0.0)
    frac = check_real("min_margin_fraction", min_margin_fraction, lo=0.0)
    wns = _grid("window_omegas", window_omegas, hi=0.0, hi_open=True)
    los, his = _grid("t_lo", t_lo, lo=0.0), _grid("t_hi", t_hi, lo=0.0)
    lates = _grid("omega_late", (0.0, omega) if omega_late is None else omega_late, lo=-1.0)
    baseline = predict_exponential(prior, sigma2, omega, sampler, alpha=alpha, T=T)
    min_margin = frac * baseline.margin
    candidates = []
    for wn in wns:
        for lo in los:
            for hi in his:
                for late in lates:
                    if hi <= lo:
                        continue
                    sc = NegativeWindow(omega, wn, lo, hi, late)
                    p = predict_exponential(prior, sigma2, sc, sampler, alpha=alpha, T=T)
                    candidates.append(WindowCandidate(sc, p, p.status == "committed" and p.margin >= min_margin))
    admissible = [c for c in candidates if c.admissible]
    if not admissible:
        raise ParameterError("min_margin_fraction", f"none of the {len(candidates)} candidates commits and keeps "
                                                    f"{frac:g} of the margin of constant guidance "
                                                    f"({baseline.margin:.4g}, status {baseline.status!r}): "
                                                    "widen the grid or lower the fraction")
    best = min(admissible, key=lambda c: c.variance_defect)  # the first on a tie
    return WindowDesign(best.schedule, best.prediction, baseline, tuple(candidates), min_margin)
