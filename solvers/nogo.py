"""Claim C5 in numbers: the largest variance ratio each non-negative family can reach.

For each non-negative family of :mod:`cfgmft.solvers.schedule_search` (constant, interval,
linear and cosine ramps up and down, low-high-low, a non-negative table on fixed nodes), with
strengths in ``[0, W_max]`` and times in ``[0, t_max]``, :func:`nogo_search` maximises
``log(var_ratio)`` with the optimiser of :func:`cfgmft.solvers.schedule_search.optimise`
(a Sobol scan, then COBYLA from the best points), in one theory. :func:`nogo_table` runs it over
the regimes of :data:`REGIMES` (the infinite-class limit for both priors; the exponential
regime, sphere prior, below the critical line at every strength, ``alpha = 0.2 < alpha_c(0) =
log(2)/2``, and above it at every strength up to ``W_max = 5``, ``alpha = 1.2 > alpha_c(5)``
(1.002 SDE, 1.125 ODE)) and both samplers, and adds the negative window (``negwin``) as a
control: the same optimiser must find ``var_ratio > 1`` there, or the search is too weak to
mean anything.

The comparison argument (:mod:`cfgmft.theory.nogo`) proves ``var_ratio <= 1`` for every
``omega(t) >= 0`` in all these theories; the search is its numerical check, and would report a
counterexample as found (``exceeds_one``: ``log(var_ratio) >`` :data:`LOG_VAR_TOL`), not hide it. The supremum 1 is approached by
switching guidance off (``omega -> 0`` or a window at large ``t``), so a best value just below 1
is the expected outcome; the table also gives the separability at the best point, to show what
reaching it costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

from cfgmft.errors import ParameterError, check_choice, check_int, check_real

from .schedule_search import FAMILIES, T_MAX_DEFAULT, TheoryModel, family as get_family, optimise

__all__ = ["NONNEGATIVE_FAMILIES", "CONTROL_FAMILY", "REGIMES", "NoGoRow", "nogo_search", "nogo_table", "W_MAX",
           "LOG_VAR_TOL"]

#: a ``log(var_ratio)`` above this counts as exceeding 1: ten times the integration tolerance
#: (1e-10) of the solvers that score the best point. ``omega = 0`` written as a schedule, whose
#: exact value is 0, comes out at up to 6e-12 (infinite-class quadrature, SDE) and 1e-14 (ODE).
LOG_VAR_TOL = 1e-9

#: the non-negative families of claim C5
NONNEGATIVE_FAMILIES = tuple(name for name, f in FAMILIES.items() if f.nonnegative)
#: the control family with a negative part
CONTROL_FAMILY = "negwin"
#: largest guidance strength of the search
W_MAX = 5.0
#: regimes of the table: (name, prior, alpha)
REGIMES = (
    ("infinite-class, gaussian prior", "gaussian", math.inf),
    ("infinite-class, sphere prior (d -> infinity)", "sphere", math.inf),
    ("exponential, sphere, alpha = 0.2 (below the critical line)", "sphere", 0.2),
    ("exponential, sphere, alpha = 1.2 (above the critical line)", "sphere", 1.2),
)


@dataclass(frozen=True)
class NoGoRow:
    """The search's result for one family in one regime and sampler: the largest
    ``var_ratio`` found (and its log), the schedule that reaches it, its separability
    (``log_odds`` or ``margin``) and status, the evaluation counts, and whether it exceeds 1."""

    regime: str
    prior: str
    alpha: float
    sampler: str
    family: str
    nonnegative: bool
    best_var_ratio: float
    best_log_var_ratio: float
    best_schedule: str
    separability_key: str
    separability: float
    status: str
    evaluations: int
    exceeds_one: bool
    grid: Optional[str] = None
    update: Optional[str] = None

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["alpha"] = None if math.isinf(self.alpha) else self.alpha
        return d


def nogo_search(prior: str, sigma2: float, sampler: str, alpha: float, family: str, *, W_max: float = W_MAX,
                t_max: float = T_MAX_DEFAULT, n_global: int = 64, n_starts: int = 2, maxiter: int = 40,
                seed: int = 0, regime: Optional[str] = None, rtol: float = 1e-8, rule=None, grid=None,
                update: Optional[str] = None) -> NoGoRow:
    """The largest variance ratio of ``family`` (strengths in ``[0, W_max]``, times in
    ``[0, t_max]``) in one theory (``alpha = inf``: infinite-class limit); the best point is
    evaluated again at the solver's default tolerance. ``rtol``: the infinite-class solver's
    tolerance during the search. ``rule``: the guidance rule (:mod:`cfgmft.guidance`; ``None``: cfg),
    the C5 search extended to rules. ``grid``, ``update``: the search on the discrete-grid theory of that
    sampler grid and update rule (:class:`cfgmft.solvers.schedule_search.TheoryModel`; ``sampler`` is then
    the update's continuous-time limit; every rule but APG's momentum, which the grid theory does not take). The comparison argument is continuous time's: on a grid
    the table is the search alone (the grid's own discretisation moves the variance ratio, at ``omega = 0``
    too)."""
    fam = get_family(family)
    W = check_real("W_max", W_max, lo=0.0, lo_open=True, hi=100.0)
    sampler = check_choice("sampler", sampler, ("sde", "ode"))
    check_int("n_global", n_global, lo=1)
    model = TheoryModel(prior, sigma2, sampler, alpha, rtol=rtol, rule=rule, grid=grid, update=update)
    res = optimise(fam, W, model, lambda nums: nums["log_var_ratio"], lambda nums: 1.0, t_max=t_max,
                   n_global=n_global, n_starts=n_starts, maxiter=maxiter, seed=seed)
    if res.best is None:
        raise ParameterError("family", f"no schedule of {family!r} could be evaluated")
    final = TheoryModel(prior, sigma2, sampler, alpha, rule=rule, grid=grid, update=update)(res.best.schedule)
    on_grid = model.grid is not None
    return NoGoRow(regime or model.regime, prior, alpha, model.sampler, fam.name, fam.nonnegative, final["var_ratio"],
                   final["log_var_ratio"], res.best.schedule.spec, model.separability_key, final["separability"],
                   final["status"], len(res.evaluations), final["log_var_ratio"] > LOG_VAR_TOL,
                   model.grid.spec if on_grid else None, model.update if on_grid else None)


def nogo_table(*, sigma2: float = 1.0, regimes: Sequence = REGIMES, samplers: Sequence[str] = ("sde", "ode"),
               families: Sequence[str] = NONNEGATIVE_FAMILIES + (CONTROL_FAMILY,), n_global: int = 64,
               n_starts: int = 2, maxiter: int = 40, seed: int = 0, progress=None, rule=None, grid=None,
               update: Optional[str] = None) -> list:
    """:func:`nogo_search` over ``regimes x samplers x families`` (module docstring); a list of
    :class:`NoGoRow`. ``progress``: an optional callable ``progress(row)`` after each row. With
    ``grid`` and ``update`` every row is searched on that grid's discrete-grid theory, and the
    samplers are the update's one continuous-time limit (``samplers`` is not used)."""
    if grid is not None or update is not None:
        # checked once, before any row is computed (building the model computes nothing)
        model = TheoryModel(regimes[0][1] if regimes else "gaussian", sigma2, "sde", math.inf, rule=rule, grid=grid,
                            update=update)
        samplers = (model.sampler,)
    rows = []
    for name, prior, alpha in regimes:
        for sampler in samplers:
            for fam in families:
                row = nogo_search(prior, sigma2, sampler, alpha, fam, n_global=n_global, n_starts=n_starts,
                                  maxiter=maxiter, seed=seed, regime=name, rule=rule, grid=grid, update=update)
                rows.append(row)
                if progress is not None:
                    progress(row)
    return rows
