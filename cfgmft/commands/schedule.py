"""``cfgmft schedule evaluate`` and ``cfgmft schedule export``.

``evaluate``: what a guidance schedule does, in every description cfgmft has.

For one problem (mixture, schedule, sampler) it puts side by side

* the theory (:func:`cfgmft.api.predict`): the ``d -> infinity`` mean field in the exponential
  and sub-exponential regimes (a finite ``K`` at ``d`` read as ``alpha = log(K)/d``), the exact
  infinite-class theory for ``classes = inf``;
* the finite-``d`` reduced model (:func:`cfgmft.api.predict_finite_d`) where ``d`` and a finite
  ``K`` are given and it is asked for;
* exact-score Monte Carlo (:func:`cfgmft.api.simulate`) with standard errors, where asked for;

for the observables of docs/explanation/model.md section 4: the mean shift, the variance ratio, the
per-dimension KL, separability (the per-dimension log-likelihood margin of the target over the
best competitor; in Monte Carlo also the Bayes accuracy; in the infinite-class limit, where there is
no best competitor, the implicit classifier's log-odds ``(log P_0(x|c) - log P_0(x))/d``) and the
commitment time. Every number
is float64 in the convention ``s = (1+omega) s_c - omega s_u`` (guidance scale ``w = 1 + omega``);
a Monte Carlo or finite-d number is ``{"mean", "stderr"}``.

``export``: a schedule as the per-step guidance table of a practitioner's sampler grid
(:func:`cfgmft.grids.sigma_grid`: ``karras:N:SIGMA_MIN:SIGMA_MAX[:RHO]`` or ``sigmas:...``).
Step ``i`` runs from ``sigma_i`` to ``sigma_{i+1}`` and uses one guidance ``omega_i`` (scale
``w_i = 1 + omega_i``) for every model evaluation in it; ``omega_i`` is the schedule at the
step's midpoint in ``t``, the rule cfgmft's own Monte Carlo uses, so a schedule whose
breakpoints are grid points is carried over exactly. Each row gives ``t`` (the mixture's
forward time), the EDM ``sigma`` (in the data's units), ``alpha_bar = e^{-2t} = 1/(1 +
(sigma/S)^2)``, ``log_snr = log(alpha_bar/(1 - alpha_bar)) = -2 log(sigma/S)``, ``omega`` and
``w``, for the step's start and its end (``sigma_next``). The data scale ``S``
(``--data-scale``, default 1): data whose standard deviation per coordinate is ``S`` times the
mixture's (``x_data = S x``) have noise levels ``sigma_data = S sigma``, so the grid's sigmas are
read in the data's units and the mixture's time is ``t = log1p((sigma/S)^2)/2``.
:func:`read_guidance_table` reads a table back into the ``table:sigma:const`` schedule it stands
for (:func:`cfgmft.grids.per_step_schedule`), which gives the same predictions as the table.
The table carries the guidance rule it is meant for (``--guidance``, default ``cfg``), as
``guidance`` (text form, its grid-only options included) and ``guidance_json`` (dict form):
:meth:`cfgmft.adapters.GuidanceTable.from_export` reads it back (``rule``), and
:meth:`cfgmft.adapters.diffusers.TabulatedGuidance.from_table` applies it.

The hand-over check (``schedule export --design FILE``, :func:`grid_check`): the table predicted on
its own grid by the discrete-grid theory against the design's continuous-time prediction, a
one-line warning where they differ by more than half the design's variance band.
"""

from __future__ import annotations

from .. import __version__
from ..api import check_problem, check_simulation, predict, predict_finite_d, simulate
import csv
import io
import json
import math

import numpy as np

from ..conventions import CONVENTION
from ..errors import ParameterError, check_int, check_real, check_seed
from ..ranges import OMEGA_MAX, OMEGA_MIN, SAMPLES_MAX, SIGMA_MAX
from ..grids import per_step_schedule, sigma_grid
from ..params import Problem
from ..schedules import as_schedule, omega_function, t_of_sigma

__all__ = ["ROWS", "evaluate", "format_evaluation", "export", "export_csv", "read_guidance_table", "load_guidance_table",
           "INTERPOLATION", "grid_check", "load_design", "MAX_SUGGESTED_STEPS"]

#: the largest Karras step count :func:`grid_check` tries when it looks for a grid that keeps a design
MAX_SUGGESTED_STEPS = 4096

#: how a table's per-step values are meant
INTERPOLATION = ("piecewise constant per step: omega_i (w_i = 1 + omega_i) on the whole step from sigma_i to "
                 "sigma_{i+1}, the schedule read at the step's midpoint in t")

#: the rows of the table: (key, meaning)
ROWS = (
    ("mean_shift", "E[m] - 1 (exact sampling: 0)"),
    ("var_ratio", "v_perp / sigma2 (exact sampling: 1)"),
    ("kl_per_dim", "KL(generated || target) / d"),
    ("margin", "separability: log-likelihood margin of c per dimension"),
    ("accuracy", "separability: Bayes accuracy (Monte Carlo)"),
    ("log_odds", "separability: (log P_0(x|c) - log P_0(x))/d, implicit classifier"),
    ("t_commit", "commitment time (theory)"),
)


#: the rows whose Monte Carlo difference is paired sample by sample (row key: per-sample term)
PAIRED_ROWS = {"mean_shift": "m_final", "var_ratio": "var_ratio", "accuracy": "accuracy", "margin": "margin"}


def evaluate(problem: Problem, *, finite_d: bool = False, finite_d_samples: int = 20000, monte_carlo: bool = False,
             samples: int = 4096, disorder: int = 1, seed: int = 0, progress: bool = False, grid=None,
             update: str | None = None, start: str = "edm", against=None) -> dict:
    """The schedule of ``problem`` evaluated by the theory, and optionally by the finite-d model
    (``finite_d``; needs ``d`` and a finite ``K``) and by Monte Carlo (``monte_carlo``; needs
    ``d``). Returns a JSON-able dict: ``theory``, ``finite_d`` and ``monte_carlo`` (``None``
    where not asked for), and ``table``: one row per observable of :data:`ROWS` with the three
    values side by side. With ``grid`` and ``update`` (a sampler grid and its update rule) the
    theory is the discrete-grid theory on that grid, the finite-d model is run by the same update
    rule on the same grid (:func:`cfgmft.api.predict_finite_d` with ``grid``) and the Monte Carlo
    runs on the same grid (:func:`cfgmft.api.predict`, :func:`cfgmft.api.simulate` with ``grid``).

    ``against`` (a schedule, with ``monte_carlo``): a second schedule on the same mixtures, run
    on common random numbers (:func:`cfgmft.api.simulate_paired`: the same
    class means, initial noise and Brownian increments); ``against_monte_carlo`` holds its
    numbers and each row of :data:`PAIRED_ROWS` gets ``paired``, the difference (this schedule
    minus ``against``) with the standard error of the paired difference
    (:func:`cfgmft.validation.estimators.paired_difference`), never the two errors combined."""
    mix = check_problem(problem).mixture
    if against is not None and not monte_carlo:
        raise ParameterError("against", "compares two schedules by Monte Carlo: add --simulate")
    if grid is not None or update is not None:
        if against is not None:
            raise ParameterError("against", "the paired comparison runs in continuous time: leave out --grid")
        if monte_carlo and mix.d is None:
            raise ParameterError("d", "Monte Carlo needs the dimension d")
        if finite_d:
            _check_finite_d(problem, finite_d_samples)
        if monte_carlo:
            check_simulation(problem, samples=samples, disorder=disorder)
        theory = predict(problem, grid=grid, update=update, start=start)
        fd = (_finite_d(problem, finite_d_samples, seed, grid=grid, update=update, start=start) if finite_d else None)
        mc = (simulate(problem, samples=samples, disorder=disorder, seed=seed, progress=progress, grid=grid,
                       update=update, start=start) if monte_carlo else None)
        return _evaluation(problem, theory, fd, mc)
    if (finite_d or monte_carlo) and mix.d is None:
        raise ParameterError("d", "the finite-d model and Monte Carlo need the dimension d")
    # every argument of the three evaluations is checked before the first computes anything
    seed = check_seed("seed", seed)
    if finite_d:
        _check_finite_d(problem, finite_d_samples)
    if monte_carlo:
        check_simulation(problem, samples=samples, disorder=disorder)
    theory = predict(problem)
    fd = _finite_d(problem, finite_d_samples, seed) if finite_d else None
    mc = mc_against = runs = None
    if monte_carlo and against is not None:
        from ..params import Guidance
        from ..api import simulate_paired

        other = Problem(problem.mixture, Guidance(schedule=against, rule=problem.guidance.rule), problem.sampler)
        runs = simulate_paired({"schedule": problem, "against": other}, samples=samples, disorder=disorder, seed=seed)
        mc, mc_against = runs["runs"]["schedule"], runs["runs"]["against"]
    elif monte_carlo:
        mc = simulate(problem, samples=samples, disorder=disorder, seed=seed, progress=progress)
    out = _evaluation(problem, theory, fd, mc, runs, mc_against)
    if runs is not None:
        from ..validation.estimators import PAIRED_CONVENTION

        out.update(against=against.spec, against_monte_carlo=mc_against, paired_convention=PAIRED_CONVENTION)
    return out


def _check_finite_d(problem: Problem, finite_d_samples) -> None:
    """The finite-d model's own checks, before any evaluation computes anything."""
    if problem.mixture.d is None:
        raise ParameterError("d", "the finite-d model needs the dimension d")
    if problem.mixture.regime == "infinite":
        raise ParameterError("classes", "the finite-d model needs a finite number of classes (or alpha)")
    check_int("finite_d_samples", finite_d_samples, lo=200, hi=SAMPLES_MAX, strict=True)


def _finite_d(problem: Problem, finite_d_samples, seed, **grid):
    """The finite-d model's prediction (on a sampler grid with ``grid``, ``update``, ``start``)."""
    try:
        return predict_finite_d(problem, samples=finite_d_samples, seed=seed, **grid)
    except ParameterError as e:
        if e.argument != "samples":
            raise
        raise ParameterError("finite_d_samples", str(e).removeprefix("samples: ")) from None


def _evaluation(problem: Problem, theory, fd, mc, runs=None, mc_against=None) -> dict:
    table = []
    for key, meaning in ROWS:
        row = {"quantity": key, "meaning": meaning, "theory": theory.get(key),
               "finite_d": None if fd is None else fd.get(key),
               "monte_carlo": None if mc is None else mc.get(key)}
        if runs is not None:
            from ..validation.montecarlo import paired

            row["against"] = mc_against.get(key)
            term = PAIRED_ROWS.get(key)
            row["paired"] = (paired(runs, "schedule", "against", term).to_dict()
                             if term is not None and term in runs["per_sample"]["schedule"] else None)
        table.append(row)
    return {"version": __version__, "convention": problem.guidance.rule.convention, "precision": "float64",
            "guidance": problem.guidance.rule.spec, "schedule": problem.guidance.schedule.spec, "schedule_json": problem.guidance.schedule.to_json(),
            "nonnegative": problem.guidance.schedule.is_nonnegative(), "problem": problem.to_dict(),
            "theory": theory.to_dict(), "finite_d": None if fd is None else fd.to_dict(), "monte_carlo": mc,
            "table": table}


def _cell(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, dict):
        return f"{v['mean']:.5g} +- {v['stderr']:.2g}"
    return f"{v:.6g}"


def format_evaluation(r: dict) -> str:
    """A readable table of :func:`evaluate`'s result."""
    th = r["theory"]
    mc = r["monte_carlo"]
    head = [f"cfgmft {r['version']} schedule evaluate: {r['schedule']}"
            f" ({'non-negative' if r['nonnegative'] else 'has omega < 0'})",
            f"  prior {th['prior']}, sigma2 = {th['sigma2']:g}, classes = {th['classes']}, d = {th['d']}, "
            f"sampler = {th['sampler']}; theory: {th['theory']} ({th['status']})",
            f"  convention: {r['convention']}; {r['precision']}"]
    if mc is not None:
        head.append(f"  Monte Carlo: d = {mc['d']}, K = {mc['K']}, {mc['samples']} samples x {mc['disorder']} "
                    f"mixture(s), {mc['steps']} steps; stderr: {mc['stderr_convention']}")
    head.append("")
    head.append(f"  {'quantity':<12} {'theory':>14} {'finite-d':>20} {'Monte Carlo':>20}   meaning")
    if r.get("against") is not None:
        head[-1] = (f"  {'quantity':<12} {'theory':>14} {'finite-d':>20} {'Monte Carlo':>20} {'against':>20} "
                    f"{'difference (paired)':>22}   meaning")
        head.insert(-1, f"  against: {r['against']}, on common random numbers (same means and noise); the difference is "
                        "this schedule minus it, with the paired standard error\n")
    for row in r["table"]:
        extra = (f" {_cell(row['against']):>20} {_cell(row['paired']):>22}" if r.get("against") is not None else "")
        head.append(f"  {row['quantity']:<12} {_cell(row['theory']):>14} {_cell(row['finite_d']):>20} "
                    f"{_cell(row['monte_carlo']):>20}{extra}   {row['meaning']}")
    return "\n".join(head)


_COLUMNS = ("step", "t", "t_next", "sigma", "sigma_next", "alpha_bar", "log_snr", "omega", "w")


def export(schedule, grid, *, data_scale: float = 1.0, rule=None) -> dict:
    """The per-step guidance table of ``schedule`` on the sampler grid ``grid`` (module
    docstring); a JSON-able dict with the rows, the convention, the schedule's text and JSON
    forms, the interpolation rule, the grid, the data scale, the cfgmft version,
    ``table_schedule``, the ``table:sigma:const`` text form of the rows, and the guidance rule
    ``rule`` (default ``cfg``) as ``guidance`` (text) and ``guidance_json`` (dict)."""
    from ..guidance import as_rule

    rule = as_rule(rule)
    sch = as_schedule(schedule)
    try:
        g = sigma_grid(grid)
    except ParameterError as e:
        raise ParameterError("grid", str(e)) from None
    S = check_real("data_scale", data_scale, lo=1e-6, hi=1e6)
    if S != 1.0:  # the mixture's noise levels sigma/S are a grid too: within its range, distinct in t
        try:
            sigma_grid("sigmas:" + ",".join(repr(float(x)) for x in g.sigmas / S))
        except ParameterError:
            raise ParameterError("data_scale", f"must keep the grid's noise levels over the data scale, sigma/data_scale, "
                                               f"in (0, {SIGMA_MAX:g}] and distinct in t = log1p(sigma^2)/2; got "
                                               f"data_scale = {S:g} with the grid's levels {float(g.sigmas[0]):g} .. "
                                               f"{float(g.sigmas[-2]):g}") from None
    t = np.asarray(t_of_sigma(g.sigmas / S), dtype=np.float64)
    omegas = np.asarray(omega_function(sch)(0.5 * (t[:-1] + t[1:])), dtype=np.float64).reshape(-1)
    rows = []
    for i in range(g.steps):
        alpha_bar = math.exp(-2.0 * t[i])
        rows.append({"step": i, "t": float(t[i]), "t_next": float(t[i + 1]), "sigma": float(g.sigmas[i]),
                     "sigma_next": float(g.sigmas[i + 1]), "alpha_bar": alpha_bar,
                     "log_snr": -2.0 * math.log(g.sigmas[i] / S), "omega": float(omegas[i]),
                     "w": 1.0 + float(omegas[i])})
    table = per_step_schedule(g.spec, omegas) if S == 1.0 else per_step_schedule(
        "sigmas:" + ",".join(repr(float(x)) for x in g.sigmas / S), omegas)
    return {"version": __version__, "convention": CONVENTION + " (w = 1 + omega)", "precision": "float64",
            "schedule": sch.spec, "schedule_json": sch.to_json(), "grid": g.spec, "steps": g.steps,
            "data_scale": S, "interpolation": INTERPOLATION, "columns": list(_COLUMNS), "rows": rows,
            "table_schedule": table.spec, "guidance": rule.spec, "guidance_json": rule.to_dict(),
            "guidance_convention": rule.convention}


def export_csv(table: dict) -> str:
    """:func:`export`'s table as CSV: ``#`` lines with the metadata (one ``key: JSON value``
    each), then a header and one row per step."""
    buf = io.StringIO()
    for key in ("version", "convention", "precision", "schedule", "schedule_json", "grid", "steps", "data_scale",
                "interpolation", "table_schedule", "guidance", "guidance_json", "guidance_convention"):
        if key in table:  # a table exported before the rule was recorded has no guidance keys
            buf.write(f"# {key}: {json.dumps(table[key])}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_COLUMNS)
    for row in table["rows"]:
        w.writerow([row["step"]] + [repr(float(row[c])) for c in _COLUMNS[1:]])
    return buf.getvalue()


def read_guidance_table(source):
    """The schedule a guidance table stands for: its ``table:sigma:const`` schedule on the
    mixture's noise levels ``sigma/S`` (``source``: :func:`export`'s dict, its JSON text, or its
    CSV text)."""
    source = load_guidance_table(source)
    S = check_real("table data_scale", source.get("data_scale", 1.0), lo=1e-6, hi=1e6)
    sigmas, omegas = _table_rows(source["rows"])
    try:
        return per_step_schedule("sigmas:" + ",".join(repr(x / S) for x in sigmas), omegas)
    except ParameterError as e:
        raise ParameterError("table", f"its noise levels over its data_scale = {S:g} are not a sampler grid "
                                      f"({str(e).removeprefix('sigma_grid').lstrip(': ')})") from None


def _table_rows(rows) -> tuple[list, list]:
    """The grid ``sigma_0 > ... > sigma_N = 0`` and the ``omega_i`` of a guidance table's rows, each
    row checked (row ``i`` is step ``i``): numbers ``sigma`` in ``(0, SIGMA_MAX]``, ``sigma_next``
    equal to the next row's ``sigma`` (0 on the last row), ``omega`` in range, and ``w = 1 +
    omega`` and ``step = i`` where the row has them; a :class:`ParameterError` naming ``table``
    and the row otherwise."""
    sigmas, omegas = [], []
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise ParameterError("table", f"row {i}: must be an object with sigma, sigma_next and omega, got {r!r}")
        try:
            sig, nxt, om = (float(r[k]) for k in ("sigma", "sigma_next", "omega"))
        except (KeyError, TypeError, ValueError):
            raise ParameterError("table", f"row {i}: needs numbers sigma, sigma_next and omega") from None
        if not 0.0 < sig <= SIGMA_MAX:
            raise ParameterError("table", f"row {i}: sigma must be in (0, {SIGMA_MAX:g}], got {sig!r}")
        if i and sig != sigmas[-1][1]:
            raise ParameterError("table", f"row {i}: sigma = {sig!r} must equal the sigma_next = {sigmas[-1][1]!r} of "
                                          f"row {i - 1} (the rows are the consecutive steps of one grid)")
        if not 0.0 <= nxt < sig:
            raise ParameterError("table", f"row {i}: sigma_next must be in [0, sigma) = [0, {sig!r}), got {nxt!r}")
        if not OMEGA_MIN <= om <= OMEGA_MAX:
            raise ParameterError("table", f"row {i}: omega must be in [{OMEGA_MIN:g}, {OMEGA_MAX:g}], got {om!r}")
        if "w" in r:
            try:
                w = float(r["w"])
            except (TypeError, ValueError):
                w = math.nan
            if not abs(w - (1.0 + om)) <= 1e-12 * max(1.0, abs(w)):
                raise ParameterError("table", f"row {i}: w = {r['w']!r} disagrees with 1 + omega = {1.0 + om!r}")
        if "step" in r and r["step"] != i:
            raise ParameterError("table", f"row {i}: step must be {i}, got {r['step']!r}")
        sigmas.append((sig, nxt))
        omegas.append(om)
    if sigmas[-1][1] != 0.0:
        raise ParameterError("table", f"row {len(sigmas) - 1} (the last): sigma_next must be 0, the data end of the "
                                      f"grid, got {sigmas[-1][1]!r}")
    return [a for a, _ in sigmas] + [0.0], omegas


def table_rule(table: dict):
    """The guidance rule a table (:func:`export`'s dict) is meant for: its ``guidance_json`` (or
    ``guidance`` text); ``cfg`` for a table without either (exported before the rule was
    recorded). A rule the two forms disagree on is a ``ParameterError`` naming ``table``."""
    from ..guidance import as_rule

    forms = [table[k] for k in ("guidance_json", "guidance") if table.get(k) is not None]
    try:
        rules = [as_rule(f) for f in forms]
    except ParameterError as e:
        raise ParameterError("table", f"bad guidance rule ({e})") from None
    if len(rules) == 2 and rules[0] != rules[1]:
        raise ParameterError("table", f"its guidance {table['guidance']!r} and guidance_json {table['guidance_json']!r} "
                                      "disagree")
    return rules[0] if rules else as_rule(None)


def load_guidance_table(source) -> dict:
    """A guidance table as :func:`export`'s dict, from that dict, its JSON text or its CSV text
    (metadata from the ``#`` lines); checks that it has rows."""
    if isinstance(source, str):
        text = source.lstrip()
        if text.startswith("{"):
            try:
                source = json.loads(text)
            except json.JSONDecodeError as e:
                raise ParameterError("table", f"is not valid JSON ({e.msg})") from None
        else:
            meta, body = {}, []
            for line in text.splitlines():
                if line.startswith("#"):
                    key, _, value = line[1:].partition(":")
                    try:
                        meta[key.strip()] = json.loads(value)
                    except json.JSONDecodeError:
                        raise ParameterError("table", f"bad metadata line {line!r}") from None
                elif line.strip():
                    body.append(line)
            try:
                rows = list(csv.DictReader(body))
                source = {**meta, "rows": [{k: float(v) for k, v in r.items()} for r in rows]}
            except (ValueError, TypeError):
                raise ParameterError("table", "the CSV rows must be numbers under the header "
                                              + ",".join(_COLUMNS)) from None
    if not isinstance(source, dict) or not isinstance(source.get("rows"), list) or not source["rows"]:
        raise ParameterError("table", "must be a guidance table (cfgmft schedule export) with at least one row")
    return source


# ----------------------------------------------------------------------------- the hand-over check


def load_design(source) -> dict:
    """A design (``cfgmft schedule design --json``) as a dict, from the dict, its JSON text or a
    file holding it."""
    from pathlib import Path

    if isinstance(source, (str, Path)) and not (isinstance(source, str) and source.lstrip().startswith("{")):
        try:
            source = Path(source).read_text()
        except OSError as e:
            raise ParameterError("design", f"cannot read {str(source)!r} ({e.strerror})") from None
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as e:
            raise ParameterError("design", f"is not valid JSON ({e.msg}): give the output of cfgmft schedule design "
                                           "--json") from None
    ok = (isinstance(source, dict) and isinstance(source.get("model"), dict) and isinstance(source.get("design"), dict)
          and "schedule" in source and "variance_band" in source)
    if not ok:
        raise ParameterError("design", "must be the output of cfgmft schedule design --json (with schedule, model, "
                                       "design and variance_band)")
    return source


def _design_problem(design: dict, schedule) -> Problem:
    m = design["model"]
    alpha = m.get("alpha")
    if alpha in (None, "inf") or (isinstance(alpha, (int, float)) and math.isinf(alpha)):
        mix = {"classes": math.inf}
    else:
        mix = {"alpha": float(alpha)}
    return Problem.from_dict({"prior": m.get("prior", "sphere"), "sigma2": m.get("sigma2", 1.0), **mix,
                              "schedule": schedule, "guidance": design.get("guidance", "cfg"),
                              "sampler": m.get("sampler", "sde")})


def _grid_numbers(problem: Problem, grid, update: str) -> tuple[float, float]:
    p = predict(problem, grid=grid, update=update)
    return float(p["var_ratio"]), float(p["m_final"])


def grid_check(design, table: dict, *, update: str | None = None) -> dict:
    """Does the exported ``table`` keep ``design`` (``cfgmft schedule design --json``) on the
    table's grid? The table's schedule is predicted on its grid (mixture units: the grid over the
    data scale) with ``update`` (default: ``euler`` for a design for the ODE sampler, ``ancestral``
    for the SDE) by cfgmft's discrete-grid theory, and compared with the design's own prediction
    (the same ``d -> infinity`` theory in continuous time): the hand-over changes the answer
    (``ok`` false, and a one-line ``warning``) when the variance ratio or the mean overlap ``m``
    differs from the design's by more than the tolerance, half the width of the design's variance
    band; the warning and ``design_on_grid`` name the ``schedule design --grid`` command that
    designs on the table's grid instead. For a Karras grid that fails, ``suggested_steps`` is the smallest step count (doubling,
    up to :data:`MAX_SUGGESTED_STEPS`) on the same ``sigma`` range that passes, or ``None``.
    The check runs the table's rule (the design's, with the table's grid-only options); with APG's
    momentum, which the grid theory does not take, ``ok`` is ``None`` and ``note`` says so."""
    from ..guidance import as_rule
    from ..updates import check_update

    d = load_design(design)
    sampler = d["model"].get("sampler", "sde")
    update = check_update(update if update is not None else ("ancestral" if sampler == "sde" else "euler"))
    lo, hi = (float(x) for x in d["variance_band"])
    tol = 0.5 * (hi - lo)
    want_vr = float(d["design"]["var_ratio"])
    want_m = 1.0 + float(d["design"]["mean_shift"])
    S = float(table["data_scale"])
    sig = [float(r["sigma"]) / S for r in table["rows"]] + [float(table["rows"][-1]["sigma_next"]) / S]
    grid = "sigmas:" + ",".join(repr(x) for x in sig)
    out = {"update": update, "grid": table["grid"], "band": [lo, hi], "tolerance": tol,
           "design": {"var_ratio": want_vr, "m": want_m, "theory": d["model"].get("theory", "")},
           "on_grid": None, "ok": None, "suggested_steps": None, "warning": None}
    if table["schedule"] != d["schedule"]:
        raise ParameterError("schedule", f"the table's schedule {table['schedule']!r} is not the design's "
                                         f"{d['schedule']!r}")
    rule = table.get("guidance") or d.get("guidance", "cfg")
    if getattr(as_rule(rule), "momentum", 0.0) != 0.0:
        out["note"] = f"not checked: the discrete-grid theory does not take APG's momentum ({rule})"
        return out
    problem = _design_problem({**d, "guidance": rule}, table["schedule"])
    vr, m = _grid_numbers(problem, grid, update)
    bad = abs(vr - want_vr) > tol or abs(m - want_m) > tol
    out["on_grid"] = {"var_ratio": vr, "m": m, "theory": f"cfgmft's discrete-grid theory, {update} on the grid"}
    out["ok"] = not bad
    if not bad:
        return out
    g = sigma_grid(table["grid"])
    spec = g.spec.split(":")
    if spec[0] == "karras":
        n = g.steps
        while n < MAX_SUGGESTED_STEPS:
            n = min(2 * n, MAX_SUGGESTED_STEPS)
            finer = ":".join(["karras", str(n)] + spec[2:])
            fg = sigma_grid(finer)
            vr2, m2 = _grid_numbers(problem, "sigmas:" + ",".join(repr(float(x) / S) for x in fg.sigmas), update)
            if abs(vr2 - want_vr) <= tol and abs(m2 - want_m) <= tol:
                out["suggested_steps"] = n
                break
    m_ = d["model"]
    mix = problem.mixture
    where = "--classes inf" if mix.regime == "infinite" else f"--alpha {mix.alpha_effective!r}"
    grid_units = table["grid"] if S == 1.0 else grid
    redesign = (f"cfgmft schedule design --prior {m_.get('prior')} --sigma2 {m_.get('sigma2')} {where} "
                f"--peak {d.get('peak')} --family {d.get('family')} --variance-band {lo:g}:{hi:g} "
                f"--grid {grid_units} --update {update}"
                + (f" --guidance {problem.guidance.rule.spec}" if not problem.guidance.is_cfg else ""))
    finer = (f"; a Karras grid of {out['suggested_steps']} steps on the same range keeps it"
             if out["suggested_steps"] else "")
    out["design_on_grid"] = redesign
    out["warning"] = (f"warning: on {table['grid']} with {update} the exported schedule gives variance ratio {vr:.4g} "
                      f"and mean m {m:.4g} (discrete-grid theory), the design {want_vr:.4g} and {want_m:.4g} (tolerance "
                      f"{tol:.3g}, band {lo:g}:{hi:g}): the design does not survive this grid{finer}; design on this grid "
                      f"with `{redesign}`")
    return out
