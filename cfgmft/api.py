"""The Python face of cfgmft, mirroring the CLI.

* :func:`predict` is ``cfgmft theory`` (the regime is read from the problem);
  :func:`predict_finite_d` is ``cfgmft theory --finite-d``;
* :func:`simulate` is ``cfgmft simulate``: exact-score Monte Carlo of one problem (the
  lower levels are :func:`cfgmft.validation.montecarlo.run_monte_carlo`, sampling plus
  estimators for one mixture, and :func:`cfgmft.validation.samplers.sample`, one integration);
* :func:`run_simulations` is a sweep of :func:`simulate` units (``cfgmft validate`` runs one).

Every function takes the problem objects of :mod:`cfgmft.params` and returns dictionaries
whose keys are the CLI's JSON keys, in the convention ``s = (1+omega) s_c - omega s_u`` and in
float64. Errors name the Python arguments; the CLI maps them to its flags.

Monte Carlo (:func:`simulate`). The class means are quenched disorder: ``disorder = R`` draws ``R`` independent mixtures
(each with its own target class ``c = 0``), each sampled with ``samples`` points. With
``R >= 2`` the reported standard error is that of the mean over draws,
``sqrt(Var_draws / R)``, which contains both the sampling noise and the disorder (floored
at the mean squared sampling error of one draw over ``R``, since with few draws the spread
over draws is itself a noisy estimate); with
``R = 1`` it is the sampling error of that one mixture only (the output says which).

Seeds: ``SeedSequence(seed)`` spawns one child per draw, which spawns the means' and the
sampler's streams; a result depends only on ``seed`` (not on batch sizes or class chunks).

Precision: float64 by default. ``precision='float32'`` (finite ``K`` only) stores the class
means in float32 and does the streamed sums over classes (the two ``N x K x d`` matrix
products, the shift and the ``exp``) in float32, with float64 accumulators; the sampler state,
the noise, the integrator and the estimators stay float64 (docs/explanation/infinite-class.md, "float32"). It is refused
for the continuum (``classes = inf``, nothing to gain) and where the estimated float32
rounding of the logits, :data:`FLOAT32_MAX_LOGIT_ERROR`, would be exceeded.
"""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np

from . import __version__
from .conventions import CONVENTION, KL_CONVENTION
from .errors import NumericalError, ParameterError, check_choice, check_int, check_real, check_seed
from .params import DEFAULT_MC_T, Problem
from .ranges import DEFAULT_STEPS, DISORDER_MAX, FLOAT32_MAX_LOGIT_ERROR, SAMPLES_MAX, STEPS_MAX, TOL_MAX, TOL_MIN, machine_memory
from .results import ONE_DRAW_CONVENTION, OVER_DRAWS_CONVENTION, Prediction, Simulation, over_draws, wilson_interval
from .sweep import canonical_unit

#: Keys of a prediction that later theories fill (null where they do not apply).
NULL_KEYS = ("t_commit", "t_condense", "t_collapse", "margin")



def check_problem(problem) -> Problem:
    """``problem`` if it is a :class:`cfgmft.params.Problem`, else a :class:`ParameterError`
    naming ``problem`` (every function here takes one)."""
    if not isinstance(problem, Problem):
        raise ParameterError("problem", f"must be a cfgmft.params.Problem (a Mixture, a Guidance and a Sampler), "
                                        f"got {type(problem).__name__}")
    return problem


def predict(problem: Problem, *, grid=None, update: str | None = None, start: str = "edm") -> Prediction:
    """The theory's prediction for ``problem`` (see :func:`_predict`); a floating-point
    overflow or invalid operation anywhere inside is a :class:`NumericalError`, never a
    silent inf or NaN.

    With ``grid`` (a sampler grid, :func:`cfgmft.grids.sigma_grid`: ``karras:N:SMIN:SMAX[:RHO]``,
    ``ddim:N[:T...]``, ``sigmas:...``) and ``update`` (:data:`cfgmft.updates.UPDATES`), the
    prediction on that discrete grid with that update rule
    (:func:`cfgmft.solvers.discrete_grid.predict_discrete`, started from ``N(0, sigma_0^2 I)`` in
    EDM's scale): the same keys, plus ``grid``, ``update``, ``update_formula``, ``steps`` and
    ``omega_steps``; the problem's ``sampler`` is replaced by the rule's continuous-time limit
    (``ode`` for euler, heun, ddim; ``sde`` for ancestral) and ``T`` by the grid's start.
    ``start``: ``'edm'`` (``xs ~ N(0, sigma_0^2 I)``, k-diffusion, diffusers' Euler discrete) or
    ``'unit'`` (``N(0, (1 + sigma_0^2) I)``: ``x_T ~ N(0, I)`` in the VP scale, diffusers' DDIM and
    EDM schedulers)."""
    check_problem(problem)
    if (grid is None) != (update is None):
        raise ParameterError("grid" if grid is None else "update",
                             "--grid and --update go together: a sampler grid needs an update rule and vice versa")
    start = _check_start(grid, start)
    _check_rule_grid(problem, grid)
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            if grid is not None:
                return _predict_grid(problem, grid, update, start)
            return _predict(problem)
    except (FloatingPointError, OverflowError) as e:
        raise NumericalError(f"floating-point failure ({e}) for {problem.guidance.schedule.spec}, "
                             f"sigma2 = {problem.mixture.sigma2:g}") from None


def _predict(problem: Problem) -> dict:
    """The theory's prediction for ``problem``.

    Infinite-class limit (``classes = inf``): CFG between the class Gaussian and the
    continuum unconditional density, exact at any ``d`` for the ``gaussian`` prior
    (closed forms for constant ``omega`` and ``T -> infinity``, quadratures otherwise) and
    the ``d -> infinity`` mean-field equations for the ``sphere`` prior.

    Exponential regime (``alpha``, or a finite ``K`` at dimension ``d`` read as
    ``alpha = log(K)/d``): the ``d -> infinity`` random-energy mean field
    (:func:`cfgmft.solvers.exponential.predict_exponential`), with the commitment, condensation
    and collapse times and the margin filled in; ``alpha = 0`` is the sub-exponential limit.

    Every prediction has ``log_var_ratio`` (natural log) next to ``var_ratio =
    exp(log_var_ratio)``, and ``kl_per_dim`` is computed from the log: a ``var_ratio`` below
    float64's range is ``0.0`` with the exact ``log_var_ratio`` and KL (a note says so), not
    a failure; a non-finite value is a :class:`NumericalError`.
    """
    mix, guid, samp = problem.mixture, problem.guidance, problem.sampler
    omega = guid.omega if guid.is_constant else guid.schedule
    out = problem.to_dict()
    out.pop("steps", None)
    rule = None if guid.is_cfg else guid.rule  # a rule that is not linear CFG: solvers.rules
    if rule is not None and mix.prior not in ("gaussian", "sphere"):
        raise ParameterError("guidance", f"the theory of the rule {rule.spec} covers the gaussian and sphere priors; "
                                         f"got {mix.prior!r}: use cfgmft simulate")
    if mix.regime == "infinite" and rule is not None:
        from .solvers.rules import predict_rule

        pred = predict_rule(mix.prior, mix.sigma2, omega, samp.kind, rule, T=samp.T)
        theory = (f"infinite-class limit, guidance rule {rule.spec}: d -> infinity mean field (the rule is nonlinear "
                  "in x: not exact at finite d)")
        extra = {k: None for k in NULL_KEYS}
        extra.update(status=pred.status, message=pred.message)
        notes = [pred.message]
    elif mix.regime == "infinite":
        from .solvers.infinite_class import predict_infinite_class

        pred = predict_infinite_class(mix.prior, mix.sigma2, omega, samp.kind, T=samp.T)
        theory = "infinite-class limit" + (" (d -> infinity mean field)" if mix.prior == "sphere" else " (exact at any d)")
        extra = {k: None for k in NULL_KEYS}
        extra.update(status=pred.status, message=pred.message)
        notes = list(pred.notes)
    else:
        from .solvers.exponential import T_DEFAULT, predict_exponential, start_time

        if mix.prior in ("given", "antipodal"):
            raise ParameterError("prior", f"{mix.prior!r} has no d -> infinity theory here beyond its sub-exponential "
                                            "limit (exact sampling); use 'gaussian' or 'sphere', or cfgmft simulate/validate")
        if mix.alpha is None and mix.d is None:
            raise ParameterError("d", f"is needed to read classes = {mix.classes} as alpha = log(K)/d")
        alpha = mix.alpha_effective
        T = start_time(samp.T)
        if rule is not None:
            from .solvers.rules import predict_rule

            pred = predict_rule(mix.prior, mix.sigma2, omega, samp.kind, rule, alpha=alpha, T=T)
        else:
            pred = predict_exponential(mix.prior, mix.sigma2, omega, samp.kind, alpha=alpha, T=T)
        theory = "exponential-class regime, random-energy mean field (d -> infinity)"
        if rule is not None:
            theory += f", guidance rule {rule.spec}"
        t_commit = pred.t_commit
        if T is None and t_commit is not None and t_commit >= T_DEFAULT:
            # the stand-in start of T -> infinity is not a time: it commits at the start
            t_commit = None
        extra = {"t_commit": t_commit, "t_condense": pred.t_condense, "t_collapse": pred.t_collapse,
                 "margin": pred.margin, "status": pred.status, "message": pred.message,
                 "condensed_before_commit": pred.condensed_before_commit}
        out["alpha"] = alpha
        notes = [pred.message]
        if t_commit is None and pred.t_commit is not None:
            notes.append("commits at the start of sampling (T -> infinity): t_commit is null")
        if mix.alpha is None:
            notes.append(f"K = {mix.classes} classes at d = {mix.d} read as alpha = log(K)/d = {alpha:.6g}")
    critical = _critical_alpha(problem, omega)
    if critical is not None:
        notes.append(critical.pop("_note"))
        extra.update(critical)
    values = {
        "m_final": pred.m_final,
        "mean_shift": pred.mean_shift,
        "var_ratio": pred.var_ratio,
        "log_var_ratio": pred.log_var_ratio,
        "kl_per_dim": pred.kl_per_dim,
        # separability of the infinite-class limit (docs/explanation/model.md section 4); the exponential
        # regime's separability is the margin
        "log_odds": pred.get("log_odds"),
    }
    for key, v in {**values, **{k: extra[k] for k in NULL_KEYS}}.items():
        if v is not None and not math.isfinite(v):
            raise NumericalError(f"{key} is not finite ({v}) for {problem.guidance.schedule.spec}, "
                                 f"sigma2 = {mix.sigma2:g}")
    out.update(
        version=__version__,
        theory=theory,
        convention=guid.rule.convention,
        precision="float64",
        kl_convention=KL_CONVENTION,
        method=getattr(pred, "method", "mean_field_numba"),
        notes=notes,
        **values,
        **extra,
    )
    return Prediction(**out)


def _check_rule_grid(problem: Problem, grid) -> None:
    """Refuse a rule's grid-only options (APG's momentum, CFG-Zero*'s zero-init) without a sampler
    grid, before any work (:func:`cfgmft.guidance.check_continuous`)."""
    if grid is None:
        from .guidance import check_continuous

        check_continuous(problem.guidance.rule)


def _critical_alpha(problem: Problem, omega) -> dict | None:
    """``alpha_c`` of ``problem``'s prior, variance, guidance (any schedule), sampler and ``T``
    (:func:`cfgmft.solvers.phase.alpha_c_schedule`: commitment before ``t = 0`` iff ``alpha <
    alpha_c``) and the side of it the problem is on: ``alpha_c``, ``alpha_c_side`` (``'below'``:
    commits, ``'above'``: never commits; the infinite-class limit is ``alpha = inf``) and a note;
    ``None`` for the priors without a ``d -> infinity`` theory."""
    from .solvers.exponential import start_time
    from .solvers.phase import alpha_c_schedule

    mix, samp = problem.mixture, problem.sampler
    if mix.prior not in ("gaussian", "sphere"):
        return None
    ac = alpha_c_schedule(omega, sigma2=mix.sigma2, sampler=samp.kind, prior=mix.prior, T=start_time(samp.T),
                          rule=problem.guidance.rule)
    alpha = math.inf if mix.regime == "infinite" else mix.alpha_effective
    if not math.isfinite(ac):
        return {"alpha_c": None, "alpha_c_side": "below" if math.isfinite(alpha) else "above",
                "_note": "alpha_c: commitment persists beyond alpha = 1000"}
    side = "below" if alpha < ac else "above"
    where = "alpha = inf (infinite-class limit)" if math.isinf(alpha) else f"alpha = {alpha:.6g}"
    meaning = "commits before t = 0" if side == "below" else "never commits before t = 0"
    return {"alpha_c": ac, "alpha_c_side": side,
            "_note": f"alpha_c = {ac:.6g} for this guidance, prior, sigma2 and sampler: {where} is {side} it "
                     f"({meaning})"}


def _check_grid_problem(problem: Problem, grid, update):
    from .grids import sigma_grid
    from .updates import check_update

    check_update(update)
    try:
        g = sigma_grid(grid)
    except ParameterError as e:
        raise ParameterError("grid", str(e).removeprefix("sigma_grid").lstrip(": ")) from None
    if problem.sampler.T is not None:
        raise ParameterError("T", "is set by the grid (its first noise level); leave it out with --grid")
    from .updates import check_grid_rule

    check_grid_rule(problem.guidance.rule, g, update)
    return g


def _start_text(start: str) -> str:
    from .updates import STARTS

    return STARTS[start]


def _check_start(grid, start) -> str:
    from .updates import check_start

    start = check_start(start)
    if grid is None and start != "edm":
        raise ParameterError("start", "applies to a sampler grid only: give --grid and --update with it")
    return start


def _predict_grid(problem: Problem, grid, update, start: str = "edm") -> Prediction:
    """The discrete-grid prediction (:func:`predict` with ``grid`` and ``update``)."""
    from .solvers.discrete_grid import predict_discrete

    g = _check_grid_problem(problem, grid, update)
    mix, guid = problem.mixture, problem.guidance
    omega = guid.omega if guid.is_constant else guid.schedule
    rule = None if guid.is_cfg else guid.rule  # another rule: its d -> infinity guided score in the maps
    if rule is not None and mix.prior not in ("gaussian", "sphere"):
        raise ParameterError("guidance", f"the theory of the rule {rule.spec} covers the gaussian and sphere priors; "
                                         f"got {mix.prior!r}")
    out = problem.to_dict()
    out.pop("steps", None)
    if mix.regime == "infinite":
        pred = predict_discrete(mix.prior, mix.sigma2, omega, update, g, start=start, rule=rule)
        theory = ("infinite-class limit on a discrete grid" +
                  (" (d -> infinity mean field)" if mix.prior == "sphere" or rule is not None else " (exact at any d)"))
    else:
        if mix.prior in ("given", "antipodal"):
            raise ParameterError("prior", f"{mix.prior!r} has no d -> infinity theory here; use 'gaussian' or 'sphere'")
        if mix.alpha is None and mix.d is None:
            raise ParameterError("d", f"is needed to read classes = {mix.classes} as alpha = log(K)/d")
        pred = predict_discrete(mix.prior, mix.sigma2, omega, update, g, alpha=mix.alpha_effective, start=start,
                                rule=rule)
        theory = "exponential-class regime on a discrete grid, random-energy mean field (d -> infinity)"
        out["alpha"] = mix.alpha_effective
    notes = [f"update rule {update}: {pred.update_formula}",
             f"start {_start_text(start)}, sigma_0 = {pred.sigma_max:g} (t_0 = {pred.t_start:.6g})",
             f"omega_i read at the midpoint in t of each step; continuous-time limit: the {pred.continuum_sampler} "
             "sampler from T = t_0"]
    if rule is not None:
        theory += f", guidance rule {rule.spec}"
    out.update(sampler=pred.continuum_sampler, T=pred.t_start, version=__version__, theory=theory,
               convention=guid.rule.convention, precision="float64", kl_convention=KL_CONVENTION, method=pred.method,
               notes=notes, grid=pred.grid, update=update, update_formula=pred.update_formula, steps=pred.steps,
               start=start,
               omega_steps=pred.omega_steps,
               **{k: pred[k] for k in ("m_final", "mean_shift", "var_ratio", "log_var_ratio", "kl_per_dim", "status",
                                       "message", "t_commit", "t_condense", "t_collapse", "margin")})
    for key in ("condensed_before_commit", "switching_min_abs", "switching"):
        if key in pred:
            out[key] = pred[key]
    if pred.get("switching_min_abs") is not None:
        notes.append(f"commitment at finite d: the prediction needs d * {pred['switching_min_abs']:.4g} >> 1 "
                     "(min |e_c - phi| over the model evaluations)")
    return Prediction(**out)


def predict_finite_d(problem: Problem, *, samples: int = 20000, steps: int = 1000, seed: int = 0, grid=None,
                     update: str | None = None, start: str = "edm") -> Prediction:
    """Finite-``d`` prediction for ``problem`` (its mixture needs ``d`` and a finite ``K``;
    ``gaussian`` or ``sphere`` prior): the reduced stochastic model of
    :mod:`cfgmft.solvers.finite_d` (smooth commitment, per-sample fluctuations, quenched
    finite-``K`` competitors, the gaussian prior's norm fluctuations). Returns the
    observables as ``{"mean", "stderr"}`` (the model's own sampling error) with the
    problem's parameters.

    With ``grid`` and ``update`` (as for :func:`predict`) the reduced model is run by that update
    rule on that grid (:func:`cfgmft.solvers.finite_d.predict_finite_d_grid`: the steps are exact
    for the model's denoiser, the grid adds no approximation of its own); ``steps`` (the
    continuous-time integration's) is then not used, and the problem's ``sampler`` and ``T`` are the
    grid's."""
    from .solvers.finite_d import predict_finite_d as _fd

    check_problem(problem)
    if (grid is None) != (update is None):
        raise ParameterError("grid" if grid is None else "update",
                             "--grid and --update go together: a sampler grid needs an update rule and vice versa")
    start = _check_start(grid, start)
    g = _check_grid_problem(problem, grid, update) if grid is not None else None
    seed = check_seed("seed", seed)
    check_int("samples", samples, lo=200, hi=SAMPLES_MAX, strict=True)
    check_int("steps", steps, lo=1, hi=STEPS_MAX, strict=True)
    mix, guid, samp = problem.mixture, problem.guidance, problem.sampler
    if mix.d is None:
        raise ParameterError("d", "the finite-d prediction needs the dimension d")
    if mix.regime == "infinite":
        raise ParameterError("classes", "the finite-d prediction needs a finite number of classes (or alpha)")
    if mix.prior not in ("gaussian", "sphere"):
        raise ParameterError("prior", f"the finite-d prediction needs i.i.d. class means (gaussian or sphere), got {mix.prior!r}")
    omega = guid.omega if guid.is_constant else guid.schedule
    T = DEFAULT_MC_T if samp.T is None else samp.T
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            if g is not None:
                from .solvers.finite_d import predict_finite_d_grid

                res = predict_finite_d_grid(mix.prior, mix.sigma2, omega, update, g, K=int(mix.K), d=int(mix.d),
                                            samples=samples, seed=seed, start=start, rule=guid.rule)
            else:
                res = _fd(mix.prior, mix.sigma2, omega, samp.kind, K=int(mix.K), d=int(mix.d), T=T, steps=steps,
                          samples=samples, seed=seed, rule=guid.rule)
    except (FloatingPointError, OverflowError) as e:
        raise NumericalError(f"floating-point failure ({e}) in the finite-d prediction at d = {mix.d}") from None
    out = problem.to_dict()
    if g is not None:
        out.pop("steps", None)
    out.update(version=__version__, convention=CONVENTION,
               theory="finite-d reduced model" + ("" if g is None else f", run by the {update} update on the grid"),
               **res)
    where = "" if g is None else f", on the grid {g.spec} with the {update} update"
    return Prediction(status="finite_d", message=f"reduced stochastic model at d = {mix.d}, K = {mix.K}{where}: {samples} "
                                                 "model samples; numbers are {mean, stderr} over them", **out)


# -- schedule design ---------------------------------------------------------------------------

def design_schedule(mixture, peak: float, sampler="sde", *, band=(0.98, 1.02), family: str = "negwin",
                    seed: int = 0, **search):
    """``cfgmft schedule design``: the schedule of ``family`` with peak guidance ``peak`` that
    maximises class separability with its variance ratio inside ``band``
    (:func:`cfgmft.solvers.design.design_schedule`, whose keywords ``search`` passes on).

    ``mixture`` (:class:`cfgmft.params.Mixture`, ``gaussian`` or ``sphere`` prior) says where:
    ``classes = inf`` is the infinite-class limit; ``alpha`` the exponential regime on the
    ``d -> infinity`` mean field, corrected on the finite-``d`` model when ``d`` is given; a
    finite ``classes`` needs ``d`` (read as ``alpha = log(K)/d``, corrected at that ``d``).
    ``sampler``: ``'sde'``/``'ode'`` or a :class:`cfgmft.params.Sampler` (its ``T``).
    Returns a :class:`cfgmft.solvers.design.ScheduleDesign`; raises ``ParameterError`` for bad
    input and :class:`cfgmft.errors.InfeasibleError` when nothing meets the band."""
    from .params import Mixture, Sampler
    from .solvers.design import design_schedule as _design

    if not isinstance(mixture, Mixture):
        raise ParameterError("mixture", f"must be a cfgmft.params.Mixture, got {type(mixture).__name__}")
    if mixture.prior not in ("gaussian", "sphere"):
        raise ParameterError("prior", f"a design needs the gaussian or sphere prior, got {mixture.prior!r}")
    smp = sampler if isinstance(sampler, Sampler) else Sampler(kind=sampler)
    T = smp.T if smp.T is None or math.isfinite(smp.T) else None
    kw = dict(prior=mixture.prior, sigma2=mixture.sigma2, peak=peak, sampler=smp.kind, band=band, family=family,
              T=T, seed=seed, d=mixture.d, **search)
    if mixture.regime == "infinite":
        kw["alpha"] = math.inf
    elif mixture.regime == "exponential":
        kw["alpha"] = mixture.alpha
    else:
        if mixture.d is None:
            raise ParameterError("d", f"is needed to read classes = {mixture.classes} as alpha = log(K)/d")
        kw["K"] = int(mixture.classes)
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return _design(**kw)
    except (FloatingPointError, OverflowError) as e:
        raise NumericalError(f"floating-point failure ({e}) in the schedule design") from None


def nogo_table(**kwargs) -> list:
    """``cfgmft schedule nogo``: the largest variance ratio of every non-negative family in
    each regime and sampler (claim C5), with the negative window as a control; a list of
    :class:`cfgmft.solvers.nogo.NoGoRow` (:func:`cfgmft.solvers.nogo.nogo_table`, whose keywords
    ``kwargs`` passes on)."""
    from .solvers.nogo import nogo_table as _table

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        return _table(**kwargs)


def frontier(**kwargs):
    """``cfgmft schedule frontier``: for each schedule family, the largest separability with the
    variance ratio at or above each floor of a sweep, in the theory
    (:func:`cfgmft.solvers.frontier.frontier`, whose keywords ``kwargs`` passes on); a
    :class:`cfgmft.solvers.frontier.Frontier`."""
    from .solvers.frontier import frontier as _frontier

    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return _frontier(**kwargs)
    except (FloatingPointError, OverflowError) as e:
        raise NumericalError(f"floating-point failure ({e}) in the frontier") from None


# -- Monte Carlo ------------------------------------------------------------------------------

OBSERVABLES = ("m", "mean_shift", "var_ratio", "var_ratio_parallel", "var_m", "kl_per_dim", "accuracy", "margin",
               "log_odds")
#: the CLI's names for the estimators' fields
KEYS = {"m": "m_final", "mean_shift": "mean_shift", "var_ratio": "var_ratio",
        "var_ratio_parallel": "var_ratio_parallel", "var_m": "var_m",
        "kl_per_dim": "kl_per_dim", "accuracy": "accuracy", "margin": "margin", "log_odds": "log_odds"}
#: keys of :data:`KEYS` that results stored before they existed may lack
OPTIONAL_KEYS = ("log_odds",)




def _denoiser(problem: Problem, d: int, rng, precision: str = "float64", backend: str = "numpy", device=None,
              client=None):
    """``(denoiser, mu_c, target index)`` of one draw of ``problem``'s mixture from ``rng``: in this
    process on ``backend``/``device``, or sharded across ``client``'s workers."""
    from .validation.backends import to_backend

    if client is not None:
        from .validation.sharded import ShardedMixture

        mix = problem.mixture
        den = ShardedMixture(client, mix.K, d, mix.prior, mix.sigma2, rng, precision=precision)
        return den, den.mean_of(mix.target), mix.target
    den, mu_c, c = _denoiser_in_process(problem, d, rng, precision)
    return to_backend(den, backend, device), mu_c, c


def _denoiser_in_process(problem: Problem, d: int, rng, precision: str = "float64"):
    from .validation.mixture import antipodal_means, draw_means
    from .validation.scores import ContinuumGaussian, ContinuumSphere, FiniteMixture

    mix = problem.mixture
    if mix.regime == "infinite":
        mu_c = draw_means(1, d, mix.prior, rng=rng)[0]
        den = ContinuumGaussian(mix.sigma2) if mix.prior == "gaussian" else ContinuumSphere(d, mix.sigma2)
        return den, mu_c, None
    if mix.prior == "given":
        means = mix.means
    elif mix.prior == "antipodal":
        means = antipodal_means(d, rng=rng)
    else:  # drawn straight into the mixture's storage: peak memory ~1.1x the means
        den = FiniteMixture.from_prior(mix.K, d, mix.prior, mix.sigma2, rng=rng, precision=precision)
        return den, den.means[mix.target].astype(np.float64), mix.target
    den = FiniteMixture(means, mix.sigma2, precision=precision)
    return den, den.means[mix.target].astype(np.float64), mix.target


def check_simulation(problem: Problem, *, samples: int = 4096, disorder: int = 1, precision: str = "float64",
                     sharded: bool = False) -> None:
    """Every check :func:`simulate` makes before it computes anything (a :class:`ParameterError`
    naming the argument): the precision, the dimension, a Monte Carlo needs ``K >= 2``, the
    sizes against :mod:`cfgmft.ranges` and against this machine's memory (the class means only
    when they are held here, not ``sharded`` across a cluster)."""
    check_problem(problem)
    mix, samp = problem.mixture, problem.sampler
    if precision not in ("float64", "float32"):
        raise ParameterError("precision", f"must be 'float64' or 'float32', got {precision!r}")
    if precision == "float32" and mix.regime == "infinite":
        raise ParameterError("precision", "float32 is for finite K only; the continuum (classes = inf) runs in float64")
    if mix.d is None:
        raise ParameterError("d", "Monte Carlo needs the dimension d >= 2")
    samples = check_int("samples", samples, lo=2, hi=SAMPLES_MAX, strict=True)
    disorder = check_int("disorder", disorder, lo=1, hi=DISORDER_MAX, strict=True)
    check_int("steps", samp.steps, lo=1, hi=STEPS_MAX)
    d, K = mix.d, mix.K
    if K < 2:
        raise ParameterError("alpha", f"K = round(e^(alpha d)) = {K} at d = {d}: Monte Carlo needs K >= 2 classes "
                                      "(alpha = 0 is the d -> infinity limit of the theory only)")
    memory = machine_memory()
    if K != math.inf and not sharded:
        need = (8.0 if precision == "float64" else 4.0) * K * d
        if need > 0.6 * memory:
            arg = "alpha" if mix.alpha is not None else "classes"
            raise ParameterError(arg, f"K = {K} classes at d = {d} need {need / 2**30:.1f} GiB for the class means, "
                                      f"more than this machine can hold ({memory / 2**30:.0f} GiB)")
    # the samples (n x d, float64) and their per-sample records, a few copies of each
    need = 4.0 * 8.0 * samples * d
    if need > 0.3 * memory:
        raise ParameterError("samples", f"{samples} samples at d = {d} need about {need / 2**30:.1f} GiB, more than "
                                        f"this machine can spare ({memory / 2**30:.0f} GiB)")


def simulate(problem: Problem, *, samples: int = 4096, disorder: int = 1, seed: int = 0,
             precision: str = "float64", progress: bool = False, grid=None, update: str | None = None,
             start: str = "edm", tol: float | None = None, backend: str = "numpy", device: str | None = None,
             scheduler: str | None = None, stages: int | None = None) -> Simulation:
    """Monte Carlo of ``problem`` (its mixture needs ``d``); returns a
    :class:`cfgmft.results.Simulation`, the object of ``cfgmft simulate --json``: every
    observable as ``{"mean", "stderr"}`` (``.estimates``: as :class:`~cfgmft.results.Estimate`),
    the parameters, ``K``, ``seed``, ``backend``, ``seconds_sampling`` (wall seconds of the
    integration loops alone) and ``seconds_total``; ``to_dict``/``to_json`` and back.
    ``progress``: :func:`cfgmft.progress.progress` on standard error, one stage per mixture
    draw (two with ``tol``: the pilot, then the sampling).

    With ``grid`` and ``update`` (see :func:`predict`): the exact-score sampler runs that update
    rule on that grid (:func:`cfgmft.validation.discrete.run_monte_carlo_grid`), from
    ``N(0, sigma_0^2 I)`` in EDM's scale; ``grid``, ``update`` and ``steps`` are echoed, the
    problem's ``sampler`` and ``steps`` are not used; ``start`` as in :func:`predict`; the grid fixes the steps, so
    ``tol`` must be ``None`` with it.


    ``tol`` (``None``: the problem's ``steps``): an absolute tolerance on the step error of
    ``E[m]`` and of the variance ratio. Each mixture draw then gets the number of steps that a
    pilot of :data:`cfgmft.validation.stepcontrol.PILOT` samples puts within ``tol``
    (:func:`cfgmft.validation.stepcontrol.steps_for_tolerance`, seeded from the draw's own
    seed sequence, apart from the means' and the sampler's); ``steps`` is then the largest
    chosen count and ``step_control`` holds each draw's choice, error bound and pilot cost
    (``pilot_seconds`` is outside ``seconds_sampling``; ``main_evaluations`` is samples x
    stages x steps, an upper count: a step with ``omega = 0`` evaluates nothing).

    ``stages``: posterior evaluations per integration step, 1 (the multistep scheme) or 2 (the
    predictor-corrector, :func:`cfgmft.validation.samplers.sample`); ``None`` (default): 2 for
    the SDE under ``tol`` (weak order 2 there, against 1), 1 otherwise. Echoed as ``stages``.

    Where the sums over classes run (:mod:`cfgmft.validation.backends`): ``backend`` ``"numpy"``
    (default) or ``"torch"`` on ``device`` (``cpu``, ``cuda``, ``cuda:N``); or, with
    ``scheduler`` (``"local:N"`` or a dask scheduler address), the classes are sharded across
    the cluster's workers (:mod:`cfgmft.validation.sharded`; drawn priors only, numpy backend).
    The sampler, its noise and the estimators stay numpy float64 in this process, so a seed gives
    the same result on every backend to rounding; ``backend`` and ``device`` are echoed.

    ``seed``: an integer in ``[0, 2^128 - 1]``, or ``None`` for fresh entropy from the operating
    system; the seed used is echoed as ``seed`` either way, so the run can be repeated.

    Every argument is checked before anything is computed (:func:`check_simulation`).

    Parameters
    ----------
    problem : cfgmft.params.Problem
        The mixture (with ``d``; finite ``K``, or ``classes=inf`` for the continuum), the guidance
        and the sampler.
    samples : int
        Samples per mixture draw, 2 to :data:`cfgmft.ranges.SAMPLES_MAX` (default 4096).
    disorder : int
        Independent draws of the class means, 1 to :data:`cfgmft.ranges.DISORDER_MAX` (default
        1); the standard errors cover sampling and disorder together (``stderr_convention``).
    seed : int or None
        See above (default 0).
    precision : {"float64", "float32"}
        Of the sums over classes (finite ``K`` only); the sampler and estimators stay float64.
    progress : bool
        A progress line on standard error.
    grid, update, start : optional
        A sampler grid, its update rule and start (see above and :func:`predict`).
    tol : float or None
        The step-error tolerance (see above).
    backend, device, scheduler, stages : optional
        Where the sums run and how many evaluations a step makes (see above).

    Returns
    -------
    cfgmft.results.Simulation
        Every observable as ``{"mean", "stderr"}``, with the parameters and timings."""
    check_problem(problem)
    seed = np.random.SeedSequence().entropy if seed is None else check_seed("seed", seed)
    if (grid is None) != (update is None):
        raise ParameterError("grid" if grid is None else "update",
                             "--grid and --update go together: a sampler grid needs an update rule and vice versa")
    g = _check_grid_problem(problem, grid, update) if grid is not None else None
    start = _check_start(grid, start)
    _check_rule_grid(problem, grid)
    if tol is not None:
        tol = check_real("tol", tol, lo=TOL_MIN, hi=TOL_MAX)
    if tol is not None and grid is not None:
        raise ParameterError("tol", "does not apply on a sampler grid (--grid fixes the steps): leave --tol out")
    if stages is not None:
        from .validation.samplers import STAGES

        stages = check_int("stages", stages, lo=min(STAGES), hi=max(STAGES), strict=True)
        if grid is not None:
            raise ParameterError("stages", "does not apply on a sampler grid (its update rule fixes the step): leave --stages out")
    else:
        from .validation.stepcontrol import TOL_STAGES

        stages = TOL_STAGES[problem.sampler.kind] if tol is not None else 1  # tol excludes a grid (above)
    from .progress import progress as progress_bar

    backend, device, scheduler = _check_where(problem, backend, device, scheduler)
    check_simulation(problem, samples=samples, disorder=disorder, precision=precision, sharded=scheduler is not None)
    with contextlib.ExitStack() as stack:
        client = None
        if scheduler is not None:
            from .sweep import check_worker_versions, dask_client

            client = stack.enter_context(dask_client(scheduler))
            check_worker_versions(client)
        bar = stack.enter_context(progress_bar(total=disorder * (2 if tol is not None else 1), desc="cfgmft simulate",
                                               unit="stage", enabled=progress))
        return _simulate(problem, samples, disorder, seed, precision, bar, g, update, start, tol, backend, device,
                         client, stages)


def _check_where(problem: Problem, backend, device, scheduler):
    """The checked ``(backend, device, scheduler)`` of :func:`simulate` (``scheduler`` ``None``
    for this process), before anything is computed."""
    from .sweep import parse_scheduler
    from .validation.backends import check_backend

    backend, device = check_backend(backend, device)
    if scheduler is not None and parse_scheduler(scheduler)[0] == "inprocess":
        scheduler = None
    if scheduler is not None:
        mix = problem.mixture
        if mix.regime == "infinite" or mix.prior not in ("gaussian", "sphere"):
            raise ParameterError("scheduler", "shards the drawn classes of a finite mixture (prior gaussian or sphere, "
                                              f"finite K); got prior {mix.prior}, K = {mix.K}")
        if backend != "numpy":
            raise ParameterError("backend", "the shards of --scheduler run numpy on their workers: leave --backend out")
    elif backend == "torch" and problem.mixture.regime == "infinite":
        raise ParameterError("backend", "torch runs the sums over the classes of a finite mixture; "
                                        "the infinite-class limit (classes = inf) has none: use numpy")
    if backend == "torch":
        from .validation.torch_backend import torch_device  # a clear error where torch is absent

        torch_device(device)
    return backend, device, scheduler


def _simulate(problem, samples, disorder, seed, precision, bar, g, update, start, tol, backend, device, client,
              stages=1):
    from .progress import format_seconds
    from .validation.montecarlo import run_monte_carlo
    from .validation.stepcontrol import steps_for_tolerance

    mix, samp = problem.mixture, problem.sampler
    d = mix.d
    K = mix.K
    omega = problem.guidance.omega if problem.guidance.is_constant else problem.guidance.schedule
    T = DEFAULT_MC_T if samp.T is None else samp.T
    children = np.random.SeedSequence(seed).spawn(disorder)
    per_draw = {k: [] for k in OBSERVABLES}
    within = {k: [] for k in OBSERVABLES}
    seconds = 0.0
    t0 = time.perf_counter()
    control = []
    integrated = []  # steps each draw integrated: a schedule's breakpoints are inserted as grid points
    for i, child in enumerate(children):
        means_ss, sampler_ss = child.spawn(2)
        den, mu_c, c = _denoiser(problem, d, means_ss, precision, backend, device, client)
        if precision == "float32":
            err = den.float32_logit_error(0.0)
            if err > FLOAT32_MAX_LOGIT_ERROR:
                raise ParameterError("precision", f"float32 rounds the logits by ~{err:.1g} here (d = {d}, sigma2 = {mix.sigma2:g}), "
                                                    f"above the validated {FLOAT32_MAX_LOGIT_ERROR:g}: use float64")
        steps = samp.steps if g is None else g.steps  # the progress line names the steps that run
        if tol is not None:
            (pilot_ss,) = child.spawn(1)
            clock = time.perf_counter()
            choice = steps_for_tolerance(den, mu_c, mix.sigma2, omega, samp.kind, tol, rng=pilot_ss, T=T, stages=stages,
                                         rule=problem.guidance.rule)
            steps = choice.steps
            control.append({**choice.to_dict(), "pilot_seconds": time.perf_counter() - clock})
            bar.set_postfix_str(f"mixture {i + 1}/{disorder}: the --tol pilot chose {steps} steps in "
                                f"{format_seconds(control[-1]['pilot_seconds'])}", refresh=False)
            bar.update(1)
        if g is not None:
            from .validation.discrete import run_monte_carlo_grid

            res = run_monte_carlo_grid(den, mu_c, mix.sigma2, omega, g, update, n=samples, rng=sampler_ss, c=c,
                                       precision=precision, start=start, rule=problem.guidance.rule)
        else:
            res = run_monte_carlo(den, mu_c, mix.sigma2, omega, samp.kind, n=samples, steps=steps, T=T,
                                  rng=sampler_ss, c=c, precision=precision, stages=stages, rule=problem.guidance.rule)
        seconds += res.seconds_sampling
        integrated.append(int(res.parameters["steps"]))
        bar.set_postfix_str(f"mixture {i + 1}/{disorder}: sampled {samples} x {steps} steps in "
                            f"{format_seconds(res.seconds_sampling)}", refresh=False)
        bar.update(1)
        for k in OBSERVABLES:
            est = getattr(res.estimates, k)
            if est is not None:
                per_draw[k].append(est.value)
                within[k].append(est.stderr)
        where = (den.backend, den.device)
        den = res = None  # this draw's means (or shards) are freed before the next is drawn
    out = problem.to_dict()
    out.update(d=d, K="inf" if K == math.inf else int(K), alpha_effective=None if K == math.inf else mix.alpha_effective,
               samples=samples, disorder=disorder, seed=seed, T=T, precision=precision,
               convention=problem.guidance.rule.convention,
               version=__version__, backend=where[0], device=where[1],
               stderr_convention=OVER_DRAWS_CONVENTION if disorder > 1 else ONE_DRAW_CONVENTION)
    for k in OBSERVABLES:
        if not per_draw[k]:
            out[KEYS[k]] = None
            continue
        out[KEYS[k]] = over_draws(per_draw[k], within[k], what=KEYS[k]).to_dict()
    if out.get("accuracy") is not None:  # honest at p = 0 and 1, where the binomial stderr is 0
        out["accuracy_wilson95"] = list(wilson_interval(out["accuracy"]["mean"], samples * disorder))
    out["tol"] = tol
    out["stages"] = None if g is not None else stages
    if g is None:
        # the steps integrated (the largest over draws): --steps plus one per breakpoint of the schedule
        # inside (0, T), so a 5000-node table at --steps 50 reports the 5049 steps it took
        out["steps_requested"] = samp.steps if tol is None else None
        out["steps_integrated"] = max(integrated)
        if tol is None:
            out["steps"] = max(integrated)
    if tol is not None:
        out["steps"] = max(ch["steps"] for ch in control)
        precisions = [ch["pilot_precision"] for ch in control]
        out["step_control"] = {"tol": tol, "controlled": ["m_final", "var_ratio"],
                               "steps_per_draw": [ch["steps"] for ch in control],
                               "error_bound_per_draw": [max(ch["estimate"].values()) for ch in control],
                               "pilot_samples": control[0]["pilot"],
                               "pilot_precision": precisions[0] if len(set(precisions)) == 1 else "mixed",
                               "pilot_precision_per_draw": precisions,
                               "order": control[0]["order"],
                               "pilot_evaluations": sum(ch["pilot_evaluations"] for ch in control),
                               "main_evaluations": samples * stages * sum(ch["steps"] for ch in control),
                               "pilot_seconds": sum(ch["pilot_seconds"] for ch in control),
                               "history_per_draw": [ch["history"] for ch in control]}
    if g is not None:
        from .updates import CONTINUUM_SAMPLER, UPDATE_FORMULAS

        out.update(grid=g.spec, update=update, update_formula=UPDATE_FORMULAS[update], steps=g.steps,
                   sampler=CONTINUUM_SAMPLER[update], T=float(g.t[0]), sigma_max=float(g.sigmas[0]),
                   start=start, start_formula=_start_text(start))
    out["seconds_sampling"] = seconds
    out["seconds_total"] = time.perf_counter() - t0
    how = f"chosen for tol = {tol:g}" if tol is not None else ("fixed by the grid" if g is not None else "fixed")
    return Simulation(status="ok", message=f"{samples} samples x {disorder} mixture(s) at d = {d}, K = {out['K']}, "
                                           f"{out['steps']} steps ({how})", **out)


# -- sweeps of simulations -------------------------------------------------------------------

#: The keys of a :func:`simulate_unit` unit and their defaults (those of ``cfgmft simulate``).
#: ``d`` is required; exactly one of ``omega`` and ``schedule`` (a schedule's text form), and at
#: most one of ``classes`` and ``alpha``.
SIMULATION_DEFAULTS = {
    "prior": "gaussian", "sigma2": 1.0, "classes": "inf", "alpha": None, "d": None, "target": 0,
    "omega": None, "schedule": None, "sampler": "sde", "T": None, "steps": DEFAULT_STEPS,
    "samples": 4096, "disorder": 1, "seed": 0, "precision": "float64", "guidance": None,
}


# -- the default unit: one `cfgmft simulate` -------------------------------------------------

def problem_unit(problem: Problem) -> dict:
    """The keys of a simulation unit that describe ``problem`` (the inverse of
    :meth:`cfgmft.params.Problem.from_dict` on them); a constant schedule is written as
    ``omega``; the guidance rule is written as ``guidance`` (its text form) unless it is ``cfg``,
    so that the units of linear CFG keep their identity."""
    m, g, smp = problem.mixture.to_dict(), problem.guidance, problem.sampler
    unit = {"prior": m["prior"], "sigma2": m["sigma2"], "classes": None if m["alpha"] is not None else m["classes"],
            "alpha": m["alpha"], "d": m["d"], "target": m["target"], "omega": g.omega,
            "schedule": None if g.is_constant else g.schedule.spec, "sampler": smp.kind, "T": smp.T,
            "steps": smp.steps}
    if g.rule.kind != "cfg":
        unit["guidance"] = g.rule.spec
    return unit


def simulation_unit(unit: dict | None = None, **params) -> dict:
    """A canonical :func:`simulate_unit` unit: ``unit`` updated with ``params``, validated
    (the errors of :class:`~cfgmft.params.Problem` and of :func:`simulate`), the defaults of
    :data:`SIMULATION_DEFAULTS` filled in, numbers in one type, a constant schedule written
    as ``omega``."""
    raw = {**(unit or {}), **params}
    unknown = sorted(set(raw) - set(SIMULATION_DEFAULTS))
    if unknown:
        raise ParameterError("units", f"unknown key {unknown[0]!r} in a simulation unit; allowed: "
                                      + ", ".join(SIMULATION_DEFAULTS))
    u = {**SIMULATION_DEFAULTS, **{k: v for k, v in raw.items() if v is not None}}
    if u["d"] is None:
        raise ParameterError("d", "a simulation unit needs the dimension d >= 2")
    if (u["omega"] is None) == (u["schedule"] is None):
        raise ParameterError("omega", "give exactly one of omega (a number) or schedule (e.g. 'interval:2:0.3:1.5')")
    classes = raw.get("classes", "inf" if u["alpha"] is None else None)
    if isinstance(classes, str) and classes != "inf":
        raise ParameterError("classes", f"must be an integer >= 2 or 'inf', got {classes!r}")
    problem = Problem.from_dict({**u, "classes": classes})
    return canonical_unit({
        **problem_unit(problem),
        "samples": check_int("samples", u["samples"], lo=2), "disorder": check_int("disorder", u["disorder"], lo=1),
        "seed": check_int("seed", u["seed"], lo=0),
        "precision": check_choice("precision", u["precision"], ("float64", "float32")),
    })


def problem_from_unit(unit: dict):
    """``(problem, kwargs)`` for :func:`simulate` ``(problem, **kwargs)``."""
    u = simulation_unit(unit)
    kwargs = {"samples": u["samples"], "disorder": u["disorder"], "seed": u["seed"], "precision": u["precision"]}
    return Problem.from_dict(u), kwargs


def simulate_unit(unit: dict) -> dict:
    """The ``fn`` of :func:`run_simulations`: :func:`simulate` (``cfgmft simulate``) for one unit."""
    problem, kwargs = problem_from_unit(unit)
    return simulate(problem, progress=False, **kwargs)




def check_simulation_result(result: dict) -> str | None:
    """Why ``result`` is not a :func:`simulate` result (``None`` if it is one): the estimates
    of every observable as ``{"mean", "stderr"}`` of finite numbers (``None`` where an
    observable does not apply), ``K`` and ``seconds_sampling``."""
    for key in ("K", "d", "samples", "seconds_sampling"):
        if key not in result:
            return f"no {key!r}"
    for key in KEYS.values():
        if key not in result:
            if key in OPTIONAL_KEYS:
                continue
            return f"no {key!r}"
        est = result[key]
        if est is None:
            continue
        if not isinstance(est, dict) or set(est) != {"mean", "stderr"}:
            return f"{key!r} is not {{mean, stderr}}"
        for part in ("mean", "stderr"):
            v = est[part]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                return f"{key}.{part} is not a finite number"
    return None


def run_simulations(units, out_dir=None, scheduler=None, resume: bool = False, progress: bool = True) -> list[Simulation]:
    """A sweep of :func:`simulate` runs, a :class:`~cfgmft.results.Simulation` per unit in order:
    :func:`cfgmft.sweep.run_sweep` with ``fn =`` :func:`simulate_unit`, every unit normalised by :func:`simulation_unit` (the keys
    and defaults of :data:`SIMULATION_DEFAULTS`), stored results checked by
    :func:`check_simulation_result` on resume."""
    from .sweep import run_sweep  # noqa: I001

    results = run_sweep(units, simulate_unit, out_dir=out_dir, scheduler=scheduler, resume=resume, progress=progress,
                        normalise=simulation_unit, check_result=check_simulation_result)
    return [Simulation.from_dict(r) for r in results]


def simulate_paired(problems: dict, *, samples: int = 4096, disorder: int = 1, seed: int = 0,
                    precision: str = "float64") -> dict:
    """Monte Carlo of several schedules on common random numbers, for paired comparisons.

    ``problems`` maps a name to a :class:`cfgmft.params.Problem`; they must share the mixture
    (prior, ``sigma2``, ``d``, ``K``, target) and the sampler's kind and ``T``, and differ in the
    guidance (and possibly the steps). The seed tree is that of :func:`cfgmft.api.simulate`:
    draw ``j`` of ``SeedSequence(seed).spawn(disorder)`` spawns the class means' stream and the
    sampler's stream, and every schedule runs on that draw's means with the same sampler stream,
    hence the same initial noise and the same Brownian increments (the sampler's noise does not
    depend on the schedule). Each schedule's result is therefore the one ``simulate(problem,
    samples=samples, disorder=disorder, seed=seed)`` gives, and the per-sample terms
    (:func:`~cfgmft.validation.estimators.per_sample_observables`) pair sample by sample.

    Returns ``{"runs": {name: simulate-like dict}, "per_sample": {name: {key: [array per draw]}},
    "seed", "samples", "disorder", "seconds": {name: sampling seconds}}``; compare two names with
    :func:`cfgmft.validation.montecarlo.paired`."""
    from .validation.estimators import per_sample_observables
    from .validation.montecarlo import run_monte_carlo
    from .validation.scores import FiniteMixture

    if not problems:
        raise ValueError("simulate_paired: no problems")
    names = list(problems)
    first = problems[names[0]]
    for name in names:
        p = problems[name]
        if p.mixture.to_dict() != first.mixture.to_dict() or p.sampler.kind != first.sampler.kind or \
                p.sampler.T != first.sampler.T:
            raise ValueError(f"simulate_paired: {name!r} does not share the mixture and sampler of {names[0]!r}")
        check_simulation(p, samples=samples, disorder=disorder, precision=precision)
    mix = first.mixture
    d, K = mix.d, mix.K
    T = DEFAULT_MC_T if first.sampler.T is None else first.sampler.T
    per_draw = {n: {k: [] for k in OBSERVABLES} for n in names}
    within = {n: {k: [] for k in OBSERVABLES} for n in names}
    per_sample = {n: {} for n in names}
    seconds = {n: 0.0 for n in names}
    for child in np.random.SeedSequence(seed).spawn(disorder):
        means_ss, sampler_ss = child.spawn(2)
        den, mu_c, c = _denoiser(first, d, means_ss, precision)
        if precision == "float32" and den.float32_logit_error(0.0) > FLOAT32_MAX_LOGIT_ERROR:
            raise ParameterError("precision", f"float32 rounds the logits by ~{den.float32_logit_error(0.0):.1g} here "
                                              f"(d = {d}), above the validated {FLOAT32_MAX_LOGIT_ERROR:g}: use float64")
        mixture = den if isinstance(den, FiniteMixture) else None
        for name in names:
            p = problems[name]
            omega = p.guidance.omega if p.guidance.is_constant else p.guidance.schedule
            res = run_monte_carlo(den, mu_c, mix.sigma2, omega, p.sampler.kind, n=samples, steps=p.sampler.steps,
                                  T=T, rng=sampler_ss, c=c, precision=precision, keep_samples=True,
                                  rule=p.guidance.rule)
            seconds[name] += res.seconds_sampling
            for k in OBSERVABLES:
                est = getattr(res.estimates, k)
                if est is not None:
                    per_draw[name][k].append(est.value)
                    within[name][k].append(est.stderr)
            terms = per_sample_observables(res.samples, mu_c, mix.sigma2, mixture=mixture,
                                           c=c if mixture is not None else None)
            for k, v in terms.items():
                per_sample[name].setdefault(k, []).append(v)
        den = None
    runs = {}
    for name in names:
        out = problems[name].to_dict()
        out.update(d=d, K="inf" if K == float("inf") else int(K), samples=samples, disorder=disorder, seed=seed, T=T,
                   precision=precision, convention=problems[name].guidance.rule.convention,
                   stderr_convention=OVER_DRAWS_CONVENTION if disorder > 1 else ONE_DRAW_CONVENTION,
                   seconds_sampling=seconds[name])
        for k in OBSERVABLES:
            out[KEYS[k]] = (over_draws(per_draw[name][k], within[name][k], what=KEYS[k]).to_dict()
                            if per_draw[name][k] else None)
        runs[name] = out
    return {"runs": runs, "per_sample": per_sample, "seed": seed, "samples": samples, "disorder": disorder,
            "seconds": seconds}
