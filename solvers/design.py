"""Schedule design: the fixed grid of negative windows used by the report so far
(:func:`design_negative_window`), and the constrained optimiser behind
``cfgmft schedule design`` (:func:`design_schedule`).

:func:`design_schedule` maximises class separability subject to the final variance ratio
``v_perp/sigma2`` lying inside a band (default ``[0.98, 1.02]``), over a parametric family of
:mod:`cfgmft.solvers.schedule_search` with its peak guidance ``W`` fixed. Separability is the
implicit classifier's log-odds ``log_odds = (log P_0(x|c) - log P_0(x))/d`` in the
infinite-class limit (where no best competitor exists) and the margin over the best competitor
in the exponential regime (docs/explanation/model.md section 4). The theory is the infinite-class limit
(``alpha = inf``) or the ``d -> infinity`` mean field (``alpha > 0``); with a dimension ``d``
and a finite ``K`` the design found on the mean field at ``alpha = log(K)/d`` is then refined on
the finite-``d`` reduced model (:mod:`cfgmft.solvers.finite_d`): the same optimiser, started
from the mean-field design, with the reduced model's variance ratio (one seed: common random
numbers across candidates) as the constraint; the reduced model has no margin, so the objective
stays the mean field's separability of the same schedule. A design that meets no band is an
:class:`cfgmft.errors.InfeasibleError`, never a returned schedule.

Where the window must sit: in the exponential regime guidance acts only before commitment
(``t > t_commit``); after it ``s_omega = s_c`` whatever ``omega`` is (docs/explanation/model.md 5.3), so a
window at ``t < t_commit`` changes nothing. A negative window before commitment also delays
commitment (the guided drift pulls less towards ``c``): too deep or too long and the samples do
not commit by ``t = 0`` and the margin turns negative, which the separability objective
penalises. In the infinite-class limit there is no commitment; ``omega(t)`` acts on the variance
through ``omega(t) e^{-2t}/(Gamma_t G_t)`` (gaussian prior), which is largest near ``t = 0``, so
the window sits late in sampling, where the same depth restores the most variance.

The older grid search:

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

from cfgmft.errors import InfeasibleError, NumericalError, ParameterError, check_choice, check_int, check_real
from cfgmft.schedules import Constant, NegativeWindow

from cfgmft.results import Prediction

from .exponential import predict_exponential
from .schedule_search import FAMILIES, T_MAX_DEFAULT, TheoryModel, family as get_family, optimise

__all__ = ["WindowCandidate", "WindowDesign", "design_negative_window",
           "WINDOW_OMEGAS", "WINDOW_T_LO", "WINDOW_T_HI", "ScheduleDesign", "design_schedule", "check_band",
           "DESIGN_FAMILIES", "DEFAULT_BAND", "PEAK_MAX"]

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
    prior, sigma2, alpha, sampler, T
        the problem, as for
        :func:`cfgmft.solvers.exponential.predict_exponential`; ``alpha`` finite ``> 0`` (at
        ``alpha = 0`` guidance is inert and there is nothing to design).
    omega
        the guidance before the window, also the constant guidance the design is
        compared with (``>= 0``).
    window_omegas
        depths ``omega_neg < 0`` of the window.
    t_lo, t_hi
        start and end times of the window (``>= 0``); every pair with ``t_lo < t_hi``
        is a candidate.
    omega_late
        guidance after the window (towards ``t = 0``, each ``>= -1``); ``None`` for
        ``(0, omega)``.
    min_margin_fraction
        an admissible candidate keeps at least this fraction (``>= 0``) of
        the margin of constant guidance ``omega``.

    Notes
    -----
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


# -- the constrained design (cfgmft schedule design) ------------------------------------------

#: families a design can use (``negwin`` and ``negramp`` have a negative part; the others are
#: the non-negative families of claim C5)
DESIGN_FAMILIES = tuple(FAMILIES)
#: default band of the variance ratio
DEFAULT_BAND = (0.98, 1.02)
#: largest peak guidance a design takes
PEAK_MAX = 100.0


def check_band(band) -> tuple:
    """``(lo, hi)`` with ``0 < lo < hi`` finite, from a pair or the text ``"LO:HI"``
    (``ParameterError`` naming ``variance_band``)."""
    if isinstance(band, str):
        parts = band.split(":")
        if len(parts) != 2:
            raise ParameterError("variance_band", f"must be LO:HI with 0 < LO < HI, got {band!r}")
        band = parts
    try:
        lo, hi = band
    except (TypeError, ValueError):
        raise ParameterError("variance_band", f"must be a pair LO:HI with 0 < LO < HI, got {band!r}") from None
    lo = check_real("variance_band", lo, lo=0.0, lo_open=True, hi=1e6)
    hi = check_real("variance_band", hi, lo=0.0, lo_open=True, hi=1e6)
    if not lo < hi:
        raise ParameterError("variance_band", f"is empty: needs LO < HI with 0 < LO, got {lo:g}:{hi:g}")
    return lo, hi


@dataclass(frozen=True)
class ScheduleDesign:
    """The result of :func:`design_schedule`.

    ``schedule``: the design; ``design``, ``constant``, ``unguided``: the theory's numbers
    (``var_ratio``, ``m_final``, ``separability``, ...) of the design, of constant guidance at
    the peak and of ``omega = 0``; ``finite_d``: the finite-d model's numbers for the three
    (``None`` without ``d``); ``search``: what the optimiser did; ``notes``.
    """

    schedule: object
    family: str
    peak: float
    band: tuple
    model: dict
    separability: str
    design: dict
    constant: dict
    unguided: dict
    finite_d: Optional[dict]
    search: dict
    notes: tuple

    def to_dict(self) -> dict:
        """The JSON form (``schedule``: the text form ``--schedule`` accepts)."""
        return {"schedule": self.schedule.spec, "schedule_json": self.schedule.to_json(), "family": self.family,
                "peak": self.peak, "variance_band": list(self.band), "model": self.model,
                "separability": self.separability, "design": self.design, "constant": self.constant,
                "unguided": self.unguided, "finite_d": self.finite_d, "search": self.search,
                "notes": list(self.notes)}


def _in_band(v: float, band) -> bool:
    return band[0] <= v <= band[1]


class _Progress:
    """The design's progress, per stage (the d -> infinity search, then the finite-d one, whose
    evaluations cost far more): ``progress(done, total, stage)`` after each model evaluation, ``total``
    the stage's evaluation budget (:func:`~cfgmft.solvers.schedule_search.evaluation_budget`; a
    stage that stops early ends at its budget); nothing with ``progress=None``."""

    def __init__(self, progress, budgets):
        self.progress, self.budgets = progress, list(budgets)
        self.done, self.stage = 0, None

    def counted(self, fn, stage: str):
        if self.progress is None:
            return fn

        def f(*a, **k):
            try:
                return fn(*a, **k)
            finally:
                if stage != self.stage:  # the first evaluation of a stage's own count
                    self.stage, self.done = stage, 0
                self.done = min(self.done + 1, self.budgets[0])
                self.progress(self.done, self.budgets[0], stage)
        return f

    def next_stage(self) -> None:
        if self.progress is not None and self.stage is not None:
            self.progress(self.budgets[0], self.budgets[0], self.stage)
        self.stage = None  # closed: a second call writes nothing
        if len(self.budgets) > 1:
            self.budgets.pop(0)

    def finish(self) -> None:
        self.next_stage()


def design_schedule(prior: str = "sphere", sigma2: float = 1.0, peak: float = 3.0, sampler: str = "sde", *,
                    alpha: float = math.inf, d: Optional[int] = None, K: Optional[int] = None,
                    band=DEFAULT_BAND, family: str = "negwin", T: Optional[float] = None,
                    t_max: float = T_MAX_DEFAULT, n_global: int = 64, n_starts: int = 2, maxiter: int = 60,
                    seed: int = 0, finite_d_samples: int = 4000, finite_d_steps: int = 200,
                    finite_d_global: int = 32, finite_d_maxiter: int = 30, rule=None, grid=None,
                    update: Optional[str] = None, progress=None) -> ScheduleDesign:
    """The schedule of ``family`` with peak guidance ``peak`` that maximises separability with
    its variance ratio inside ``band`` (module docstring).

    Parameters
    ----------
    prior, sigma2, sampler, T
        the problem (``gaussian`` or ``sphere`` prior).
    peak
        the family's peak guidance ``W`` in ``(0, 100]`` (``negwin``/``negramp``/``lhl``: the
        guidance before the window / at its high; ``interval``/``constant``/``table``: the
        largest strength allowed; ramps: twice the mean).
    alpha
        ``math.inf`` (default) for the infinite-class limit, ``> 0`` for the exponential
        regime. With ``d`` (and then ``K = round(e^{alpha d})`` unless ``K`` is given) the
        finite-``d`` correction runs; ``K`` alone at ``d`` is read as ``alpha = log(K)/d``.
    d
        the dimension of the finite-``d`` model (needs a finite ``K``). In the infinite-class
        limit the gaussian theory is exact at every ``d`` (``d`` only noted), and the sphere
        continuum has no finite-``d`` model (refused).
    band
        ``(lo, hi)`` or ``"LO:HI"``, ``0 < lo < hi``.
    family
        one of :data:`DESIGN_FAMILIES`.
    t_max
        the largest time a parameter ranges over.
    n_global, n_starts, maxiter, seed
        the optimiser (:func:`cfgmft.solvers.schedule_search.optimise`).
    progress
        ``None``, or a callable ``progress(done, total, stage)`` called after each model evaluation
        (``total``: the most evaluations the stage ``stage`` can make; ``cfgmft schedule design``
        shows one bar with an ETA per stage).
    rule
        the guidance rule (:mod:`cfgmft.guidance`; ``None``: cfg): the schedule is designed for it,
        on its ``d -> infinity`` theory, then (``d`` with a finite ``K``) on the rule's finite-``d``
        model (:func:`cfgmft.solvers.finite_d.predict_finite_d` with ``rule``).
    grid, update
        the user's sampler grid (:func:`cfgmft.grids.sigma_grid`) and update rule
        (:data:`cfgmft.updates.UPDATES`): the objective and the constraint are then the
        discrete-grid theory's (:func:`cfgmft.solvers.discrete_grid.predict_discrete`, started from
        ``N(0, sigma_0^2 I)``), so the design meets its band on that grid; ``sampler`` and ``T``
        are then the update's and the grid's; every rule (its grid-only options too, where the grid
        theory has them); the finite-``d`` stage (``d`` with a finite
        ``K``) runs the reduced model by the same update rule on the same grid
        (:func:`cfgmft.solvers.finite_d.predict_finite_d_grid`; ``finite_d_steps`` is then not used).
    finite_d_samples, finite_d_steps, finite_d_global, finite_d_maxiter
        the finite-``d`` stage: the
        same optimiser, started from the ``d -> infinity`` design, with the variance ratio of the
        reduced model (``finite_d_samples`` samples, ``finite_d_steps`` steps, one seed: common
        random numbers) as the constraint and the theory's separability as the objective.

    Notes
    -----
    Raises ``ParameterError`` naming the argument for bad input (an empty band, a peak out of
    range, an unknown family, a non-negative family asked for a band above 1, which claim C5's
    comparison argument rules out in every theory here) and :class:`InfeasibleError` when no
    schedule of the family meets the band.
    """
    prior = check_choice("prior", prior, ("gaussian", "sphere"))
    sampler = check_choice("sampler", sampler, ("sde", "ode"))
    sigma2 = check_real("sigma2", sigma2, lo=1e-8, hi=1e8)
    W = check_real("peak", peak, lo=0.0, lo_open=True, hi=PEAK_MAX)
    band = check_band(band)
    fam = get_family(family)
    t_max = check_real("t_max", t_max, lo=0.1, hi=50.0)
    n_global = check_int("n_global", n_global, lo=1, hi=1 << 16)
    n_starts = check_int("n_starts", n_starts, lo=0, hi=64)
    maxiter = check_int("maxiter", maxiter, lo=1, hi=100000)
    from cfgmft.guidance import as_rule

    rule = as_rule(rule)
    if fam.nonnegative and band[0] > 1.0 and rule.reduces_to_cfg:
        raise ParameterError("family", f"{fam.name!r} has omega(t) >= 0, which cannot raise the variance ratio above 1 "
                                       f"(claim C5), so it cannot meet the band {band[0]:g}:{band[1]:g}; use negwin or "
                                       "negramp, or a band that reaches 1 or below")
    notes = []
    if K is not None:
        K = check_int("K", K, lo=2)
        if d is None:
            raise ParameterError("d", f"is needed to read K = {K} classes as alpha = log(K)/d")
        alpha = math.log(K) / d
    alpha = check_real("alpha", alpha, lo=0.0) if math.isfinite(alpha) else math.inf
    if alpha == 0.0:
        raise ParameterError("alpha", "at alpha = 0 guidance is inert in the d -> infinity theory (exact sampling): "
                                      "nothing to design; use alpha > 0 or the infinite-class limit")
    finite = False
    if d is not None:
        d = check_int("d", d, lo=3)
        if math.isinf(alpha):
            if prior == "sphere":
                raise ParameterError("d", "the sphere continuum has no finite-d model: design on the d -> infinity "
                                          "theory (omit d) or use the gaussian prior (exact at every d)")
            notes.append(f"gaussian continuum: the theory is exact at every d, so the design holds at d = {d}")
        else:
            finite = True
            if K is None:
                if alpha * d > 700:
                    raise ParameterError("d", f"alpha d = {alpha * d:g} exceeds 700 (K = e^(alpha d) overflows)")
                K = int(round(math.exp(alpha * d)))
                if K < 2:
                    raise ParameterError("alpha", f"K = round(e^(alpha d)) = {K} at d = {d}: needs K >= 2")
            notes.append(f"designed on the d -> infinity mean field at alpha = log(K)/d = {alpha:.6g}, then corrected "
                         f"on the finite-d model at d = {d}, K = {K}" + (" (run by the update rule on the grid)"
                                                                         if grid is not None else ""))
    if finite and grid is not None and as_rule(rule).grid_only:
        raise ParameterError("guidance", f"the finite-d model does not take {as_rule(rule).spec}'s grid-only options "
                                         "(momentum, zero_init): leave them out, or design without --d")
    model = TheoryModel(prior, sigma2, sampler, alpha, T, rule=rule, grid=grid, update=update)
    if model.grid is not None:
        sampler, T = model.sampler, float(model.grid.t[0])
        notes.append(f"designed on the grid {model.grid.spec} with the {model.update} update (discrete-grid theory, "
                     f"start N(0, sigma_0^2 I)): the numbers are that grid's")
    lo, hi = band

    def constraint(nums):
        v = math.exp(nums["log_var_ratio"])
        return min(v - lo, hi - v)

    from .schedule_search import evaluation_budget

    budgets = [evaluation_budget(fam, W, t_max=t_max, n_global=n_global, n_starts=n_starts, maxiter=maxiter)]
    if finite:
        budgets.append(evaluation_budget(fam, W, t_max=t_max, n_global=finite_d_global, n_starts=n_starts,
                                         maxiter=finite_d_maxiter, extra=1) + 2)  # + constant CFG and omega = 0
    counter = _Progress(progress, budgets)
    res = optimise(fam, W, counter.counted(model, f"search on the {model.regime}"), lambda nums: nums["separability"],
                   constraint, t_max=t_max, n_global=n_global, n_starts=n_starts, maxiter=maxiter, seed=seed)
    counter.next_stage()
    search = {"global_evaluations": res.n_global, "local_evaluations": res.n_local,
              "feasible_evaluations": sum(e.feasible for e in res.evaluations), "local_messages": res.local_messages,
              "method": "scrambled Sobol scan, then scipy.optimize.minimize (COBYLA) from the best points",
              "seed": seed, "t_max": t_max, "parameters": list(fam.params)}
    if res.best is None and not (finite and res.closest is not None):
        closest = res.closest
        where = (f"; the closest has var_ratio = {closest.numbers['var_ratio']:.4g} ({closest.schedule.spec})"
                 if closest is not None else "")
        raise InfeasibleError(f"no {fam.name} schedule with peak {W:g} puts the variance ratio inside "
                              f"{lo:g}:{hi:g} in the {model.regime} ({len(res.evaluations)} schedules tried){where}")
    best = res.best if res.best is not None else res.closest  # the closest only as the finite-d stage's start
    schedule = best.schedule
    model_info = {"theory": model.regime, "guidance": rule.spec, "prior": prior, "sigma2": sigma2, "sampler": sampler,
                  "alpha": None if math.isinf(alpha) else alpha, "T": T, "d": d, "K": K,
                  "grid": None if model.grid is None else model.grid.spec,
                  "update": None if model.grid is None else model.update}
    fd_numbers = None
    if finite:
        from .finite_d import predict_finite_d as _fd
        from cfgmft.grids import DEFAULT_MC_T

        T_fd = DEFAULT_MC_T if T is None else T

        def fd(sch):
            if model.grid is not None:  # the reduced model run by the update rule on the grid
                from .finite_d import predict_finite_d_grid

                r = predict_finite_d_grid(prior, sigma2, sch, model.update, model.grid, K=K, d=d,
                                          samples=finite_d_samples, seed=seed, rule=rule)
            else:
                r = _fd(prior, sigma2, sch, sampler, K=K, d=d, T=T_fd, steps=finite_d_steps, samples=finite_d_samples,
                        seed=seed, rule=rule)
            return {k: r[k] for k in ("m_final", "mean_shift", "var_ratio", "var_ratio_parallel")}

        def fd_model(sch):
            nums = dict(model(sch))  # the theory's numbers: separability, status
            r = fd(sch)
            v = r["var_ratio"]["mean"]
            if not v > 0:
                raise NumericalError(f"finite-d variance ratio {v} for {sch.spec}")
            nums.update(theory_var_ratio=nums["var_ratio"], var_ratio=v, log_var_ratio=math.log(v),
                        finite_d=r)
            return nums

        fd_model = counter.counted(fd_model, f"search on the finite-d model at d = {d}, K = {K}")
        fd_res = optimise(fam, W, fd_model, lambda nums: nums["separability"], constraint, t_max=t_max,
                          n_global=finite_d_global, n_starts=n_starts, maxiter=finite_d_maxiter, seed=seed,
                          extra_points=[best.x])
        search.update(finite_d_global_evaluations=fd_res.n_global, finite_d_local_evaluations=fd_res.n_local,
                      finite_d_feasible_evaluations=sum(e.feasible for e in fd_res.evaluations),
                      finite_d_samples=finite_d_samples,
                      finite_d_steps=None if model.grid is not None else finite_d_steps,
                      theory_design=best.schedule.spec if res.best is not None else None,
                      finite_d_start=best.schedule.spec)
        if fd_res.best is None:
            closest = fd_res.closest
            where = (f"; the closest has var_ratio = {closest.numbers['var_ratio']:.4g} ({closest.schedule.spec})"
                     if closest is not None else "")
            raise InfeasibleError(f"on the finite-d model at d = {d}, K = {K} no {fam.name} schedule with peak {W:g} "
                                  f"puts the variance ratio inside {lo:g}:{hi:g} ({len(fd_res.evaluations)} schedules "
                                  f"tried, starting from {best.schedule.spec}){where}")
        schedule = fd_res.best.schedule
        fd_design = fd_res.best.numbers["finite_d"]
        fd = counter.counted(fd, f"search on the finite-d model at d = {d}, K = {K}")  # + constant CFG, omega = 0
        fd_numbers = {"design": fd_design, "constant": fd(Constant(W)), "unguided": fd(Constant(0.0)),
                      "d": d, "K": K, "note": "numbers are {mean, stderr} over the reduced model's samples; "
                                              "separability is the d -> infinity theory's"}
        design_numbers = model(schedule)
        notes.append("the band applies to the finite-d model's variance ratio (finite_d.design); 'design' holds the "
                     "d -> infinity theory's numbers of the same schedule")
    else:
        design_numbers = best.numbers
    if not math.isinf(alpha) and design_numbers["status"] != "committed":
        notes.append(f"the design does not commit in the d -> infinity theory (status {design_numbers['status']!r})")
    counter.finish()
    return ScheduleDesign(schedule, fam.name, W, band, model_info, model.separability_key, design_numbers,
                          model(Constant(W)), model(Constant(0.0)), fd_numbers, search, tuple(notes))
