"""Parametric families of guidance schedules, the theories that score them, and one optimiser.

Used by the schedule design (:func:`cfgmft.solvers.design.design_schedule`, claim C6) and by the
search for the largest variance ratio over the non-negative families
(:mod:`cfgmft.solvers.nogo`, claim C5).

* A :class:`Family` maps a parameter vector ``x`` inside a box to a
  :class:`cfgmft.schedules.Schedule` (``None`` where ``x`` is not a schedule of the family, e.g. a
  ``negramp`` whose line does not dip below 0).
* :class:`TheoryModel` scores a schedule in one of the theories: the infinite-class limit
  (``alpha = inf``; :func:`cfgmft.solvers.infinite_class.predict_infinite_class`) or the
  ``d -> infinity`` mean field of the exponential regime (``alpha > 0``;
  :func:`cfgmft.solvers.exponential.predict_exponential`). Its ``separability`` is the
  implicit classifier's log-odds ``log_odds`` in the infinite-class limit (there is no best
  competitor there) and the log-likelihood margin over the best competitor ``margin`` in the
  exponential regime (docs/explanation/model.md section 4).
* :func:`optimise` maximises ``objective(p)`` over a family's box subject to
  ``constraint(p) >= 0`` (``p`` the model's numbers): a global scan of a scrambled Sobol
  sequence (deterministic for a seed), then ``scipy.optimize.minimize`` (COBYLA, on the unit
  cube) from the best few points of the scan. Every evaluation is kept; the result is the best
  *feasible* evaluation seen, or ``None`` when none is feasible (it never returns an infeasible
  point as a solution).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np
from scipy import optimize
from scipy.stats import qmc

from cfgmft.errors import NumericalError, ParameterError
from cfgmft.schedules import (Constant, CosineRamp, Interval, LinearRamp, LowHighLow, NegativeRamp, NegativeWindow,
                              Schedule, Table)

__all__ = ["Family", "FAMILIES", "family", "TheoryModel", "Evaluation", "SearchResult", "optimise",
           "TABLE_NODES", "T_MAX_DEFAULT"]

#: default upper end of the times a family's parameters range over (guidance acts through
#: ``e^{-2t}``-weighted terms: beyond ``t = 3`` it has almost no effect)
T_MAX_DEFAULT = 3.0
#: nodes (in ``t``) of the tabulated family; the values are the parameters, linear in between
TABLE_NODES = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
_MIN_WIDTH = 0.02


@dataclass(frozen=True)
class Family:
    """A parametric family: ``params`` (names), ``bounds(W, t_max)`` (one ``(lo, hi)`` per
    parameter; ``W`` the peak or largest strength), ``build(W, x)`` (a Schedule or ``None``),
    ``nonnegative`` (every member has ``omega(t) >= 0``) and ``text``, the family's form with
    the peak ``W`` in it."""

    name: str
    params: tuple
    bounds: Callable
    build: Callable
    nonnegative: bool
    text: str


def _negwin(W, x):
    w_neg, t_lo, width, late = x
    return NegativeWindow(W, min(float(w_neg), -1e-9), t_lo, t_lo + width, late)


def _negramp(W, x):
    v0, v1, t_sw = x
    if min(v0, v1) >= 0:
        return None
    return NegativeRamp(W, v0, (v1 - v0) / t_sw, t_sw)


def _table(W, x):
    return Table("t", "linear", TABLE_NODES, tuple(float(v) for v in x))


_FAMILIES = (
    Family("negwin", ("omega_neg", "t_lo", "width", "omega_late"),
           lambda W, tm: [(-1.0, -0.005), (0.0, tm), (_MIN_WIDTH, tm), (0.0, W)], _negwin, False,
           "negwin:W:W_NEG:T_LO:T_LO+WIDTH:W_LATE (W the peak, before the window)"),
    Family("negramp", ("omega_at_0", "omega_at_switch", "t_switch"),
           lambda W, tm: [(-1.0, W), (-1.0, W), (0.05, tm)], _negramp, False,
           "negramp:W:A:B:T_SW, the line from omega(0) = A to omega(T_SW) = A + B T_SW, dipping below 0"),
    Family("constant", ("omega",), lambda W, tm: [(0.0, W)], lambda W, x: Constant(x[0]), True, "constant:OMEGA"),
    Family("interval", ("omega", "t_lo", "width"), lambda W, tm: [(0.0, W), (0.0, tm), (_MIN_WIDTH, tm)],
           lambda W, x: Interval(x[0], x[1], x[1] + x[2]), True, "interval:OMEGA:T_LO:T_LO+WIDTH"),
    Family("linear_up", ("mean", "t_ramp"), lambda W, tm: [(0.0, W / 2), (0.05, tm)],
           lambda W, x: LinearRamp(x[0], x[1], "up"), True, "linear:MEAN:T_R:up (peak 2 MEAN)"),
    Family("linear_down", ("mean", "t_ramp"), lambda W, tm: [(0.0, W / 2), (0.05, tm)],
           lambda W, x: LinearRamp(x[0], x[1], "down"), True, "linear:MEAN:T_R:down (peak 2 MEAN)"),
    Family("cosine_up", ("mean", "t_ramp"), lambda W, tm: [(0.0, W / 2), (0.05, tm)],
           lambda W, x: CosineRamp(x[0], x[1], "up"), True, "cosine:MEAN:T_R:up (peak 2 MEAN)"),
    Family("cosine_down", ("mean", "t_ramp"), lambda W, tm: [(0.0, W / 2), (0.05, tm)],
           lambda W, x: CosineRamp(x[0], x[1], "down"), True, "cosine:MEAN:T_R:down (peak 2 MEAN)"),
    Family("lhl", ("omega_low", "omega_high", "t_lo", "width"),
           lambda W, tm: [(0.0, W), (0.0, W), (0.0, tm), (_MIN_WIDTH, tm)],
           lambda W, x: LowHighLow(x[0], x[1], x[2], x[2] + x[3]), True, "lhl:W_LO:W_HI:T_LO:T_LO+WIDTH"),
    Family("table", tuple(f"omega_at_{t:g}" for t in TABLE_NODES),
           lambda W, tm: [(0.0, W)] * len(TABLE_NODES), _table, True,
           "table:t:linear:" + ",".join(f"{t:g}" for t in TABLE_NODES) + ":W1,...,W8 (values in [0, W])"),
)
#: every family by name
FAMILIES = {f.name: f for f in _FAMILIES}


def family(name: str) -> Family:
    """The family called ``name`` (a ``ParameterError`` naming ``family`` otherwise)."""
    if name not in FAMILIES:
        raise ParameterError("family", f"must be one of {', '.join(FAMILIES)}, got {name!r}")
    return FAMILIES[name]


class TheoryModel:
    """Scores a schedule in one theory (module docstring), for the guidance rule ``rule``
    (:mod:`cfgmft.guidance`; ``None``: cfg; another rule: :func:`cfgmft.solvers.rules.predict_rule`):
    ``model(schedule)`` is a dict of
    ``var_ratio``, ``log_var_ratio``, ``m_final``, ``mean_shift``, ``kl_per_dim``,
    ``separability``, ``log_odds``, ``margin``, ``t_commit`` and ``status``."""

    def __init__(self, prior: str, sigma2: float, sampler: str, alpha: float = math.inf, T: Optional[float] = None,
                 rtol: float = 1e-10, rule=None, grid=None, update: Optional[str] = None, start: str = "edm"):
        from cfgmft.guidance import as_rule

        self.prior, self.sigma2, self.sampler, self.alpha, self.T, self.rtol = prior, sigma2, sampler, alpha, T, rtol
        self.rule = as_rule(rule)
        self.infinite = math.isinf(alpha)
        self.separability_key = "log_odds" if self.infinite else "margin"
        self.regime = ("infinite-class limit" if self.infinite
                       else f"exponential regime, d -> infinity mean field (alpha = {alpha:g})")
        if not self.rule.reduces_to_cfg:
            self.regime += f", guidance rule {self.rule.spec}"
        self.grid = None
        if (grid is None) != (update is None):
            raise ParameterError("grid" if grid is None else "update", "a sampler grid needs both --grid and --update")
        if grid is not None:
            # the theory on the user's discrete grid (solvers.discrete_grid), start N(0, sigma_0^2 I)
            from cfgmft.grids import sigma_grid
            from cfgmft.updates import CONTINUUM_SAMPLER, check_start, check_update

            if T is not None:
                raise ParameterError("T", "is set by the grid (its first noise level): leave it out with a grid")
            if getattr(self.rule, "momentum", 0.0) != 0.0:  # refused before any work, as predict_discrete would
                raise ParameterError("guidance", f"{self.rule.spec}: APG's momentum buffer does not close on the order "
                                                 "parameters: the grid theory does not take it (the Monte Carlo on the "
                                                 "grid does: cfgmft simulate --grid)")
            try:
                self.grid = sigma_grid(grid)
            except ParameterError as e:
                raise ParameterError("grid", str(e)) from None
            self.update, self.start = check_update(update), check_start(start)
            self.sampler = CONTINUUM_SAMPLER[self.update]
            self.regime += f", on the grid {self.grid.spec} with the {self.update} update"
            from cfgmft.updates import check_grid_rule

            check_grid_rule(self.rule, self.grid, self.update)  # zero_init within the grid's evaluations
        else:
            from cfgmft.guidance import check_continuous

            check_continuous(self.rule)  # a grid-only option needs a grid

    def _on_grid(self, schedule) -> dict:
        from ._generated import infinite_class as gen

        from .discrete_grid import predict_discrete

        p = predict_discrete(self.prior, self.sigma2, schedule, self.update, self.grid,
                             alpha=None if self.infinite else self.alpha, start=self.start,
                             rule=None if self.rule.reduces_to_cfg else self.rule)
        log_odds = None
        if self.infinite and math.isfinite(p.var_ratio):
            log_odds = float(gen.log_odds_gaussian(p.m_final, p.var_ratio, self.sigma2, 1.0) if self.prior == "gaussian"
                             else gen.log_odds_sphere(p.m_final, p.var_ratio, self.sigma2))
        out = {"m_final": p.m_final, "mean_shift": p.mean_shift, "var_ratio": p.var_ratio,
               "log_var_ratio": p.log_var_ratio, "kl_per_dim": p.kl_per_dim, "log_odds": log_odds,
               "margin": None if self.infinite else p.margin, "t_commit": None if self.infinite else p.t_commit,
               "status": p.status}
        out["separability"] = out[self.separability_key]
        return out

    def __call__(self, schedule) -> dict:
        if self.grid is not None:
            out = self._on_grid(schedule)
            for k in ("m_final", "log_var_ratio", "kl_per_dim", "separability"):
                v = out[k]
                if v is None or not math.isfinite(v):
                    raise NumericalError(f"{k} is not finite for {getattr(schedule, 'spec', schedule)}")
            return out
        if not self.rule.reduces_to_cfg:
            from .rules import predict_rule

            p = predict_rule(self.prior, self.sigma2, schedule, self.sampler, self.rule, alpha=self.alpha, T=self.T)
            margin, t_commit = (None, None) if self.infinite else (p.margin, p.t_commit)
        elif self.infinite:
            from .infinite_class import predict_infinite_class

            p = predict_infinite_class(self.prior, self.sigma2, schedule, self.sampler, self.T, rtol=self.rtol)
            margin, t_commit = None, None
        else:
            from .exponential import predict_exponential

            p = predict_exponential(self.prior, self.sigma2, schedule, self.sampler, alpha=self.alpha, T=self.T)
            margin, t_commit = p.margin, p.t_commit
        out = {"m_final": p.m_final, "mean_shift": p.mean_shift, "var_ratio": p.var_ratio,
               "log_var_ratio": p.log_var_ratio, "kl_per_dim": p.kl_per_dim, "log_odds": p.get("log_odds"),
               "margin": margin, "t_commit": t_commit, "status": p.status}
        out["separability"] = out[self.separability_key]
        for k in ("m_final", "log_var_ratio", "kl_per_dim", "separability"):
            v = out[k]
            if v is None or not math.isfinite(v):
                raise NumericalError(f"{k} is not finite for {getattr(schedule, 'spec', schedule)}")
        return out


@dataclass(frozen=True)
class Evaluation:
    """One point of a search: parameters, schedule, the model's numbers, feasibility."""

    x: tuple
    schedule: Schedule
    numbers: dict
    feasible: bool
    objective: float
    violation: float


@dataclass
class SearchResult:
    """What :func:`optimise` saw: ``best`` (the best feasible :class:`Evaluation`, or ``None``),
    ``closest`` (the evaluation with the smallest constraint violation), the numbers of global
    and local evaluations, and the local optimiser's messages."""

    best: Optional[Evaluation]
    closest: Optional[Evaluation]
    evaluations: list = field(default_factory=list)
    n_global: int = 0
    n_local: int = 0
    local_messages: list = field(default_factory=list)


def evaluation_budget(fam: Family, W: float, *, t_max: float = T_MAX_DEFAULT, n_global: int = 64, n_starts: int = 2,
                      maxiter: int = 60, extra: int = 0) -> int:
    """The most model evaluations :func:`optimise` makes with these sizes (its Sobol points, the extra
    points, and ``max(maxiter, dim + 2)`` per COBYLA start; the cache makes it fewer): a progress total."""
    dim = len(fam.bounds(W, t_max))
    m = max(1, math.ceil(math.log2(max(n_global, 2))))
    return 2**m + int(extra) + int(n_starts) * max(int(maxiter), dim + 2)


def optimise(fam: Family, W: float, model: Callable, objective: Callable, constraint: Callable, *,
             t_max: float = T_MAX_DEFAULT, n_global: int = 64, n_starts: int = 2, maxiter: int = 60,
             seed: int = 0, extra_points: Sequence = ()) -> SearchResult:
    """Maximise ``objective(numbers)`` over ``fam``'s box subject to ``constraint(numbers) >= 0``
    (module docstring). ``n_global`` Sobol points (rounded up to a power of 2) plus
    ``extra_points`` (parameter vectors, e.g. known good designs), then COBYLA from the
    ``n_starts`` best (feasible first, by objective; else by violation), at most ``maxiter``
    iterations each (at least ``dim + 2``, COBYLA's minimum), on the unit cube ``z``, ``x = lo + z (hi - lo)``."""
    bounds = np.array(fam.bounds(W, t_max), dtype=np.float64)
    lo, hi = bounds[:, 0], bounds[:, 1]
    span = np.where(hi > lo, hi - lo, 1.0)
    cache: dict = {}
    result = SearchResult(None, None)

    def evaluate(z) -> Optional[Evaluation]:
        z = np.clip(np.asarray(z, dtype=np.float64), 0.0, 1.0)
        x = tuple(float(v) for v in lo + z * (hi - lo))
        key = tuple(round(v, 12) for v in x)
        if key in cache:
            return cache[key]
        ev = None
        try:
            sch = fam.build(W, x)
            if sch is not None:
                nums = model(sch)
                c = float(constraint(nums))
                ev = Evaluation(x, sch, nums, c >= 0.0, float(objective(nums)), max(0.0, -c))
        except (ParameterError, NumericalError, FloatingPointError, OverflowError):
            ev = None
        cache[key] = ev
        if ev is not None:
            result.evaluations.append(ev)
        return ev

    dim = len(lo)
    m = max(1, math.ceil(math.log2(max(n_global, 2))))
    pts = qmc.Sobol(dim, scramble=True, seed=seed).random_base2(m)
    extra = [np.clip((np.asarray(p, dtype=np.float64) - lo) / span, 0.0, 1.0) for p in extra_points]
    for z in [*extra, *pts]:
        evaluate(z)
    result.n_global = len(result.evaluations)

    def rank(e: Evaluation):
        return (0, -e.objective) if e.feasible else (1, e.violation)

    scanned = sorted(result.evaluations, key=rank)
    BIG = 1e6

    def fun(z):
        e = evaluate(z)
        return BIG if e is None else -e.objective

    def con(z):
        e = evaluate(z)
        return -BIG if e is None else (e.violation * -1.0 if not e.feasible else float(constraint(e.numbers)))

    for start in scanned[:n_starts]:
        z0 = np.clip((np.asarray(start.x) - lo) / span, 0.0, 1.0)
        try:
            res = optimize.minimize(fun, z0, method="COBYLA", bounds=[(0.0, 1.0)] * dim,
                                    constraints=[{"type": "ineq", "fun": con}],
                                    # COBYLA needs at least dim + 2 evaluations (it raised a smaller
                                    # maxiter to that itself, with a warning)
                                    options={"maxiter": max(maxiter, dim + 2), "rhobeg": 0.1, "tol": 1e-6})
            result.local_messages.append(str(res.message))
        except (ValueError, ArithmeticError) as e:  # pragma: no cover - COBYLA's own failures
            result.local_messages.append(f"local search failed: {e}")
    result.n_local = len(result.evaluations) - result.n_global
    feasible = [e for e in result.evaluations if e.feasible]
    result.best = max(feasible, key=lambda e: e.objective) if feasible else None
    result.closest = min(result.evaluations, key=lambda e: e.violation) if result.evaluations else None
    return result
