"""The trade-off frontier of variance ratio against separability, per schedule family (claim C6).

For one problem (prior, ``sigma2``, sampler, and ``alpha``: ``math.inf`` for the infinite-class
limit, ``> 0`` for the exponential regime's ``d -> infinity`` mean field) and a peak guidance
``W``, :func:`frontier` computes, for each family of :mod:`cfgmft.solvers.schedule_search`,

    S_F(v) = max { separability(s) : s in family F, var_ratio(s) >= v }

for a sweep of variance floors ``v``, with the optimiser
:func:`cfgmft.solvers.schedule_search.optimise` (a scrambled Sobol scan, then COBYLA). The
separability is the one of the design (:class:`cfgmft.solvers.schedule_search.TheoryModel`):
the margin over the best competitor in the exponential regime, the implicit classifier's
log-odds in the infinite-class limit.

How the sweep runs: the floors are taken from the highest to the lowest; the search at each
floor starts from the same Sobol scan (with, for the families that contain them, constant CFG at
the peak and ``omega = 0``, corners of the box the scan does not hit) (the model's numbers are cached by the schedule's text
form, so the scan is scored once per family) plus the best schedule of the floor above it,
which is feasible at the lower floor. The frontier's point at a floor is then the best of
every schedule the family's searches scored (at any floor) whose variance ratio reaches it: a
search at a higher floor can find what the search at a lower one missed. Either way the best
feasible separability never decreases as the floor falls: the frontier is non-increasing in
``v``, as the maximum over nested feasible sets must be. A floor no schedule of the family reaches is reported as infeasible
(``feasible = False``, with the largest variance ratio seen), never as a point.

On a sampler grid (``grid`` and ``update``) every schedule is scored by the discrete-grid theory of
that grid and update rule (:class:`cfgmft.solvers.schedule_search.TheoryModel`, as the design does),
so each point meets its floor on the sampler it is meant for.

Beside the swept points, ``pareto`` is the set of non-dominated evaluations among every schedule
the searches scored (no other has both a larger variance ratio and a larger separability).

Where the frontier can go: a non-negative family's variance ratio never exceeds 1 (claim C5,
:mod:`cfgmft.solvers.nogo`), so its frontier ends at or below ``v = 1``; the negative families
(``negwin``, ``negramp``) reach ``v >= 1``, and the question the frontier answers is how much
separability the restored variance costs: ``omega = 0`` has ``v = 1`` exactly and the
separability of unguided sampling, the reference a schedule with ``v >= 1`` must beat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from cfgmft.errors import ParameterError, check_choice, check_int, check_real
from cfgmft.schedules import Constant

from .schedule_search import FAMILIES, T_MAX_DEFAULT, TheoryModel, family as get_family, optimise

__all__ = ["FRONTIER_FAMILIES", "FrontierPoint", "FrontierCurve", "Frontier", "frontier", "check_frontier", "default_floors",
           "check_floors", "PEAK_MAX", "FLOORS_MAX"]

#: every family, the negative ones first
FRONTIER_FAMILIES = tuple(FAMILIES)
#: largest peak guidance
PEAK_MAX = 100.0
#: most floors of one sweep
FLOORS_MAX = 200


@dataclass(frozen=True)
class FrontierPoint:
    """The best schedule of a family at one variance floor ``floor``: its variance ratio,
    separability, schedule (text form) and status; ``feasible = False`` when no schedule seen
    reaches the floor (``var_ratio`` is then the largest seen, ``separability`` and
    ``schedule`` ``None``)."""

    floor: float
    feasible: bool
    var_ratio: Optional[float]
    separability: Optional[float]
    schedule: Optional[str]
    status: Optional[str]
    mean_shift: Optional[float] = None
    t_commit: Optional[float] = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class FrontierCurve:
    """One family's frontier: ``points`` (one per floor, in increasing floor), ``pareto`` (the
    non-dominated evaluations, as ``(var_ratio, separability, schedule)``, in increasing
    variance ratio), ``max_var_ratio`` (the largest variance ratio seen) and ``evaluations``."""

    family: str
    nonnegative: bool
    points: list
    pareto: list
    max_var_ratio: float
    evaluations: int
    parameters: tuple = field(default=())

    def to_dict(self) -> dict:
        return {"family": self.family, "nonnegative": self.nonnegative, "parameters": list(self.parameters),
                "points": [p.to_dict() for p in self.points],
                "pareto": [{"var_ratio": v, "separability": s, "schedule": sch} for v, s, sch in self.pareto],
                "max_var_ratio": self.max_var_ratio, "evaluations": self.evaluations}


@dataclass
class Frontier:
    """The result of :func:`frontier`: the problem (``model``), the separability's name, the
    peak, the floors, the search's sizes, one :class:`FrontierCurve` per family, and the
    theory's numbers of constant CFG at the peak (``constant``) and of ``omega = 0``
    (``unguided``)."""

    model: dict
    separability: str
    peak: float
    floors: tuple
    search: dict
    curves: dict
    constant: dict
    unguided: dict

    def to_dict(self) -> dict:
        return {"model": self.model, "separability": self.separability, "peak": self.peak,
                "floors": list(self.floors), "search": self.search,
                "curves": {k: c.to_dict() for k, c in self.curves.items()},
                "constant": _numbers(self.constant), "unguided": _numbers(self.unguided)}


def _numbers(nums: dict) -> dict:
    return {k: nums.get(k) for k in ("var_ratio", "log_var_ratio", "separability", "log_odds", "margin", "mean_shift",
                                     "m_final", "kl_per_dim", "t_commit", "status")}


def default_floors(v_constant: float, n: int = 9) -> tuple:
    """``n`` floors evenly from constant CFG's variance ratio ``v_constant`` to 1 (both
    included), then two more steps of the same size above 1 (where only schedules with a
    negative part can go); a ``v_constant >= 1`` gives ``n`` floors from 0.9 to 1 instead."""
    n = check_int("n_floors", n, lo=2, hi=FLOORS_MAX - 2)
    lo = v_constant if v_constant < 1.0 else 0.9
    base = np.linspace(lo, 1.0, n)
    step = base[1] - base[0]
    return tuple(float(v) for v in base) + (1.0 + step, 1.0 + 2.0 * step)


def check_floors(floors) -> tuple:
    """Floors as a sorted tuple of distinct finite numbers in ``(0, 100]``, from a sequence or
    the text ``START:STOP:NUM`` (inclusive, ``2 <= NUM <= 200``, ``START < STOP``)
    (``ParameterError`` naming ``floors``)."""
    if isinstance(floors, str):
        parts = floors.split(":")
        try:
            if len(parts) != 3:
                raise ValueError
            start, stop, num = float(parts[0]), float(parts[1]), int(parts[2])
            if not (0.0 < start <= 100.0 and 0.0 < stop <= 100.0):  # inf and nan too
                raise ValueError
        except ValueError:
            raise ParameterError("floors", f"must be START:STOP:NUM (0 < START < STOP <= 100, 2 <= NUM <= "
                                           f"{FLOORS_MAX}), got {floors!r}") from None
        if not 2 <= num <= FLOORS_MAX:
            raise ParameterError("floors", f"NUM must be in [2, {FLOORS_MAX}] in START:STOP:NUM, got {floors!r}")
        if not start < stop:
            raise ParameterError("floors", f"needs START < STOP in START:STOP:NUM, got {floors!r}")
        floors = np.linspace(start, stop, num)
    try:
        vals = [float(v) for v in floors]
    except (TypeError, ValueError):
        raise ParameterError("floors", f"must be numbers in (0, 100], got {floors!r}") from None
    if not vals:
        raise ParameterError("floors", "needs at least one variance floor in (0, 100]")
    if len(vals) > FLOORS_MAX:
        raise ParameterError("floors", f"at most {FLOORS_MAX} floors, got {len(vals)}")
    for v in vals:
        check_real("floors", v, lo=0.0, lo_open=True, hi=100.0)
    return tuple(sorted(set(vals)))


def _constant_members(name: str, W: float, t_max: float) -> tuple:
    """Parameter vectors of the family's members that are constant CFG at the peak ``W`` (for
    ``interval``/``lhl``: on ``[0, t_max]``) and ``omega = 0``: points on the edge of the box
    that a Sobol scan does not hit, added to every floor's scan (the negative families contain
    neither)."""
    n = len(FAMILIES["table"].params)
    return {"constant": ((W,), (0.0,)), "interval": ((W, 0.0, t_max), (0.0, 0.0, t_max)),
            "lhl": ((W, W, 0.0, t_max), (0.0, 0.0, 0.0, t_max)), "table": ((W,) * n, (0.0,) * n),
            "linear_up": ((0.0, t_max),), "linear_down": ((0.0, t_max),), "cosine_up": ((0.0, t_max),),
            "cosine_down": ((0.0, t_max),)}.get(name, ())


def _pareto(evals) -> list:
    """The non-dominated ``(var_ratio, separability, schedule)`` of ``evals``, in increasing
    variance ratio (so decreasing separability)."""
    pts = sorted(((e.numbers["var_ratio"], e.numbers["separability"], e.schedule.spec) for e in evals),
                 key=lambda p: (-p[0], -p[1]))
    out, best = [], -math.inf
    for v, s, sch in pts:  # from the largest variance ratio down: keep what beats every larger one
        if s > best:
            out.append((v, s, sch))
            best = s
    return out[::-1]


def frontier(prior: str = "sphere", sigma2: float = 1.0, sampler: str = "sde", alpha: float = math.inf,
             peak: float = 3.0, *, families: Sequence[str] = FRONTIER_FAMILIES, floors=None, n_floors: int = 9,
             T: Optional[float] = None, t_max: float = T_MAX_DEFAULT, n_global: int = 64, n_starts: int = 1,
             maxiter: int = 40, seed: int = 0, progress=None, rule=None, grid=None,
             update: Optional[str] = None) -> Frontier:
    """The frontier of separability against the variance floor for each of ``families``
    (module docstring).

    Parameters
    ----------
    prior, sigma2, sampler, T
        the problem (``gaussian`` or ``sphere`` prior).
    alpha
        ``math.inf`` (default) for the infinite-class limit, ``> 0`` for the exponential
        regime (``d -> infinity`` mean field).
    peak
        the families' peak guidance ``W`` in ``(0, 100]``, as for
        :func:`cfgmft.solvers.design.design_schedule`.
    families
        names from :data:`FRONTIER_FAMILIES` (at least one, no repeats).
    floors
        the variance floors (a sequence or ``"START:STOP:NUM"``); ``None`` for
        :func:`default_floors` with ``n_floors`` from constant CFG's variance ratio at ``peak``.
    t_max, n_global, n_starts, maxiter, seed
        the optimiser, per floor
        (:func:`cfgmft.solvers.schedule_search.optimise`).
    progress
        an optional callable ``progress(curve)`` after each family.

    rule
        the guidance rule (:mod:`cfgmft.guidance`; ``None``: cfg).
    grid, update
        the user's sampler grid (:func:`cfgmft.grids.sigma_grid`) and update rule
        (:data:`cfgmft.updates.UPDATES`): every schedule is then scored by the discrete-grid theory
        on that grid (:func:`cfgmft.solvers.discrete_grid.predict_discrete`, started from
        ``N(0, sigma_0^2 I)``), as :func:`cfgmft.solvers.design.design_schedule` does with them:
        the objective and the floors are the grid's; ``sampler`` is then the update's
        continuous-time limit and ``T`` (refused) the grid's start. Every rule (APG's momentum refused:
        the grid theory does not take it).

    Notes
    -----
    Returns a :class:`Frontier`. Raises ``ParameterError`` naming the argument for bad input
    (:func:`check_frontier`, before anything is computed).
    """
    (prior, sigma2, sampler, alpha, W, families, fams, floors, n_floors, t_max, n_global, n_starts, maxiter,
     seed) = _checked(prior, sigma2, sampler, alpha, peak, families, floors, n_floors, t_max, n_global, n_starts,
                      maxiter, seed)
    base = TheoryModel(prior, sigma2, sampler, alpha, T, rule=rule, grid=grid, update=update)
    if base.grid is not None:
        sampler = base.sampler
    constant, unguided = base(Constant(W)), base(Constant(0.0))
    floors_default = floors is None
    floors = default_floors(constant["var_ratio"], n_floors) if floors_default else floors
    return _sweep(base, constant, unguided, floors, floors_default, prior, sigma2, sampler, alpha, W, T, fams,
                  t_max, n_global, n_starts, maxiter, seed, progress)


def check_frontier(prior: str = "sphere", sigma2: float = 1.0, sampler: str = "sde", alpha: float = math.inf,
                   peak: float = 3.0, *, families: Sequence[str] = FRONTIER_FAMILIES, floors=None, n_floors: int = 9,
                   T: Optional[float] = None, t_max: float = T_MAX_DEFAULT, n_global: int = 64, n_starts: int = 1,
                   maxiter: int = 40, seed: int = 0, progress=None, rule=None, grid=None,
                   update: Optional[str] = None) -> None:
    """Every check of :func:`frontier`'s arguments, without computing anything (a
    ``ParameterError`` naming the argument); ``T`` is checked as the theory checks it."""
    _checked(prior, sigma2, sampler, alpha, peak, families, floors, n_floors, t_max, n_global, n_starts, maxiter,
             seed)
    if T is not None:
        check_real("T", T, lo=0.0, lo_open=True, hi=1000.0)
    # the grid's checks (and the rule's) are the theory's own: building the model computes nothing
    TheoryModel(prior, sigma2, sampler, alpha, T, rule=rule, grid=grid, update=update)


def _checked(prior, sigma2, sampler, alpha, peak, families, floors, n_floors, t_max, n_global, n_starts, maxiter,
             seed):
    prior = check_choice("prior", prior, ("gaussian", "sphere"))
    sampler = check_choice("sampler", sampler, ("sde", "ode"))
    sigma2 = check_real("sigma2", sigma2, lo=1e-8, hi=1e8)
    W = check_real("peak", peak, lo=0.0, lo_open=True, hi=PEAK_MAX)
    if not (isinstance(alpha, (int, float)) and alpha == math.inf):
        alpha = check_real("alpha", alpha, lo=0.0, lo_open=True)
    if isinstance(families, str):
        families = [f for f in families.split(",")]
    families = tuple(families)
    if not families:
        raise ParameterError("families", f"needs at least one of {', '.join(FRONTIER_FAMILIES)}")
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise ParameterError("families", f"must be names from {', '.join(FRONTIER_FAMILIES)}, got {unknown[0]!r}")
    fams = [get_family(f) for f in families]
    if len(set(families)) != len(families):
        raise ParameterError("families", f"lists a family twice: {','.join(families)}")
    t_max = check_real("t_max", t_max, lo=0.1, hi=50.0)
    n_global = check_int("n_global", n_global, lo=1, hi=1 << 16)
    n_starts = check_int("n_starts", n_starts, lo=0, hi=64)
    maxiter = check_int("maxiter", maxiter, lo=1, hi=100000)
    seed = check_int("seed", seed, lo=0)
    if floors is None:
        n_floors = check_int("n_floors", n_floors, lo=2, hi=FLOORS_MAX - 2)
    else:
        floors = check_floors(floors)
    return (prior, sigma2, sampler, alpha, W, families, fams, floors, n_floors, t_max, n_global, n_starts, maxiter,
            seed)


def _sweep(base, constant, unguided, floors, floors_default, prior, sigma2, sampler, alpha, W, T, fams, t_max,
           n_global, n_starts, maxiter, seed, progress) -> Frontier:
    curves = {}
    for fam in fams:
        cache: dict = {}

        def model(sch, _cache=cache):
            key = sch.spec
            if key not in _cache:
                _cache[key] = base(sch)
            return _cache[key]

        points, seen, n_eval = {}, {}, 0
        seeds = _constant_members(fam.name, W, t_max)
        start = ()
        for v in sorted(floors, reverse=True):
            res = optimise(fam, W, model, lambda nums: nums["separability"],
                           lambda nums, v=v: math.exp(nums["log_var_ratio"]) - v, t_max=t_max, n_global=n_global,
                           n_starts=n_starts, maxiter=maxiter, seed=seed, extra_points=seeds + start)
            n_eval += len(res.evaluations)
            for e in res.evaluations:
                seen[e.schedule.spec] = e
            if res.best is not None:
                start = (res.best.x,)
        evals = list(seen.values())
        for v in floors:  # every schedule scored at any floor counts at every floor it reaches
            ok = [e for e in evals if math.exp(e.numbers["log_var_ratio"]) >= v]
            if ok:
                b = max(ok, key=lambda e: e.numbers["separability"])
                points[v] = FrontierPoint(v, True, b.numbers["var_ratio"], b.numbers["separability"], b.schedule.spec,
                                          b.numbers["status"], b.numbers["mean_shift"], b.numbers["t_commit"])
            else:
                vmax = max((e.numbers["var_ratio"] for e in evals), default=None)
                points[v] = FrontierPoint(v, False, vmax, None, None, None)
        curve = FrontierCurve(fam.name, fam.nonnegative, [points[v] for v in sorted(points)], _pareto(evals),
                              max((e.numbers["var_ratio"] for e in evals), default=math.nan), n_eval, fam.params)
        curves[fam.name] = curve
        if progress is not None:
            progress(curve)
    model_info = {"theory": base.regime, "prior": prior, "sigma2": sigma2, "sampler": sampler,
                  "alpha": None if math.isinf(alpha) else alpha, "T": T,
                  "grid": None if base.grid is None else base.grid.spec,
                  "update": None if base.grid is None else base.update}
    if base.grid is not None:
        model_info["T"] = float(base.grid.t[0])
    search = {"method": "per floor, from the highest down: scrambled Sobol scan plus the best schedule of the floor "
                        "above, then scipy.optimize.minimize (COBYLA) from the best points; maximises separability "
                        "subject to var_ratio >= floor",
              "n_global": n_global, "n_starts": n_starts, "maxiter": maxiter, "seed": seed, "t_max": t_max,
              "families": [f.name for f in fams], "floors_default": floors_default}
    return Frontier(model_info, base.separability_key, W, tuple(floors), search, curves, constant, unguided)
