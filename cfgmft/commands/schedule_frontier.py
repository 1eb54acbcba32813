"""``cfgmft schedule frontier``: the trade-off of variance ratio against separability.

:func:`run_frontier` runs :func:`cfgmft.api.frontier` (for each family, the largest
separability with ``v_perp/sigma2`` at or above each floor of a sweep, in the theory: the
margin over the best competitor in the exponential regime, the log-odds of the implicit
classifier in the infinite-class limit) and returns the JSON object of ``--json``: every
parameter, the version and the convention, one curve per family, and the numbers of constant
CFG at the peak and of ``omega = 0``. With ``out`` it writes ``frontier.json`` and
``frontier.png`` (:func:`frontier_figure`: one curve per family, constant CFG and ``omega = 0``
marked) there. :func:`format_frontier` is the text form.

With ``grid`` and ``update`` the frontier is computed on the user's sampler grid (the
discrete-grid theory scores every schedule: :func:`cfgmft.solvers.frontier.frontier`). With
``monte_carlo`` (``{"d": D, "samples": N, "disorder": R, "seed": S}``) every feasible point's
schedule is also run in exact-score Monte Carlo at dimension ``D`` (:func:`cfgmft.api.simulate`),
on the same grid and update where there is one (continuous time otherwise), and the point gets
``monte_carlo``: the variance ratio, ``m_final`` and the separability as ``{"mean", "stderr"}``.
"""

from __future__ import annotations

import time

from .. import __version__
from ..api import frontier
from ..conventions import CONVENTION

__all__ = ["run_frontier", "format_frontier", "frontier_figure", "JSON_NAME", "FIGURE_NAME"]

JSON_NAME, FIGURE_NAME = "frontier.json", "frontier.png"


def _mc_problem(kwargs: dict, mc: dict, schedule):
    """The Monte Carlo problem of one frontier point: the frontier's mixture at ``mc['d']``, the
    point's schedule, its sampler (continuous time; a grid replaces it)."""
    import math

    from ..params import Guidance, Mixture, Problem, Sampler

    alpha = kwargs.get("alpha", math.inf)
    mix = Mixture(sigma2=kwargs.get("sigma2", 1.0), prior=kwargs.get("prior", "sphere"), d=mc["d"],
                  **({"classes": math.inf} if math.isinf(alpha) else {"alpha": alpha}))
    grid = kwargs.get("grid") is not None
    return Problem(mix, Guidance(schedule=schedule, rule=kwargs.get("rule")),
                   Sampler(kind="sde" if grid else kwargs.get("sampler", "sde"), T=None if grid else kwargs.get("T")))


def check_monte_carlo(monte_carlo, kwargs: dict) -> dict:
    """``monte_carlo`` with its defaults (``samples`` 4096, ``disorder`` 1, ``seed`` 0), every
    check of :func:`cfgmft.api.simulate` made on the frontier's problem before anything runs."""
    from ..api import check_simulation, _check_rule_grid
    from ..errors import ParameterError, check_seed
    from ..schedules import Constant

    if not isinstance(monte_carlo, dict) or "d" not in monte_carlo:
        raise ParameterError("monte_carlo", f"must be a dict with d (and samples, disorder, seed), got {monte_carlo!r}")
    unknown = set(monte_carlo) - {"d", "samples", "disorder", "seed"}
    if unknown:
        raise ParameterError("monte_carlo", f"unknown key {sorted(unknown)[0]!r} (d, samples, disorder, seed)")
    mc = {"samples": 4096, "disorder": 1, "seed": 0, **monte_carlo}
    mc["seed"] = check_seed("seed", mc["seed"])
    problem = _mc_problem(kwargs, mc, Constant(float(kwargs.get("peak", 3.0))))
    check_simulation(problem, samples=mc["samples"], disorder=mc["disorder"])
    _check_rule_grid(problem, kwargs.get("grid"))
    return mc


def _monte_carlo_points(r: dict, kwargs: dict, mc: dict) -> None:
    """Each feasible point's ``monte_carlo`` (module docstring); a schedule met at several floors
    runs once."""
    from ..api import simulate
    from ..schedules import parse_schedule

    key = r["separability"]
    done: dict = {}
    for c in r["curves"].values():
        for p in c["points"]:
            if not p.get("feasible") or not p.get("schedule"):
                continue
            if p["schedule"] not in done:
                res = simulate(_mc_problem(kwargs, mc, parse_schedule(p["schedule"])), samples=mc["samples"],
                               disorder=mc["disorder"], seed=mc["seed"], grid=kwargs.get("grid"),
                               update=kwargs.get("update"))
                done[p["schedule"]] = {"d": res["d"], "K": res["K"], "samples": res["samples"],
                                       "disorder": res["disorder"], "steps": res["steps"], "seed": res["seed"],
                                       "grid": res.get("grid"), "update": res.get("update"),
                                       "var_ratio": res["var_ratio"], "m_final": res["m_final"],
                                       "separability": res.get(key)}
            p["monte_carlo"] = done[p["schedule"]]


def run_frontier(*, out=None, monte_carlo=None, **kwargs) -> dict:
    """The frontier as a JSON-able dict (module docstring); with ``out`` (a folder, created and
    checked before anything is computed) also ``frontier.json`` and ``frontier.png`` there,
    listed under ``files``; with ``monte_carlo`` each feasible point's Monte Carlo (module
    docstring), on the frontier's grid where it has one."""
    from ..solvers.frontier import check_frontier

    check_frontier(**kwargs)  # bad arguments are refused before the folder is created
    mc = check_monte_carlo(monte_carlo, kwargs) if monte_carlo is not None else None
    folder = None
    if out is not None:
        from ..io import output_folder

        folder = output_folder(out)
    t0 = time.perf_counter()
    from ..guidance import as_rule

    rule = as_rule(kwargs.get("rule"))
    f = frontier(**kwargs)
    r = {"version": __version__, "convention": (CONVENTION + " (guidance scale w = 1 + omega)" if rule.kind == "cfg"
                                                else rule.convention), "guidance": rule.spec, "precision": "float64"}
    r.update(f.to_dict())
    _short_schedules(r)
    if mc is not None:
        _monte_carlo_points(r, kwargs, mc)
        r["monte_carlo"] = mc
    r["seconds"] = time.perf_counter() - t0
    if folder is not None:
        from ..io import save_json

        r["files"] = [str(folder / JSON_NAME), str(folder / FIGURE_NAME)]
        frontier_figure(r, folder / FIGURE_NAME)
        save_json(folder / JSON_NAME, {k: v for k, v in r.items() if k not in ("version", "convention")})
    return r


def _title(r: dict) -> str:
    m = r["model"]
    where = "infinite-class limit" if m["alpha"] is None else f"alpha = {m['alpha']:g}"
    how = (f"{m['update']} on {m['grid']}" if m.get("grid") else m["sampler"].upper())
    return f"{m['prior']} prior, sigma2 = {m['sigma2']:g}, {where}, {how}, peak {r['peak']:g}"


def _short_schedules(r: dict) -> None:
    """Each feasible point's ``schedule_short``: its schedule with the fewest significant digits that
    keep its prediction within :data:`~cfgmft.commands.schedule_design.SHORT_TOL` (the text table
    prints it; ``schedule`` keeps the full form)."""
    from .schedule_design import shortest_schedule, theory_model

    model = theory_model(r["model"], r.get("guidance"))
    for c in r["curves"].values():
        for p in c["points"]:
            if p.get("feasible") and p.get("schedule"):
                p["schedule_short"] = shortest_schedule(p["schedule"], model)


def frontier_figure(r: dict, path, ax=None) -> None:
    """One curve per family (separability against the variance ratio reached at each floor,
    dashed for the non-negative families), constant CFG at the peak and ``omega = 0`` marked,
    ``v = 1`` drawn. With ``ax`` it draws there and writes nothing."""
    import matplotlib

    if ax is None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(7.2, 4.8))
    for k, (name, c) in enumerate(r["curves"].items()):
        pts = [p for p in c["points"] if p["feasible"]]
        # the best schedule can exceed its floor: plot what it reaches
        ax.plot([p["var_ratio"] for p in pts], [p["separability"] for p in pts], ls="--" if c["nonnegative"] else "-",
                marker="o", ms=3, color=f"C{k % 10}", lw=1.4 if c["nonnegative"] else 2.2, label=name)
        mc = [p["monte_carlo"] for p in pts if p.get("monte_carlo") and p["monte_carlo"].get("separability")]
        if mc:
            ax.errorbar([q["var_ratio"]["mean"] for q in mc], [q["separability"]["mean"] for q in mc],
                        xerr=[2 * q["var_ratio"]["stderr"] for q in mc], yerr=[2 * q["separability"]["stderr"] for q in mc],
                        fmt="x", ms=5, color=f"C{k % 10}", lw=0.8)
    ax.plot([r["constant"]["var_ratio"]], [r["constant"]["separability"]], "k*", ms=12,
            label=f"constant CFG, omega = {r['peak']:g}")
    ax.plot([r["unguided"]["var_ratio"]], [r["unguided"]["separability"]], "ks", ms=8, mfc="none", label="omega = 0")
    ax.axvline(1.0, color="k", lw=0.8, ls=":")
    ax.set(xlabel="v_perp / sigma2 (exact sampling: 1)",
           ylabel=f"{r['separability']} ({'per dimension' if r['separability'] == 'margin' else '(log P_0(x|c) - log P_0(x))/d'})",
           title=_title(r))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    if own:
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)


def format_frontier(r: dict) -> str:
    """A readable table of :func:`run_frontier`'s result: per family and floor, the best
    schedule's variance ratio and separability."""
    s = r["search"]
    lines = [f"cfgmft {r['version']} schedule frontier: max {r['separability']} subject to v_perp/sigma2 >= floor",
             f"  {r['model']['theory']}; {_title(r)}",
             f"  convention: {r['convention']}; {r['precision']}",
             f"  search per floor: {s['n_global']} Sobol points, {s['n_starts']} COBYLA start(s), maxiter "
             f"{s['maxiter']}, seed {s['seed']}, t_max {s['t_max']:g}",
             f"  constant CFG at {r['peak']:g}: var_ratio {r['constant']['var_ratio']:.6g}, "
             f"{r['separability']} {r['constant']['separability']:.6g};  omega = 0: var_ratio "
             f"{r['unguided']['var_ratio']:.6g}, {r['separability']} {r['unguided']['separability']:.6g}", ""]
    lines.append(f"  {'family':<12} {'floor':>9} {'var_ratio':>11} {r['separability']:>12}  schedule")
    for name, c in r["curves"].items():
        for p in c["points"]:
            if p["feasible"]:
                q = p.get("monte_carlo")
                mc = (f"  MC: var_ratio {q['var_ratio']['mean']:.4g} +- {q['var_ratio']['stderr']:.2g}"
                      + (f", {r['separability']} {q['separability']['mean']:.4g} +- {q['separability']['stderr']:.2g}"
                         if q.get("separability") else "") if q else "")
                lines.append(f"  {name:<12} {p['floor']:>9.5f} {p['var_ratio']:>11.6f} {p['separability']:>12.6f}  "
                             f"{p.get('schedule_short', p['schedule'])}{mc}")
            else:
                lines.append(f"  {name:<12} {p['floor']:>9.5f} {'-':>11} {'-':>12}  infeasible (largest var_ratio "
                             f"seen {p['var_ratio']:.6g})")
    if r.get("monte_carlo"):
        m = r["monte_carlo"]
        lines += ["", f"  MC: exact-score Monte Carlo of each point's schedule at d = {m['d']}, {m['samples']} samples x "
                      f"{m['disorder']} mixture(s), seed {m['seed']}"
                  + (", on the same grid and update" if r["model"].get("grid") else ", continuous time")
                  + "; +- one standard error"]
    from .schedule_design import SHORT_TOL

    lines += ["", f"  schedules rounded to the fewest digits that keep their prediction within {SHORT_TOL:g} "
                  "(the full form is in --json and frontier.json)"]
    if r.get("files"):
        lines += ["", f"  written: {', '.join(r['files'])}"]
    return "\n".join(lines)
