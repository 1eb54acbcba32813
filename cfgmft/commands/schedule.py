"""``cfgmft schedule evaluate`` and ``cfgmft schedule export``.

``evaluate``: what a guidance schedule does, in every description cfgmft has.

For one problem (mixture, schedule, sampler) it puts side by side

* the theory (:func:`cfgmft.api.predict`): the ``d -> infinity`` mean field in the exponential
  and sub-exponential regimes (a finite ``K`` at ``d`` read as ``alpha = log(K)/d``), the exact
  infinite-class theory for ``classes = inf``;
* the finite-``d`` reduced model (:func:`cfgmft.api.predict_finite_d`) where ``d`` and a finite
  ``K`` are given and it is asked for;
* exact-score Monte Carlo (:func:`cfgmft.api.simulate`) with standard errors, where asked for;

for the observables of docs/model.md section 4: the mean shift, the variance ratio, the
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
"""

from __future__ import annotations

from .. import __version__
from ..api import predict, predict_finite_d, simulate
import csv
import io
import json
import math

import numpy as np

from ..conventions import CONVENTION
from ..errors import ParameterError, check_real
from ..grids import per_step_schedule, sigma_grid
from ..params import Problem
from ..schedules import as_schedule, omega_function, t_of_sigma

__all__ = ["ROWS", "evaluate", "format_evaluation", "export", "export_csv", "read_guidance_table", "load_guidance_table",
           "INTERPOLATION"]

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
             samples: int = 4096, disorder: int = 1, seed: int = 0, progress: bool = False, against=None) -> dict:
    """The schedule of ``problem`` evaluated by the theory, and optionally by the finite-d model
    (``finite_d``; needs ``d`` and a finite ``K``) and by Monte Carlo (``monte_carlo``; needs
    ``d``). Returns a JSON-able dict: ``theory``, ``finite_d`` and ``monte_carlo`` (``None``
    where not asked for), and ``table``: one row per observable of :data:`ROWS` with the three
    values side by side.

    ``against`` (a schedule, with ``monte_carlo``): a second schedule on the same mixtures, run
    on common random numbers (:func:`cfgmft.validation.montecarlo.simulate_paired`: the same
    class means, initial noise and Brownian increments); ``against_monte_carlo`` holds its
    numbers and each row of :data:`PAIRED_ROWS` gets ``paired``, the difference (this schedule
    minus ``against``) with the standard error of the paired difference
    (:func:`cfgmft.validation.estimators.paired_difference`), never the two errors combined."""
    mix = problem.mixture
    if (finite_d or monte_carlo) and mix.d is None:
        raise ParameterError("d", "the finite-d model and Monte Carlo need the dimension d")
    if against is not None and not monte_carlo:
        raise ParameterError("against", "compares two schedules by Monte Carlo: add --simulate")
    theory = predict(problem)
    fd = predict_finite_d(problem, samples=finite_d_samples, seed=seed) if finite_d else None
    mc = mc_against = runs = None
    if monte_carlo and against is not None:
        from ..params import Guidance
        from ..validation.estimators import PAIRED_CONVENTION
        from ..validation.montecarlo import paired, simulate_paired

        other = Problem(problem.mixture, Guidance(schedule=against), problem.sampler)
        runs = simulate_paired({"schedule": problem, "against": other}, samples=samples, disorder=disorder, seed=seed)
        mc, mc_against = runs["runs"]["schedule"], runs["runs"]["against"]
    elif monte_carlo:
        mc = simulate(problem, samples=samples, disorder=disorder, seed=seed, progress=progress)
    table = []
    for key, meaning in ROWS:
        row = {"quantity": key, "meaning": meaning, "theory": theory.get(key),
               "finite_d": None if fd is None else fd.get(key),
               "monte_carlo": None if mc is None else mc.get(key)}
        if runs is not None:
            row["against"] = mc_against.get(key)
            term = PAIRED_ROWS.get(key)
            row["paired"] = (paired(runs, "schedule", "against", term).to_dict()
                             if term is not None and term in runs["per_sample"]["schedule"] else None)
        table.append(row)
    out = {"version": __version__, "convention": CONVENTION, "precision": "float64",
           "schedule": problem.guidance.schedule.spec, "schedule_json": problem.guidance.schedule.to_json(),
           "nonnegative": problem.guidance.schedule.is_nonnegative(), "problem": problem.to_dict(),
           "theory": theory.to_dict(), "finite_d": None if fd is None else fd.to_dict(), "monte_carlo": mc,
           "table": table}
    if runs is not None:
        out.update(against=against.spec, against_monte_carlo=mc_against, paired_convention=PAIRED_CONVENTION)
    return out


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


def export(schedule, grid, *, data_scale: float = 1.0) -> dict:
    """The per-step guidance table of ``schedule`` on the sampler grid ``grid`` (module
    docstring); a JSON-able dict with the rows, the convention, the schedule's text and JSON
    forms, the interpolation rule, the grid, the data scale, the cfgmft version and
    ``table_schedule``, the ``table:sigma:const`` text form of the rows."""
    sch = as_schedule(schedule)
    try:
        g = sigma_grid(grid)
    except ParameterError as e:
        raise ParameterError("grid", str(e)) from None
    S = check_real("data_scale", data_scale, lo=1e-6, hi=1e6)
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
            "table_schedule": table.spec}


def export_csv(table: dict) -> str:
    """:func:`export`'s table as CSV: ``#`` lines with the metadata (one ``key: JSON value``
    each), then a header and one row per step."""
    buf = io.StringIO()
    for key in ("version", "convention", "precision", "schedule", "schedule_json", "grid", "steps", "data_scale",
                "interpolation", "table_schedule"):
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
    S = check_real("data_scale", source.get("data_scale", 1.0), lo=1e-6, hi=1e6)
    try:
        sig = [float(r["sigma"]) / S for r in source["rows"]] + [float(source["rows"][-1]["sigma_next"]) / S]
        omegas = [float(r["omega"]) for r in source["rows"]]
    except (KeyError, TypeError, ValueError):
        raise ParameterError("table", "every row needs numbers sigma, sigma_next and omega") from None
    return per_step_schedule("sigmas:" + ",".join(repr(x) for x in sig), omegas)


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
