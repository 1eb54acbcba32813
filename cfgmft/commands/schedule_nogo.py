"""``cfgmft schedule nogo``: claim C5 in numbers.

:func:`nogo` runs :func:`cfgmft.api.nogo_table`: for every non-negative family (constant,
interval, linear and cosine ramps up and down, low-high-low, a non-negative table) the largest
variance ratio a global scan plus a local optimiser finds, in the infinite-class limit (both
priors) and in the exponential regime below and above the critical line, for both samplers, with
the negative window as a control. The comparison argument behind the bound is in
:mod:`cfgmft.theory.nogo` (its premises checked with sympy by ``premises``). With ``grid`` and
``update`` the search runs on that sampler grid's discrete-grid theory (:func:`nogo`).
"""

from __future__ import annotations

import math

from .. import __version__
from ..api import nogo_table
from ..conventions import CONVENTION

__all__ = ["nogo", "format_nogo", "QUICK"]

#: the search's sizes; the exponential regime (a fraction of a millisecond per schedule) always
#: gets :data:`FULL`
FULL = {"n_global": 64, "maxiter": 40, "n_starts": 2}
#: the sizes of ``--quick`` in the infinite-class limit (tens of milliseconds per schedule),
#: where it also leaves out the sphere continuum (the slowest theory)
QUICK = {"n_global": 16, "maxiter": 20, "n_starts": 1}


def nogo_rows(quick: bool = False, grid=None) -> int:
    """The number of rows of :func:`nogo` (its progress total; on a grid one sampler, the update's)."""
    from ..solvers.nogo import CONTROL_FAMILY, NONNEGATIVE_FAMILIES, REGIMES

    regimes = [r for r in REGIMES if not (quick and r[1] == "sphere" and math.isinf(r[2]))]
    return len(regimes) * (1 if grid is not None else 2) * len(NONNEGATIVE_FAMILIES + (CONTROL_FAMILY,))


def nogo(*, quick: bool = False, n_global: int | None = None, seed: int = 0, progress=None, guidance=None,
         grid=None, update: str | None = None) -> dict:
    """The C5 table as a JSON-able dict: ``rows`` (one per regime, sampler and family), the
    search's sizes, ``max_nonnegative`` (the largest variance ratio over every non-negative
    row) and ``counterexamples`` (the non-negative rows above 1, if any). ``guidance``: the rule
    (:mod:`cfgmft.guidance`; ``None``: cfg): the C5 search extended to rules (the comparison
    argument of :mod:`cfgmft.theory.nogo` is cfg's; for another rule the table is the search alone).

    ``grid``, ``update``: the search on that sampler grid's discrete-grid theory, for the update's one
    continuous-time sampler (:func:`cfgmft.solvers.nogo.nogo_table`); the comparison argument is
    continuous time's, so on a grid the table is the search alone, and ``unguided`` gives each
    regime's variance ratio at ``omega = 0`` on the grid (the grid's own discretisation, which can
    exceed 1 without any guidance)."""
    from ..guidance import as_rule
    from ..solvers.nogo import LOG_VAR_TOL, REGIMES, W_MAX
    from ..solvers.schedule_search import TheoryModel

    rule = as_rule(guidance)
    on_grid = grid is not None or update is not None
    if on_grid:  # the grid's checks before any row
        g = TheoryModel("gaussian", 1.0, "sde", math.inf, rule=rule, grid=grid, update=update)
        grid, update = g.grid.spec, g.update

    regimes = tuple(r for r in REGIMES if not (quick and r[1] == "sphere" and math.isinf(r[2])))
    rows, sizes = [], {}
    for reg in regimes:
        kw = dict(QUICK if quick and math.isinf(reg[2]) else FULL)
        if n_global is not None:
            kw["n_global"] = n_global
        sizes[reg[0]] = kw
        rows += [r.to_dict() for r in nogo_table(regimes=(reg,), seed=seed, progress=progress, rule=rule, grid=grid,
                                                 update=update, **kw)]
    kw = sizes[regimes[0][0]]
    _short_schedules(rows, rule)
    nonneg = [r for r in rows if r["nonnegative"]]
    extra = {}
    if on_grid:
        from ..schedules import Constant

        extra = {"grid": grid, "update": update,
                 "unguided": {n: TheoryModel(p, 1.0, "sde", a, grid=grid, update=update)(Constant(0.0))["var_ratio"]
                              for n, p, a in regimes},
                 "note": "on a sampler grid: the discrete-grid theory of that grid and update; the comparison "
                         "argument of claim C5 is continuous time's, so the table is the search alone (the grid's "
                         "own discretisation moves the variance ratio, at omega = 0 too: see unguided)"}
    return {**extra, "version": __version__, "convention": CONVENTION if rule.kind == "cfg" else rule.convention,
            "guidance": rule.spec, "precision": "float64",
            "search": {**kw, "sizes_per_regime": sizes, "seed": seed, "W_max": W_MAX, "t_max": 3.0, "log_var_tol": LOG_VAR_TOL,
                       "method": "scrambled Sobol scan, then scipy.optimize.minimize (COBYLA), maximising log var_ratio"},
            "regimes": [{"name": n, "prior": p, "alpha": None if math.isinf(a) else a} for n, p, a in regimes],
            "rows": rows,
            "max_nonnegative": max(r["best_var_ratio"] for r in nonneg),
            "max_log_nonnegative": max(r["best_log_var_ratio"] for r in nonneg),
            "counterexamples": [r for r in nonneg if r["exceeds_one"]],
            "control_min": min(r["best_var_ratio"] for r in rows if not r["nonnegative"])}


def _short_schedules(rows: list, rule) -> None:
    """Each row's ``best_schedule_short``: its schedule with the fewest significant digits that keep its
    variance ratio and separability within :data:`~cfgmft.commands.schedule_design.SHORT_TOL` (the
    text table prints it; ``best_schedule`` keeps the full form)."""
    from ..solvers.design import TheoryModel
    from .schedule_design import shortest_schedule

    for row in rows:
        alpha = math.inf if row["alpha"] is None else row["alpha"]
        model = TheoryModel(row["prior"], 1.0, row["sampler"], alpha, rule=rule, grid=row.get("grid"),
                            update=row.get("update"))
        row["best_schedule_short"] = shortest_schedule(row["best_schedule"], model)


def format_nogo(r: dict) -> str:
    """The table in text form."""
    lines = [f"cfgmft {r['version']} schedule nogo: the largest v_perp/sigma2 per family (claim C5)"
             + (f" on the grid {r['grid']} with the {r['update']} update" if r.get("grid") else ""),
             f"  strengths in [0, {r['search']['W_max']:g}], times in [0, {r['search']['t_max']:g}]; {r['search']['method']}",
             f"  convention: {r['convention']}; {r['precision']}", "",
             f"  {'regime':<58} {'sampler':<7} {'family':<12} {'max var_ratio':>15} {'log var_ratio':>14} "
             f"{'separability':>13}  best schedule"]
    for row in r["rows"]:
        lines.append(f"  {row['regime']:<58} {row['sampler']:<7} {row['family']:<12} {row['best_var_ratio']:>15.12f} "
                     f"{row['best_log_var_ratio']:>14.3e} {row['separability']:>13.5f}  {row.get('best_schedule_short', row['best_schedule'])}")
    from .schedule_design import SHORT_TOL

    lines.append("")
    lines.append(f"  schedules rounded to the fewest digits that keep their prediction within {SHORT_TOL:g} "
                 "(the numbers are the full schedule's; its full form is in --json)")
    if r.get("grid"):
        lines.append(f"  {r['note']}")
        lines += [f"  omega = 0 on the grid, {n}: var_ratio {v:.12f}" for n, v in r["unguided"].items()]
    lines.append(f"  largest over the non-negative families: {r['max_nonnegative']:.12f} "
                 f"(log {r['max_log_nonnegative']:.3e}); above 1 (log > {r['search']['log_var_tol']:g}): "
                 f"{len(r['counterexamples'])}")
    return "\n".join(lines)
