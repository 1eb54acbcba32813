"""``cfgmft schedule evaluate``: what a guidance schedule does, in every description cfgmft has.

For one problem (mixture, schedule, sampler) it puts side by side

* the theory (:func:`cfgmft.api.predict`): the ``d -> infinity`` mean field in the exponential
  and sub-exponential regimes (a finite ``K`` at ``d`` read as ``alpha = log(K)/d``), the exact
  infinite-class theory for ``classes = inf``;
* the finite-``d`` reduced model (:func:`cfgmft.api.predict_finite_d`) where ``d`` and a finite
  ``K`` are given and it is asked for;
* exact-score Monte Carlo (:func:`cfgmft.api.simulate`) with standard errors, where asked for;

for the observables of docs/model.md section 4: the mean shift, the variance ratio, the
per-dimension KL, separability (the per-dimension log-likelihood margin of the target over the
best competitor; in Monte Carlo also the Bayes accuracy) and the commitment time. Every number
is float64 in the convention ``s = (1+omega) s_c - omega s_u`` (guidance scale ``w = 1 + omega``);
a Monte Carlo or finite-d number is ``{"mean", "stderr"}``.
"""

from __future__ import annotations

from .. import __version__
from ..api import predict, predict_finite_d, simulate
from ..conventions import CONVENTION
from ..errors import ParameterError
from ..params import Problem

__all__ = ["ROWS", "evaluate", "format_evaluation"]

#: the rows of the table: (key, meaning)
ROWS = (
    ("mean_shift", "E[m] - 1 (exact sampling: 0)"),
    ("var_ratio", "v_perp / sigma2 (exact sampling: 1)"),
    ("kl_per_dim", "KL(generated || target) / d"),
    ("margin", "separability: log-likelihood margin of c per dimension"),
    ("accuracy", "separability: Bayes accuracy (Monte Carlo)"),
    ("t_commit", "commitment time (theory)"),
)


def evaluate(problem: Problem, *, finite_d: bool = False, finite_d_samples: int = 20000, monte_carlo: bool = False,
             samples: int = 4096, disorder: int = 1, seed: int = 0, progress: bool = False) -> dict:
    """The schedule of ``problem`` evaluated by the theory, and optionally by the finite-d model
    (``finite_d``; needs ``d`` and a finite ``K``) and by Monte Carlo (``monte_carlo``; needs
    ``d``). Returns a JSON-able dict: ``theory``, ``finite_d`` and ``monte_carlo`` (``None``
    where not asked for), and ``table``: one row per observable of :data:`ROWS` with the three
    values side by side."""
    mix = problem.mixture
    if (finite_d or monte_carlo) and mix.d is None:
        raise ParameterError("d", "the finite-d model and Monte Carlo need the dimension d")
    theory = predict(problem)
    fd = predict_finite_d(problem, samples=finite_d_samples, seed=seed) if finite_d else None
    mc = (simulate(problem, samples=samples, disorder=disorder, seed=seed, progress=progress)
          if monte_carlo else None)
    table = []
    for key, meaning in ROWS:
        table.append({"quantity": key, "meaning": meaning, "theory": theory.get(key),
                      "finite_d": None if fd is None else fd.get(key),
                      "monte_carlo": None if mc is None else mc.get(key)})
    return {"version": __version__, "convention": CONVENTION, "precision": "float64",
            "schedule": problem.guidance.schedule.spec, "schedule_json": problem.guidance.schedule.to_json(),
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
    for row in r["table"]:
        head.append(f"  {row['quantity']:<12} {_cell(row['theory']):>14} {_cell(row['finite_d']):>20} "
                    f"{_cell(row['monte_carlo']):>20}   {row['meaning']}")
    return "\n".join(head)
